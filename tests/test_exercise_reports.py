"""helpers.exercise_reports: each conclusion follows the numbers it is given."""

import numpy as np
import pytest

from helpers import exercise_reports as reports


def rows(*triples):
    return [{"seed": i, "pretrained": p, "scratch": s, "frozen": f} for i, (p, s, f) in enumerate(triples)]


def conclusion(*triples, profile="full"):
    return reports.pretraining_conclusion({"n_labels": 500, "profile": profile, "rows": rows(*triples)})


def test_pretraining_conclusion_follows_the_numbers():
    won = conclusion((0.8, 0.7, 0.6), (0.82, 0.71, 0.6), (0.81, 0.75, 0.6))
    assert "helped in all 3 seeds" in won and "81.0% ± 1.0" in won and "+10.0, +11.0, +6.0" in won
    assert "Quick profile" not in won and "smaller than the seed-to-seed spread" not in won
    small = conclusion((0.79, 0.78, 0.7), (0.80, 0.795, 0.7), (0.76, 0.757, 0.7))
    assert "helped in all 3 seeds, by +0.6 points" in small
    assert "smaller than the seed-to-seed spread of the accuracies themselves (std up to 2.1 points)" in small
    lost = conclusion((0.7, 0.8, 0.6), (0.7, 0.75, 0.6))
    assert "hurt in all 2 seeds" in lost
    mixed = conclusion((0.8, 0.7, 0.6), (0.7, 0.75, 0.6))
    assert mixed.startswith("Test accuracy with 500 labels, 2 seeds")
    assert "Mixed: pretraining won 1 of 2" in mixed
    single = conclusion((0.5, 0.4, 0.3), profile="quick")
    assert "single seed" in single and "Quick profile" in single
    with pytest.raises(ValueError, match="No seeds"):
        reports.pretraining_conclusion({"n_labels": 500, "rows": []})


def test_basis_report_tells_pca_basis_from_a_rotation_of_it():
    components = np.linalg.qr(np.random.default_rng(0).normal(size=(20, 3)))[0]
    same = reports.basis_report(-components[:, ::-1], components)
    assert "lengths 1.000 to 1.000" in same and "orthonormal." in same and "PCA's own basis, up to" in same
    c, s_ = np.cos(0.6), np.sin(0.6)
    rotated = components @ np.array([[c, -s_, 0], [s_, c, 0], [0, 0, 1]])
    other = reports.basis_report(rotated, components)
    assert "orthonormal." in other and "it is not PCA's basis" in other and "|cosine| 0.83 to 1.00" in other
    skewed = reports.basis_report(components * [1, 2, 1] + components[:, :1] * 0.5, components)
    assert "not orthonormal." in skewed


def test_subspace_conclusion_branches():
    same = reports.subspace_conclusion([0.1, 0.5, 2.0], 0.0101, 0.0100, "full")
    assert "found PCA's subspace" in same and "+1.0% against PCA" in same and "largest 2.0 degrees" in same
    partly = reports.subspace_conclusion([0.1, 0.5, 1.0, 40.0], 0.012, 0.010, "full")
    assert "Most directions agree" in partly
    far = reports.subspace_conclusion([30.0, 60.0, 80.0], 0.05, 0.010, "quick")
    assert "Not converged" in far and "Quick profile" in far
