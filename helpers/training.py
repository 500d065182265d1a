"""Training recipes and cached training of autoencoders.

Two named recipes for the same architecture and loss (MSE):

* ``BOOK``: the textbook's, Nadam 1e-3, batch 32, 20 epochs.
* ``FAST``: the suite's default, which reaches the book's validation MSE in a fraction of
  the wall time (bigger batches, a warm-up + cosine learning-rate schedule, XLA
  compilation, many steps per execution, and an untied decoder whose output layer starts
  at zero; see ``benchmarks/``).

Why the zero start: with random decoder weights, the first gradients tell the encoder to
silence codings that only add noise to the output, and a ReLU coding that is zero for every
image never receives a gradient again ("dead"). From a random start, some seeds lose a third
or more of the 30 codings this way (``benchmarks/run.py`` counts them per run). Starting the
output layer at zero, the decoder first learns the mean image and recruits codings as they
become useful (see ``helpers.models.dead_codings``). ``FAST_RANDOM_START`` is FAST without
it, for comparison.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from typing import Callable

import keras
import numpy as np

from helpers.cache import load_or_train_model
from helpers.data import FashionMNIST, load_fashion_mnist
from helpers.models import stacked_autoencoder
from helpers.profile import Profile, active_profile


OUTPUT_INITS = ("glorot_uniform", "zeros")  # Keras' default start, or the zero start


@dataclasses.dataclass(frozen=True)
class Recipe:
    name: str
    batch_size: int
    epochs: int
    learning_rate: float
    schedule: str = "constant"        # "constant" or "cosine" (with 1-epoch linear warm-up)
    steps_per_execution: int = 1
    jit_compile: bool | str = "auto"
    epsilon: float = 1e-7             # Nadam's epsilon (Keras' default is 1e-7)
    output_init: str = "glorot_uniform"  # "zeros": an untied decoder's output kernel starts at 0

    def __post_init__(self):
        if self.output_init not in OUTPUT_INITS:
            raise ValueError(f"Unknown output_init {self.output_init!r}; use one of: {', '.join(OUTPUT_INITS)}.")

    def describe(self) -> str:
        sched = "constant" if self.schedule == "constant" else "warm-up + cosine decay"
        start = ", an untied decoder's output layer starts at zero" if self.output_init == "zeros" else ""
        return (f"'{self.name}' recipe: Nadam, learning rate {self.learning_rate:g} ({sched}), "
                f"batch {self.batch_size}, {self.epochs} epochs, MSE loss{start}")


BOOK = Recipe("book", batch_size=32, epochs=20, learning_rate=1e-3)
FAST = Recipe("fast", batch_size=128, epochs=20, learning_rate=3e-3, schedule="cosine",
              steps_per_execution=64, jit_compile=True, output_init="zeros")
FAST_RANDOM_START = dataclasses.replace(FAST, name="fast-random-start", output_init="glorot_uniform")
RECIPES = {r.name: r for r in (BOOK, FAST, FAST_RANDOM_START)}


def get_recipe(recipe) -> Recipe:
    if isinstance(recipe, Recipe):
        return recipe
    if recipe not in RECIPES:
        raise ValueError(f"Unknown recipe {recipe!r}; choose one of: {', '.join(RECIPES)}.")
    return RECIPES[recipe]


def initialize_for_recipe(model, recipe):
    """Give a freshly built autoencoder the recipe's starting weights; returns ``model``.

    With ``output_init="zeros"`` the kernel of the decoder's last ``Dense`` layer is set to
    zero (its bias already is). A tied decoder's last layer borrows the encoder's kernel, so
    tied models are left as they are. Call this before training, never on a trained model.
    """
    recipe = get_recipe(recipe)
    if recipe.output_init == "zeros":
        weighted = [layer for layer in model.decoder.layers if layer.weights]
        last = weighted[-1] if weighted else None
        if type(last) is keras.layers.Dense:
            last.kernel.assign(keras.ops.zeros(last.kernel.shape, dtype=last.kernel.dtype))
    return model


def training_arrays(data: FashionMNIST, profile: Profile):
    """(X_train, X_valid) as the profile uses them (a fixed leading subset in 'quick')."""
    X_train = data.X_train if profile.train_size is None else data.X_train[: profile.train_size]
    X_valid = data.X_valid if profile.valid_size is None else data.X_valid[: profile.valid_size]
    return X_train, X_valid


def make_optimizer(recipe: Recipe, steps_per_epoch: int, epochs: int):
    lr = recipe.learning_rate
    if recipe.schedule == "cosine":
        total = max(steps_per_epoch * epochs, 2)
        warmup = min(steps_per_epoch, total // 2)
        lr = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=lr / 10, decay_steps=total - warmup, alpha=0.0,
            warmup_target=lr, warmup_steps=warmup)
    return keras.optimizers.Nadam(learning_rate=lr, epsilon=recipe.epsilon)


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


def reconstruction_dataset(X, batch_size, targets=None, shuffle=False, seed=0, offset=None):
    """A ``tf.data`` pipeline of ``(inputs, targets)`` batches for reconstruction.

    The images are held once, as one tensor; each batch gathers rows by (shuffled) index, and
    the targets are the inputs themselves unless ``targets`` is given. This avoids the second
    full copy of the data that ``fit(X, X)`` makes, and prefetches the next batch while the
    current one trains. ``offset`` (e.g. the mean image) is subtracted from inputs and
    targets batch by batch, so centred training needs no centred copy of the data set.
    """
    import tensorflow as tf

    inputs = tf.convert_to_tensor(np.asarray(X, dtype=np.float32))
    outputs = inputs if targets is None else tf.convert_to_tensor(np.asarray(targets, dtype=np.float32))
    shift = tf.constant(0.0 if offset is None else np.asarray(offset, dtype=np.float32))
    n = int(inputs.shape[0])
    indices = tf.data.Dataset.range(n)
    if shuffle:
        indices = indices.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    batches = indices.batch(batch_size).map(
        lambda idx: (tf.gather(inputs, idx) - shift, tf.gather(outputs, idx) - shift),
        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return batches.prefetch(tf.data.AUTOTUNE)


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
    train = reconstruction_dataset(X_train, recipe.batch_size, y_train, shuffle=True, seed=seed,
                                   offset=offset)
    valid = reconstruction_dataset(X_valid, 1024, y_valid, offset=offset)
    hist = model.fit(train, epochs=epochs, validation_data=valid, verbose=0, callbacks=[timer],
                     shuffle=False)  # the dataset shuffles itself
    return {
        "loss": [float(v) for v in hist.history["loss"]],
        "val_loss": [float(v) for v in hist.history["val_loss"]],
        "seconds": [round(s, 3) for s in timer.seconds],
        "recipe": recipe.name,
        "epochs": epochs,
    }


def autoencoder_spec(coding_size, tied, recipe: Recipe, seed, profile: Profile, data) -> dict:
    """Everything that determines a trained autoencoder (the cache key)."""
    return {
        "kind": "stacked_autoencoder",
        "architecture": {"coding_size": coding_size, "hidden_units": 100, "tied": tied,
                         "activation": "relu"},
        "recipe": dataclasses.asdict(recipe),
        "seed": seed,
        "profile": dataclasses.asdict(profile),
        "data": data.checksum,
    }


def trained_autoencoder(coding_size=30, tied=False, recipe="fast", seed=42, data=None,
                        on_epoch=None):
    """A trained stacked autoencoder from the cache, training (and storing) it if missing.

    Returns ``helpers.cache.CachedModel`` with ``.model``, ``.info`` (history) and
    ``.from_cache``. ``on_epoch(epoch, epochs, logs)`` is called during training only.
    """
    recipe, profile = get_recipe(recipe), active_profile()
    data = data or load_fashion_mnist()
    model_check = stacked_autoencoder(coding_size, tied=tied)  # validates arguments early
    del model_check

    def train():
        keras.utils.set_random_seed(seed)
        model = initialize_for_recipe(stacked_autoencoder(coding_size, tied=tied), recipe)
        X_train, X_valid = training_arrays(data, profile)
        history = fit_reconstruction(model, X_train, X_valid, recipe,
                                     epochs=profile.epochs(recipe.epochs), on_epoch=on_epoch)
        history["valid_mse"] = reconstruction_mse(model, data.X_valid)  # all 5,000 images
        gc.collect()  # Keras models hold reference cycles: free the training pipeline now
        return model, history

    spec = autoencoder_spec(coding_size, tied, recipe, seed, profile, data)
    return load_or_train_model(spec, train)


def reconstruction_mse(model, X, batch_size=1024) -> float:
    """Mean squared reconstruction error of ``model`` on images ``X``."""
    X_pred = model.predict(X, batch_size=batch_size, verbose=0)
    return float(np.mean((X_pred - X) ** 2))
