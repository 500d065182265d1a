"""Reference models and cached trainers for notebook 05's exercises, built around the learner's code.

* ``TiedOwner``: a tied autoencoder made from any ``DenseTranspose``-like class, the model the
  hands-on 1 checks (``helpers.tied_layer_checks``) save and reload.
* Hands-on 2: :func:`pretrained_denoising_autoencoder` (cached) trains with the learner's
  ``add_input_noise``; :func:`denoising_examples` and :func:`codings_of` use it;
  :func:`compare_pretraining` (cached per seed) trains the learner's classifiers with notebook
  04's two-phase recipe.
* Hands-on 3: :func:`trained_linear_autoencoder` (cached) and PCA's reconstruction,
  :func:`pca_reconstruction` and :func:`pca_reconstruction_mse`.

Results whose cache key must depend on the learner's code carry ``_signature`` of a model
built with it, so the learner's function runs (and its mistakes surface) even on a cache hit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math

import keras
import numpy as np
from keras.ops import convert_to_numpy

from helpers.cache import load_or_compute
from helpers.classifier_training import TwoPhaseTrainer, classifier_plan, decode_predictions
from helpers.data import load_fashion_mnist
from helpers.exercise_checks import require
from helpers.labels import balanced_subset
from helpers.models import IMAGE_SHAPE, StackedAutoencoder, stacked_autoencoder
from helpers.profile import active_profile
from helpers.recipes import get_recipe
from helpers.training import (
    HIDDEN_UNITS,
    cache_spec,
    check_seed,
    train_cached,
    training_spec,
    verify_autoencoder,
)


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
             *[transpose_layer(d, activation=a) for d, a in zip(reversed(denses), activations, strict=True)],
             keras.layers.Reshape((28, 28))], name="decoder")
        self.build((None, 28, 28))

    def build(self, input_shape):
        self.built = True

    def call(self, inputs, training=False):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def get_config(self):
        return {"name": self.name, "hidden_units": list(self.hidden_units),
                "transpose_layer": keras.saving.get_registered_name(self.transpose_layer)}



# --- Hands-on 2: denoising pretraining at a small label budget --------------------------------

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
    recipe, seed = dataclasses.replace(get_recipe(recipe), jit_compile=False), check_seed(seed)
    profile = active_profile()
    data = data or load_fashion_mnist()
    keras.utils.set_random_seed(seed)
    probe = add_input_noise(stacked_autoencoder(coding_size), noise_std)  # runs even on a cache hit
    spec = training_spec("denoising_autoencoder", trainer=_signature(probe), noise_std=noise_std,
                         coding_size=coding_size, recipe=recipe, seed=seed, profile=profile, data=data)
    return train_cached(spec, lambda: stacked_autoencoder(coding_size), recipe=recipe, seed=seed,
                        data=data, profile=profile, fit_model=lambda ae: add_input_noise(ae, noise_std),
                        verify=verify_autoencoder(IMAGE_SHAPE, (HIDDEN_UNITS, coding_size), tied=False))


def denoising_examples(add_input_noise, dae, images, noise_std=0.2, seed=0) -> dict:
    """Clean ``images``, their corrupted versions and the autoencoder's denoised output.

    The corruption is produced by the learner's own ``add_input_noise`` (wrapped around an
    identity layer, in training mode), so it is exactly what the autoencoder trained on.
    Also returns the mean squared errors against the clean images.
    """
    model = require(dae, "dae", "Exercise 5.7").model
    keras.utils.set_random_seed(seed)
    noisy = convert_to_numpy(add_input_noise(keras.layers.Identity(), noise_std)(images, training=True))
    denoised = model.predict(noisy, batch_size=1024, verbose=0)
    from_clean = model.predict(images, batch_size=1024, verbose=0)

    def mse(a):
        return float(np.mean((a - images) ** 2))

    return {"clean": images, "noisy": noisy, "denoised": denoised,
            "mse_noisy": mse(noisy), "mse_denoised": mse(denoised), "mse_from_clean": mse(from_clean)}


def codings_of(dae, images) -> np.ndarray:
    """The denoising autoencoder's codings of ``images`` (n_images, coding_size)."""
    model = require(dae, "dae", "Exercise 5.7").model
    return model.encoder.predict(images, batch_size=2048, verbose=0)


COMPARISON_ACCURACIES = ("pretrained", "scratch", "frozen")


def _verify_comparison_row(seed):
    """A ``verify(row)`` for the result cache: the row is this seed's, with three accuracies."""
    def verify(row):
        if not isinstance(row, dict):
            raise ValueError(f"the cached row is a {type(row).__name__}, expected a dict of accuracies")
        if row.get("seed") != seed:
            raise ValueError(f"the cached row is for seed {row.get('seed')!r}, expected {seed}")
        for key in COMPARISON_ACCURACIES:
            value = row.get(key)
            if not isinstance(value, (int, float)) or not (math.isfinite(value) and 0 <= value <= 1):
                raise ValueError(f"accuracy {key!r} is {value!r}, expected a number from 0 to 1")
    return verify


def compare_pretraining(make_classifier, dae, n_labels=500, seeds=None, plan=None, data=None,
                        on_run=None) -> dict:
    """Test accuracy of the pretrained and the from-scratch classifier, per seed (cached).

    For each seed: ``n_labels`` class-balanced labels from the training split
    (``balanced_subset``), both classifiers from ``make_classifier`` (same seed), each
    trained with notebook 04's two-phase recipe (``TwoPhaseTrainer`` and
    ``classifier_plan``): pretrained = head alone, then everything at a lower rate;
    scratch = the same steps with everything trainable. Accuracy is measured on all 10,000
    test images; "frozen" is the pretrained run after its head-only phase.
    ``on_run(seed, kind)`` is called before each training run.
    """
    cached_dae = require(dae, "dae", "Exercise 5.7")
    profile = active_profile()
    data = data or load_fashion_mnist()
    plan = plan or classifier_plan(profile)
    seeds = tuple(check_seed(s) for s in (profile.seeds if seeds is None else seeds))
    trainer, rows = None, []
    for seed in seeds:
        models = {p: make_classifier(cached_dae.model.encoder, pretrained=p, seed=seed)
                  for p in (True, False)}
        subset = balanced_subset(data.y_train, n_labels, seed)
        spec = cache_spec("exercise_pretraining_comparison", dae=cached_dae.key, n_labels=n_labels,
                          classifiers={str(p): _signature(m) for p, m in models.items()},
                          plan=dataclasses.asdict(plan), seed=seed, profile=profile, data=data)

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
                accuracies = [float(np.mean(decode_predictions(p["predictions"]) == data.y_test))
                              for p in run["phases"]]
                row[kind] = accuracies[-1]
                if pretrained:
                    row["frozen"] = accuracies[0]
            return row

        row, _ = load_or_compute(spec, compute, verify=_verify_comparison_row(seed))
        rows.append(row)
    return {"n_labels": n_labels, "profile": profile.name, "rows": rows,
            "plan": dataclasses.asdict(plan)}


# --- Hands-on 3: a linear tied autoencoder against PCA ----------------------------------------

def trained_linear_autoencoder(k, mean_image, seed=42, recipe="fast", data=None):
    """784 -> k -> 784, linear, tied, MSE, trained on mean-centred images (cached).

    ``mean_image`` (28, 28) is subtracted from the inputs and the targets, batch by batch (no
    centred copy of the images in memory). Returns ``helpers.cache.CachedModel``;
    ``.model.encoder.layers[-1].kernel`` (784, k) spans the learned subspace and
    ``.info["valid_mse"]`` is the centred reconstruction MSE on all validation images.
    """
    recipe, profile = get_recipe(recipe), active_profile()
    data = data or load_fashion_mnist()
    mean_digest = hashlib.sha256(np.ascontiguousarray(mean_image, dtype="float32").tobytes()).hexdigest()
    spec = training_spec("linear_tied_autoencoder_centered", k=k, mean=mean_digest[:16], recipe=recipe,
                         seed=seed, profile=profile, data=data)

    def build():
        return StackedAutoencoder(IMAGE_SHAPE, (k,), tied=True, activation=None,
                                  output_activation=None, name=f"linear_tied_ae_{k}")

    # initialize (the recipe's zero start) leaves tied models as they are: harmless here.
    return train_cached(spec, build, recipe=recipe, seed=seed, data=data, profile=profile,
                        offset=mean_image, verify=verify_autoencoder(IMAGE_SHAPE, (k,), tied=True))


def pca_reconstruction(X, mean, components) -> np.ndarray:
    """``X`` (n, d) projected onto ``mean`` + span(``components``) (d, k orthonormal) and back."""
    components = require(components, "components", "Exercise 5.11")
    return (X - mean) @ components @ components.T + mean


def pca_reconstruction_mse(X, mean, components) -> float:
    """MSE of projecting ``X`` (n, d) onto ``mean`` + span(``components``) and back."""
    return float(np.mean((pca_reconstruction(X, mean, components) - X) ** 2))
