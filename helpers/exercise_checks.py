"""Checks of a learner's exercise code (notebook 05, hands-on 2 and 3): print PASS or raise.

Every ``check_*`` function takes the learner's code (a function), prints one ``PASS`` line per
property it verified, and raises ``AssertionError`` saying what is wrong otherwise. The
printed lines are the same in both profiles (nbval compares them). ``NotImplementedError``
raised by an unfinished exercise is never caught: it reaches the cell, which is what the
student edition expects. The checks of hands-on 1 (the learner's ``DenseTranspose``) are in
``helpers.tied_layer_checks`` and use :func:`passed`, :func:`fail` and :func:`sample_images`.

:func:`require` turns a result an unfinished exercise left as ``None`` into a
``NotImplementedError`` that names the exercise.
"""

from __future__ import annotations

import keras
import numpy as np
from keras.ops import convert_to_numpy

from helpers.data import load_fashion_mnist
from helpers.models import stacked_autoencoder


def require(value, name: str, exercise: str):
    """Return ``value``; if an unfinished exercise left it ``None``, raise NotImplementedError."""
    if value is None:
        raise NotImplementedError(f"`{name}` is not set yet: finish {exercise} first.")
    return value


def passed(message: str) -> None:
    """Print the line a check prints for each property that holds."""
    print(f"PASS  {message}")


def fail(message: str):
    """Raise the AssertionError a check raises: ``message`` says what is wrong and what to do."""
    raise AssertionError(message)


def call_learner(function, *args, what: str, hint: str = ""):
    """``function(*args)`` for a learner's function: ``NotImplementedError`` (a stub) passes
    through; any other error fails the check naming ``what`` with the error's first line only
    (Keras' shape errors print whole arrays), plus ``hint`` when the error is about a shape."""
    try:
        return function(*args)
    except NotImplementedError:
        raise
    except Exception as err:  # the learner's code: say what failed, briefly
        text = (str(err).splitlines() or [""])[0][:300]
        fail(f"{what} raised {type(err).__name__}: {text}{hint if 'shape' in text.lower() else ''}")


def sample_images(n=32) -> np.ndarray:
    """The first ``n`` validation images: the same inputs in every profile, so the same PASS lines."""
    return load_fashion_mnist().X_valid[:n]


# --- Hands-on 2: denoising pretraining at a small label budget --------------------------------

def check_input_noise(add_input_noise, noise_std=0.2) -> None:
    """``add_input_noise(model, noise_std)`` corrupts inputs in training only, sharing ``model``."""
    keras.utils.set_random_seed(0)
    autoencoder = stacked_autoencoder(30)
    trainer = add_input_noise(autoencoder, noise_std)
    x = sample_images(16)
    clean = convert_to_numpy(autoencoder(x))
    if not np.allclose(convert_to_numpy(trainer(x, training=False)), clean, atol=1e-6):
        fail("At inference (training=False) the wrapper should pass the images through unchanged.")
    passed("inference (training=False): no noise, output = autoencoder(images)")
    noisy_out = convert_to_numpy(trainer(x, training=True))
    if noisy_out.shape != clean.shape or np.allclose(noisy_out, clean, atol=1e-4):
        fail("In training (training=True) the wrapper should corrupt its input before the "
             "autoencoder; its output did not change.")
    passed("training (training=True): the input is corrupted before the autoencoder")
    probe = add_input_noise(keras.layers.Identity(), noise_std)
    corrupted = convert_to_numpy(probe(x, training=True))
    spread = float(np.std(corrupted - x))
    if not 0.25 * noise_std < spread < 4 * noise_std:
        fail(f"The corruption's standard deviation is {spread:.3f}; noise_std={noise_std} "
             "should set its scale.")
    passed(f"noise_std sets the corruption's scale (asked {noise_std}, within a factor of 4)")
    ids = {id(v) for v in autoencoder.trainable_variables}
    if {id(v) for v in trainer.trainable_variables} != ids:
        fail("The wrapper must train the autoencoder's own variables and add none of its own.")
    passed("training the wrapper trains the autoencoder itself (same variables, none added)")


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
        fail(f"For 5 images x 4 units and k=3 expected shape (4, 3) (units, k); got {got.shape}.")
    passed("shape: (number of units, k)")
    if not np.array_equal(got, expected):
        fail(f"Expected, per unit, the indices of its 3 strongest images, strongest first:\n"
             f"{expected.tolist()}\ngot:\n{got.tolist()}")
    passed("each row lists the images that activate that unit most, strongest first")
    one = np.asarray(top_activating(codings, 1))
    if one.shape != (4, 1) or not np.array_equal(one[:, 0], expected[:, 0]):
        fail(f"With k=1 expected {expected[:, :1].tolist()}; got {one.tolist()}.")
    passed("k=1 gives each unit's single strongest image")


def is_softmax_head(layer, n_classes=10) -> bool:
    """True if ``layer`` is a ``Dense(n_classes)`` with a softmax: a classifier's output head."""
    return (isinstance(layer, keras.layers.Dense) and layer.units == n_classes
            and keras.activations.get(layer.activation) is keras.activations.softmax)


def encoder_copy(model, encoder, label):
    """The classifier's layer named 'encoder', checked to be a same-size copy of ``encoder``."""
    try:
        body = model.get_layer("encoder")
    except ValueError:
        fail(f"The {label} classifier should hold the encoder's copy as one layer named "
             "'encoder' (the training code freezes and unfreezes it by that name).")
    if body.count_params() != encoder.count_params():
        fail(f"The {label} classifier's 'encoder' layer has {body.count_params():,} "
             f"parameters; the encoder has {encoder.count_params():,}.")
    encoder_ids = {id(v) for v in encoder.weights}
    if any(id(v) in encoder_ids for v in model.weights):
        fail(f"The {label} classifier shares variables with the autoencoder's encoder: "
             "training it would change the autoencoder. Copy the layers.")
    return body


def _same_weights(a, b) -> bool:
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(x.shape == y.shape and np.array_equal(x, y)
                                      for x, y in zip(wa, wb, strict=True))


def _check_seed_is_used(make_classifier, encoder, first_builds) -> None:
    """Seed 1 again rebuilds the first builds' initial weights; seed 2 starts scratch elsewhere."""
    for pretrained, label in ((True, "pretrained"), (False, "from scratch")):
        again = make_classifier(encoder, pretrained=pretrained, seed=1)
        if not _same_weights(again, first_builds[label]):
            fail(f"Built twice with seed=1, the {label} classifier starts from different weights, so a "
                 "run cannot be repeated. Seed Keras with `seed` (keras.utils.set_random_seed(seed)) "
                 "before building the model.")
    other = make_classifier(encoder, pretrained=False, seed=2)
    if _same_weights(other, first_builds["from scratch"]):
        fail("With seed=1 and seed=2 the from-scratch classifier starts from the very same weights: "
             "make_classifier ignores `seed`. Seed Keras with it (keras.utils.set_random_seed(seed)).")
    passed("seed: the same seed rebuilds the same initial weights, another seed gives others")


def check_classifier_factory(make_classifier) -> None:
    """``make_classifier(encoder, pretrained, seed)``: copied encoder (or fresh) + softmax head.

    Also checks the seed's use: the same seed gives the same initial weights (so a run can be
    repeated) and, from scratch, another seed gives other weights (so seeds really differ).
    """
    keras.utils.set_random_seed(0)
    encoder = stacked_autoencoder(30).encoder
    rng = np.random.default_rng(3)
    encoder.set_weights([rng.normal(0, 0.05, w.shape).astype("float32") for w in encoder.get_weights()])
    original = [w.copy() for w in encoder.get_weights()]
    x = sample_images(8)
    models = {}
    for pretrained in (True, False):
        model = make_classifier(encoder, pretrained=pretrained, seed=1)
        label = "pretrained" if pretrained else "from scratch"
        if not is_softmax_head(model.layers[-1]):
            fail(f"The {label} classifier's last layer should be the head, Dense(10, softmax).")
        encoder_copy(model, encoder, label)
        probs = convert_to_numpy(model(x))
        if probs.shape != (8, 10) or not np.allclose(probs.sum(axis=1), 1, atol=1e-4):
            fail(f"The {label} classifier should map (8, 28, 28) images to (8, 10) probabilities.")
        models[label] = model
    starts = {label: model.get_weights()[:len(original)] for label, model in models.items()}
    if not all(np.array_equal(a, b) for a, b in zip(starts["pretrained"], original, strict=False)):
        fail("The pretrained classifier does not start from the encoder's weights. (Cloning a "
             "model copies its architecture only; its weights are re-initialised.)")
    passed("pretrained: starts from a copy of the encoder's weights, in its own variables")
    kernels = [(a, b) for a, b in zip(starts["from scratch"], original, strict=False) if a.ndim == 2]
    if any(np.array_equal(a, b) for a, b in kernels):
        fail("The from-scratch classifier should start from a fresh random initialisation.")
    passed("from scratch: same layers, freshly initialised")
    counts = {k: m.count_params() for k, m in models.items()}
    expected = encoder.count_params() + 30 * 10 + 10
    if len(set(counts.values())) != 1 or counts["pretrained"] != expected:
        fail(f"Both classifiers should have the encoder's parameters plus a 30 -> 10 softmax head "
             f"({expected:,}); got {counts}.")
    passed(f"same architecture for both: {expected:,} parameters, last layer Dense(10, softmax)")
    _check_seed_is_used(make_classifier, encoder, models)


# --- Hands-on 3: a linear tied autoencoder against PCA ----------------------------------------

def check_principal_angles(principal_angles) -> None:
    """``principal_angles(A, B)`` -> angles in degrees between the column spaces, ascending."""
    e = np.eye(4)
    cases = [
        # The other basis is neither orthogonal nor of unit length, so skipping the QR step fails.
        ("a plane against itself, other basis", e[:, :2], e[:, :2] @ np.array([[0.5, 0.2], [0.0, 0.3]]),
         [0.0, 0.0]),
        ("orthogonal planes", e[:, :2], e[:, 2:], [90.0, 90.0]),
        ("one shared direction, one turned by 30 degrees", e[:, :2],
         np.column_stack([e[:, 0], np.cos(np.pi / 6) * e[:, 1] + np.sin(np.pi / 6) * e[:, 2]]),
         [0.0, 30.0]),
    ]
    for label, a, b, expected in cases:
        got = np.asarray(principal_angles(a, b), dtype=float)
        if got.shape != (2,) or not np.allclose(got, expected, atol=1e-4):
            fail(f"{label}: expected angles {expected} degrees (ascending), got {got.tolist()}.")
        passed(f"{label}: {expected} degrees")


def check_pca(pca) -> None:
    """``pca(X, k)`` -> (mean, components): the mean and k orthonormal top directions."""
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(6, 2)))[0]
    X = (rng.normal(size=(400, 2)) * [5.0, 2.0]) @ basis.T + 0.05 * rng.normal(size=(400, 6)) + 3.0
    mean, components = pca(X, 2)
    mean, components = np.asarray(mean), np.asarray(components)
    if mean.shape != (6,) or not np.allclose(mean, X.mean(axis=0), atol=1e-6):
        fail("The mean should be the per-feature mean of X, shape (n_features,).")
    passed("mean: the per-feature mean")
    if components.shape != (6, 2) or not np.allclose(components.T @ components, np.eye(2), atol=1e-6):
        fail(f"Components should be (n_features, k) = (6, 2) with orthonormal columns; got "
             f"shape {components.shape}.")
    passed("components: (n_features, k), orthonormal columns")
    cov = np.cov(X, rowvar=False)
    top = np.linalg.eigh(cov)[1][:, ::-1][:, :2]
    cosines = np.linalg.svd(top.T @ components, compute_uv=False)
    if cosines.min() < 1 - 1e-6:
        fail("The components do not span the top-2 directions of variance.")
    passed("they span the directions of largest variance")
    variances = ((X - mean) @ components).var(axis=0)
    if not variances[0] >= variances[1]:
        fail("Order the components by decreasing variance.")
    passed("ordered by decreasing variance")
