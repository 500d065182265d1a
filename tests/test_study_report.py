"""The study's table, conclusions and per-run error summaries (helpers.study_report)."""

import types

import numpy as np
import pytest

from helpers.budget_study import LabelBudgetStudy
from helpers.models import stacked_autoencoder
from helpers.study_report import (
    accuracy_table,
    conclusion_sentences,
    confusion_matrix,
    misclassified,
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
    study = LabelBudgetStudy(data, budgets=(50, "all"), seeds=seeds, methods=methods, sources=sources)
    for (source, budget), per_seed in ACCURACIES.items():
        for seed in seeds:
            phases = [{"accuracy": accuracy} for accuracy in per_seed[seed]]
            study.results[(budget, seed, source)] = {"budget": budget, "phases": phases}
    return study


def test_accuracy_table_known_values():
    table = accuracy_table(study_with_results(), methods=["scratch", "fine-tuned", "tied frozen"])
    assert table.splitlines() == [
        "labels                                        50       all 1,000",
        "from scratch (random init)            61.0 ± 1.4      81.0 ± 1.4",
        "pretrained encoder, fine-tuned        66.0 ± 0.0      80.0 ± 1.4",
        "tied AE's encoder, frozen             56.0 ± 1.4      61.0 ± 1.4",
    ]
    one_seed = accuracy_table(study_with_results(seeds=(0,)), methods=["frozen"])
    assert one_seed.splitlines()[1] == "pretrained encoder, frozen            63.0 ± 0.0      70.0 ± 0.0"
    assert len(accuracy_table(study_with_results()).splitlines()) == 6, "header + every method"
    with pytest.raises(ValueError, match="Unknown method 'denoising'"):
        accuracy_table(study_with_results(), methods=["denoising"])


def test_accuracy_table_marks_missing_results(private_cache):
    study = study_with_results(seeds=(0,), sources={"untied": (stacked_autoencoder(30).encoder, "untrained")})
    del study.results[(1000, 0, "untied")]
    assert accuracy_table(study, ["fine-tuned"]).splitlines()[1].endswith("66.0 ± 0.0               -")


def test_conclusions_known_values():
    assert conclusion_sentences(study_with_results()) == [
        "Fine-tuned pretrained encoder vs from scratch (test accuracy difference, same labels and seed):",
        "            50 labels:  +5.0 ± 1.4 points (ahead on 2 of 2 seeds)",
        "     all 1,000 labels:  -1.0 ± 0.0 points (ahead on 0 of 2 seeds)",
        "  -> ahead on every seed at 50 labels; largest mean gain +5.0 points at 50 labels; "
        "from all 1,000 labels on, no longer ahead (-1.0 points there).",
        "Frozen pretrained encoder vs from scratch (test accuracy difference, same labels and seed):",
        "            50 labels:  +1.0 ± 2.8 points (ahead on 1 of 2 seeds)",
        "     all 1,000 labels: -10.0 ± 0.0 points (ahead on 0 of 2 seeds)",
        "  -> never ahead of the scratch baseline on every seed.",
        "Fine-tuned encoder of the tied autoencoder vs from scratch (test accuracy difference, same "
        "labels and seed):",
        "            50 labels:  +3.0 ± 1.4 points (ahead on 2 of 2 seeds)",
        "     all 1,000 labels:  -2.0 ± 0.0 points (ahead on 0 of 2 seeds)",
        "  -> ahead on every seed at 50 labels; largest mean gain +3.0 points at 50 labels; "
        "from all 1,000 labels on, no longer ahead (-2.0 points there).",
        "Largest mean gain of any pretrained method: +5.0 points (pretrained encoder, fine-tuned, "
        "50 labels); with all 1,000 labels every pretrained method was behind scratch.",
        "Seed-to-seed spread (std) of the scratch baseline: 1.4 to 1.4 points depending on the budget; "
        "a gain of that size can be luck.",
        "For scale: from scratch went from 61.0% with 50 labels to 81.0% with all 1,000; the fine-tuned "
        "pretrained classifier from 66.0% to 80.0%.",
        "Tied vs untied autoencoder as the source (fine-tuned, mean accuracies): difference -1.5 points "
        "on average over the budgets (from -2.0 points to -1.0 points).",
    ]


def test_conclusions_with_one_seed_and_fewer_methods():
    sentences = conclusion_sentences(study_with_results(seeds=(1,), methods=("scratch", "frozen")))
    assert sentences == [
        "Only 1 seed per point: there is no spread to compare against, so small differences below may "
        "be luck.",
        "Frozen pretrained encoder vs from scratch (test accuracy difference, same labels and seed):",
        "            50 labels:  -1.0 points (behind on the only seed)",
        "     all 1,000 labels: -10.0 points (behind on the only seed)",
        "  -> never ahead of the scratch baseline on the only seed.",
        "Largest mean gain of any pretrained method: -1.0 points (pretrained encoder, frozen, 50 labels); "
        "with all 1,000 labels every pretrained method was behind scratch.",
    ]


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
