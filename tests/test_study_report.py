"""The study's table, conclusions and per-run error summaries (helpers.study_report)."""

import types

import numpy as np
import pytest

from helpers.budget_study import LabelBudgetStudy
from helpers.classifier_training import ClassifierPlan
from helpers.models import stacked_autoencoder
from helpers.study_report import (
    VERDICTS,
    accuracy_table,
    chance_agreement,
    comparison_sentences,
    conclusion_sentences,
    confusion_matrix,
    misclassified,
    most_confused,
    paired_interval,
    paired_verdict,
    short_label,
    verdict,
)

# Hand-picked test accuracies per (source, budget, seed): (after phase 1, after phase 2).
# 1,000 labels is the whole pool of the stand-in data set below.
ACCURACIES = {
    ("scratch", 50): [(0.50, 0.60), (0.52, 0.62)],
    ("scratch", 1000): [(0.70, 0.80), (0.72, 0.82)],
    ("untied", 50): [(0.63, 0.66), (0.61, 0.66)],
    ("untied", 1000): [(0.70, 0.79), (0.72, 0.81)],
    ("tied", 50): [(0.55, 0.64), (0.57, 0.64)],
    ("tied", 1000): [(0.60, 0.78), (0.62, 0.80)],
}


def study_with_results(seeds=(0, 1), methods=None, sources=None):
    """A real LabelBudgetStudy whose runs are the hand-picked accuracies (nothing is trained)."""
    data = types.SimpleNamespace(X_train=np.zeros((1000, 28, 28)), y_train=np.arange(1000) % 10,
                                 X_test=np.zeros((10, 28, 28)), y_test=np.arange(10), checksum="stand-in")
    study = LabelBudgetStudy(data, budgets=(50, "all"), seeds=seeds, methods=methods, sources=sources,
                             plan=ClassifierPlan(steps=500))
    for (source, budget), per_seed in ACCURACIES.items():
        for seed in seeds:
            phases = [{"accuracy": accuracy} for accuracy in per_seed[seed]]
            study.results[(budget, seed, source)] = {"budget": budget, "phases": phases}
    return study


def test_accuracy_table_known_values():
    table = accuracy_table(study_with_results(), methods=["scratch", "fine-tuned", "tied frozen"])
    assert table.splitlines() == [
        " " * 21 + "from  pretrained,   tied AE's,",
        "labels" + " " * 12 + "scratch   fine-tuned       frozen",
        "steps" + " " * 15 + "1,000        1,000          500",
        "50" + " " * 13 + "61.0 ± 1.4   66.0 ± 0.0   56.0 ± 1.4",
        "all 1,000" + " " * 6 + "81.0 ± 1.4   80.0 ± 1.4   61.0 ± 1.4",
    ]
    one_seed = accuracy_table(study_with_results(seeds=(0,)), methods=["frozen"])
    assert one_seed.splitlines()[3] == "50" + " " * 13 + "63.0 ± 0.0"
    assert len(accuracy_table(study_with_results()).splitlines()) == 3 + 2, "3 header lines, 2 budgets"
    with pytest.raises(ValueError, match="Unknown method 'denoising'"):
        accuracy_table(study_with_results(), methods=["denoising"])


def test_accuracy_table_fits_in_100_columns_with_every_method():
    study = study_with_results()
    lines = accuracy_table(study).splitlines()
    assert max(len(line) for line in lines) == 12 + 13 * 5 <= 100
    assert lines[2].split() == ["steps", "1,000", "500", "1,000", "500", "1,000"], "frozen: phase 1 only"
    assert [short_label(m) for m in study.methods] == [
        "from scratch", "pretrained, frozen", "pretrained, fine-tuned", "tied AE's, frozen",
        "tied AE's, fine-tuned"]


def test_accuracy_table_marks_missing_results(private_cache):
    study = study_with_results(seeds=(0,), sources={"untied": (stacked_autoencoder(30).encoder, "untrained")})
    del study.results[(1000, 0, "untied")]
    assert accuracy_table(study, ["fine-tuned"]).splitlines()[4] == "all 1,000" + " " * 15 + "-"


def test_conclusions_known_values():
    # Paired gains at 50 labels, fine-tuned: (0.66, 0.66) - (0.60, 0.62) = (+6, +4) points: mean 5,
    # std 1.41, so the t interval (1 degree of freedom, t = 12.71) is 5 +- 12.7.
    assert conclusion_sentences(study_with_results()) == [
        "Each pretrained run is compared with the scratch run of the same seed (its paired gain). With 2\n"
        "  seeds, both would agree on the sign of a difference that does not exist 50% of the time, so\n"
        "  agreement alone proves little. The 95% interval of the mean paired gain (mean ± 12.71 standard\n"
        "  errors of the 2 gains, Student's t) also weighs how much the gains vary; it assumes they vary\n"
        "  normally between seeds. Each of the 2 budgets gets its own interval: with no difference "
        "anywhere,\n"
        "  about 1 interval in 20 would still exclude zero, so one budget that stands out from its "
        "neighbours\n"
        "  is weak evidence.",
        "Pretrained encoder, fine-tuned: test accuracy minus scratch's (both after 1,000 steps; "
        "same labels,\n  same seed):",
        "            50 labels:  +5.0 ± 1.4 points (ahead on 2 of 2 seeds; 95% interval -7.7 to +17.7)",
        "     all 1,000 labels:  -1.0 ± 0.0 points (ahead on 0 of 2 seeds; 95% interval -1.0 to -1.0)",
        "  -> ahead on every seed, but the paired gains vary too much for the 95% interval to exclude zero:\n"
        "  at 50 labels.",
        "  -> behind on every seed, and the mean gain's 95% interval is below zero: at all 1,000 labels.",
        "Pretrained encoder, frozen: test accuracy minus scratch's (500 steps against scratch's 1,000; same\n"
        "  labels, same seed):",
        "            50 labels:  +1.0 ± 2.8 points (ahead on 1 of 2 seeds; 95% interval -24.4 to +26.4)",
        "     all 1,000 labels: -10.0 ± 0.0 points (ahead on 0 of 2 seeds; 95% interval -10.0 to -10.0)",
        "  -> the seeds disagree: at 50 labels.",
        "  -> behind on every seed, and the mean gain's 95% interval is below zero: at all 1,000 labels.",
        "Pretrained encoder, frozen: test accuracy minus scratch's (both after 500 steps; same labels, same\n"
        "  seed):",
        "            50 labels: +11.0 ± 2.8 points (ahead on 2 of 2 seeds; 95% interval -14.4 to +36.4)",
        "     all 1,000 labels:  +0.0 ± 0.0 points (ahead on 0 of 2 seeds; 95% interval +0.0 to +0.0)",
        "  -> ahead on every seed, but the paired gains vary too much for the 95% interval to exclude zero:\n"
        "  at 50 labels.",
        "  -> no difference on any seed: at all 1,000 labels.",
        "Tied AE's encoder, fine-tuned: test accuracy minus scratch's (both after 1,000 steps; same labels,\n"
        "  same seed):",
        "            50 labels:  +3.0 ± 1.4 points (ahead on 2 of 2 seeds; 95% interval -9.7 to +15.7)",
        "     all 1,000 labels:  -2.0 ± 0.0 points (ahead on 0 of 2 seeds; 95% interval -2.0 to -2.0)",
        "  -> ahead on every seed, but the paired gains vary too much for the 95% interval to exclude zero:\n"
        "  at 50 labels.",
        "  -> behind on every seed, and the mean gain's 95% interval is below zero: at all 1,000 labels.",
        "Largest mean gain of any pretrained method: +5.0 points (pretrained encoder, fine-tuned, "
        "50 labels);\n"
        "  ahead on 2 of 2 seeds, 95% interval -7.7 to +17.7 points; with all 1,000 labels every pretrained\n"
        "  method was behind scratch on average.",
        "Seed-to-seed spread (std) of the scratch baseline: 1.4 to 1.4 points depending on the budget.",
        "For scale: from scratch went from 61.0% with 50 labels to 81.0% with all 1,000; the fine-tuned\n"
        "  pretrained classifier from 66.0% to 80.0%.",
        "Tied vs untied autoencoder as the source (fine-tuned, mean accuracies): difference -1.5 points on\n"
        "  average over the budgets (from -2.0 points to -1.0 points).",
    ]


def test_conclusion_lines_fit_in_100_columns():
    for item in conclusion_sentences(study_with_results()):
        assert all(len(line) <= 100 for line in item.split("\n")), item


def test_conclusions_with_one_seed_and_fewer_methods():
    sentences = conclusion_sentences(study_with_results(seeds=(1,), methods=("scratch", "frozen")))
    assert sentences == [
        "Only 1 seed per point: there is no spread to judge a difference by, so any difference below may be\n"
        "  luck.",
        "Pretrained encoder, frozen: test accuracy minus scratch's (500 steps against scratch's 1,000; same\n"
        "  labels, same seed):",
        "            50 labels:  -1.0 points (behind on the only seed)",
        "     all 1,000 labels: -10.0 points (behind on the only seed)",
        "  -> behind on the only seed: at 50 and all 1,000 labels.",
        "Pretrained encoder, frozen: test accuracy minus scratch's (both after 500 steps; same labels, same\n"
        "  seed):",
        "            50 labels:  +9.0 points (ahead on the only seed)",
        "     all 1,000 labels:  +0.0 points (level on the only seed)",
        "  -> no difference on any seed: at all 1,000 labels.",
        "  -> ahead on the only seed: at 50 labels.",
        "Largest mean gain of any pretrained method: -1.0 points (pretrained encoder, frozen, 50 labels);\n"
        "  with all 1,000 labels every pretrained method was behind scratch on average.",
    ]


def test_paired_verdict_reads_the_interval_of_the_paired_gains():
    three = [0.004, 0.005, 0.006]   # mean 0.005, std 0.001: t interval 0.005 +- 0.0025
    assert paired_verdict(three) == "ahead"
    assert paired_verdict([-g for g in three]) == "behind"
    assert paired_verdict([0.001, 0.009, 0.005]) == "ahead, interval includes zero", "std 0.004"
    assert paired_verdict([-0.001, -0.009, -0.005]) == "behind, interval includes zero"
    assert paired_verdict([0.05, -0.01, 0.04]) == "mixed"
    assert paired_verdict([0.0, 0.0, 0.0]) == "level"
    assert paired_verdict([0.02, 0.02]) == "ahead", "no variation at all: the interval is one point"
    assert paired_verdict([0.2]) == "ahead on one seed" and paired_verdict([-0.2]) == "behind on one seed"
    assert set(VERDICTS) == {"ahead", "ahead, interval includes zero", "mixed", "level",
                             "behind, interval includes zero", "behind", "ahead on one seed",
                             "behind on one seed"}
    with pytest.raises(ValueError, match="gains_per_seed"):
        paired_verdict([])


def test_paired_interval_known_values():
    low, high = paired_interval([0.004, 0.005, 0.006])
    half = 4.302652729749462 * 0.001 / 3 ** 0.5   # t(0.975, 2 degrees of freedom)
    assert (low, high) == pytest.approx((0.005 - half, 0.005 + half))
    assert paired_interval([0.01, 0.03], confidence=0.5) == pytest.approx((0.01, 0.03)), "t(0.75, 1) = 1"
    for bad in ([0.1], [], [0.1, float("nan")]):
        with pytest.raises(ValueError, match="gains_per_seed"):
            paired_interval(bad)
    with pytest.raises(ValueError, match="confidence"):
        paired_interval([0.1, 0.2], confidence=95)


def test_chance_agreement_of_the_signs():
    assert [chance_agreement(n) for n in (1, 2, 3, 5)] == [1.0, 0.5, 0.25, 0.0625]
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="n_seeds"):
            chance_agreement(bad)


def paired_study(scratch, pretrained):
    """A 3-seed study with the given fine-tuned accuracies at its only budget (all 1,000)."""
    data = types.SimpleNamespace(X_train=np.zeros((1000, 28, 28)), y_train=np.arange(1000) % 10,
                                 X_test=np.zeros((10, 28, 28)), y_test=np.arange(10), checksum="stand-in")
    study = LabelBudgetStudy(data, budgets=("all",), seeds=(0, 1, 2), methods=("scratch", "fine-tuned"),
                             plan=ClassifierPlan(steps=500))
    for seed in range(3):
        for source, accs in (("scratch", scratch), ("untied", pretrained)):
            study.results[(1000, seed, source)] = {"budget": 1000, "phases": [{"accuracy": accs[seed]}] * 2}
    return study


def test_the_verdict_is_paired_not_unpaired():
    """Two cases where judging the mean gain against the seeds' spread of accuracy (the unpaired
    judgement) and judging the paired gains by their own spread disagree; the paired one wins."""
    # The seeds differ a lot (scratch std 5 points), but each pair moves together: +1 point on
    # every seed. Unpaired: 1 point is far inside a 5-point spread. Paired: a steady gain.
    steady = paired_study(scratch=[0.70, 0.75, 0.80], pretrained=[0.71, 0.76, 0.81])
    lines = comparison_sentences(steady, "fine-tuned")
    assert lines[-1] == ("  -> ahead on every seed, and the mean gain's 95% interval is above zero: "
                         "at all 1,000 labels.")
    assert "(ahead on 3 of 3 seeds; 95% interval +1.0 to +1.0)" in lines[1]
    # Each method's accuracies barely vary (std 0.6 points each; mean gain 1.7 points, three times
    # that), but the paired gains do: +1, +3, +1 -> std 1.2, interval 1.7 +- 2.9: it includes zero.
    noisy = paired_study(scratch=[0.800, 0.790, 0.800], pretrained=[0.810, 0.820, 0.810])
    assert comparison_sentences(noisy, "fine-tuned")[-1] == (
        "  -> ahead on every seed, but the paired gains vary too much for the 95% interval to exclude "
        "zero:\n  at all 1,000 labels.")


def test_verdict_needs_every_seed_to_agree():
    assert verdict([0.01, 0.02]) == "ahead" and verdict([-0.01, -0.1]) == "behind"
    assert verdict([0.01, -0.01]) == "mixed" and verdict([0.0, 0.02]) == "mixed"


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    cm = confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], n_classes=3)
    assert cm.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    assert confusion_matrix([9], [3]).shape == (10, 10) and confusion_matrix([9], [3])[9, 3] == 1


def test_misclassified_covers_classes_first():
    y_true = np.array([0, 0, 0, 1, 1, 2, 2])
    y_pred = np.array([1, 1, 0, 0, 1, 0, 2])
    assert misclassified(y_true, y_pred, k=3).tolist() == [0, 3, 5]
    assert misclassified(y_true, y_pred, k=10).tolist() == [0, 3, 5, 1]
    assert misclassified(y_true, y_true, k=5).tolist() == []


def test_most_confused_lists_the_largest_off_diagonal_cells():
    cm = np.array([[9, 3, 0], [5, 7, 3], [0, 1, 4]])
    names = ["a", "b", "c"]
    assert most_confused(cm, names, k=2) == [("b", "a", 5), ("a", "b", 3)], "ties in row-major order"
    assert most_confused(cm, names, k=9) == [("b", "a", 5), ("a", "b", 3), ("b", "c", 3), ("c", "b", 1)]
    assert most_confused(np.eye(3, dtype=int), names) == [], "no mistakes, nothing listed"
