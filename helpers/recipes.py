"""Training recipes: the optimiser, schedule, batch size, epochs and start of a training run.

Named recipes for the same architecture and loss (MSE):

* ``BOOK``: the textbook's, Nadam 1e-3, batch 32, 20 epochs.
* ``FAST``: the suite's default, which reaches the book's validation MSE in a fraction of
  the wall time (bigger batches, a warm-up + cosine learning-rate schedule, XLA
  compilation, many steps per execution, and an untied decoder whose output layer starts
  at zero; see ``benchmarks/``).
* ``FAST_RANDOM_START``: FAST with Keras' random start, to see what the zero start does.

Why the zero start: with random decoder weights, the first gradients push the encoder to
silence codings that only add noise to the output, and a ReLU coding that is zero for every
image passes no gradient to its own incoming weights ("dead"). ``benchmarks/run.py`` counts
such codings per run. Starting the output layer at zero, the decoder first learns the mean
image and recruits codings as they become useful (see ``helpers.models.dead_codings``).
"""

from __future__ import annotations

import dataclasses

import keras

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
            raise ValueError(f"Unknown output_init {self.output_init!r}; "
                             f"use one of: {', '.join(OUTPUT_INITS)}.")

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


def make_optimizer(recipe: Recipe, steps_per_epoch: int, epochs: int):
    lr = recipe.learning_rate
    if recipe.schedule == "cosine":
        total = max(steps_per_epoch * epochs, 2)
        warmup = min(steps_per_epoch, total // 2)
        lr = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=lr / 10, decay_steps=total - warmup, alpha=0.0,
            warmup_target=lr, warmup_steps=warmup)
    return keras.optimizers.Nadam(learning_rate=lr, epsilon=recipe.epsilon)
