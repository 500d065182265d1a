"""Notebook 04 builds its classifier, freezes and unfreezes it, and trains one run in plain Keras.

Its own cells (tags ``encoder-classifier``, ``freeze-unfreeze`` and ``one-run``) are executed
here and must keep agreeing with what the study uses: ``helpers.models.encoder_classifier`` (same
layers, parameter count, weights for the same seed, outputs) and
``helpers.models.set_encoder_trainable`` (the same variables train in each phase).
"""

from types import SimpleNamespace

import keras
import nbformat
import numpy as np
import pytest
from notebook_code import NOTEBOOKS, cell_source, run_cells

from helpers.models import encoder_classifier, same_weights, set_encoder_trainable, stacked_autoencoder

NOTEBOOK = "04_encoder_reuse.ipynb"


@pytest.fixture(scope="module")
def lesson():
    """The notebook's ``classifier_on`` and ``compile_phase``, run from its own cells."""
    namespace = run_cells(NOTEBOOK, "encoder-classifier", {"keras": keras})
    return run_cells(NOTEBOOK, "freeze-unfreeze", namespace)


@pytest.fixture(scope="module")
def encoder():
    keras.utils.set_random_seed(3)
    autoencoder = stacked_autoencoder(30)
    rng = np.random.default_rng(4)
    for w in autoencoder.encoder.weights:   # "trained" weights: nothing an initialiser would give
        w.assign(rng.normal(0, 0.1, w.shape).astype("float32"))
    return autoencoder.encoder


def test_the_cells_are_the_notebooks_own_keras_code():
    source = cell_source(NOTEBOOK, "encoder-classifier")
    assert "clone_model(encoder)" in source and "set_weights(encoder.get_weights())" in source
    assert "helpers" not in source and "encoder_classifier" not in source
    source = cell_source(NOTEBOOK, "freeze-unfreeze")
    assert ".trainable = encoder_trainable" in source and ".compile(" in source
    assert "set_encoder_trainable" not in source


@pytest.mark.parametrize("pretrained", [True, False])
def test_same_classifier_as_the_helper_for_the_same_seed(lesson, encoder, pretrained):
    mine = lesson["classifier_on"](encoder, pretrained=pretrained, seed=7)
    helper = encoder_classifier(encoder, pretrained=pretrained, freeze=False, seed=7)
    assert [layer.name for layer in mine.layers] == [layer.name for layer in helper.layers] == [
        "encoder", "softmax_head"]
    assert [type(layer) for layer in mine.get_layer("encoder").layers] == [
        type(layer) for layer in helper.get_layer("encoder").layers]
    assert mine.count_params() == helper.count_params() == 81_530 + 310
    assert same_weights(mine, helper), "the same copy and the same random head for the same seed"
    x = np.random.default_rng(5).random((4, 28, 28)).astype("float32")
    np.testing.assert_allclose(mine(x).numpy(), helper(x).numpy(), rtol=1e-6, atol=1e-7)
    copied = same_weights(mine.get_layer("encoder"), encoder)
    assert copied is pretrained, "the trained weights are copied in only when pretrained"
    shared = {id(v) for v in mine.weights} & {id(v) for v in encoder.weights}
    assert not shared, "training the classifier can never change the autoencoder"


def test_compile_phase_freezes_what_set_encoder_trainable_freezes(lesson, encoder):
    mine = lesson["classifier_on"](encoder, seed=0)
    helper = encoder_classifier(encoder, freeze=False, seed=0)
    for k, trainable in enumerate((False, True, False)):
        lesson["compile_phase"](mine, trainable, 1e-3 * (k + 1))
        set_encoder_trainable(helper, trainable)
        inside = [[v.path.split("/", 1)[1] for v in model.trainable_variables] for model in (mine, helper)]
        assert inside[0] == inside[1], "the same variables, by their paths inside the classifier"
        assert len(mine.trainable_variables) == (6 if trainable else 2)
        assert float(mine.optimizer.learning_rate) == pytest.approx(1e-3 * (k + 1)), "compiled again"


def test_the_notebooks_run_keeps_the_encoder_frozen_in_phase_one(lesson, encoder, fashion):
    subset = np.arange(40)
    data = SimpleNamespace(X_train=fashion.X_train[:40], y_train=fashion.y_train[:40],
                           X_test=fashion.X_test[:50], y_test=fashion.y_test[:50])
    calls = []

    def compile_phase(classifier, trainable, learning_rate):
        calls.append((trainable, learning_rate, classifier.get_layer("encoder").get_weights()))
        lesson["compile_phase"](classifier, trainable, learning_rate)

    printed = []
    namespace = {**lesson, "compile_phase": compile_phase, "data": data, "subset": subset,
                 "ae": SimpleNamespace(model=SimpleNamespace(encoder=encoder)),
                 "print": lambda *args: printed.append(" ".join(map(str, args)))}
    run_cells(NOTEBOOK, "one-run", namespace)
    assert [(t, lr) for t, lr, _ in calls] == [(False, 1e-2), (True, 3e-3)]
    start, after_phase_1 = encoder.get_weights(), calls[1][2]
    assert all(np.array_equal(a, b) for a, b in zip(start, after_phase_1, strict=True)), (
        "phase 1 (frozen) left the pretrained encoder unchanged")
    after_phase_2 = namespace["clf"].get_layer("encoder").get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(start, after_phase_2, strict=True))
    assert [line.split(" (")[0] for line in printed] == ["phase 1", "phase 2"]


def test_the_exercises_follow_the_summary_and_the_common_design():
    cells = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4).cells
    headings = [(k, line) for k, c in enumerate(cells) if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("## ")]
    names = [line for _, line in headings]
    assert "## Try this" not in names, "the old section is replaced"
    assert names[-2:] == ["## Summary", "## Exercises"], "the exercises come last, after the summary"
    exercises = [k for k, c in enumerate(cells) if c.cell_type == "markdown"
                 and c.source.startswith("### Exercise 4.")]
    titles = [cells[k].source.splitlines()[0] for k in exercises]
    assert 3 <= len(titles) <= 5
    assert [t.split(" · ")[0] for t in titles] == [f"### Exercise 4.{n}" for n in range(1, len(titles) + 1)]
    for start, end in zip(exercises, [*exercises[1:], len(cells)], strict=True):
        part = cells[start:end]
        solutions = [c for c in part if c.cell_type == "code" and "### BEGIN SOLUTION" in c.source]
        answers = [c for c in part if c.cell_type == "markdown" and "<!-- BEGIN ANSWER -->" in c.source]
        assert solutions or answers, cells[start].source.splitlines()[0]
        if solutions:
            checks = [c for c in part if "needs-exercise" in c.metadata.get("tags", [])]
            assert checks and "lesson4_checks.check_" in checks[0].source, "a check cell follows the code"
            assert not checks[0].source.startswith("# NBVAL_IGNORE_OUTPUT"), "PASS lines are compared"
            assert solutions[0].source.lstrip().startswith("def "), "a skeleton stays outside the markers"
