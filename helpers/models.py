"""Model builders and model facts: stacked autoencoders (tied or not), classifiers on a reused
encoder, and what can be read off them (parameter counts, architecture checks, dead codings)."""

from __future__ import annotations

import itertools
import math
import numbers

import keras
import numpy as np

from helpers.layers import DenseTranspose

IMAGE_SHAPE = (28, 28)
N_PIXELS = 784


def check_coding_size(coding_size, upper=N_PIXELS, name="coding_size") -> int:
    """Return ``coding_size`` as an int, or raise ValueError naming ``name`` and what is allowed."""
    if isinstance(coding_size, bool) or not isinstance(coding_size, numbers.Integral):
        raise ValueError(
            f"{name} must be a whole number from 1 to {upper}; got {coding_size!r} "
            f"({type(coding_size).__name__})."
        )
    if not 1 <= coding_size <= upper:
        raise ValueError(f"{name} must be a whole number from 1 to {upper}; got {coding_size}.")
    return int(coding_size)


def check_tied(tied) -> bool:
    """Return ``tied`` as a bool, or raise ValueError: strings such as "no" or None are refused.

    ``bool("no")`` is True, so a loose check would silently build (and cache) a tied model
    for ``tied="no"``; only real booleans (Python's or NumPy's) are accepted.
    """
    if isinstance(tied, (bool, np.bool_)):
        return bool(tied)
    raise ValueError(f"tied must be True or False; got {tied!r} ({type(tied).__name__}).")


def check_activation(activation):
    """Return ``activation`` if Keras knows it, else raise ValueError listing common choices."""
    if activation is None or callable(activation):
        return activation
    try:
        keras.activations.get(activation)
    except (ValueError, TypeError):
        raise ValueError(
            f"Unknown activation {activation!r}. Use a Keras activation name such as "
            "'relu', 'selu', 'elu', 'gelu', 'tanh', 'sigmoid' or 'linear', or None."
        ) from None
    return activation


@keras.saving.register_keras_serializable(package="helpers")
class StackedAutoencoder(keras.Model):
    """A symmetric stacked autoencoder with ``.encoder`` and ``.decoder`` sub-models.

    ``hidden_units=(100, 30)`` on 28x28 inputs gives 784 -> 100 -> 30 -> 100 -> 784.
    With ``tied=True`` each decoder layer is a :class:`DenseTranspose` of its mirror encoder
    layer. The model owns both sides, so its config rebuilds the tie when it is loaded.
    """

    def __init__(self, input_shape=IMAGE_SHAPE, hidden_units=(100, 30), tied=False,
                 activation="relu", output_activation=None, **kwargs):
        super().__init__(**kwargs)
        input_shape = tuple(int(d) for d in input_shape)
        n_inputs = math.prod(input_shape)
        hidden_units = tuple(check_coding_size(u, upper=n_inputs, name="each of hidden_units")
                             for u in hidden_units)
        if not hidden_units:
            raise ValueError("hidden_units must list at least one layer size, e.g. (100, 30).")
        self.image_shape, self.hidden_units, self.tied = input_shape, hidden_units, bool(tied)
        self.activation = check_activation(activation)
        self.output_activation = check_activation(output_activation)

        dense_layers = [keras.layers.Dense(u, activation=activation, name=f"dense_{i + 1}")
                        for i, u in enumerate(hidden_units)]
        self.encoder = keras.Sequential(
            [keras.Input(input_shape), keras.layers.Flatten(), *dense_layers], name="encoder")

        sizes_back = [*hidden_units[-2::-1], n_inputs]  # e.g. 100, 784
        activations = [activation] * (len(hidden_units) - 1) + [output_activation]
        if self.tied:
            decoder_layers = [DenseTranspose(d, activation=a, name=f"{d.name}_transpose")
                              for d, a in zip(reversed(dense_layers), activations, strict=True)]
        else:
            decoder_layers = [keras.layers.Dense(u, activation=a, name=f"dense_{len(hidden_units) + i + 1}")
                              for i, (u, a) in enumerate(zip(sizes_back, activations, strict=True))]
        self.decoder = keras.Sequential(
            [keras.Input((hidden_units[-1],)), *decoder_layers, keras.layers.Reshape(input_shape)],
            name="decoder")
        self.build((None, *input_shape))

    def build(self, input_shape):
        # Both sub-models are built on construction (encoder first, so the tie can resolve).
        self.built = True

    def call(self, inputs, training=False):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    @property
    def coding_size(self) -> int:
        return self.hidden_units[-1]

    def get_config(self):
        return {
            "name": self.name,
            "input_shape": list(self.image_shape),
            "hidden_units": list(self.hidden_units),
            "tied": self.tied,
            "activation": self.activation,
            "output_activation": self.output_activation,
        }


def stacked_autoencoder(coding_size=30, tied=False, hidden_units=100, activation="relu"):
    """The book's current architecture: 784 -> hidden -> coding -> hidden -> 784 (linear output)."""
    coding_size = check_coding_size(coding_size)
    hidden_units = check_coding_size(hidden_units, name="hidden_units")
    tied = check_tied(tied)
    name = f"{'tied' if tied else 'stacked'}_ae_{coding_size}"
    return StackedAutoencoder(IMAGE_SHAPE, (hidden_units, coding_size), tied=tied,
                              activation=activation, output_activation=None, name=name)


def autoencoder_parameter_count(input_size, hidden_units, tied) -> int:
    """Parameters of a symmetric autoencoder, from its sizes alone (no model is built).

    Each encoder layer has a kernel and a bias. An untied decoder mirrors them with kernels
    of its own; a tied one borrows the encoder's kernels and adds only its biases. At
    784 -> 100 -> 30 this gives 163,814 untied and 82,414 tied.
    """
    sizes = [int(input_size), *(int(u) for u in hidden_units)]
    encoder = sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))
    decoder_biases = sum(sizes[:-1])
    return encoder + decoder_biases + (0 if tied else encoder - sum(sizes[1:]))


def architecture_mismatch(model, image_shape, hidden_units, tied) -> str | None:
    """Why ``model`` is not the autoencoder described by the arguments, or None if it is.

    Used to check a model loaded from the cache against the request that named it.
    """
    if not isinstance(model, StackedAutoencoder):
        return f"expected a StackedAutoencoder, found {type(model).__name__}"
    wanted = {"input shape": tuple(image_shape), "hidden units": tuple(hidden_units), "tied": bool(tied)}
    found = {"input shape": model.image_shape, "hidden units": model.hidden_units, "tied": model.tied}
    for what, value in wanted.items():
        if found[what] != value:
            return f"{what} is {found[what]}, expected {value}"
    expected = autoencoder_parameter_count(math.prod(image_shape), hidden_units, tied)
    if model.count_params() != expected:
        return f"{model.count_params():,} parameters, expected {expected:,}"
    return None


def shared_variable_count(model) -> int:
    """How many variables appear in more than one layer of ``model`` (a tied model: 1 per tie)."""
    decoder_kernels = [layer.kernel for layer in model.decoder.layers if isinstance(layer, DenseTranspose)]
    encoder_ids = {id(v) for v in model.encoder.weights}
    return sum(id(k) in encoder_ids for k in decoder_kernels)


def dead_units(activations) -> int:
    """How many columns (units) of ``activations`` (n, units) are never above zero.

    For ReLU units this means "dead" on these inputs: zero for every one of them, so no
    gradient reaches their incoming weights from these inputs.
    """
    activations = np.asarray(activations)
    return int(np.sum(activations.reshape(len(activations), -1).max(axis=0) <= 0))


def dead_codings(model, images, batch_size=1024) -> int:
    """How many codings of ``model`` (a ReLU autoencoder or its encoder) are zero for every image.

    A ReLU coding that is zero for all inputs passes no gradient to its own incoming weights and
    bias, so they stop learning; the layer below keeps changing, though, so the coding can come
    back. While it is dead, the autoencoder works with fewer codings than its coding size. (For a
    linear encoder the count has no such meaning.)
    """
    encoder = getattr(model, "encoder", model)
    codings = encoder.predict(np.asarray(images, dtype="float32"), batch_size=batch_size, verbose=0)
    return dead_units(codings)


# --- classifiers that reuse an encoder --------------------------------------------------------

def copy_encoder(encoder, pretrained=True, name="encoder"):
    """A new encoder with the same layers as ``encoder``.

    ``pretrained=True`` copies the trained weights in; ``pretrained=False`` keeps the fresh
    random initialisation (the from-scratch baseline). ``keras.models.clone_model`` alone only
    copies the *architecture*: its weights are re-initialised, which silently turns
    "pretraining" into training from scratch. That is why the weights are copied explicitly.
    """
    copy = keras.models.clone_model(encoder)
    copy.name = name
    if pretrained:
        copy.set_weights(encoder.get_weights())
    return copy


def encoder_classifier(encoder, n_classes=10, pretrained=True, freeze=True, seed=None):
    """Encoder layers (copied, with trained weights if ``pretrained``) + a softmax head.

    The classifier never shares variables with ``encoder``, so training it cannot alter the
    autoencoder it came from. ``freeze=True`` makes the encoder part non-trainable.
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
    base = copy_encoder(encoder, pretrained=pretrained)
    base.trainable = not freeze
    head = keras.layers.Dense(n_classes, activation="softmax", name="softmax_head")
    model = keras.Sequential([keras.Input(encoder.input_shape[1:]), base, head],
                             name=f"{'pretrained' if pretrained else 'scratch'}_classifier")
    return model


def set_encoder_trainable(classifier, trainable: bool) -> None:
    """Freeze or unfreeze the encoder part of ``classifier`` (re-compile afterwards)."""
    classifier.get_layer("encoder").trainable = trainable


def same_weights(model_a, model_b) -> bool:
    """True when both models hold numerically identical weights, in order."""
    wa, wb = model_a.get_weights(), model_b.get_weights()
    return len(wa) == len(wb) and all(a.shape == b.shape and np.array_equal(a, b)
                                      for a, b in zip(wa, wb, strict=True))
