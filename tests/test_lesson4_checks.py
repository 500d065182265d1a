"""helpers.lesson4_checks: notebook 04's exercise checks pass right answers and fail wrong ones.

Each check gets the notebook's own worked solution (run from its tagged cell), a right answer
written differently, and plausible wrong answers a learner might write.
"""

import keras
import numpy as np
import pytest
from notebook_code import run_cells
from shared_helpers import randomised, rng

from helpers import lesson4_checks as checks
from helpers.budget_study import LabelBudgetStudy
from helpers.classifier_training import ClassifierPlan
from helpers.models import stacked_autoencoder
from helpers.study_methods import METHOD_RUNS
from helpers.study_report import confusion_matrix

NOTEBOOK = "04_encoder_reuse.ipynb"


def one_seed_study():
    """Like the quick profile's study: a single seed (the stand-in's seed 1, renamed 4)."""
    full = checks.stand_in_study()
    study = LabelBudgetStudy(full.data, budgets=(50,), seeds=(4,), plan=ClassifierPlan(steps=500))
    for source in ("scratch", "untied", "tied"):
        study.results[(50, 4, source)] = {**full.results[(50, 1, source)], "seed": 4}
    return study


# --- Exercise 4.1 ---------------------------------------------------------------------------------

def notebook_paired_gains():
    return run_cells(NOTEBOOK, "exercise-4.1")["paired_gains"]


def gains_from_accuracies(study, method, budget):
    """Right, written differently: the two lists of accuracies, subtracted."""
    return np.subtract(study.accuracies(method, budget), study.accuracies("scratch", budget))


def unpaired(study, method, budget):
    gain = np.mean(study.accuracies(method, budget)) - np.mean(study.accuracies("scratch", budget))
    return [gain] * len(study.seeds)


def mean_only(study, method, budget):
    return float(np.mean(gains_from_accuracies(study, method, budget)))


def seeds_mismatched(study, method, budget):
    mine = study.accuracies(method, budget)
    return np.subtract(mine, sorted(study.accuracies("scratch", budget)))


def reversed_sign(study, method, budget):
    return -gains_from_accuracies(study, method, budget)


def in_points(study, method, budget):
    return 100 * gains_from_accuracies(study, method, budget)


def both_after_phase_two(study, method, budget):
    """Reads every pretrained run after fine-tuning, even for "frozen"."""
    source = METHOD_RUNS[method][0]
    return [study.run(budget, s, source)["phases"][1]["accuracy"]
            - study.run(budget, s, "scratch")["phases"][1]["accuracy"] for s in study.seeds]


def scratch_at_equal_steps(study, method, budget):
    return study.paired_gains(method, equal_steps=True)[budget][2]


@pytest.mark.parametrize("study", [checks.stand_in_study(), one_seed_study()], ids=["3 seeds", "1 seed"])
@pytest.mark.parametrize("answer", ["notebook", "differently"])
def test_check_paired_gains_passes_right_answers(answer, study, capsys):
    function = notebook_paired_gains() if answer == "notebook" else gains_from_accuracies
    checks.check_paired_gains(function, study)
    assert capsys.readouterr().out.count("PASS") == 2


@pytest.mark.parametrize(("wrong", "message"), [
    (unpaired, "expected"), (mean_only, "one gain per seed"), (seeds_mismatched, "same seed"),
    (reversed_sign, "sign is reversed"), (in_points, "100 times too large"),
    (both_after_phase_two, "first phase"), (scratch_at_equal_steps, "scratch after both"),
])
def test_check_paired_gains_rejects_wrong_answers(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_paired_gains(wrong, checks.stand_in_study())


def test_check_paired_gains_lets_an_unfinished_exercise_raise():
    def unfinished(study, method, budget):
        raise NotImplementedError("Write your solution here")
    with pytest.raises(NotImplementedError):
        checks.check_paired_gains(unfinished, checks.stand_in_study())


def test_paired_gains_report_prints_the_gains_and_their_interval(capsys):
    checks.paired_gains_report(gains_from_accuracies, checks.stand_in_study(), budget=50)
    lines = capsys.readouterr().out.splitlines()
    # fine-tuned at 50: untied after phase 2 minus scratch after phase 2, per seed
    assert lines[0] == ("your gains (fine-tuned, 50 labels, seeds [0, 1, 2]): +3.0, -1.0, +6.0 points; "
                        "mean +2.7")
    assert lines[1].startswith("std 3.5 points over 3 seeds; 95% interval -6.1 to +11.4")
    checks.paired_gains_report(gains_from_accuracies, one_seed_study(), budget=50)
    assert "one seed" in capsys.readouterr().out


# --- Exercise 4.2 ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def encoder():
    keras.utils.set_random_seed(1)
    return randomised(stacked_autoencoder(30), 2).encoder


@pytest.fixture(scope="module")
def labelled(fashion):
    return fashion.X_train[:200], fashion.y_train[:200]


@pytest.fixture(scope="module")
def lesson():
    namespace = run_cells(NOTEBOOK, "encoder-classifier", {"keras": keras})
    namespace = run_cells(NOTEBOOK, "freeze-unfreeze", namespace)
    return run_cells(NOTEBOOK, "exercise-4.2", namespace)


def head_only_functional(encoder, X, y, epochs=20, seed=0):
    """Right, written differently: the functional API, the frozen flag set on the copy."""
    keras.utils.set_random_seed(seed)
    body = keras.models.clone_model(encoder)
    body.set_weights(encoder.get_weights())
    body.name, body.trainable = "encoder", False
    inputs = keras.Input((28, 28))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(body(inputs)))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=epochs, batch_size=64, verbose=0)
    return model


def not_frozen(encoder, X, y, epochs=20, seed=0):
    keras.utils.set_random_seed(seed)
    body = keras.models.clone_model(encoder)
    body.set_weights(encoder.get_weights())
    body.name = "encoder"
    model = keras.Sequential([keras.Input((28, 28)), body, keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Nadam(1e-2), loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=epochs, batch_size=128, verbose=0)
    return model


def clone_only(encoder, X, y, epochs=20, seed=0):
    keras.utils.set_random_seed(seed)
    body = keras.models.clone_model(encoder)      # new random weights, never the trained ones
    body.name, body.trainable = "encoder", False
    model = keras.Sequential([keras.Input((28, 28)), body, keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=epochs, verbose=0)
    return model


def shares_the_encoder(encoder, X, y, epochs=20, seed=0):
    encoder.trainable = False
    model = keras.Sequential([keras.Input((28, 28)), encoder, keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=epochs, verbose=0)
    return model


def never_fitted(encoder, X, y, epochs=20, seed=0):
    body = keras.models.clone_model(encoder)
    body.set_weights(encoder.get_weights())
    body.name, body.trainable = "encoder", False
    model = keras.Sequential([keras.Input((28, 28)), body, keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("answer", ["notebook", "differently"])
def test_check_head_only_passes_right_answers(answer, lesson, encoder, labelled, capsys):
    function = lesson["train_head_only"] if answer == "notebook" else head_only_functional
    before = [w.copy() for w in encoder.get_weights()]
    checks.check_head_only(function, encoder, *labelled)
    assert capsys.readouterr().out.count("PASS") == 4
    assert all(np.array_equal(a, b) for a, b in zip(before, encoder.get_weights(), strict=True))


@pytest.mark.parametrize(("wrong", "message"), [
    (not_frozen, "the encoder trained during the fit"), (clone_only, "never copied in"),
    (shares_the_encoder, "shares variables"), (never_fitted, "took no step"),
])
def test_check_head_only_rejects_wrong_answers(wrong, message, encoder, labelled):
    before = [w.copy() for w in encoder.get_weights()]
    with pytest.raises(AssertionError, match=message):
        checks.check_head_only(wrong, encoder, *labelled)
    assert encoder.trainable, "the check hands the learner's code a copy, never the notebook's encoder"
    assert all(np.array_equal(a, b) for a, b in zip(before, encoder.get_weights(), strict=True))


def test_head_only_report_compares_with_a_reference_solution(lesson, encoder, labelled, fashion, capsys):
    checks.head_only_report(lesson["train_head_only"], encoder, *labelled, fashion, checks.stand_in_study(),
                            budget=50, epochs=2)
    lines = capsys.readouterr().out.splitlines()
    mine, worked = (float(line.split(": ")[1].split("%")[0]) for line in lines[:2])
    assert mine == pytest.approx(worked, abs=0.5), "the notebook's solution is the worked one"
    assert "(200 labels, 2 epochs = 4 steps of 128, seed 0)" in lines[0]
    # frozen at 50 labels: (0.55, 0.56, 0.47), sample std 0.049
    assert lines[2] == ("the study's frozen results at 50 labels (500 steps) vary by std 4.9 points over 3 "
                        "seeds: another seed or subset moves a result by about that much")


# --- Exercise 4.4 ---------------------------------------------------------------------------------

def notebook_most_confused_pair():
    namespace = run_cells(NOTEBOOK, "exercise-4.4", {"np": np, "confusion_matrix": confusion_matrix})
    return namespace["most_confused_pair"]


def pair_by_loops(y_true, y_pred, n_classes=10):
    """Right, written differently: counting pairs in a dictionary."""
    counts = {}
    for t, p in zip(y_true, y_pred, strict=True):
        if t != p:
            key = (min(t, p), max(t, p))
            counts[key] = counts.get(key, 0) + 1
    (a, b), n = max(counts.items(), key=lambda item: (item[1], -item[0][0], -item[0][1]))
    return int(a), int(b), n


def directed_only(y_true, y_pred, n_classes=10):
    cm = np.zeros((n_classes, n_classes), int)
    np.add.at(cm, (y_true, y_pred), 1)
    np.fill_diagonal(cm, 0)
    a, b = np.unravel_index(cm.argmax(), cm.shape)
    return int(min(a, b)), int(max(a, b)), int(cm[a, b])


def diagonal_included(y_true, y_pred, n_classes=10):
    cm = np.zeros((n_classes, n_classes), int)
    np.add.at(cm, (y_true, y_pred), 1)
    both = np.triu(cm + cm.T)
    a, b = np.unravel_index(both.argmax(), both.shape)
    return int(a), int(b), int(both[a, b])


def worst_row(y_true, y_pred, n_classes=10):
    cm = np.zeros((n_classes, n_classes), int)
    np.add.at(cm, (y_true, y_pred), 1)
    np.fill_diagonal(cm, 0)
    row = int(cm.sum(axis=1).argmax())
    other = int(cm[row].argmax())
    return min(row, other), max(row, other), int(cm[row].sum())


def larger_class_first(y_true, y_pred, n_classes=10):
    a, b, n = pair_by_loops(y_true, y_pred, n_classes)
    return b, a, n


@pytest.fixture(scope="module")
def predictions():
    generator = rng(3)
    y_true = generator.integers(0, 10, 2000)
    y_pred = np.where(generator.random(2000) < 0.7, y_true, generator.integers(0, 10, 2000))
    return y_true, y_pred


@pytest.mark.parametrize("answer", ["notebook", "differently"])
def test_check_most_confused_pair_passes_right_answers(answer, predictions, capsys):
    function = notebook_most_confused_pair() if answer == "notebook" else pair_by_loops
    checks.check_most_confused_pair(function, *predictions)
    assert capsys.readouterr().out.count("PASS") == 2


@pytest.mark.parametrize(("wrong", "message"), [
    (directed_only, "Add both directions"), (diagonal_included, "with itself"),
    (worst_row, "expected \\(2, 3, 9\\)"), (larger_class_first, "smaller class first"),
])
def test_check_most_confused_pair_rejects_wrong_answers(wrong, message, predictions):
    with pytest.raises(AssertionError, match=message):
        checks.check_most_confused_pair(wrong, *predictions)


def test_expected_pair_known_values():
    y_true = np.array([0, 0, 1, 2, 2, 1, 1])
    y_pred = np.array([1, 1, 0, 2, 1, 2, 1])
    assert checks.expected_pair(y_true, y_pred, 3) == (0, 1, 3)
    assert checks.expected_pair([0, 1], [1, 0], 2) == (0, 1, 2)
