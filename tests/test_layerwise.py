import dataclasses
import json

import numpy as np
import pytest
from shared_helpers import randomised

from helpers.layerwise import (
    LayerwisePlan,
    finetune_recipe,
    greedy_curve,
    greedy_layerwise,
    inner_autoencoder,
    layerwise_plan,
    outer_autoencoder,
    stack_autoencoders,
)
from helpers.models import shared_variable_count
from helpers.profile import PROFILES
from helpers.recipes import FAST


def test_shallow_autoencoders_are_tied_with_the_right_shapes():
    outer, inner = outer_autoencoder(100), inner_autoencoder(100, 30)
    assert outer.count_params() == 784 * 100 + 100 + 784
    assert inner.count_params() == 100 * 30 + 30 + 100
    assert shared_variable_count(outer) == 1 and shared_variable_count(inner) == 1
    assert outer.decoder.output_shape == (None, 28, 28)
    assert inner.encoder.input_shape == (None, 100) and inner.decoder.output_shape == (None, 100)
    codes = np.random.default_rng(0).normal(size=(5, 100)).astype("float32")
    assert np.all(inner.predict(codes, verbose=0) >= 0), "inner decoder ends in ReLU like the stack"


def test_stacking_copies_weights_and_equals_the_nested_models():
    outer, inner = randomised(outer_autoencoder(), 1), randomised(inner_autoencoder(), 2)
    stack = stack_autoencoders(outer, inner)
    assert stack.count_params() == 82_414 and shared_variable_count(stack) == 2
    x = np.random.default_rng(3).random((6, 28, 28)).astype("float32")
    nested = outer.decoder.predict(inner.predict(outer.encoder.predict(x, verbose=0), verbose=0),
                                   verbose=0)
    np.testing.assert_allclose(stack.predict(x, verbose=0), nested, atol=1e-5)
    # copies, not shared variables: changing the stack leaves the shallow models alone
    before = outer.encoder.layers[-1].kernel.numpy().copy()
    stack.encoder.layers[1].kernel.assign(np.zeros((784, 100), "float32"))
    np.testing.assert_array_equal(outer.encoder.layers[-1].kernel.numpy(), before)
    assert np.allclose(stack.decoder.layers[1].kernel.numpy(), 0), "the stack keeps its own tie"


def test_stacking_refuses_mismatched_sizes():
    with pytest.raises(ValueError, match="outer one's 100 codings"):
        stack_autoencoders(outer_autoencoder(100), inner_autoencoder(50, 10))


def test_plan_follows_the_recipe_and_the_profile():
    full = layerwise_plan(FAST, PROFILES["full"])
    assert (full.outer_epochs, full.inner_epochs, full.finetune_epochs) == (10, 10, 10)  # 20 // 2
    quick = layerwise_plan(FAST, PROFILES["quick"])
    assert (quick.outer_epochs, quick.inner_epochs, quick.finetune_epochs) == (2, 2, 2)  # capped
    assert "fine-tuning" in full.describe()
    slow = finetune_recipe(FAST, 0.1)
    assert slow.learning_rate == pytest.approx(FAST.learning_rate * 0.1)
    assert slow.batch_size == FAST.batch_size and slow.name != FAST.name


def small_plan():
    recipe = dataclasses.replace(FAST, name="test-tiny", epochs=2, jit_compile=False,
                                 steps_per_execution=8)
    return LayerwisePlan(recipe=recipe, hidden_units=100, coding_size=30, outer_epochs=1,
                         inner_epochs=2, finetune_epochs=1, finetune_lr_factor=0.1)


def test_greedy_route_trains_caches_and_reports_each_phase(fashion, quick_profile, private_cache):
    seen, inner_logs = [], []
    plan = small_plan()

    def on_epoch(phase, epoch, epochs, logs):
        seen.append((phase, epoch))
        if phase == "inner":
            inner_logs.append(logs)

    first = greedy_layerwise(plan, seed=0, data=fashion, on_epoch=on_epoch)
    assert seen == [("outer", 1), ("inner", 1), ("inner", 2), ("stacked", 1)]
    assert not first.outer.from_cache and not first.from_cache
    # the inner phase's own loss is on codings; its callback also gets the stack's image error
    assert [logs["image_val_mse"] for logs in inner_logs] == first.inner.info["image_val_mse"]
    assert [logs["val_loss"] for logs in inner_logs] == pytest.approx(first.inner.info["val_loss"])
    mse = first.phase_mse()
    assert list(mse) == ["phase 1: shallow 784-100-784 alone", "phase 2: stacked, before fine-tuning",
                         "phase 3: stacked, after fine-tuning"]
    assert all(np.isfinite(v) and v > 0 for v in mse.values())
    # the stack before fine-tuning is exactly the nested shallow models
    nested = stack_autoencoders(first.outer.model, first.inner.model)
    x = fashion.X_valid[:64]
    err = float(np.mean((nested.predict(x, verbose=0) - x) ** 2))
    assert err > 0 and len(first.inner.info["image_val_mse"]) == 2
    assert mse["phase 3: stacked, after fine-tuning"] < mse["phase 2: stacked, before fine-tuning"]

    curve = greedy_curve(first)
    assert curve["phase"] == ["outer", "inner", "inner", "stacked"]
    assert np.all(np.diff(curve["seconds"]) > 0), "cumulative wall time only grows"

    again = greedy_layerwise(plan, seed=0, data=fashion, on_epoch=on_epoch)
    assert again.from_cache and len(seen) == 4, "a warm cache trains nothing"
    np.testing.assert_allclose(again.stacked.model.predict(x, verbose=0),
                               first.stacked.model.predict(x, verbose=0), atol=1e-6)
    assert again.training_seconds() == first.training_seconds()

    # each phase's cache key contains the keys of the phases it starts from
    spec = json.loads((private_cache / f"{first.stacked.key}.json").read_text())["spec"]
    assert spec["upstream"] == [first.outer.key, first.inner.key]
    spec = json.loads((private_cache / f"{first.inner.key}.json").read_text())["spec"]
    assert spec["upstream"] == [first.outer.key] and spec["seed"] == 0


def test_layerwise_curves_figure_draws_both_routes():
    import matplotlib.pyplot as plt

    from helpers.plots import layerwise_curves_figure

    end_to_end = {"val_loss": [0.03, 0.02, 0.015], "seconds": [2.0, 3.0, 4.0]}
    greedy = {"phase": ["outer", "outer", "inner", "stacked"], "epoch": [1, 2, 1, 1],
              "seconds": [1.0, 2.0, 2.5, 4.0], "image_val_mse": [0.02, 0.01, 0.03, 0.016]}
    checkpoints = {"phase 1: a": 0.01, "phase 2: b": 0.03, "phase 3: c": 0.016}
    fig = layerwise_curves_figure(end_to_end, greedy, checkpoints, 0.015)
    curves, bars = fig.axes
    assert [list(line.get_ydata()) for line in curves.lines] == [
        [0.03, 0.02, 0.015], [0.02, 0.01], [0.03], [0.016]]
    assert [p.get_width() for p in bars.patches] == [0.01, 0.03, 0.016, 0.015]
    assert [t.get_text() for t in bars.get_yticklabels()][-1] == "end-to-end"
    plt.close(fig)


def test_encode_gives_the_codings(fashion):
    from helpers.layerwise import encode

    outer = outer_autoencoder(100)
    codes = encode(outer, fashion.X_valid[:10])
    assert codes.shape == (10, 100) and codes.min() >= 0
    np.testing.assert_allclose(codes, outer.encoder.predict(fashion.X_valid[:10], verbose=0), atol=1e-6)

