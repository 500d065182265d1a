"""Check cells and building blocks for the exercises notebook (``05_exercises.ipynb``).

Every ``check_*`` function takes the learner's code (a class or a function), prints one
``PASS`` line per property it verified, and raises ``AssertionError`` saying what is wrong
otherwise. The printed lines are the same in both profiles (nbval compares them).
``NotImplementedError`` raised by an unfinished exercise is never caught: it reaches the
cell, which is what the student edition expects.

* Hands-on 1, the learner's ``DenseTranspose``, checked against ``helpers.layers``:
  ``check_output``, ``check_parameter_count``, ``check_shared_variable``,
  ``check_save_load``. A tied layer cannot be saved on its own (its kernel belongs to
  another layer), so the save/load check saves the learner's layer inside
  ``TiedOwner``, a small model that owns both sides and rebuilds the tie from its config,
  and also checks that a plain model holding the layer does not silently reload untied.
* Hands-on 2, denoising pretraining with few labels: ``check_input_noise``,
  ``pretrained_denoising_autoencoder`` (cached), ``denoising_examples``, ``codings_of``,
  ``check_top_activating``, ``check_classifier_factory``, ``compare_pretraining``
  (cached per seed; it reuses notebook 04's ``helpers.pretraining``), ``pretraining_conclusion``.
* Hands-on 3, a linear tied autoencoder against PCA: ``check_pca``,
  ``check_principal_angles``, ``trained_linear_autoencoder`` (cached),
  ``pca_reconstruction``, ``pca_reconstruction_mse``, ``subspace_conclusion``, ``basis_report``.

``require(value, name, exercise)`` turns a result an unfinished exercise left as ``None``
into a ``NotImplementedError`` that names the exercise.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import tempfile
from pathlib import Path

import keras
import numpy as np

from helpers.cache import load_or_compute, load_or_train_model
from helpers.data import load_fashion_mnist
from helpers.layers import DenseTranspose as ReferenceDenseTranspose
from helpers.models import StackedAutoencoder, stacked_autoencoder
from helpers.profile import active_profile
from helpers.training import fit_reconstruction, get_recipe, initialize_for_recipe, training_arrays


def require(value, name: str, exercise: str):
    """Return ``value``; if an unfinished exercise left it ``None``, raise NotImplementedError."""
    if value is None:
        raise NotImplementedError(f"`{name}` is not set yet: finish {exercise} first.")
    return value


def _pass(message: str) -> None:
    print(f"PASS  {message}")


def _fail(message: str):
    raise AssertionError(message)


def _images(n=32):
    return load_fashion_mnist().X_valid[:n]


# --- Hands-on 1: the learner's DenseTranspose -------------------------------------------------

def _own_variables(layer, borrowed):
    """The variables ``layer`` reports that are not ``borrowed`` (the Dense's)."""
    borrowed_ids = {id(v) for v in borrowed}
    return [v for v in layer.weights if id(v) not in borrowed_ids]


def _built_dense(n_in, n_out, seed):
    keras.utils.set_random_seed(seed)
    dense = keras.layers.Dense(n_out)
    dense.build((None, n_in))
    return dense


@keras.saving.register_keras_serializable(package="helpers_exercises")
class TiedOwner(keras.Model):
    """A tied autoencoder built from any ``DenseTranspose``-like class (the owner of the tie).

    784 -> ``hidden_units`` -> back to 784 (ReLU inside, linear output), like
    ``helpers.models.StackedAutoencoder(tied=True)``, but the decoder layers are
    ``transpose_layer(dense, activation=...)``. Its config stores the class's registered
    name, so load it with ``custom_objects={name: the_class}``.
    """

    def __init__(self, transpose_layer, hidden_units=(100, 30), **kwargs):
        super().__init__(**kwargs)
        if isinstance(transpose_layer, str):
            name, transpose_layer = transpose_layer, keras.saving.get_registered_object(transpose_layer)
            if transpose_layer is None:
                raise ValueError(f"Unknown layer class {name!r}: pass custom_objects={{{name!r}: "
                                 "YourClass}} to keras.models.load_model.")
        self.transpose_layer = transpose_layer
        self.hidden_units = tuple(int(u) for u in hidden_units)
        denses = [keras.layers.Dense(u, activation="relu", name=f"dense_{i + 1}")
                  for i, u in enumerate(self.hidden_units)]
        self.encoder = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), *denses],
                                        name="encoder")
        activations = ["relu"] * (len(denses) - 1) + [None]
        self.decoder = keras.Sequential(
            [keras.Input((self.hidden_units[-1],)),
             *[transpose_layer(d, activation=a) for d, a in zip(reversed(denses), activations)],
             keras.layers.Reshape((28, 28))], name="decoder")
        self.build((None, 28, 28))

    def build(self, input_shape):
        self.built = True

    def call(self, inputs, training=False):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def get_config(self):
        return {"name": self.name, "hidden_units": list(self.hidden_units),
                "transpose_layer": keras.saving.get_registered_name(self.transpose_layer)}


def _decoder_biases(model):
    """Per decoder layer, the one variable it owns (its bias); asserts there is exactly one."""
    encoder_vars = model.encoder.weights
    biases = []
    for layer in model.decoder.layers:
        if isinstance(layer, keras.layers.Reshape):
            continue
        own = _own_variables(layer, encoder_vars)
        if len(own) != 1:
            _fail(f"Each decoder layer should own exactly one variable, its bias; "
                  f"'{layer.name}' owns {len(own)}: {[tuple(v.shape) for v in own]}.")
        biases.append(own[0])
    return biases


def _copy_into(mine, reference):
    """Give ``mine`` (a TiedOwner) exactly the weights of ``reference`` (a tied StackedAutoencoder)."""
    mine.encoder.set_weights(reference.encoder.get_weights())
    for bias, ref_layer in zip(_decoder_biases(mine), reference.decoder.layers):
        if tuple(bias.shape) != tuple(ref_layer.bias.shape):
            _fail(f"A decoder bias has shape {tuple(bias.shape)}; expected {tuple(ref_layer.bias.shape)}.")
        bias.assign(ref_layer.bias)


def check_output(layer_class) -> None:
    """The layer computes ``activation(inputs @ dense.kernel.T + bias)`` like the reference."""
    dense = _built_dense(7, 5, seed=1)
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    bias = np.linspace(-0.5, 0.5, 7).astype("float32")
    for activation, label in (("relu", "relu"), (None, "activation=None (linear)")):
        mine = layer_class(dense, activation=activation)
        mine.build((None, 5))
        own = _own_variables(mine, dense.weights)
        if len(own) != 1 or tuple(own[0].shape) != (7,):
            _fail(f"Expected your layer to own one variable, a bias of shape (7,), for a Dense "
                  f"with 7 inputs; it owns {[tuple(v.shape) for v in own]}.")
        own[0].assign(bias)
        reference = ReferenceDenseTranspose(dense, activation=activation)
        reference.build((None, 5))
        reference.bias.assign(bias)
        got = keras.ops.convert_to_numpy(mine(x))
        if got.shape != (4, 7):
            _fail(f"Output shape {got.shape}; a Dense(5) on 7 inputs transposed maps (4, 5) to (4, 7).")
        expected = keras.ops.convert_to_numpy(reference(x))
        if not np.allclose(got, expected, atol=1e-5):
            _fail(f"With {label}, your output differs from helpers.layers.DenseTranspose by up to "
                  f"{np.abs(got - expected).max():.3g}. Expected activation(x @ W.T + b).")
        _pass(f"{label}: output matches helpers.layers.DenseTranspose, shape (4, 5) -> (4, 7)")


def check_parameter_count(layer_class) -> None:
    """A 784-100-30 tied autoencoder with the layer has the reference's parameter count."""
    keras.utils.set_random_seed(0)
    mine = TiedOwner(layer_class, (100, 30))
    reference = stacked_autoencoder(30, tied=True).count_params()
    untied = stacked_autoencoder(30, tied=False).count_params()
    decoder_vars = mine.decoder.weights
    encoder_ids = {id(v) for v in mine.encoder.weights}
    borrowed = [v for v in decoder_vars if id(v) in encoder_ids]
    if borrowed:
        _fail(f"Your decoder layers list {len(borrowed)} of the encoder's variables as their own "
              f"({[v.path for v in borrowed]}): the layer tracks the Dense it borrows from, so a "
              "decoder used or saved alone would count and store the encoder's weights again. "
              "Keep the reference to the Dense out of Keras' attribute tracking.")
    own = sum(int(np.prod(v.shape)) for v in decoder_vars)
    if own != 100 + 784:
        _fail(f"Your two decoder layers own {own:,} parameters; with a tied kernel they should own "
              "only their biases, 100 + 784 = 884.")
    _pass(f"your two decoder layers own {own:,} parameters: their biases (100 + 784), nothing else")
    count = mine.count_params()
    if count != reference:
        _fail(f"Tied autoencoder with your layer: {count:,} parameters; expected {reference:,} "
              f"(untied: {untied:,}).")
    _pass(f"tied autoencoder with your layer: {count:,} parameters "
          f"(helpers' tied model: {reference:,}; untied: {untied:,})")


def check_shared_variable(layer_class) -> None:
    """Encoder and decoder use one kernel variable: reads, assignments and gradients agree."""
    keras.utils.set_random_seed(0)
    reference = stacked_autoencoder(30, tied=True)
    mine = TiedOwner(layer_class, (100, 30))
    _copy_into(mine, reference)
    x = _images(32)

    def outputs(model):
        return keras.ops.convert_to_numpy(model(x))

    if not np.allclose(outputs(mine), outputs(reference), atol=1e-5):
        _fail("With the same weights, your tied autoencoder does not reconstruct like helpers' one "
              "(does your decoder read the encoder's current kernel, transposed?).")
    first_mine, first_ref = mine.encoder.layers[1], reference.encoder.layers[1]
    before = outputs(mine)
    for layer in (first_mine, first_ref):
        layer.kernel.assign(layer.kernel * 0.5)
    after = outputs(mine)
    if np.allclose(before, after) or not np.allclose(after, outputs(reference), atol=1e-5):
        _fail("Scaling the encoder's first kernel did not change your decoder's output as it "
              "should: the decoder does not read the encoder's variable (a copy?).")
    _pass("the decoder reads the encoder's kernel variable: assigning it changes the reconstruction")

    def sgd_step(model):
        import tensorflow as tf

        variables = model.trainable_variables
        with tf.GradientTape() as tape:
            loss = keras.ops.mean((model(x) - x) ** 2)
        for v, g in zip(variables, tape.gradient(loss, variables)):
            if g is None:
                _fail(f"No gradient reaches {v.path}.")
            v.assign_sub(0.5 * g)
        return len(variables)

    n_mine, n_ref = sgd_step(mine), sgd_step(reference)
    if n_mine != n_ref:
        _fail(f"Your tied model has {n_mine} trainable variables; helpers' has {n_ref}.")
    if not np.allclose(first_mine.kernel.numpy(), first_ref.kernel.numpy(), atol=1e-5):
        _fail("After one gradient step the shared kernel differs from helpers' tied model: the "
              "gradient through your decoder does not reach the encoder's variable.")
    _pass("one gradient step updates the shared kernel exactly as in helpers' tied model "
          "(gradients from encoder and decoder add up)")
    if not np.allclose(outputs(mine), outputs(reference), atol=1e-4):
        _fail("After one gradient step your reconstructions differ from helpers' tied model.")
    _pass("after that step both models still reconstruct identically")


def _book_style_autoencoder(layer_class):
    """The usual way to write a tied model: Sequential(encoder Sequential, decoder Sequential)."""
    denses = [keras.layers.Dense(100, activation="relu"), keras.layers.Dense(30, activation="relu")]
    encoder = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), *denses], name="encoder")
    decoder = keras.Sequential([keras.Input((30,)), layer_class(denses[1], activation="relu"),
                                layer_class(denses[0]), keras.layers.Reshape((28, 28))],
                               name="decoder")
    return keras.Sequential([keras.Input((28, 28)), encoder, decoder], name="plain_tied_ae")


def _still_tied(model):
    """True if assigning the encoder's coding-layer kernel changes the decoder's output."""
    encoder, decoder = model.layers[0], model.layers[1]
    codings = np.random.default_rng(5).random((3, 30)).astype("float32")
    before = _array(decoder(codings))
    kernel = encoder.layers[-1].kernel
    kernel.assign(kernel * 0.5 + 0.1)
    return not np.allclose(before, _array(decoder(codings)))


def check_save_load(layer_class, directory=None) -> None:
    """Saving keeps the tie when a model owns both sides; a plain model must not reload untied."""
    name = keras.saving.get_registered_name(layer_class)
    keras.utils.set_random_seed(0)
    mine = TiedOwner(layer_class, (100, 30))
    for bias in _decoder_biases(mine):
        bias.assign(np.random.default_rng(1).normal(0, 0.1, bias.shape).astype("float32"))
    x = _images(16)
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        path = Path(tmp) / "owner.keras"
        mine.save(path)
        loaded = keras.models.load_model(path, custom_objects={name: layer_class})
        same = np.allclose(keras.ops.convert_to_numpy(mine(x)),
                           keras.ops.convert_to_numpy(loaded(x)), atol=1e-6)
        if not same or loaded.count_params() != mine.count_params():
            _fail("A model that owns both sides of the tie does not reload identically "
                  f"(same outputs: {same}; parameters {loaded.count_params():,} vs "
                  f"{mine.count_params():,}).")
        kernel = loaded.encoder.layers[-1].kernel
        codings = np.random.default_rng(2).random((4, 30)).astype("float32")
        before = keras.ops.convert_to_numpy(loaded.decoder(codings))
        kernel.assign(kernel * 2.0 + 0.1)
        if np.allclose(before, keras.ops.convert_to_numpy(loaded.decoder(codings))):
            _fail("After reloading, the decoder no longer follows the encoder's kernel: the tie "
                  "was lost.")
        _pass("saved and reloaded inside a model that owns both sides: same output, "
              "same parameter count, still tied")

        keras.utils.set_random_seed(0)
        plain = _book_style_autoencoder(layer_class)
        plain_path = Path(tmp) / "plain.keras"
        try:
            plain.save(plain_path)
        except Exception as err:  # refusing is the right answer (see the module doc)
            _pass(f"a plain Sequential(encoder, decoder) with your layer refuses to save "
                  f"({type(err).__name__}): nothing can reload untied")
            return
        try:
            reloaded = keras.models.load_model(plain_path, custom_objects={name: layer_class})
        except Exception as err:
            _fail(f"A plain Sequential(encoder, decoder) with your layer saves a file that cannot "
                  f"be loaded back ({type(err).__name__}: {str(err)[:200]}). Refuse to save "
                  "instead (raise NotImplementedError in get_config) and save a model that owns "
                  "both sides of the tie.")
        if not _still_tied(reloaded):
            _fail("A plain Sequential(encoder, decoder) with your layer reloads it UNTIED (the "
                  "decoder got its own copy of the kernel). Refuse to save instead (raise "
                  "NotImplementedError in get_config).")
        _pass("a plain Sequential(encoder, decoder) with your layer reloads still tied")


# --- Hands-on 2: denoising pretraining at a small label budget --------------------------------

def _array(t):
    return keras.ops.convert_to_numpy(t)


def check_input_noise(add_input_noise, noise_std=0.2) -> None:
    """``add_input_noise(model, noise_std)`` corrupts inputs in training only, sharing ``model``."""
    keras.utils.set_random_seed(0)
    autoencoder = stacked_autoencoder(30)
    trainer = add_input_noise(autoencoder, noise_std)
    x = _images(16)
    clean = _array(autoencoder(x))
    if not np.allclose(_array(trainer(x, training=False)), clean, atol=1e-6):
        _fail("At inference (training=False) the wrapper should pass the images through unchanged.")
    _pass("inference (training=False): no noise, output = autoencoder(images)")
    noisy_out = _array(trainer(x, training=True))
    if noisy_out.shape != clean.shape or np.allclose(noisy_out, clean, atol=1e-4):
        _fail("In training (training=True) the wrapper should corrupt its input before the "
              "autoencoder; its output did not change.")
    _pass("training (training=True): the input is corrupted before the autoencoder")
    probe = add_input_noise(keras.layers.Identity(), noise_std)
    corrupted = _array(probe(x, training=True))
    spread = float(np.std(corrupted - x))
    if not 0.25 * noise_std < spread < 4 * noise_std:
        _fail(f"The corruption's standard deviation is {spread:.3f}; noise_std={noise_std} "
              "should set its scale.")
    _pass(f"noise_std sets the corruption's scale (asked {noise_std}, within a factor of 4)")
    ids = {id(v) for v in autoencoder.trainable_variables}
    if {id(v) for v in trainer.trainable_variables} != ids:
        _fail("The wrapper must train the autoencoder's own variables and add none of its own.")
    _pass("training the wrapper trains the autoencoder itself (same variables, none added)")


def _without_names(obj):
    """``obj`` (a Keras config) without its "name" entries, which depend on session history."""
    if isinstance(obj, dict):
        return {k: _without_names(v) for k, v in obj.items() if k != "name"}
    if isinstance(obj, (list, tuple)):
        return [_without_names(v) for v in obj]
    return obj


def _signature(model) -> str:
    """A digest of a model's layer classes, configs and initial weights (part of cache keys)."""
    def describe(layer):
        try:
            config = layer.get_config()
        except NotImplementedError:
            config = {}
        sub = [describe(s) for s in getattr(layer, "layers", [])]
        return [type(layer).__name__, _without_names(config), sub]

    digest = hashlib.sha256(json.dumps(describe(model), sort_keys=True, default=str).encode())
    for w in model.get_weights():
        digest.update(np.ascontiguousarray(w).tobytes())
    return digest.hexdigest()[:24]


def pretrained_denoising_autoencoder(add_input_noise, noise_std=0.2, coding_size=30, seed=42,
                                     recipe="fast", data=None):
    """A stacked autoencoder trained to undo ``add_input_noise``'s corruption (cached).

    Trains on the profile's training images (all 55,000 in ``full``). Returns
    ``helpers.cache.CachedModel``; ``.model`` is the clean ``StackedAutoencoder`` (its
    ``.encoder`` is what a classifier reuses) and ``.info`` holds the history and the
    ``valid_mse`` (clean input) on all 5,000 validation images.
    """
    # XLA compiles random-number generation into slow code on CPU: with a noise layer, a
    # jit-compiled epoch costs about 15 times more, so the noisy model runs without XLA.
    recipe = dataclasses.replace(get_recipe(recipe), jit_compile=False)
    profile = active_profile()
    data = data or load_fashion_mnist()

    def build():
        keras.utils.set_random_seed(seed)
        autoencoder = initialize_for_recipe(stacked_autoencoder(coding_size), recipe)
        return autoencoder, add_input_noise(autoencoder, noise_std)

    _, probe = build()  # runs the learner's code even when the result is cached
    spec = {"kind": "denoising_autoencoder", "trainer": _signature(probe), "noise_std": noise_std,
            "coding_size": coding_size, "recipe": dataclasses.asdict(recipe), "seed": seed,
            "profile": dataclasses.asdict(profile), "data": data.checksum}

    def train():
        autoencoder, trainer = build()
        X_train, X_valid = training_arrays(data, profile)
        history = fit_reconstruction(trainer, X_train, X_valid, recipe,
                                     epochs=profile.epochs(recipe.epochs))
        history["valid_mse"] = float(np.mean(
            (autoencoder.predict(data.X_valid, batch_size=1024, verbose=0) - data.X_valid) ** 2))
        gc.collect()  # free the training pipeline before the next model trains
        return autoencoder, history

    return load_or_train_model(spec, train)


def denoising_examples(add_input_noise, dae, images, noise_std=0.2, seed=0) -> dict:
    """Clean ``images``, their corrupted versions and the autoencoder's denoised output.

    The corruption is produced by the learner's own ``add_input_noise`` (wrapped around an
    identity layer, in training mode), so it is exactly what the autoencoder trained on.
    Also returns the mean squared errors against the clean images.
    """
    model = require(dae, "dae", "exercise 2.1").model
    keras.utils.set_random_seed(seed)
    noisy = _array(add_input_noise(keras.layers.Identity(), noise_std)(images, training=True))
    denoised = model.predict(noisy, batch_size=1024, verbose=0)
    from_clean = model.predict(images, batch_size=1024, verbose=0)
    mse = lambda a: float(np.mean((a - images) ** 2))  # noqa: E731
    return {"clean": images, "noisy": noisy, "denoised": denoised,
            "mse_noisy": mse(noisy), "mse_denoised": mse(denoised), "mse_from_clean": mse(from_clean)}


def codings_of(dae, images) -> np.ndarray:
    """The denoising autoencoder's codings of ``images`` (n_images, coding_size)."""
    model = require(dae, "dae", "exercise 2.1").model
    return model.encoder.predict(images, batch_size=2048, verbose=0)


def check_top_activating(top_activating) -> None:
    """``top_activating(codings, k)`` -> (n_units, k) image indices, strongest first."""
    codings = np.array([[0.0, 5.0, 1.0, 0.2],
                        [3.0, 0.0, 2.0, 0.9],
                        [1.0, 4.0, 0.0, 0.4],
                        [7.0, 1.0, 3.0, 0.1],
                        [2.0, 6.0, 0.5, 0.6]], dtype="float32")
    expected = np.array([[3, 1, 4], [4, 0, 2], [3, 1, 0], [1, 4, 2]])
    got = np.asarray(top_activating(codings, 3))
    if got.shape != (4, 3):
        _fail(f"For 5 images x 4 units and k=3 expected shape (4, 3) (units, k); got {got.shape}.")
    _pass("shape: (number of units, k)")
    if not np.array_equal(got, expected):
        _fail(f"Expected, per unit, the indices of its 3 strongest images, strongest first:\n"
              f"{expected.tolist()}\ngot:\n{got.tolist()}")
    _pass("each row lists the images that activate that unit most, strongest first")
    one = np.asarray(top_activating(codings, 1))
    if one.shape != (4, 1) or not np.array_equal(one[:, 0], expected[:, 0]):
        _fail(f"With k=1 expected {expected[:, :1].tolist()}; got {one.tolist()}.")
    _pass("k=1 gives each unit's single strongest image")


def _is_softmax_head(layer, n_classes=10):
    return (isinstance(layer, keras.layers.Dense) and layer.units == n_classes
            and keras.activations.get(layer.activation) is keras.activations.softmax)


def check_classifier_factory(make_classifier) -> None:
    """``make_classifier(encoder, pretrained, seed)``: copied encoder (or fresh) + softmax head."""
    keras.utils.set_random_seed(0)
    encoder = stacked_autoencoder(30).encoder
    rng = np.random.default_rng(3)
    encoder.set_weights([rng.normal(0, 0.05, w.shape).astype("float32") for w in encoder.get_weights()])
    original = [w.copy() for w in encoder.get_weights()]
    n_enc = len(original)
    x = _images(8)
    models = {}
    for pretrained in (True, False):
        model = make_classifier(encoder, pretrained=pretrained, seed=1)
        label = "pretrained" if pretrained else "from scratch"
        if not _is_softmax_head(model.layers[-1]):
            _fail(f"The {label} classifier's last layer should be the head, Dense(10, softmax).")
        try:
            body = model.get_layer("encoder")
        except ValueError:
            _fail(f"The {label} classifier should hold the encoder's copy as one layer named "
                  "'encoder' (the training code freezes and unfreezes it by that name).")
        if body.count_params() != encoder.count_params():
            _fail(f"The {label} classifier's 'encoder' layer has {body.count_params():,} "
                  f"parameters; the encoder has {encoder.count_params():,}.")
        probs = _array(model(x))
        if probs.shape != (8, 10) or not np.allclose(probs.sum(axis=1), 1, atol=1e-4):
            _fail(f"The {label} classifier should map (8, 28, 28) images to (8, 10) probabilities.")
        enc_ids = {id(v) for v in encoder.weights}
        if any(id(v) in enc_ids for v in model.weights):
            _fail(f"The {label} classifier shares variables with the autoencoder's encoder: "
                  "training it would change the autoencoder. Copy the layers.")
        models[label] = model
    weights = models["pretrained"].get_weights()
    if not all(np.array_equal(a, b) for a, b in zip(weights[:n_enc], original)):
        _fail("The pretrained classifier does not start from the encoder's weights. (Cloning a "
              "model copies its architecture only; its weights are re-initialised.)")
    _pass("pretrained: starts from a copy of the encoder's weights, in its own variables")
    scratch = models["from scratch"].get_weights()
    if any(np.array_equal(a, b) for a, b in zip(scratch[:n_enc], original) if a.ndim == 2):
        _fail("The from-scratch classifier should start from a fresh random initialisation.")
    _pass("from scratch: same layers, freshly initialised")
    counts = {k: m.count_params() for k, m in models.items()}
    expected = encoder.count_params() + 30 * 10 + 10
    if len(set(counts.values())) != 1 or counts["pretrained"] != expected:
        _fail(f"Both classifiers should have the encoder's parameters plus a 30 -> 10 softmax head "
              f"({expected:,}); got {counts}.")
    _pass(f"same architecture for both: {expected:,} parameters, last layer Dense(10, softmax)")


def compare_pretraining(make_classifier, dae, n_labels=500, seeds=None, plan=None, data=None,
                        on_run=None) -> dict:
    """Test accuracy of the pretrained and the from-scratch classifier, per seed (cached).

    For each seed: ``n_labels`` class-balanced labels from the training split
    (``helpers.pretraining.balanced_subset``), both classifiers from ``make_classifier``
    (same seed), each trained with notebook 04's two-phase recipe
    (``helpers.pretraining.TwoPhaseTrainer`` and ``classifier_plan``): pretrained = head
    alone, then everything at a lower rate; scratch = the same steps with everything
    trainable. Accuracy is measured on all 10,000 test images; "frozen" is the pretrained
    run after its head-only phase. ``on_run(seed, kind)`` is called before each training run.
    """
    from helpers.pretraining import TwoPhaseTrainer, balanced_subset, classifier_plan, decode_predictions

    cached_dae = require(dae, "dae", "exercise 2.1")
    profile = active_profile()
    data = data or load_fashion_mnist()
    plan = plan or classifier_plan(profile)
    seeds = tuple(profile.seeds if seeds is None else seeds)
    trainer, rows = None, []
    for seed in seeds:
        models = {p: make_classifier(cached_dae.model.encoder, pretrained=p, seed=seed)
                  for p in (True, False)}
        subset = balanced_subset(data.y_train, n_labels, seed)
        spec = {"kind": "exercise_pretraining_comparison", "dae": cached_dae.key,
                "n_labels": n_labels, "seed": seed,
                "classifiers": {str(p): _signature(m) for p, m in models.items()},
                "plan": dataclasses.asdict(plan), "profile": dataclasses.asdict(profile),
                "data": data.checksum}

        def compute(models=models, subset=subset, seed=seed):
            nonlocal trainer
            if trainer is None:
                trainer = TwoPhaseTrainer(models[True], data.X_train, data.y_train, data.X_test, plan)
            row = {"seed": seed}
            for kind, pretrained in (("pretrained", True), ("scratch", False)):
                if on_run:
                    on_run(seed, kind)
                run = trainer.run(models[pretrained].get_weights(), subset, seed,
                                  freeze_first=pretrained)
                acc = [float(np.mean(decode_predictions(p["predictions"]) == data.y_test))
                       for p in run["phases"]]
                row[kind] = acc[-1]
                if pretrained:
                    row["frozen"] = acc[0]
            return row

        row, _ = load_or_compute(spec, compute)
        rows.append(row)
    return {"n_labels": n_labels, "profile": profile.name, "rows": rows,
            "plan": dataclasses.asdict(plan)}


def pretraining_conclusion(results: dict) -> str:
    """A plain-text conclusion computed from ``compare_pretraining``'s numbers."""
    rows = results["rows"]
    if not rows:
        raise ValueError("No seeds were run.")
    pre = np.array([r["pretrained"] for r in rows]) * 100
    scr = np.array([r["scratch"] for r in rows]) * 100
    frz = np.array([r["frozen"] for r in rows]) * 100
    diff = pre - scr
    n = len(rows)

    def stat(a):
        return f"{a.mean():.1f}%" + (f" ± {a.std(ddof=1):.1f}" if n > 1 else "")

    lines = [f"Test accuracy with {results['n_labels']} labels, {n} seed{'s' * (n > 1)} "
             f"(mean{' ± std' if n > 1 else ''}):",
             f"  pretrained encoder, fine-tuned : {stat(pre)}",
             f"  pretrained encoder, frozen     : {stat(frz)}",
             f"  same architecture from scratch : {stat(scr)}",
             f"Fine-tuned minus scratch, per seed: " + ", ".join(f"{d:+.1f}" for d in diff) + " points."]
    wins = int((diff > 0).sum())
    if n == 1:
        verdict = (f"With a single seed there is no spread to compare the difference "
                   f"({diff[0]:+.1f} points) against: run more seeds before concluding.")
    elif wins in (0, n):
        spread = max(pre.std(ddof=1), scr.std(ddof=1))
        verdict = (f"Pretraining helped in all {n} seeds, by {diff.mean():+.1f} points on average "
                   f"(smallest gain {diff.min():+.1f})." if wins else
                   f"Pretraining hurt in all {n} seeds, by {diff.mean():+.1f} points on average: "
                   "with this recipe, training from scratch on the labels alone did better.")
        if abs(diff.mean()) < spread:
            verdict += (f" The effect is consistent but smaller than the seed-to-seed spread of "
                        f"the accuracies themselves (std up to {spread:.1f} points): a small "
                        "effect, which more seeds would pin down better.")
    else:
        verdict = (f"Mixed: pretraining won {wins} of {n} seeds (mean difference {diff.mean():+.1f} "
                   "points); the seed-to-seed spread is as large as the effect.")
    lines.append(verdict)
    if results.get("profile") == "quick":
        lines.append("Quick profile: tiny training runs, so these numbers only show that the "
                     "pipeline works; run the full profile for the real comparison.")
    return "\n".join(lines)


# --- Hands-on 3: a linear tied autoencoder against PCA ----------------------------------------

def check_principal_angles(principal_angles) -> None:
    """``principal_angles(A, B)`` -> angles in degrees between the column spaces, ascending."""
    e = np.eye(4)
    cases = [
        ("a plane against itself, other basis", e[:, :2], e[:, :2] @ np.array([[2.0, 1.0], [0.0, 3.0]]),
         [0.0, 0.0]),
        ("orthogonal planes", e[:, :2], e[:, 2:], [90.0, 90.0]),
        ("one shared direction, one turned by 30 degrees", e[:, :2],
         np.column_stack([e[:, 0], np.cos(np.pi / 6) * e[:, 1] + np.sin(np.pi / 6) * e[:, 2]]),
         [0.0, 30.0]),
    ]
    for label, a, b, expected in cases:
        got = np.asarray(principal_angles(a, b), dtype=float)
        if got.shape != (2,) or not np.allclose(got, expected, atol=1e-4):
            _fail(f"{label}: expected angles {expected} degrees (ascending), got {got.tolist()}.")
        _pass(f"{label}: {expected} degrees")


def check_pca(pca) -> None:
    """``pca(X, k)`` -> (mean, components): the mean and k orthonormal top directions."""
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(6, 2)))[0]
    X = (rng.normal(size=(400, 2)) * [5.0, 2.0]) @ basis.T + 0.05 * rng.normal(size=(400, 6)) + 3.0
    mean, components = pca(X, 2)
    mean, components = np.asarray(mean), np.asarray(components)
    if mean.shape != (6,) or not np.allclose(mean, X.mean(axis=0), atol=1e-6):
        _fail("The mean should be the per-feature mean of X, shape (n_features,).")
    _pass("mean: the per-feature mean")
    if components.shape != (6, 2) or not np.allclose(components.T @ components, np.eye(2), atol=1e-6):
        _fail(f"Components should be (n_features, k) = (6, 2) with orthonormal columns; got "
              f"shape {components.shape}.")
    _pass("components: (n_features, k), orthonormal columns")
    cov = np.cov(X, rowvar=False)
    top = np.linalg.eigh(cov)[1][:, ::-1][:, :2]
    cosines = np.linalg.svd(top.T @ components, compute_uv=False)
    if cosines.min() < 1 - 1e-6:
        _fail("The components do not span the top-2 directions of variance.")
    _pass("they span the directions of largest variance")
    variances = ((X - mean) @ components).var(axis=0)
    if not variances[0] >= variances[1]:
        _fail("Order the components by decreasing variance.")
    _pass("ordered by decreasing variance")


def _linear_autoencoder_spec(k, recipe, seed, profile, data) -> dict:
    return {"kind": "linear_tied_autoencoder_centered", "k": k, "recipe": dataclasses.asdict(recipe),
            "seed": seed, "profile": dataclasses.asdict(profile), "data": data.checksum}


def trained_linear_autoencoder(k, mean_image, seed=42, recipe="fast", data=None):
    """784 -> k -> 784, linear, tied, MSE, trained on mean-centred images (cached).

    ``mean_image`` (28, 28) is subtracted from the inputs and the targets. Returns
    ``helpers.cache.CachedModel``; ``.model.encoder.layers[-1].kernel`` (784, k) spans the
    learned subspace.
    """
    recipe, profile = get_recipe(recipe), active_profile()
    data = data or load_fashion_mnist()
    spec = _linear_autoencoder_spec(k, recipe, seed, profile, data)
    spec["mean"] = hashlib.sha256(np.ascontiguousarray(mean_image, dtype="float32").tobytes()).hexdigest()[:16]

    def train():
        keras.utils.set_random_seed(seed)
        model = StackedAutoencoder((28, 28), (k,), tied=True, activation=None,
                                   output_activation=None, name=f"linear_tied_ae_{k}")
        X_train, X_valid = training_arrays(data, profile)
        # Centred batch by batch (offset): no centred copy of the 55,000 images in memory.
        history = fit_reconstruction(model, X_train, X_valid, recipe, offset=mean_image,
                                     epochs=profile.epochs(recipe.epochs))
        gc.collect()  # Keras models hold reference cycles: free the training pipeline now
        return model, history

    return load_or_train_model(spec, train)


def pca_reconstruction(X, mean, components) -> np.ndarray:
    """``X`` (n, d) projected onto ``mean`` + span(``components``) (d, k orthonormal) and back."""
    components = require(components, "components", "exercise 3.1")
    return (X - mean) @ components @ components.T + mean


def pca_reconstruction_mse(X, mean, components) -> float:
    """MSE of projecting ``X`` (n, d) onto ``mean`` + span(``components``) and back."""
    return float(np.mean((pca_reconstruction(X, mean, components) - X) ** 2))


def basis_report(W, components) -> str:
    """How the autoencoder's basis (columns of ``W``) compares with PCA's ``components``.

    Reports the columns' lengths, the largest |cosine| between two different columns
    (0 = orthogonal), and for each column its best |cosine| with a principal component
    (1 for every column = PCA's own basis, up to order and signs).
    """
    W, components = np.asarray(W, dtype=float), np.asarray(components, dtype=float)
    lengths = np.linalg.norm(W, axis=0)
    unit = W / lengths
    overlap = np.abs(unit.T @ unit - np.eye(W.shape[1])).max()
    best = np.abs(unit.T @ components).max(axis=1)
    orthonormal = np.all(np.abs(lengths - 1) < 0.01) and overlap < 0.01
    lines = [f"Autoencoder's basis (columns of W): lengths {lengths.min():.3f} to {lengths.max():.3f}, "
             f"largest |cosine| between two columns {overlap:.3f}: "
             + ("orthonormal." if orthonormal else "not orthonormal."),
             f"Best match of each column among PCA's components: |cosine| {best.min():.2f} to "
             f"{best.max():.2f} (1.00 for all would be PCA's own basis)."]
    lines.append("So it is PCA's own basis, up to order and signs." if best.min() > 0.99 else
                 "So it is not PCA's basis: where the subspaces agree, it is another basis of the same subspace.")
    return "\n".join(lines)


def subspace_conclusion(angles, ae_mse, pca_mse, profile_name) -> str:
    """A plain-text verdict from the principal angles and the two reconstruction errors."""
    angles = np.asarray(angles, dtype=float)
    excess = (ae_mse / pca_mse - 1) * 100
    lines = [f"Principal angles between the autoencoder's subspace and PCA's ({len(angles)} "
             f"dimensions): median {np.median(angles):.1f} degrees, largest {angles.max():.1f} degrees.",
             f"Validation MSE: PCA {pca_mse:.5f}, linear autoencoder {ae_mse:.5f} "
             f"({excess:+.1f}% against PCA)."]
    if angles.max() < 10 and excess < 2:
        lines.append("Same subspace, to within a few degrees, and the same error: the linear "
                     "autoencoder has found PCA's subspace.")
    elif np.median(angles) < 10:
        lines.append("Most directions agree with PCA; the largest angles belong to directions "
                     "whose variances are nearly equal, which gradient descent separates slowly.")
    else:
        lines.append("Not converged to PCA's subspace yet: train longer to see the two meet.")
    if profile_name == "quick":
        lines.append("Quick profile: short training on a subset, so expect only partial agreement.")
    return "\n".join(lines)
