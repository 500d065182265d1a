"""Training autoencoders to rebuild their inputs, with every trained model cached.

:func:`train_cached` is the one place that runs the sequence every trained model of the
suite goes through: set the seed, build, give the model the recipe's start, fit, measure the
validation MSE, and store the result in the model cache (``helpers.cache``) under a spec that
names everything that determines it. :func:`trained_autoencoder` is its most used caller.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import numbers
import time
from collections.abc import Callable

import keras
import numpy as np

from helpers.cache import CachedModel, load_or_train_model
from helpers.data import FashionMNIST, load_fashion_mnist
from helpers.models import (
    IMAGE_SHAPE,
    architecture_mismatch,
    check_coding_size,
    check_tied,
    stacked_autoencoder,
)
from helpers.process_memory import release_memory
from helpers.profile import Profile, active_profile
from helpers.recipes import FAST, Recipe, get_recipe, initialize_for_recipe, make_optimizer

HIDDEN_UNITS = 100


def training_arrays(data: FashionMNIST, profile: Profile):
    """(X_train, X_valid) as the profile uses them (a fixed leading subset in 'quick')."""
    X_train = data.X_train if profile.train_size is None else data.X_train[: profile.train_size]
    X_valid = data.X_valid if profile.valid_size is None else data.X_valid[: profile.valid_size]
    return X_train, X_valid


class EpochTimer(keras.callbacks.Callback):
    """Records wall time and validation loss after each epoch; optionally reports progress."""

    def __init__(self, on_epoch: Callable[[int, int, dict], None] | None = None, epochs=None):
        super().__init__()
        self.on_epoch, self.epochs = on_epoch, epochs
        self.seconds, self.start = [], None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)
        if self.on_epoch:
            self.on_epoch(epoch + 1, self.epochs, dict(logs or {}))


@contextlib.contextmanager
def reconstruction_dataset(X, batch_size, targets=None, shuffle=False, seed=0, offset=None):
    """A ``tf.data`` pipeline of ``(inputs, targets)`` batches for reconstruction, used as
    ``with reconstruction_dataset(X, 128) as batches: model.fit(batches, ...)``.

    The images stay in NumPy: each batch gathers its rows by (shuffled) index in a NumPy call
    (``tf.numpy_function``), so the pipeline makes no TensorFlow copy of the data set, and the
    targets are the inputs themselves unless ``targets`` is given. Converting the 55,000
    training images to a tensor instead cost 164 MiB more at every fit's peak (measured on
    2 cores), with the same batches. The next batch is prefetched while the current one trains.
    ``offset`` (e.g. the mean image) is subtracted from inputs and targets batch by batch, so
    centred training needs no centred copy of the data set.

    On leaving the ``with`` block the pipeline lets go of the arrays: TensorFlow keeps a
    pipeline's Python function alive after the pipeline is gone, and with it whatever the
    function holds (notebook 02's 18 small training sets: 740 MiB, measured).
    """
    import tensorflow as tf

    inputs = np.asarray(X, dtype=np.float32)
    outputs = inputs if targets is None else np.asarray(targets, dtype=np.float32)
    if len(outputs) != len(inputs):
        raise ValueError(f"targets has {len(outputs)} rows but X has {len(inputs)}: give one target "
                         "per input image.")
    source = {"inputs": inputs, "outputs": outputs,
              "shift": np.float32(0.0) if offset is None else np.asarray(offset, dtype=np.float32)}

    def rows(idx):
        if not source:
            raise RuntimeError("this reconstruction_dataset was read after its `with` block ended; "
                               "iterate it inside the block.")
        return source["inputs"][idx] - source["shift"], source["outputs"][idx] - source["shift"]

    def gather(idx):
        x, y = tf.numpy_function(rows, [idx], (tf.float32, tf.float32), stateful=False)
        x.set_shape((None, *input_shape))
        y.set_shape((None, *output_shape))
        return x, y

    n, input_shape, output_shape = len(inputs), inputs.shape[1:], outputs.shape[1:]
    del inputs, outputs  # from here on only ``source`` holds them
    indices = tf.data.Dataset.range(n)
    if shuffle:
        indices = indices.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    batches = indices.batch(batch_size).map(gather, num_parallel_calls=tf.data.AUTOTUNE,
                                            deterministic=True)
    try:
        yield batches.prefetch(tf.data.AUTOTUNE)
    finally:
        source.clear()


def fit_reconstruction(model, X_train, X_valid, recipe=FAST, epochs=None, on_epoch=None,
                       targets=None, seed=0, offset=None) -> dict:
    """Compile ``model`` with ``recipe`` and fit it to reconstruct its inputs.

    Returns a JSON-friendly history: per-epoch ``loss``, ``val_loss`` and cumulative
    ``seconds``. ``targets`` (train, valid) defaults to the inputs themselves; ``offset``
    is subtracted from inputs and targets (see ``reconstruction_dataset``).
    """
    recipe = get_recipe(recipe)
    epochs = recipe.epochs if epochs is None else epochs
    y_train, y_valid = targets if targets is not None else (None, None)
    steps = int(np.ceil(len(X_train) / recipe.batch_size))
    model.compile(optimizer=make_optimizer(recipe, steps, epochs), loss="mse",
                  steps_per_execution=min(recipe.steps_per_execution, steps),
                  jit_compile=recipe.jit_compile)
    timer = EpochTimer(on_epoch, epochs)
    with (reconstruction_dataset(X_train, recipe.batch_size, y_train, shuffle=True, seed=seed,
                                 offset=offset) as train,
          reconstruction_dataset(X_valid, 1024, y_valid, offset=offset) as valid):
        hist = model.fit(train, epochs=epochs, validation_data=valid, verbose=0, callbacks=[timer],
                         shuffle=False)  # the dataset shuffles itself
    return {
        "loss": [float(v) for v in hist.history["loss"]],
        "val_loss": [float(v) for v in hist.history["val_loss"]],
        "seconds": [round(s, 3) for s in timer.seconds],
        "recipe": recipe.name,
        "epochs": epochs,
    }


def check_seed(seed) -> int:
    """Return ``seed`` as an int (NumPy integers included), or raise ValueError."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0; got {seed!r} ({type(seed).__name__}).")
    return int(seed)


def cache_spec(kind: str, *, seed, profile: Profile, data: FashionMNIST, **fields) -> dict:
    """The cache spec of anything trained or computed from the data: its kind and fields, plus
    the seed, the whole profile and the data's identity (a hash of the arrays).

    Every cached model's and result's spec is made here, so each names them the same way.
    """
    return {"kind": kind, **fields, "seed": check_seed(seed), "profile": dataclasses.asdict(profile),
            "data": data.checksum}


def training_spec(kind: str, *, recipe: Recipe, seed, profile: Profile, data: FashionMNIST,
                  **fields) -> dict:
    """:func:`cache_spec` of a trained model, with its training recipe."""
    return cache_spec(kind, recipe=dataclasses.asdict(get_recipe(recipe)), seed=seed, profile=profile,
                      data=data, **fields)


HISTORY_CURVES = ("loss", "val_loss", "seconds")   # per-epoch lists every caller may plot


def verify_autoencoder(image_shape, hidden_units, tied, history_keys=("valid_mse",),
                       history_curves=HISTORY_CURVES):
    """A ``verify(model, info)`` for the cache: the model has this architecture, and the history
    holds the finite numbers (``history_keys``) and the equal-length per-epoch curves
    (``history_curves``) its callers read. Raises ValueError saying what differs."""
    def verify(model, info):
        reason = architecture_mismatch(model, image_shape, hidden_units, tied)
        if reason:
            raise ValueError(reason)
        if not isinstance(info, dict):
            raise ValueError(f"the history is a {type(info).__name__}, expected a dict")
        for key in history_keys:
            if not _finite_number(info.get(key)):
                raise ValueError(f"history field {key!r} is {info.get(key)!r}, expected a finite number")
        lengths = set()
        for key in history_curves:
            curve = info.get(key)
            if not isinstance(curve, list) or not curve or not all(map(_finite_number, curve)):
                raise ValueError(f"history field {key!r} must be a non-empty list of finite numbers")
            lengths.add(len(curve))
        if len(lengths) > 1:
            raise ValueError(f"history curves {', '.join(history_curves)} differ in length")
    return verify


def _finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def fresh_model(build: Callable[[], keras.Model], recipe, seed, initialize=True) -> keras.Model:
    """``build()`` after seeding every random generator, with the recipe's start applied.

    ``initialize=False`` keeps the built weights (for a model assembled from trained ones).
    """
    keras.utils.set_random_seed(check_seed(seed))
    model = build()
    return initialize_for_recipe(model, recipe) if initialize else model


def train_cached(spec: dict, build: Callable[[], keras.Model], *, recipe, seed, data: FashionMNIST,
                 profile: Profile, epochs=None, arrays=None, offset=None, on_epoch=None,
                 initialize=True, fit_model: Callable | None = None,
                 valid_mse: Callable | None = None, extras: Callable | None = None,
                 verify: Callable | None = None) -> CachedModel:
    """The cached model for ``spec``; on a miss: seed, build, start, fit, measure, store.

    ``build()`` makes the model (after the seed is set). ``initialize=False`` skips the
    recipe's start, for a model assembled from trained weights. ``fit_model(model)`` gives
    the model that is fitted (default: the model itself; e.g. a noisy wrapper). ``arrays``
    are (inputs_train, inputs_valid) to fit on, or a function returning them (called on a miss
    only), default the profile's images. ``epochs``
    defaults to the recipe's, capped by the profile. ``valid_mse(model)`` measures the
    stored ``valid_mse`` (default: reconstruction MSE on all validation images), and
    ``extras(model, history)`` may add more history fields. ``verify`` checks a cache hit
    (see :func:`verify_autoencoder`).
    """
    recipe = get_recipe(recipe)

    def train():
        model = fresh_model(build, recipe, seed, initialize)
        if arrays is None:
            X_train, X_valid = training_arrays(data, profile)
        else:
            X_train, X_valid = arrays() if callable(arrays) else arrays
        fit_epochs = profile.epochs(recipe.epochs) if epochs is None else epochs
        history = fit_reconstruction(fit_model(model) if fit_model else model, X_train, X_valid,
                                     recipe, epochs=fit_epochs, on_epoch=on_epoch, seed=seed, offset=offset)
        history["valid_mse"] = (valid_mse(model) if valid_mse
                                else reconstruction_mse(model, data.X_valid, offset=offset))
        if extras:
            history.update(extras(model, history))
        release_memory()  # before the next fit, so that fits do not stack up in the kernel's peak
        return model, history

    return load_or_train_model(spec, train, verify=verify)


def trained_autoencoder(coding_size=30, tied=False, recipe="fast", seed=42, data=None,
                        on_epoch=None) -> CachedModel:
    """A trained 784-100-``coding_size``-100-784 autoencoder from the cache, trained if missing.

    Returns ``helpers.cache.CachedModel`` with ``.model``, ``.info`` (history, with
    ``valid_mse`` on all validation images) and ``.from_cache``. ``on_epoch(epoch, epochs,
    logs)`` is called during training only. Arguments are checked (and NumPy integers
    accepted) before anything is loaded or trained, so equal requests share one entry.
    """
    coding_size, tied, seed = check_coding_size(coding_size), check_tied(tied), check_seed(seed)
    recipe, profile = get_recipe(recipe), active_profile()
    data = data or load_fashion_mnist()
    architecture = {"coding_size": coding_size, "hidden_units": HIDDEN_UNITS, "tied": tied,
                    "activation": "relu"}
    spec = training_spec("stacked_autoencoder", architecture=architecture, recipe=recipe, seed=seed,
                         profile=profile, data=data)
    return train_cached(spec, lambda: stacked_autoencoder(coding_size, tied=tied), recipe=recipe,
                        seed=seed, data=data, profile=profile, on_epoch=on_epoch,
                        verify=verify_autoencoder(IMAGE_SHAPE, (HIDDEN_UNITS, coding_size), tied))


def cached_dead_codings(cached: CachedModel, images, name: str) -> int:
    """:func:`helpers.models.dead_codings` of a cached model on ``images`` (named ``name``, e.g.
    ``"X_train[:55000]"``), itself cached: counting needs a pass over every image."""
    from helpers.cache import load_or_compute
    from helpers.models import dead_codings

    spec = {"kind": "dead_codings", "model": cached.key, "images": name, "n_images": len(images)}
    count, _ = load_or_compute(spec, lambda: dead_codings(cached.model, images),
                               verify=_check_count(cached.model.coding_size))
    return count


def _check_count(upper):
    def verify(count):
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= upper:
            raise ValueError(f"stored count {count!r} is not a whole number from 0 to {upper}")
    return verify


def reconstruction_mse(model, X, batch_size=1024, offset=None) -> float:
    """Mean squared reconstruction error of ``model`` on images ``X``.

    With ``offset`` (e.g. the mean image), the model rebuilds ``X - offset``, as it was
    trained to (see :func:`reconstruction_dataset`).
    """
    X = np.asarray(X, dtype=np.float32)
    if offset is not None:
        X = X - np.asarray(offset, dtype=np.float32)
    X_pred = model.predict(X, batch_size=batch_size, verbose=0)
    return float(np.mean((X_pred - X) ** 2))
