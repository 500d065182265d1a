"""Learner-style solutions to notebook 05's exercises, right and wrong, shared by its tests.

Right solutions are written differently from the references in ``helpers/`` on purpose, so a
check that only accepted the reference's own code would fail them.
"""

import keras
import numpy as np
from keras import ops

# --- hands-on 1: DenseTranspose, right and wrong ---------------------------------------------

class OwnLayer(keras.layers.Layer):
    """A correct implementation written differently from the reference."""

    def __init__(self, dense, activation=None, **kwargs):
        super().__init__(**kwargs)
        object.__setattr__(self, "source", dense)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.b = self.add_weight(name="b", shape=(self.source.kernel.shape[0],), initializer="zeros")

    def call(self, inputs):
        return self.activation(ops.tensordot(inputs, self.source.kernel, axes=[[-1], [1]]) + self.b)

    def get_config(self):
        raise NotImplementedError("save the owner")


class DefaultConfig(OwnLayer):
    """Correct, and leaves saving to Keras' default get_config (which refuses this layer)."""

    get_config = keras.layers.Layer.get_config


class TracksTheDense(OwnLayer):
    """The book's way: ``self.dense = dense`` makes Keras track the Dense as a sub-layer."""

    def __init__(self, dense, activation=None, **kwargs):
        keras.layers.Layer.__init__(self, **kwargs)
        self.dense = dense
        object.__setattr__(self, "source", dense)
        self.activation = keras.activations.get(activation)

    get_config = keras.layers.Layer.get_config


class NaiveConfig(TracksTheDense):
    """Serialises the borrowed Dense: saves, but the file does not load back."""

    def get_config(self):
        return {**keras.layers.Layer.get_config(self),
                "dense": keras.saving.serialize_keras_object(self.dense),
                "activation": keras.activations.serialize(self.activation)}

    @classmethod
    def from_config(cls, config):
        config["dense"] = keras.saving.deserialize_keras_object(config["dense"])
        return cls(**config)


class Snapshot(OwnLayer):
    """Copies the kernel's values at build time: right at first, then stops following."""

    def build(self, input_shape):
        super().build(input_shape)
        object.__setattr__(self, "frozen", ops.convert_to_tensor(self.source.kernel.numpy()))

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, ops.transpose(self.frozen)) + self.b)


class OwnKernel(OwnLayer):
    """An untied decoder: a kernel variable of its own."""

    def build(self, input_shape):
        super().build(input_shape)
        self.k = self.add_weight(name="k", shape=tuple(self.source.kernel.shape), initializer="ones")

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, ops.transpose(self.k)) + self.b)


class DetachesTheKernel(OwnLayer):
    """Follows the kernel but stops its gradient: only the encoder's own use would train it."""

    def call(self, inputs):
        kernel = ops.stop_gradient(self.source.kernel)
        return self.activation(ops.matmul(inputs, ops.transpose(kernel)) + self.b)


class BiasOfTheWrongSize(OwnLayer):
    """Sizes its bias from the kernel's output axis (n_out) instead of its input axis (n_in)."""

    def build(self, input_shape):
        self.b = self.add_weight(name="b", shape=(self.source.kernel.shape[1],), initializer="zeros")


class RebuildsItsDense(OwnLayer):
    """A get_config that stores the kernel's shape and rebuilds a Dense of its own when loaded
    (so it could never be tied again): Keras then expects that Dense's weights in the file and
    cannot load it."""

    def get_config(self):
        return {**keras.layers.Layer.get_config(self), "shape": list(self.source.kernel.shape),
                "activation": keras.activations.serialize(self.activation)}

    @classmethod
    def from_config(cls, config):
        n_in, n_out = config.pop("shape")
        dense = keras.layers.Dense(n_out)
        dense.build((None, n_in))
        return cls(dense, **config)


class NoActivation(OwnLayer):
    def call(self, inputs):
        return ops.tensordot(inputs, self.source.kernel, axes=[[-1], [1]]) + self.b


class Unfinished(keras.layers.Layer):
    def __init__(self, dense, activation=None, **kwargs):
        raise NotImplementedError("Write your solution here (and delete this line).")


# --- hands-on 2: input noise, top units, classifier factories ----------------------------------

def gaussian_wrapper(model, noise_std):
    return keras.Sequential([keras.layers.GaussianNoise(noise_std), model])


def dropout_wrapper(model, noise_std):
    return keras.Sequential([keras.layers.Dropout(noise_std), model])


def always_noisy(model, noise_std):
    return keras.Sequential([keras.layers.Lambda(
        lambda x: x + noise_std * keras.random.normal(ops.shape(x), seed=1)), model])


def fixed_scale(model, noise_std):
    """Ignores ``noise_std``: always noise of standard deviation 1."""
    return keras.Sequential([keras.layers.GaussianNoise(1.0), model])


def no_noise(model, noise_std):
    return keras.Sequential([keras.layers.Identity(), model])


def cloned_model(model, noise_std):
    return keras.Sequential([keras.layers.GaussianNoise(noise_std), keras.models.clone_model(model)])


def top_right(codings, k):
    return np.argsort(-codings, axis=0, kind="stable")[:k].T


def _softmax_classifier(body):
    return keras.Sequential([keras.Input((28, 28)), body, keras.layers.Dense(10, activation="softmax")])


def good_classifier(encoder, pretrained, seed):
    keras.utils.set_random_seed(seed)
    body = keras.models.clone_model(encoder)
    body.name = "encoder"
    if pretrained:
        body.set_weights(encoder.get_weights())
    return _softmax_classifier(body)


def fixed_seed(encoder, pretrained, seed):
    """Repeatable, but every seed gives the same start: it ignores ``seed``."""
    return good_classifier(encoder, pretrained, 0)


def unseeded(encoder, pretrained, seed):
    """Never seeds Keras: two builds with the same seed start from different weights."""
    body = keras.models.clone_model(encoder)
    body.name = "encoder"
    if pretrained:
        body.set_weights(encoder.get_weights())
    return _softmax_classifier(body)


def linear_head(encoder, pretrained, seed):
    """Right body, but the head has no softmax (it outputs scores, not probabilities)."""
    model = good_classifier(encoder, pretrained, seed)
    return keras.Sequential([keras.Input((28, 28)), model.layers[0], keras.layers.Dense(10)])


def always_copies(encoder, pretrained, seed):
    """Copies the trained weights whatever ``pretrained`` says: no from-scratch baseline."""
    return good_classifier(encoder, True, seed)


def clone_only(encoder, pretrained, seed):
    keras.utils.set_random_seed(seed)
    body = keras.models.clone_model(encoder)
    body.name = "encoder"
    return _softmax_classifier(body)


def shares_encoder(encoder, pretrained, seed):
    return _softmax_classifier(encoder)


def unnamed_body(encoder, pretrained, seed):
    model = good_classifier(encoder, pretrained, seed)
    return keras.Sequential([keras.Input((28, 28)), *model.layers[0].layers, model.layers[-1]])


# --- hands-on 3: principal angles and PCA -----------------------------------------------------

def angles_right(A, B):
    qa, qb = np.linalg.qr(A)[0], np.linalg.qr(B)[0]
    return np.degrees(np.arccos(np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1, 1)))


def pca_right(X, k):
    mean = X.mean(axis=0)
    return mean, np.linalg.svd(X - mean, full_matrices=False)[2][:k].T


def angles_without_qr(A, B):
    """Skips the orthonormalisation: right only when both bases are already orthonormal."""
    return np.degrees(np.arccos(np.clip(np.linalg.svd(A.T @ B, compute_uv=False), -1, 1)))


def pca_rows(X, k):
    """The top directions as rows (k, d), not as columns."""
    mean, components = pca_right(X, k)
    return mean, components.T
