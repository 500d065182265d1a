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
    assert "Quick profile" not in won and "+2.4 to +15.6 points, which excludes zero" in won
    small = conclusion((0.79, 0.78, 0.7), (0.80, 0.795, 0.7), (0.76, 0.757, 0.7))
    assert "helped in all 3 seeds, by +0.6 points" in small
    assert "-0.3 to +1.5 points, which includes zero" in small
    # Judged by the paired differences, not by the spread of the accuracies: a steady +1 point while
    # scratch itself varies by 10 points between seeds is established; the unpaired view would not be.
    steady = conclusion((0.71, 0.70, 0.6), (0.81, 0.80, 0.6), (0.91, 0.90, 0.6))
    assert "+1.0 to +1.0 points, which excludes zero" in steady
    lost = conclusion((0.7, 0.8, 0.6), (0.7, 0.75, 0.6))
    assert "hurt in all 2 seeds" in lost
    mixed = conclusion((0.8, 0.7, 0.6), (0.7, 0.75, 0.6))
    assert mixed.startswith("Test accuracy with 500 labels, 2 seeds")
    assert "Mixed: pretraining won 1 of 2" in mixed
    assert "spread of the differences 10.6): the seeds do not agree on the sign" in mixed
    near_tie = conclusion((0.7941, 0.7944, 0.6), (0.80, 0.79, 0.6))   # -0.03 points: not shown as -0.0
    assert "per seed: -0.03, +1.0 points" in near_tie and "won 1 of 2" in near_tie
    single = conclusion((0.5, 0.4, 0.3), profile="quick")
    assert "single seed" in single and "Quick profile" in single
    with pytest.raises(ValueError, match="No seeds"):
        reports.pretraining_conclusion({"n_labels": 500, "rows": []})


def test_basis_report_tells_pca_basis_from_a_rotation_of_it():
    components = np.linalg.qr(np.random.default_rng(0).normal(size=(20, 3)))[0]
    same = reports.basis_report(-components[:, ::-1], components, [0.0, 0.0, 0.0])
    assert "lengths 1.000 to 1.000" in same and "orthonormal." in same and "PCA's own basis, up to" in same
    c, s_ = np.cos(0.6), np.sin(0.6)
    rotated = components @ np.array([[c, -s_, 0], [s_, c, 0], [0, 0, 1]])
    other = reports.basis_report(rotated, components, [0.0, 0.0, 0.5])
    assert "orthonormal." in other and "|cosine| 0.83 to 1.00" in other
    assert other.endswith("So it is not PCA's basis, but another basis of the same subspace (to within "
                          "0.5 degrees).")
    skewed = reports.basis_report(components * [1, 2, 1] + components[:, :1] * 0.5, components, [0, 0, 0])
    assert "not orthonormal." in skewed


def test_basis_report_claims_no_shared_subspace_when_the_angles_deny_it():
    components = np.eye(6)[:, :3]
    c, s_ = np.cos(0.6), np.sin(0.6)
    rotated = components @ np.array([[c, -s_, 0], [s_, c, 0], [0, 0, 1]])
    far = reports.basis_report(rotated, components, [0.0, 5.0, 40.0])
    assert far.endswith("So it is not PCA's basis, nor yet a basis of PCA's subspace (largest principal "
                        "angle 40.0 degrees).")
    assert "same subspace" not in far


def tilted(lags_degrees, d=10):
    """PCA-like directions e_1..e_k and a basis whose i-th column is e_i tilted by lag i out of them."""
    k = len(lags_degrees)
    e = np.eye(d)
    radians = np.radians(lags_degrees)
    W = np.column_stack([np.cos(a) * e[:, i] + np.sin(a) * e[:, k + i] for i, a in enumerate(radians)])
    return W * 3.0, e[:, :k]   # any lengths: only the span matters


@pytest.mark.parametrize("lags, verdict", [
    ([0.0, 5.0, 20.0, 50.0], "The less variance a direction has, the further it lies from the "
                             "autoencoder's subspace (rank correlation +1.00): the directions of least "
                             "variance lag."),
    ([50.0, 30.0, 0.0, 20.0], "The more variance a direction has, the further it lies from the "
                             "autoencoder's subspace (rank correlation -0.80)."),
    ([10.0, 40.0, 5.0, 30.0], "No clear order between a direction's variance and its angle (rank "
                              "correlation +0.00)."),
])
def test_direction_lag_report_measures_each_direction_and_orders_them(lags, verdict):
    W, components = tilted(lags)
    report = reports.direction_lag_report(W, components)
    first, values, last = report.splitlines()
    assert first == ("Angle between each of PCA's 4 directions (1 = most variance) and the autoencoder's "
                     "subspace, in degrees:")
    assert values == "  " + " ".join(f"{i + 1}: {a:.1f}" for i, a in enumerate(lags))
    assert last == verdict


def test_direction_lag_report_wraps_long_lists_and_keeps_small_angles_readable():
    lags = [0.05 * i for i in range(10)]
    report = reports.direction_lag_report(*tilted(lags, d=20)).splitlines()
    assert report[1] == "  1: 0.00 2: 0.05 3: 0.10 4: 0.15 5: 0.20 6: 0.25 7: 0.30 8: 0.35"
    assert report[2] == "  9: 0.40 10: 0.45" and "rank correlation +1.00" in report[3]


def test_autoencoder_vs_pca_verdict_follows_the_errors():
    better = reports.autoencoder_vs_pca(0.012, 0.016, 30, "full", "denoising autoencoder")
    assert better.splitlines() == [
        "Validation MSE with a code of 30 numbers: PCA (30 components) 0.01600, denoising autoencoder "
        "0.01200 (-25.0% against PCA).",
        "The denoising autoencoder reconstructs better than PCA with the same code size."]
    worse = reports.autoencoder_vs_pca(0.020, 0.016, 30, "quick")
    assert "(+25.0% against PCA)" in worse and "Here PCA reconstructs better than the autoencoder" in worse
    assert "Quick profile" in worse
    tie = reports.autoencoder_vs_pca(0.01605, 0.016, 30, "full")
    assert "about equally well (within 1%)" in tie and "better" not in tie


def test_subspace_conclusion_branches():
    same = reports.subspace_conclusion([0.1, 0.5, 2.0], 0.0101, 0.0100, "full")
    assert "found PCA's subspace" in same and "+1.0% against PCA" in same and "largest 2.0 degrees" in same
    assert "to within 2.0 degrees" in same
    off = reports.subspace_conclusion([0.1, 0.2], 0.012, 0.010, "full")
    assert "Same subspace, to within 0.2 degrees, but an error 20.0% above PCA's" in off
    partly = reports.subspace_conclusion([0.1, 0.5, 1.0, 40.0], 0.012, 0.010, "full")
    assert "Most directions agree with PCA, but 1 of the 4 angles are 10 degrees or more" in partly
    far = reports.subspace_conclusion([30.0, 60.0, 80.0], 0.05, 0.010, "quick")
    assert "The subspaces still differ (median angle 60.0 degrees)" in far and "Quick profile" in far
    assert "Quick profile" not in same
