"""helpers.lesson3_checks: right answers (the reference, the notebook's own and ones written
differently) pass; the mistakes a learner makes fail, each with its own message; the two cached
trainers and the reports work on a tiny greedy run."""

import dataclasses

import keras
import numpy as np
import pytest
from notebook_code import run_cells
from shared_helpers import randomised

from helpers import lesson3_checks as checks
from helpers.layers import DenseTranspose
from helpers.layerwise import (
    LayerwisePlan,
    greedy_layerwise,
    inner_autoencoder,
    outer_autoencoder,
    stack_autoencoders,
)
from helpers.models import StackedAutoencoder, autoencoder_parameter_count
from helpers.recipes import FAST
from helpers.training import reconstruction_mse

NOTEBOOK = "03_one_autoencoder_at_a_time.ipynb"


@pytest.fixture(scope="module")
def notebook_models(fashion):
    """Stand-ins for the notebook's trained models (other random weights than the check's own)."""
    outer, middle = randomised(outer_autoencoder(), 11), randomised(inner_autoencoder(100, 30), 12)
    inner = randomised(inner_autoencoder(30, 10), 13)
    return outer, middle, inner, fashion.X_valid[:200]


# --- Exercise 3.2: nested_image_mse -------------------------------------------------------------

def nested_with_predict(outer, inner, X):
    """Right, written differently: predict on each part, in batches."""
    codings = outer.encoder.predict(X, batch_size=64, verbose=0)
    rebuilt = outer.decoder.predict(inner.predict(codings, verbose=0), verbose=0)
    return np.mean((rebuilt - X) ** 2)


def nested_with_ops(outer, inner, X):
    """Right, written differently: direct calls and keras.ops instead of predict and NumPy."""
    rebuilt = outer.decoder(inner.decoder(inner.encoder(outer.encoder(X))))
    return keras.ops.convert_to_numpy(keras.ops.mean(keras.ops.square(rebuilt - X)))


def error_on_codings(outer, inner, X):
    codings = outer.encoder.predict(X, verbose=0)
    return float(np.mean((inner.predict(codings, verbose=0) - codings) ** 2))


def outer_alone(outer, inner, X):
    return float(np.mean((outer.predict(X, verbose=0) - X) ** 2))


def root_mean_squared(outer, inner, X):
    rebuilt = outer.decoder.predict(inner.predict(outer.encoder.predict(X, verbose=0), verbose=0), verbose=0)
    return float(np.sqrt(np.mean((rebuilt - X) ** 2)))


def sum_per_image(outer, inner, X):
    rebuilt = outer.decoder.predict(inner.predict(outer.encoder.predict(X, verbose=0), verbose=0), verbose=0)
    return float(np.mean(np.sum((rebuilt - X) ** 2, axis=(1, 2))))


def inner_encoder_only(outer, inner, X):
    """Wrong: feeds the 30 codings straight to the outer decoder, which takes 100."""
    rebuilt = outer.decoder.predict(inner.encoder.predict(outer.encoder.predict(X, verbose=0), verbose=0))
    return float(np.mean((rebuilt - X) ** 2))


def first_hundred_only(outer, inner, X):
    """Wrong only on the notebook's data: measures the first 100 images instead of all of them."""
    X = X[:100]
    rebuilt = outer.decoder.predict(inner.predict(outer.encoder.predict(X, verbose=0), verbose=0), verbose=0)
    return float(np.mean((rebuilt - X) ** 2))


def notebook_solution(tag, **names):
    return run_cells(NOTEBOOK, tag, {"np": np, **names})


def check_nested(function, notebook_models):
    outer, middle, _, X = notebook_models
    expected = reconstruction_mse(stack_autoencoders(outer, middle), X)
    checks.check_nested_image_mse(function, outer, middle, X, expected)


@pytest.mark.parametrize("function", ["notebook", nested_with_ops, nested_with_predict])
def test_right_image_errors_pass(function, notebook_models, capsys):
    if function == "notebook":
        function = notebook_solution("exercise-3.2")["nested_image_mse"]
    check_nested(function, notebook_models)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(line.startswith("PASS  ") for line in lines)


@pytest.mark.parametrize(("function", "message"), [
    (error_on_codings, "error on the codings"),
    (outer_alone, "outer autoencoder's error alone"),
    (root_mean_squared, "square root"),
    (sum_per_image, "sum of squared errors"),
    (inner_encoder_only, "raised ValueError"),
    (first_hundred_only, "greedy.phase_mse"),
])
def test_wrong_image_errors_fail_with_their_own_message(function, message, notebook_models):
    with pytest.raises(AssertionError, match=message):
        check_nested(function, notebook_models)


def test_the_nested_check_lets_an_unfinished_exercise_through(notebook_models):
    def unfinished(outer, inner, X):
        raise NotImplementedError("Write your solution here")

    with pytest.raises(NotImplementedError):
        check_nested(unfinished, notebook_models)


# --- Exercise 3.3: stack_three ------------------------------------------------------------------

def stack_functional(outer, middle, inner):
    """Right, written differently: a functional model of new layers, weights set layer by layer."""
    models = (outer, middle, inner)
    inputs = keras.Input((28, 28))
    h, dense_layers = keras.layers.Flatten()(inputs), []
    for model in models:
        source = model.encoder.layers[-1]
        dense = keras.layers.Dense(source.units, activation="relu")
        h = dense(h)
        dense.set_weights([source.kernel.numpy(), source.bias.numpy()])
        dense_layers.append(dense)
    for dense, model, activation in zip(reversed(dense_layers), reversed(models), ("relu", "relu", None),
                                        strict=True):
        layer = DenseTranspose(dense, activation=activation)
        h = layer(h)
        layer.bias.assign(model.decoder.layers[0].bias.numpy())
    return keras.Model(inputs, keras.layers.Reshape((28, 28))(h))


def empty_stack():
    return StackedAutoencoder((28, 28), (100, 30, 10), tied=True, output_activation=None)


def biases_in_encoder_order(outer, middle, inner):
    """Wrong: the decoder biases copied in the encoders' order (outer's first)."""
    stack = empty_stack()
    for layer, model in zip(stack.encoder.layers[1:], (outer, middle, inner), strict=True):
        layer.set_weights(model.encoder.layers[-1].get_weights())
    for layer, model in zip(stack.decoder.layers[:-1], (outer, middle, inner), strict=True):
        layer.bias.assign(model.decoder.layers[0].bias)
    return stack


def weights_not_copied(outer, middle, inner):
    return empty_stack()


def kernels_without_biases(outer, middle, inner):
    stack = empty_stack()
    for layer, model in zip(stack.encoder.layers[1:], (outer, middle, inner), strict=True):
        layer.kernel.assign(model.encoder.layers[-1].kernel)
    for layer, model in zip(stack.decoder.layers[:-1], (inner, middle, outer), strict=True):
        layer.bias.assign(model.decoder.layers[0].bias)
    return stack


def encoders_only(outer, middle, inner):
    """Wrong: the decoder biases are forgotten (the tie brings the kernels, not the biases)."""
    stack = empty_stack()
    for layer, model in zip(stack.encoder.layers[1:], (outer, middle, inner), strict=True):
        layer.set_weights(model.encoder.layers[-1].get_weights())
    return stack


class Nested(keras.Model):
    """Wrong: the right output, but through the shallow models' own variables."""

    def __init__(self, outer, middle, inner):
        super().__init__()
        self.outer, self.middle, self.inner = outer, middle, inner

    def call(self, x):
        return self.outer.decoder(self.middle.decoder(self.inner(self.middle.encoder(self.outer.encoder(x)))))


def shares_the_shallow_models(outer, middle, inner):
    return Nested(outer, middle, inner)


def two_levels(outer, middle, inner):
    return stack_autoencoders(outer, middle)


def untied(outer, middle, inner):
    stack = StackedAutoencoder((28, 28), (100, 30, 10), tied=False, output_activation=None)
    for layer, model in zip(stack.encoder.layers[1:], (outer, middle, inner), strict=True):
        layer.set_weights(model.encoder.layers[-1].get_weights())
    return stack


def changes_the_shallow_models(outer, middle, inner):
    stack = checks.reference_stack_three(outer, middle, inner)
    outer.encoder.layers[-1].bias.assign(np.zeros(100, "float32"))
    return stack


@pytest.mark.parametrize("function", ["notebook", checks.reference_stack_three, stack_functional])
def test_right_stacks_pass(function, notebook_models, capsys):
    if function == "notebook":
        function = notebook_solution("exercise-3.3", StackedAutoencoder=StackedAutoencoder)["stack_three"]
    checks.check_stack_three(function, *notebook_models[:3])
    lines = capsys.readouterr().out.splitlines()
    count = autoencoder_parameter_count(784, (100, 30, 10), True)
    assert len(lines) == 4 and all(line.startswith("PASS  ") for line in lines)
    assert f"{count:,} parameters" in lines[0]


@pytest.mark.parametrize(("function", "message"), [
    (biases_in_encoder_order, "reverse order"),
    (weights_not_copied, "none of the shallow models' weights"),
    (kernels_without_biases, "kernel is in your stack, but not its bias"),
    (encoders_only, "decoder bias is not in your stack"),
    (shares_the_shallow_models, "shallow models' own variables"),
    (two_levels, "two-level stack's count"),
    (untied, "untied count"),
    (changes_the_shallow_models, "changed the shallow models' weights"),
])
def test_wrong_stacks_fail_with_their_own_message(function, message, notebook_models):
    with pytest.raises(AssertionError, match=message):
        checks.check_stack_three(function, *notebook_models[:3])


def test_the_stack_check_lets_an_unfinished_exercise_through(notebook_models):
    def unfinished(outer, middle, inner):
        raise NotImplementedError("Write your solution here")

    with pytest.raises(NotImplementedError):
        checks.check_stack_three(unfinished, *notebook_models[:3])


def test_hand_made_models_are_fixed_and_every_bias_counts():
    first, again = checks.hand_made_models(), checks.hand_made_models()
    for a, b in zip(first, again, strict=True):
        assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights(), strict=True))
    assert all(w.min() > 0 for m in first for w in m.get_weights() if w.ndim == 1)


# --- the cached trainers and the reports, on a tiny greedy run -----------------------------------

@pytest.fixture(scope="module")
def tiny_greedy(fashion, tmp_path_factory):
    recipe = dataclasses.replace(FAST, name="test-tiny", epochs=2, jit_compile=False, steps_per_execution=8)
    plan = LayerwisePlan(recipe=recipe, hidden_units=100, coding_size=30, outer_epochs=1, inner_epochs=1,
                         finetune_epochs=1, finetune_lr_factor=1.0)
    data = dataclasses.replace(fashion, X_train=fashion.X_train[:512], X_valid=fashion.X_valid[:256])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AE_PROFILE", "quick")
        patch.setenv("AE_CACHE_DIR", str(tmp_path_factory.mktemp("lesson3-cache")))
        greedy = greedy_layerwise(plan, seed=0, data=data)
        third = checks.trained_third_level(greedy, data=data, seed=0)
        skipped = checks.skip_phase_2(greedy, data=data, seed=0)
        again = (checks.trained_third_level(greedy, data=data, seed=0),
                 checks.skip_phase_2(greedy, data=data, seed=0))
        yield greedy, third, skipped, again, data


def test_the_third_level_is_trained_once_on_phase_2s_codings(tiny_greedy):
    greedy, third, _, (third_again, _), data = tiny_greedy
    assert not third.from_cache and third_again.from_cache
    model = third.model
    assert model.image_shape == (30,) and model.hidden_units == (10,) and model.tied
    assert len(third.info["val_loss"]) == greedy.plan.inner_epochs
    codings = greedy.inner.model.encoder.predict(greedy.outer.model.encoder.predict(data.X_valid, verbose=0),
                                                 verbose=0)
    assert third.info["valid_mse"] == pytest.approx(reconstruction_mse(model, codings), rel=1e-5)


def test_skipping_phase_2_fine_tunes_the_untrained_inner_start(tiny_greedy):
    greedy, _, skipped, (_, skipped_again), data = tiny_greedy
    assert not skipped.from_cache and skipped_again.from_cache
    assert skipped.key != greedy.stacked.key
    # the inner autoencoder it starts from is the one phase 2 started from: seed 0, the recipe's start
    keras.utils.set_random_seed(0)
    start = stack_autoencoders(greedy.outer.model, inner_autoencoder())
    expected = reconstruction_mse(start, data.X_valid)
    assert skipped.info["stacked_mse_before"] == pytest.approx(expected, rel=1e-5)
    assert skipped.info["stacked_mse_before"] != pytest.approx(greedy.stacked.info["stacked_mse_before"])
    assert len(skipped.info["val_loss"]) == greedy.plan.finetune_epochs


def test_reports_print_computed_values(tiny_greedy, capsys):
    greedy, third, skipped, _, data = tiny_greedy
    checks.nested_mse_report(nested_with_ops, greedy, data)
    before = greedy.phase_mse()["phase 2: stacked, before fine-tuning"]
    out = capsys.readouterr().out
    assert out.count(f"{before:.5f}") >= 2 and "256 validation images" in out

    checks.stack_three_report(checks.reference_stack_three, greedy, third, data)
    out = capsys.readouterr().out
    stack = checks.reference_stack_three(greedy.outer.model, greedy.inner.model, third.model)
    mine = reconstruction_mse(stack, data.X_valid)
    assert out.count(f"{mine:.5f}") == 2 and "difference 0.0e+00" in out
    assert ("higher" if mine > before else "not higher") in out.splitlines()[-1]

    checks.skip_phase_2_report(greedy, skipped)
    lines = capsys.readouterr().out.splitlines()
    after, untrained = greedy.phase_mse()["phase 3: stacked, after fine-tuning"], skipped.info["valid_mse"]
    assert f"{untrained:.5f}" in lines[2] and f"{after:.5f}" in lines[1]
    assert ("higher" if untrained > after else "lower") in lines[-1]
    assert f"{skipped.info['stacked_mse_before'] / before:.1f} x" in lines[3]
