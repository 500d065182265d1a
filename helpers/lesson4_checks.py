"""Checks of a learner's exercise code in notebook 04 (encoder reuse): print PASS or raise.

Each ``check_*`` function runs the learner's function first on a small hand-made case whose
answer is known (so a wrong idea fails with a message saying what differs), then on the
notebook's own objects, and prints one ``PASS`` line per property (the same lines in both
profiles: nbval compares them). ``NotImplementedError`` from an unfinished exercise is never
caught. The ``*_report`` functions print the typical result to compare with, from computed values.
"""

from __future__ import annotations

import types

import keras
import numpy as np

from helpers.budget_study import LabelBudgetStudy, mean_std
from helpers.classifier_training import ClassifierPlan
from helpers.exercise_checks import encoder_copy, fail, is_softmax_head, passed
from helpers.models import copy_encoder, encoder_classifier
from helpers.study_report import confusion_matrix, most_confused, paired_interval

# --- Exercise 4.1: paired gains ----------------------------------------------------------------

# Test accuracy per (source, seed): (after phase 1, after phase 2), at both budgets of the stand-in
# study (the second budget adds 0.05 everywhere except scratch's seed 2). Chosen so that every
# plausible slip gives another answer: unpaired means, seeds paired in the wrong order, the
# baseline read after its first phase, a frozen result read after phase 2, the sign reversed.
_STAND_IN = {
    "scratch": [(0.50, 0.60), (0.58, 0.70), (0.40, 0.52)],
    "untied": [(0.55, 0.63), (0.56, 0.69), (0.47, 0.58)],
    "tied": [(0.52, 0.61), (0.60, 0.73), (0.45, 0.50)],
}


def stand_in_study() -> LabelBudgetStudy:
    """A real :class:`LabelBudgetStudy` (3 seeds, budgets 50 and 100) whose runs are hand-picked
    accuracies: nothing is trained or loaded, so any exercise can be checked against it."""
    data = types.SimpleNamespace(X_train=np.zeros((1000, 28, 28), "float32"), y_train=np.arange(1000) % 10,
                                 X_test=np.zeros((10, 28, 28), "float32"), y_test=np.arange(10),
                                 checksum="lesson4-stand-in")
    study = LabelBudgetStudy(data, budgets=(50, 100), seeds=(0, 1, 2), plan=ClassifierPlan(steps=500))
    for budget, shift in ((50, 0.0), (100, 0.05)):
        for source, per_seed in _STAND_IN.items():
            for seed, accuracies in enumerate(per_seed):
                bump = 0.0 if (source, seed) == ("scratch", 2) else shift
                phases = [{"accuracy": a + bump, "predictions": "0" * 10} for a in accuracies]
                study.results[(budget, seed, source)] = {"budget": budget, "seed": seed, "source": source,
                                                         "phases": phases}
    return study


def _gains_or_fail(paired_gains, study, method, budget) -> np.ndarray:
    got = paired_gains(study, method, budget)
    try:
        got = np.asarray(got, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        fail(f"paired_gains(study, {method!r}, {budget}) returned {got!r}; return one number per seed.")
    if len(got) != len(study.seeds):
        fail(f"paired_gains(study, {method!r}, {budget}) returned {len(got)} number(s) for "
             f"{len(study.seeds)} seed(s): return one gain per seed (not their mean), in study.seeds order.")
    return got


def _expected_gains(study, method, budget) -> np.ndarray:
    return np.asarray(study.paired_gains(method)[budget][2])


def check_paired_gains(paired_gains, study) -> None:
    """``paired_gains(study, method, budget)`` -> per seed, accuracy(method) - accuracy(scratch)."""
    stand_in = stand_in_study()
    for method in ("fine-tuned", "frozen", "tied fine-tuned"):
        for budget in stand_in.budgets:
            got = _gains_or_fail(paired_gains, stand_in, method, budget)
            expected = _expected_gains(stand_in, method, budget)
            if np.allclose(got, -expected, atol=1e-9):
                fail(f"The sign is reversed ({method}, {budget} labels): a gain is the method's "
                     "accuracy minus scratch's, so a positive gain means pretraining won.")
            if np.allclose(got, 100 * expected, atol=1e-6):
                fail("The gains are 100 times too large: return accuracy differences as fractions "
                     "(0.012), as the study's accuracies are; multiply by 100 only to print points.")
            if not np.allclose(got, expected, atol=1e-9):
                fail(f"On a stand-in study with known accuracies ({method}, {budget} labels) expected "
                     f"{np.round(expected, 4).tolist()}, got {np.round(got, 4).tolist()}. Each gain pairs "
                     "one seed's run with scratch's run of the same seed (same labels, same batches), "
                     "each read after its own phase (a frozen result after the first phase, scratch "
                     "after both): study.method_result(budget, seed, method) gives one.")
    passed("stand-in study: one gain per seed, method minus scratch, same seed, each at its own phase")
    for method in study.methods:
        if method == "scratch":
            continue
        for budget in study.paired_gains(method):
            got = _gains_or_fail(paired_gains, study, method, budget)
            if not np.allclose(got, _expected_gains(study, method, budget), atol=1e-9):
                fail(f"On the notebook's study ({method}, {budget} labels) your gains differ from "
                     "study.paired_gains'; the stand-in study passed, so check how you read this one.")
    passed("the notebook's study: the same gains as study.paired_gains, for every method and budget")


def paired_gains_report(paired_gains, study, method="fine-tuned", budget=500) -> None:
    """The learner's gains at one budget, beside what the conclusion printed for it."""
    gains = 100 * _gains_or_fail(paired_gains, study, method, budget)
    mean, std = mean_std(gains)
    print(f"your gains ({method}, {study.budget_label(budget)} labels, seeds {list(study.seeds)}): "
          + ", ".join(f"{g:+.1f}" for g in gains) + f" points; mean {mean:+.1f}")
    if len(gains) >= 2:
        low, high = paired_interval(gains)
        print(f"std {std:.1f} points over {len(gains)} seeds; 95% interval {low:+.1f} to {high:+.1f}: "
              "the conclusion's line for this budget prints the same")
    else:
        print("one seed in this profile: no spread, no interval (the conclusion says so too)")


# --- Exercise 4.2: a classifier whose encoder stays frozen ----------------------------------

def check_head_only(train_head_only, encoder, X, y) -> None:
    """``train_head_only(encoder, X, y, epochs, seed)`` -> a fitted classifier whose encoder
    kept the trained weights (it was frozen) and which shares nothing with ``encoder``."""
    own = copy_encoder(encoder)          # the learner's code gets a copy: the notebook's is safe
    trained = [w.copy() for w in own.get_weights()]
    classifier = train_head_only(own, X, y, epochs=2, seed=0)
    if not isinstance(classifier, keras.Model):
        fail(f"train_head_only returned {type(classifier).__name__}; return the fitted Keras classifier.")
    if not is_softmax_head(classifier.layers[-1]):
        fail("The classifier's last layer should be the head, Dense(10, softmax).")
    body = encoder_copy(classifier, own, "head-only")
    passed("a classifier: a copy of the encoder as the layer 'encoder', then Dense(10, softmax)")
    if classifier.optimizer is None or int(classifier.optimizer.iterations) == 0:
        fail("The classifier's optimiser took no step: compile it, then fit it on (X, y).")
    passed("it was fitted on the labelled images (its optimiser took steps)")
    if not all(np.array_equal(a, b) for a, b in zip(own.get_weights(), trained, strict=True)):
        fail("The encoder you were given changed: build the classifier on a copy of it.")
    gaps = [float(np.abs(a - b).max()) for a, b in zip(body.get_weights(), trained, strict=True)]
    if max(gaps) > 0 and body.trainable:
        fail(f"After the fit, the classifier's encoder weights differ from the trained ones (largest "
             f"difference {max(gaps):.3g}): the encoder trained during the fit. Set its trainable "
             "flag to False before you compile.")
    if max(gaps) > 0:
        fail(f"The classifier's encoder does not hold the trained weights (largest difference "
             f"{max(gaps):.3g}): they were never copied in. clone_model alone starts from new random "
             "weights; copy the trained ones with set_weights.")
    passed("after the fit, the classifier's encoder still holds exactly the trained weights")
    numbers = sum(int(np.prod(v.shape)) for v in classifier.trainable_variables)
    if numbers != 30 * 10 + 10:
        fail(f"{numbers:,} numbers are trainable; with the encoder frozen only the head's 310 "
             "(30 x 10 weights + 10 biases) should be.")
    passed("only the head is trainable: 310 numbers (30 x 10 weights + 10 biases)")


def head_only_accuracy(classifier, data) -> float:
    """Test accuracy of a fitted classifier (on all test images)."""
    probabilities = classifier.predict(data.X_test, batch_size=1000, verbose=0)
    return float(np.mean(probabilities.argmax(axis=1) == data.y_test))


def head_only_report(train_head_only, encoder, X, y, data, study, budget=500, epochs=20, seed=0) -> None:
    """The learner's head-only test accuracy, a reference solution's with the same settings, and
    the spread of the study's frozen results over seeds at the same budget."""
    mine = head_only_accuracy(train_head_only(encoder, X, y, epochs=epochs, seed=seed), data)
    reference = encoder_classifier(encoder, freeze=True, seed=seed)
    reference.compile(optimizer=keras.optimizers.Nadam(1e-2), loss="sparse_categorical_crossentropy")
    reference.fit(X, y, epochs=epochs, batch_size=128, verbose=0)
    worked = head_only_accuracy(reference, data)
    steps = epochs * int(np.ceil(len(X) / 128))
    print(f"your head-only classifier: {100 * mine:.1f}% of the test images right ({len(X):,} labels, "
          f"{epochs} epochs = {steps} steps of 128, seed {seed})")
    print(f"a reference solution (helpers.lesson4_checks), same settings: {100 * worked:.1f}%")
    frozen = [100 * a for a in study.accuracies("frozen", budget)]
    if len(frozen) >= 2:
        print(f"the study's frozen results at {budget:,} labels ({study.steps('frozen'):,} steps) vary by "
              f"std {mean_std(frozen)[1]:.1f} points over {len(frozen)} seeds: another seed or subset "
              "moves a result by about that much")
    else:
        print("one seed in this profile: the study gives no seed-to-seed spread to compare with")


# --- Exercise 4.4: the most confused pair of classes ---------------------------------------

# (true, predicted) -> count. Directed, the largest mistake is 0 taken for 1 (6 times), but 2 and 3
# are taken for each other 9 times in all (5 + 4); the diagonal (right answers, up to 12) is larger
# than any mistake, and class 3 has the most mistakes of any true class (10, against 3 others).
_CONFUSIONS = {(0, 0): 12, (0, 1): 6, (1, 0): 1, (2, 3): 5, (3, 2): 4, (3, 0): 3, (3, 1): 3,
               (1, 1): 10, (2, 2): 9, (3, 3): 8}


def _labels_from(cells):
    pairs = [(t, p) for (t, p), n in cells.items() for _ in range(n)]
    order = np.random.default_rng(0).permutation(len(pairs))
    y_true, y_pred = (np.array([pairs[i][k] for i in order]) for k in (0, 1))
    return y_true, y_pred


def _pair_or_fail(most_confused_pair, y_true, y_pred, n_classes):
    got = most_confused_pair(y_true, y_pred, n_classes=n_classes)
    if not (isinstance(got, tuple) and len(got) == 3):
        fail(f"most_confused_pair returned {got!r}; return a tuple (class_a, class_b, count).")
    return tuple(int(v) for v in got)


def expected_pair(y_true, y_pred, n_classes=10) -> tuple[int, int, int]:
    """(a, b, count), a < b: the two classes most often taken for each other, both ways counted
    (from :func:`helpers.study_report.confusion_matrix`; ties go to the first in row order)."""
    both = confusion_matrix(y_true, y_pred, n_classes)
    both = np.triu(both + both.T, k=1)
    a, b = np.unravel_index(int(np.argmax(both)), both.shape)
    return int(a), int(b), int(both[a, b])


def check_most_confused_pair(most_confused_pair, y_true, y_pred) -> None:
    """``most_confused_pair(y_true, y_pred, n_classes)`` -> (a, b, count), a < b, both directions."""
    small_true, small_pred = _labels_from(_CONFUSIONS)
    got = _pair_or_fail(most_confused_pair, small_true, small_pred, 4)
    if got[0] == got[1]:
        fail(f"You returned class {got[0]} with itself: the diagonal counts the right answers; "
             "look only at pairs of different classes.")
    if sorted(got[:2]) == [0, 1]:
        fail("On a small case you returned classes 0 and 1: 0 was taken for 1 six times, the largest "
             "single cell, but 2 and 3 were taken for each other 5 + 4 = 9 times. Add both directions.")
    if got != (2, 3, 9):
        fail(f"On a small case expected (2, 3, 9): classes 2 and 3, mixed up 5 + 4 = 9 times; got {got}. "
             "Return the smaller class first.")
    passed("small case: the pair mixed up most in both directions, smaller class first, with its count")
    got = _pair_or_fail(most_confused_pair, y_true, y_pred, 10)
    if got != expected_pair(y_true, y_pred):
        fail(f"On the study's run expected {expected_pair(y_true, y_pred)}, got {got}.")
    passed("the study's run: the same pair and count as its confusion matrix gives")



def confused_pair_report(most_confused_pair, y_true, y_pred, class_names) -> None:
    """The learner's pair by name, its two directions, and the run's largest one-way confusions."""
    a, b, count = _pair_or_fail(most_confused_pair, y_true, y_pred, len(class_names))
    confusion = confusion_matrix(y_true, y_pred, len(class_names))
    print(f"your pair: {class_names[a]} and {class_names[b]}, taken for each other {count:,} times "
          f"({class_names[a]} for {class_names[b]} {confusion[a, b]:,}, the other way {confusion[b, a]:,})")
    top = most_confused(confusion, class_names, k=3)
    print("largest one-way confusions of this run (helpers.study_report.most_confused): "
          + "; ".join(f"{t} taken for {p} {n:,}" for t, p, n in top))
