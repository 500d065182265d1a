"""Greedy layer-wise training: one shallow tied autoencoder at a time, then stack and fine-tune.

The 784-100-30-100-784 tied autoencoder is built in three cached phases:

1. ``outer``: a shallow tied autoencoder 784 -> 100 -> 784 learns to rebuild the images;
2. ``inner``: a shallow tied autoencoder 100 -> 30 -> 100 learns to rebuild the outer one's
   codings (the images are never shown to it);
3. ``stacked``: the two are nested (outer encoder, inner encoder, inner decoder, outer
   decoder) by copying their weights into :class:`helpers.models.StackedAutoencoder`, and the
   whole stack is fine-tuned end to end.

Every phase goes through :func:`helpers.training.train_cached`; its cache key contains the
key of the phase it builds on, so retraining an earlier phase invalidates the later ones.
"""

from __future__ import annotations

import dataclasses
import time

import keras
import numpy as np

from helpers.data import load_fashion_mnist
from helpers.models import IMAGE_SHAPE, StackedAutoencoder, stacked_autoencoder
from helpers.profile import active_profile
from helpers.recipes import Recipe, get_recipe
from helpers.training import (
    HISTORY_CURVES,
    reconstruction_mse,
    train_cached,
    training_arrays,
    training_spec,
    verify_autoencoder,
)

PHASES = ("outer", "inner", "stacked")
PHASE_CURVES = (*HISTORY_CURVES, "image_val_mse")   # greedy_curve pairs these epoch by epoch


@dataclasses.dataclass(frozen=True)
class LayerwisePlan:
    """The recipe, how many epochs each phase trains, and how much fine-tuning slows the
    learning rate (the whole plan is part of every phase's cache key).

    Build one with :func:`layerwise_plan`, which derives the epochs from the recipe (so a
    change to the suite's recipe carries over) and caps them with the active profile.
    """

    recipe: Recipe
    hidden_units: int
    coding_size: int
    outer_epochs: int
    inner_epochs: int
    finetune_epochs: int
    finetune_lr_factor: float

    def describe(self) -> str:
        lr = ("the same learning rate" if self.finetune_lr_factor == 1
              else f"{self.finetune_lr_factor:g} x the learning rate")
        return (f"'{self.recipe.name}' recipe; phase 1: {self.outer_epochs} epochs "
                f"(784-{self.hidden_units}-784 on images), phase 2: {self.inner_epochs} epochs "
                f"({self.hidden_units}-{self.coding_size}-{self.hidden_units} on codings), "
                f"phase 3: {self.finetune_epochs} epochs fine-tuning the stack ({lr})")


def layerwise_plan(recipe="fast", profile=None, hidden_units=100, coding_size=30) -> LayerwisePlan:
    """Half the recipe's epochs for each phase, capped by the profile.

    Phases 1 and 3 each push every image through the 784x100 matrix, the largest one; phase
    2 works on 100 numbers per image instead of 784. So, unless the profile caps the epochs,
    the greedy route makes as many passes through that matrix as end-to-end training with the
    full recipe (notebook 03 prints both counts and the recorded times). Fine-tuning keeps
    the recipe's learning rate (factor 1.0): on this problem a lower one left the stack
    visibly worse after the same epochs (measured while writing notebook 03; try it, it is
    one argument).
    """
    recipe, profile = get_recipe(recipe), profile or active_profile()
    half = profile.epochs(max(recipe.epochs // 2, 1))
    return LayerwisePlan(recipe=recipe, hidden_units=hidden_units, coding_size=coding_size,
                         outer_epochs=half, inner_epochs=half, finetune_epochs=half,
                         finetune_lr_factor=1.0)


# --- the models ------------------------------------------------------------------------------

def outer_autoencoder(hidden_units=100) -> StackedAutoencoder:
    """Shallow tied autoencoder on images: 784 -> hidden (ReLU) -> 784 (linear)."""
    return StackedAutoencoder(IMAGE_SHAPE, (hidden_units,), tied=True, activation="relu",
                              output_activation=None, name=f"outer_ae_{hidden_units}")


def inner_autoencoder(hidden_units=100, coding_size=30) -> StackedAutoencoder:
    """Shallow tied autoencoder on codings: hidden -> coding (ReLU) -> hidden (ReLU).

    Its output is ReLU because, once stacked, its decoder layer becomes the stack's middle
    decoder layer, which is ReLU; and the codings it rebuilds are ReLU outputs (never < 0).
    """
    return StackedAutoencoder((hidden_units,), (coding_size,), tied=True, activation="relu",
                              output_activation="relu", name=f"inner_ae_{coding_size}")


def encode(model, X, batch_size=2048) -> np.ndarray:
    """The codings ``model.encoder`` gives for ``X``."""
    return model.encoder.predict(X, batch_size=batch_size, verbose=0)


def stack_autoencoders(outer, inner) -> StackedAutoencoder:
    """A new 784-h-c-h-784 tied autoencoder holding copies of ``outer``'s and ``inner``'s weights.

    Layer by layer: the stack's first encoder layer and last decoder bias come from
    ``outer``; its second encoder layer and first decoder bias come from ``inner``. The
    tie is the stack's own (its decoder reads its encoder's kernels), so nothing is shared
    with the two shallow models, and fine-tuning the stack leaves them untouched.
    """
    hidden, coding = outer.hidden_units[0], inner.hidden_units[0]
    if inner.image_shape != (hidden,):
        raise ValueError(f"The inner autoencoder must take the outer one's {hidden} codings; "
                         f"it takes inputs of shape {inner.image_shape}.")
    stack = stacked_autoencoder(coding, tied=True, hidden_units=hidden)
    _, dense_1, dense_2 = stack.encoder.layers
    dense_2_t, dense_1_t, _ = stack.decoder.layers
    dense_1.set_weights(outer.encoder.layers[-1].get_weights())
    dense_2.set_weights(inner.encoder.layers[-1].get_weights())
    dense_2_t.bias.assign(inner.decoder.layers[0].bias)
    dense_1_t.bias.assign(outer.decoder.layers[0].bias)
    return stack


def finetune_recipe(recipe="fast", factor=1.0):
    """The recipe with its learning rate multiplied by ``factor`` (for fine-tuning)."""
    recipe = get_recipe(recipe)
    return dataclasses.replace(recipe, name=f"{recipe.name}-finetune",
                               learning_rate=recipe.learning_rate * factor)


# --- cached training of each phase -----------------------------------------------------------

def _phase_spec(phase, plan, seed, profile, data, upstream=()) -> dict:
    return training_spec("layerwise_autoencoder", phase=phase, plan=dataclasses.asdict(plan),
                         upstream=list(upstream),  # cache keys of the phases this one starts from
                         recipe=plan.recipe, seed=seed, profile=profile, data=data)


def _combine(*callbacks):
    callbacks = [c for c in callbacks if c is not None]
    return (lambda epoch, epochs, logs: [c(epoch, epochs, logs) for c in callbacks]) if callbacks else None


def train_outer(plan, seed=42, data=None, on_epoch=None):
    """Phase 1 (cached): the shallow autoencoder 784-h-784 on the training images."""
    profile, data = active_profile(), data or load_fashion_mnist()
    return train_cached(
        _phase_spec("outer", plan, seed, profile, data), lambda: outer_autoencoder(plan.hidden_units),
        recipe=plan.recipe, seed=seed, data=data, profile=profile, epochs=plan.outer_epochs,
        on_epoch=_tagged(on_epoch, "outer"),
        extras=lambda model, history: {"image_val_mse": list(history["val_loss"])},  # it rebuilds images
        verify=verify_autoencoder(IMAGE_SHAPE, (plan.hidden_units,), True, history_curves=PHASE_CURVES))


def train_inner(plan, outer, seed=42, data=None, on_epoch=None):
    """Phase 2 (cached): the shallow autoencoder h-c-h on the outer one's codings.

    ``outer`` is phase 1's ``CachedModel``. Its own loss is measured on codings, not images;
    so the history also records ``image_val_mse``: after each epoch, the validation images'
    MSE through outer encoder -> this autoencoder -> outer decoder, i.e. the stack before
    fine-tuning (``on_epoch`` finds it in its ``logs`` too). ``valid_mse`` is that stack's MSE
    on all validation images.
    """
    profile, data = active_profile(), data or load_fashion_mnist()
    outer_model = outer.model
    X_train, X_valid = training_arrays(data, profile)
    C_valid = encode(outer_model, X_valid)
    built, image_mse = {}, []

    def build():
        built["model"] = inner_autoencoder(plan.hidden_units, plan.coding_size)
        return built["model"]

    def record_image_mse(epoch, epochs, logs):
        # direct calls, not predict(): no new tf.function to trace after every epoch
        rebuilt = outer_model.decoder(built["model"](C_valid, training=False), training=False)
        image_mse.append(float(np.mean((keras.ops.convert_to_numpy(rebuilt) - X_valid) ** 2)))
        logs["image_val_mse"] = image_mse[-1]   # the same dict reaches on_epoch next

    spec = _phase_spec("inner", plan, seed, profile, data, upstream=[outer.key])
    return train_cached(
        spec, build, recipe=plan.recipe, seed=seed, data=data, profile=profile,
        epochs=plan.inner_epochs, arrays=lambda: (encode(outer_model, X_train), C_valid),
        on_epoch=_combine(record_image_mse, _tagged(on_epoch, "inner")),
        valid_mse=lambda model: reconstruction_mse(stack_autoencoders(outer_model, model), data.X_valid),
        extras=lambda model, history: {"image_val_mse": list(image_mse)},
        verify=verify_autoencoder((plan.hidden_units,), (plan.coding_size,), True,
                                  history_curves=PHASE_CURVES))


def train_stacked(plan, outer, inner, seed=42, data=None, on_epoch=None):
    """Phase 3 (cached): stack the two shallow autoencoders and fine-tune the whole stack.

    The history records ``stacked_mse_before`` (validation MSE of the stack as assembled,
    on all 5,000 validation images) and ``valid_mse`` after fine-tuning.
    """
    profile, data = active_profile(), data or load_fashion_mnist()
    before = {}

    def build():
        stack = stack_autoencoders(outer.model, inner.model)
        before["mse"] = reconstruction_mse(stack, data.X_valid)
        return stack

    spec = _phase_spec("stacked", plan, seed, profile, data, upstream=[outer.key, inner.key])
    return train_cached(
        spec, build, recipe=finetune_recipe(plan.recipe, plan.finetune_lr_factor), seed=seed, data=data,
        profile=profile, epochs=plan.finetune_epochs, initialize=False,  # it starts from trained weights
        on_epoch=_tagged(on_epoch, "stacked"),
        extras=lambda model, history: {"image_val_mse": list(history["val_loss"]),
                                       "stacked_mse_before": before["mse"]},
        verify=verify_autoencoder(IMAGE_SHAPE, (plan.hidden_units, plan.coding_size), True,
                                  history_keys=("valid_mse", "stacked_mse_before"),
                                  history_curves=PHASE_CURVES))


def _tagged(on_epoch, phase):
    """Adapt ``on_epoch(phase, epoch, epochs, logs)`` to the trainers' 3-argument callback."""
    if on_epoch is None:
        return None
    return lambda epoch, epochs, logs: on_epoch(phase, epoch, epochs, logs)


@dataclasses.dataclass
class LayerwiseResult:
    plan: LayerwisePlan
    outer: object      # CachedModel of each phase (.model, .info, .from_cache)
    inner: object
    stacked: object
    seconds: float     # wall time of this call (near zero when everything came from the cache)

    @property
    def from_cache(self) -> bool:
        return all(p.from_cache for p in (self.outer, self.inner, self.stacked))

    def training_seconds(self) -> dict:
        """Recorded training time of each phase (from the history, so also valid when cached)."""
        return {name: _history_seconds(getattr(self, name).info) for name in PHASES}

    def phase_mse(self) -> dict:
        """Validation MSE (all 5,000 images) at the end of each step of the greedy route."""
        return {
            "phase 1: shallow 784-100-784 alone": self.outer.info["valid_mse"],
            "phase 2: stacked, before fine-tuning": self.stacked.info["stacked_mse_before"],
            "phase 3: stacked, after fine-tuning": self.stacked.info["valid_mse"],
        }


def _history_seconds(info) -> float:
    seconds = info.get("seconds") or [0.0]
    return float(seconds[-1])


def greedy_layerwise(plan=None, seed=42, data=None, on_epoch=None) -> LayerwiseResult:
    """Run (or load from the cache) all three phases; ``on_epoch(phase, epoch, epochs, logs)``."""
    plan = plan or layerwise_plan()
    data = data or load_fashion_mnist()
    start = time.perf_counter()
    outer = train_outer(plan, seed, data, on_epoch)
    inner = train_inner(plan, outer, seed, data, on_epoch)
    stacked = train_stacked(plan, outer, inner, seed, data, on_epoch)
    return LayerwiseResult(plan, outer, inner, stacked, time.perf_counter() - start)


def greedy_curve(result: LayerwiseResult) -> dict:
    """The greedy route's image-space validation MSE per epoch, phases end to end.

    Returns ``{"phase": [...], "epoch": [...], "seconds": [...], "image_val_mse": [...]}``
    with ``seconds`` cumulative over the phases (training time as recorded in the cache).
    Phase 2's values are those of the stack (outer encoder/decoder around the inner model).
    """
    out = {"phase": [], "epoch": [], "seconds": [], "image_val_mse": []}
    offset = 0.0
    for name in PHASES:
        info = getattr(result, name).info
        for k, (secs, mse) in enumerate(zip(info["seconds"], info["image_val_mse"], strict=True)):
            out["phase"].append(name)
            out["epoch"].append(k + 1)
            out["seconds"].append(offset + secs)
            out["image_val_mse"].append(mse)
        offset += _history_seconds(info)
    return out
