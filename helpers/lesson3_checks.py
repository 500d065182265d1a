"""Checks of notebook 03's exercises (greedy layer-wise training), and the results to compare with.

Each ``check_*`` function runs the learner's function first on hand-made shallow autoencoders with
fixed random weights (the same in every profile, so the printed ``PASS`` lines are too), then on
the notebook's trained ones; it prints one ``PASS`` line per property and raises
``AssertionError`` saying what is wrong and what to try otherwise. ``NotImplementedError`` from an
unfinished exercise is never caught. :func:`trained_third_level` and :func:`skip_phase_2` train
(through the model cache) what two exercises need beyond the lesson's own models; the
``*_report`` functions print a learner's result beside the worked one, from computed values.
"""

from __future__ import annotations

import dataclasses
import types

import keras
import numpy as np
from keras.ops import convert_to_numpy

from helpers.data import load_fashion_mnist
from helpers.exercise_checks import call_learner, fail, passed, sample_images
from helpers.layerwise import encode, inner_autoencoder, outer_autoencoder, stack_autoencoders, train_stacked
from helpers.models import IMAGE_SHAPE, N_PIXELS, StackedAutoencoder, autoencoder_parameter_count
from helpers.profile import active_profile
from helpers.training import (
    fresh_model,
    reconstruction_mse,
    train_cached,
    training_arrays,
    training_spec,
    verify_autoencoder,
)

THIRD_CODING_SIZE = 10


def _random_shallow(model, seed):
    """``model`` with fixed random weights: kernels scaled to their inputs, positive biases (so every
    ReLU passes something on and a missing bias changes the output)."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if len(w.shape) == 2:
            w.assign(rng.normal(0, 1 / np.sqrt(w.shape[0]), w.shape).astype("float32"))
        else:
            w.assign(rng.uniform(0.05, 0.3, w.shape).astype("float32"))
    return model


def hand_made_models():
    """(outer 784-100-784, middle 100-30-100, inner 30-10-30) with fixed random weights."""
    return (_random_shallow(outer_autoencoder(), 1), _random_shallow(inner_autoencoder(100, 30), 2),
            _random_shallow(inner_autoencoder(30, THIRD_CODING_SIZE), 3))


def _numpy(x):
    return np.asarray(convert_to_numpy(x))


_SHAPE_HINT = (" A weight went into a variable of another shape: the decoder layers come in the reverse "
               "order of the encoder layers (the innermost model's decoder first, the outer model's last).")


def _call_learner(function, *args, what: str):
    return call_learner(function, *args, what=what, hint=_SHAPE_HINT)


# --- Exercise 3.2: the stack's image error, without building the stack -------------------------

def check_nested_image_mse(nested_image_mse, outer, inner, X_valid, expected_valid) -> None:
    """``nested_image_mse(outer, inner, X)`` -> MSE of outer decoder(inner(outer encoder(X))) vs X.

    ``expected_valid`` is the notebook's value for its trained models on ``X_valid`` (the stack
    before fine-tuning, from ``greedy.phase_mse()``).
    """
    small_outer, small_inner, _ = hand_made_models()
    x = sample_images(32)
    got = _call_learner(nested_image_mse, small_outer, small_inner, x,
                what="nested_image_mse on hand-made models and 32 images")
    try:
        got = float(got)
    except (TypeError, ValueError):
        fail(f"nested_image_mse returned {got!r}; return one number, the mean squared error.")
    expected = reconstruction_mse(stack_autoencoders(small_outer, small_inner), x)
    codings = _numpy(small_outer.encoder(x))
    rebuilt = _numpy(small_outer.decoder(small_inner(codings)))
    slips = {
        "the inner autoencoder's error on the codings (phase 2's own loss), not the error on the images":
            float(np.mean((_numpy(small_inner(codings)) - codings) ** 2)),
        "the outer autoencoder's error alone (phase 1): the codings must go through the inner one too":
            float(np.mean((_numpy(small_outer(x)) - x) ** 2)),
        "a root mean squared error: leave out the square root":
            float(np.sqrt(expected)),
        "a sum of squared errors per image: take the mean over pixels and images":
            float(np.mean(np.sum((rebuilt - x) ** 2, axis=(1, 2)))),
    }
    if not np.isclose(got, expected, rtol=1e-4, atol=1e-7):
        for what, value in slips.items():
            if np.isclose(got, value, rtol=1e-4, atol=1e-7):
                fail(f"On hand-made models you returned {what}.")
        fail(f"On hand-made models and 32 images expected {expected:.6g}, got {got:.6g}: encode the "
             "images with outer.encoder, rebuild those codings with inner, decode them with "
             "outer.decoder, and compare the result with the images.")
    passed("hand-made models: the same value as the error of stack_autoencoders(outer, inner), "
           "without building it")
    mine = float(_call_learner(nested_image_mse, outer, inner, X_valid,
                       what="nested_image_mse on the notebook's models"))
    if not np.isclose(mine, expected_valid, rtol=1e-4):
        fail(f"On the notebook's trained models and the {len(X_valid):,} validation images you got "
             f"{mine:.6g}; greedy.phase_mse() gives {expected_valid:.6g} for the stack before fine-tuning.")
    passed("the notebook's models: the stack's validation error before fine-tuning, as phase_mse gives")


def nested_mse_report(nested_image_mse, greedy, data) -> None:
    """The learner's value on the validation images beside the one the lesson printed."""
    mine = float(nested_image_mse(greedy.outer.model, greedy.inner.model, data.X_valid))
    reference = greedy.phase_mse()["phase 2: stacked, before fine-tuning"]
    last_epoch = greedy.inner.info["image_val_mse"][-1]
    print(f"your value: {mine:.5f}; section 5's 'phase 2: stacked, before fine-tuning' line: {reference:.5f} "
          f"(difference {abs(mine - reference):.1e}, rounding only)")
    print(f"phase 2's last epoch printed 'on the images (stack) {last_epoch:.5f}', measured on "
          f"{len(training_arrays(data, active_profile())[1]):,} validation images during training")


# --- Exercise 3.3: a third level -----------------------------------------------------------------

def _shallow_parts(model):
    """(encoder Dense, decoder DenseTranspose) of a shallow autoencoder."""
    return model.encoder.layers[-1], model.decoder.layers[0]


def reference_stack_three(outer, middle, inner) -> StackedAutoencoder:
    """The reference solution: a new tied 784-h1-h2-h3-h2-h1-784 stack holding copies of the weights."""
    sizes = tuple(_shallow_parts(m)[0].units for m in (outer, middle, inner))
    stack = StackedAutoencoder(IMAGE_SHAPE, sizes, tied=True, activation="relu", output_activation=None,
                               name="stack_three")
    for layer, model in zip(stack.encoder.layers[1:], (outer, middle, inner), strict=True):
        layer.set_weights(_shallow_parts(model)[0].get_weights())
    for layer, model in zip(stack.decoder.layers[:-1], (inner, middle, outer), strict=True):
        layer.bias.assign(_shallow_parts(model)[1].bias)
    return stack


def _nested_three(outer, middle, inner, x):
    codings = middle.encoder(outer.encoder(x))
    return _numpy(outer.decoder(middle.decoder(inner(codings))))


def _diagnose_copy(stack, models):
    """Why ``stack`` computes something else than the nested models: which weights are missing."""
    held = [_numpy(v) for v in stack.weights]

    def holds(variable):
        value = _numpy(variable)
        return any(h.shape == value.shape and np.array_equal(h, value) for h in held)

    names = ("outer", "middle", "inner")
    parts = {name: _shallow_parts(m) for name, m in zip(names, models, strict=True)}
    if not any(holds(v) for m in models for v in m.weights):
        fail("Your stack holds none of the shallow models' weights: it still has its own fresh start. "
             "Copy each encoder layer's kernel and bias (set_weights), and each decoder layer's bias.")
    for name, (dense, _) in parts.items():
        if holds(dense.kernel) and not holds(dense.bias):
            fail(f"The {name} autoencoder's encoder kernel is in your stack, but not its bias: copy the "
                 "kernel and the bias together (set_weights(dense.get_weights())).")
        if not holds(dense.kernel):
            fail(f"The {name} autoencoder's encoder kernel is not in your stack: copy it into the "
                 "matching encoder layer.")
    for name, (_, transpose) in parts.items():
        if not holds(transpose.bias):
            fail(f"The {name} autoencoder's decoder bias is not in your stack: each decoder layer has "
                 "a bias of its own, which the tie does not bring along; copy it too.")
    fail("Every shallow weight is in your stack, but it computes something else than the nested models: "
         "check the order (encoders outer, middle, inner; decoders inner, middle, outer) and the "
         "activations (ReLU everywhere except the last layer, which is linear).")


def _check_three_on(stack_three, models, x, label):
    """Run ``stack_three(*models)`` and fail on the first property that does not hold."""
    before = [[w.copy() for w in m.get_weights()] for m in models]
    stack = _call_learner(stack_three, *models, what=f"stack_three on {label}")
    if not isinstance(stack, keras.Model):
        fail(f"stack_three returned {type(stack).__name__}; return the new Keras model.")
    out = _call_learner(lambda: _numpy(stack(x)), what=f"Calling your stack on {len(x)} images")  # builds it
    sizes = tuple(_shallow_parts(m)[0].units for m in models)
    expected, got = autoencoder_parameter_count(N_PIXELS, sizes, True), stack.count_params()
    if got != expected:
        hint = {autoencoder_parameter_count(N_PIXELS, sizes, False): " That is the untied count: tie each "
                "decoder layer to its encoder layer (DenseTranspose, or StackedAutoencoder(tied=True)).",
                autoencoder_parameter_count(N_PIXELS, sizes[:2], True): " That is the two-level stack's "
                "count: add the third level."}.get(got, "")
        fail(f"On {label}, your stack has {got:,} parameters; the tied "
             f"784-{'-'.join(map(str, sizes + sizes[-2::-1]))}-784 autoencoder has {expected:,} (as many "
             f"as the three shallow models together).{hint}")
    if out.shape != x.shape:
        fail(f"Your stack maps images of shape {x.shape} to {out.shape}; it should rebuild the images.")
    if not all(np.array_equal(a, b) for m, start in zip(models, before, strict=True)
               for a, b in zip(m.get_weights(), start, strict=True)):
        fail("stack_three changed the shallow models' weights: only read from them.")
    if not np.allclose(out, _nested_three(*models, x), rtol=1e-5, atol=1e-5):
        _diagnose_copy(stack, models)
    shallow = {id(v) for m in models for v in m.weights}
    shared = sum(id(v) in shallow for v in stack.weights)
    if shared:
        fail(f"Your stack uses {shared} of the shallow models' own variables: fine-tuning it would change "
             "them too. Build a new model and copy the weights in, as stack_autoencoders does.")
    return expected


def check_stack_three(stack_three, outer, middle, inner) -> None:
    """``stack_three(outer, middle, inner)`` -> a new tied 784-100-30-10-30-100-784 autoencoder
    that computes what the nested shallow models compute, in variables of its own."""
    keras.utils.set_random_seed(0)
    count = _check_three_on(stack_three, hand_made_models(), sample_images(16), "hand-made models")
    passed(f"hand-made models: {count:,} parameters, the tied 784-100-30-10-30-100-784 architecture")
    passed("hand-made models: the same output as the outer, middle, inner encoders, then the inner, "
           "middle, outer decoders")
    passed("the stack owns its variables and leaves the shallow models unchanged")
    _check_three_on(stack_three, (outer, middle, inner), sample_images(64), "the notebook's models")
    passed("the notebook's trained models: the same output as the nested models, in variables of its own")


def trained_third_level(greedy, data=None, seed=42, coding_size=THIRD_CODING_SIZE):
    """(cached) A shallow tied autoencoder 30 -> ``coding_size`` -> 30 trained, like phase 2, on the
    codings of phase 2's encoder, for as many epochs as phase 2, with the plan's recipe.

    Its ``valid_mse`` is its own error on the validation images' 30-number codings.
    """
    plan, profile, data = greedy.plan, active_profile(), data or load_fashion_mnist()
    X_train, X_valid = training_arrays(data, profile)

    def codings(X):
        return encode(greedy.inner.model, encode(greedy.outer.model, X))

    spec = training_spec("layerwise_autoencoder", phase="third", coding_size=coding_size,
                         plan=dataclasses.asdict(plan), upstream=[greedy.outer.key, greedy.inner.key],
                         recipe=plan.recipe, seed=seed, profile=profile, data=data)
    return train_cached(
        spec, lambda: inner_autoencoder(plan.coding_size, coding_size), recipe=plan.recipe, seed=seed,
        data=data, profile=profile, epochs=plan.inner_epochs,
        arrays=lambda: (codings(X_train), codings(X_valid)),
        valid_mse=lambda model: reconstruction_mse(model, codings(data.X_valid)),
        verify=verify_autoencoder((plan.coding_size,), (coding_size,), True))


def stack_three_report(stack_three, greedy, third, data) -> None:
    """The learner's three-level stack's validation error beside the reference solution's and the
    two-level stack's (both before any fine-tuning)."""
    models = (greedy.outer.model, greedy.inner.model, third.model)
    mine = reconstruction_mse(stack_three(*models), data.X_valid)
    worked = reconstruction_mse(reference_stack_three(*models), data.X_valid)
    two = greedy.phase_mse()["phase 2: stacked, before fine-tuning"]
    c = THIRD_CODING_SIZE
    print(f"the {c}-number autoencoder (30-{c}-30), on the validation codings: "
          f"MSE {third.info['valid_mse']:.5f}")
    print(f"your three-level stack, before fine-tuning: validation MSE {mine:.5f}; the reference solution "
          f"gives {worked:.5f} (difference {abs(mine - worked):.1e}: the same weights give the same numbers)")
    print(f"the two-level stack (30 codings), before fine-tuning: {two:.5f}; through {c} codings the "
          f"error is {mine / two:.2f} x that ({'higher' if mine > two else 'not higher'})")


# --- Exercise 3.4: skip phase 2 --------------------------------------------------------------

def skip_phase_2(greedy, data=None, seed=42):
    """(cached) Phase 3 on the trained outer autoencoder and an *untrained* inner one.

    The inner autoencoder is the one phase 2 started from (same seed, same recipe start), so the
    only difference with the lesson's phase 3 is that phase 2 did not train. The result is a
    ``CachedModel`` whose history has ``stacked_mse_before`` and ``valid_mse`` (validation images).
    """
    plan, data = greedy.plan, data or load_fashion_mnist()
    fresh = fresh_model(lambda: inner_autoencoder(plan.hidden_units, plan.coding_size), plan.recipe, seed)
    stand_in = types.SimpleNamespace(model=fresh, key=f"untrained inner autoencoder, seed {seed}")
    return train_stacked(plan, greedy.outer, stand_in, seed=seed, data=data)


def skip_phase_2_report(greedy, skipped) -> None:
    """Both routes' validation error before and after the same fine-tuning, and the verdict."""
    mse = greedy.phase_mse()
    rows = (("phase 2 trained (the lesson)", mse["phase 2: stacked, before fine-tuning"],
             mse["phase 3: stacked, after fine-tuning"]),
            ("phase 2 skipped (untrained inner)", skipped.info["stacked_mse_before"],
             skipped.info["valid_mse"]))
    epochs = greedy.plan.finetune_epochs
    print(f"{'':<34} {'stacked':>9} {f'after {epochs} epochs of fine-tuning':>34}")
    for label, before, after in rows:
        print(f"{label:<34} {before:>9.5f} {after:>34.5f}")
    ratio = rows[1][1] / rows[0][1]
    print(f"as assembled, the untrained inner autoencoder makes the stack's error {ratio:.1f} x what "
          "the trained one gives")
    trained, untrained = rows[0][2], rows[1][2]
    gap = 100 * abs(untrained - trained) / trained
    direction = "higher" if untrained > trained else "lower"
    print(f"after fine-tuning, skipping phase 2 leaves the error {gap:.1f}% {direction} than with it "
          f"({'loaded from the cache' if skipped.from_cache else 'trained now'}; recorded fine-tuning time "
          f"{skipped.info['seconds'][-1]:.1f} s)")
