"""Plain-text conclusions for notebook 05's exercises, computed from the numbers they are given.

Each function turns measured results into sentences, so no sentence claims more than the
numbers support: :func:`pretraining_conclusion` (hands-on 2, from
``helpers.exercise_models.compare_pretraining``), :func:`subspace_conclusion`,
:func:`basis_report` and :func:`direction_lag_report` (hands-on 3, the linear autoencoder
against PCA), and :func:`autoencoder_vs_pca` (a non-linear autoencoder against PCA).
"""

from __future__ import annotations

import numpy as np

from helpers.study_report import chance_agreement, paired_interval

AGREEING_ANGLE = 10.0   # degrees: below this, a principal angle counts as a shared direction


def pretraining_conclusion(results: dict) -> str:
    """A plain-text conclusion computed from ``compare_pretraining``'s numbers."""
    rows = results["rows"]
    if not rows:
        raise ValueError("No seeds were run.")
    pre = np.array([r["pretrained"] for r in rows]) * 100
    scr = np.array([r["scratch"] for r in rows]) * 100
    frz = np.array([r["frozen"] for r in rows]) * 100
    diff = pre - scr
    n = len(rows)

    def stat(a):
        return f"{a.mean():.1f}%" + (f" ± {a.std(ddof=1):.1f}" if n > 1 else "")

    lines = [f"Test accuracy with {results['n_labels']} labels, {n} seed{'s' * (n > 1)} "
             f"(mean{' ± std' if n > 1 else ''}):",
             f"  pretrained encoder, fine-tuned : {stat(pre)}",
             f"  pretrained encoder, frozen     : {stat(frz)}",
             f"  same architecture from scratch : {stat(scr)}",
             "Fine-tuned minus scratch, per seed: " + ", ".join(_points(d) for d in diff) + " points."]
    wins = int((diff > 0).sum())
    if n == 1:
        verdict = (f"With a single seed there is no spread to compare the difference "
                   f"({diff[0]:+.1f} points) against: run more seeds before concluding.")
    elif wins in (0, n):
        verdict = (f"Pretraining helped in all {n} seeds, by {diff.mean():+.1f} points on average "
                   f"(smallest gain {diff.min():+.1f})." if wins else
                   f"Pretraining hurt in all {n} seeds, by {diff.mean():+.1f} points on average: "
                   "with this recipe, training from scratch on the labels alone did better.")
        low, high = paired_interval(diff)
        interval = f" The 95% interval of the mean paired difference is {low:+.1f} to {high:+.1f} points"
        if low > 0 or high < 0:
            verdict += (f"{interval}, which excludes zero (though with no difference at all, {n} seeds "
                        f"would still agree on the sign {chance_agreement(n):.0%} of the time).")
        else:
            verdict += (f"{interval}, which includes zero: the sign is consistent, but the paired "
                        f"differences vary too much for {n} seeds to establish the effect; more seeds "
                        "would pin it down.")
    else:
        verdict = (f"Mixed: pretraining won {wins} of {n} seeds (mean difference {diff.mean():+.1f} "
                   f"points, spread of the differences {diff.std(ddof=1):.1f}): the seeds do not "
                   "agree on the sign, so this run cannot tell whether it helps.")
    lines.append(verdict)
    if results.get("profile") == "quick":
        lines.append("Quick profile: tiny training runs, so these numbers only show that the "
                     "pipeline works; run the full profile for the real comparison.")
    return "\n".join(lines)


def _points(difference) -> str:
    """A difference in points, signed: one decimal, or two when one decimal would show 0.0."""
    return f"{difference:+.1f}" if difference == 0 or abs(difference) >= 0.05 else f"{difference:+.2f}"


def basis_report(W, components, angles) -> str:
    """How the autoencoder's basis (columns of ``W``) compares with PCA's ``components``.

    Reports the columns' lengths, the largest |cosine| between two different columns
    (0 = orthogonal), and for each column its best |cosine| with a principal component
    (1 for every column = PCA's own basis, up to order and signs). ``angles`` (the principal
    angles between the two subspaces, degrees) decide whether "same subspace" may be said.
    """
    W, components = np.asarray(W, dtype=float), np.asarray(components, dtype=float)
    lengths = np.linalg.norm(W, axis=0)
    unit = W / lengths
    overlap = np.abs(unit.T @ unit - np.eye(W.shape[1])).max()
    best = np.abs(unit.T @ components).max(axis=1)
    orthonormal = np.all(np.abs(lengths - 1) < 0.01) and overlap < 0.01
    lines = [f"Autoencoder's basis (columns of W): lengths {lengths.min():.3f} to {lengths.max():.3f}, "
             f"largest |cosine| between two columns {overlap:.3f}: "
             + ("orthonormal." if orthonormal else "not orthonormal."),
             f"Best match of each column among PCA's components: |cosine| {best.min():.2f} to "
             f"{best.max():.2f} (1.00 for all would be PCA's own basis)."]
    largest = float(np.max(angles))
    if best.min() > 0.99:
        lines.append("So it is PCA's own basis, up to order and signs.")
    elif largest < AGREEING_ANGLE:
        lines.append(f"So it is not PCA's basis, but another basis of the same subspace (to within "
                     f"{largest:.1f} degrees).")
    else:
        lines.append(f"So it is not PCA's basis, nor yet a basis of PCA's subspace (largest "
                     f"principal angle {largest:.1f} degrees).")
    return "\n".join(lines)


def _rank_correlation(a, b) -> float:
    """Spearman's rank correlation of two 1-D arrays without ties (Pearson's r of their ranks)."""
    ranks_a, ranks_b = (np.argsort(np.argsort(x)).astype(float) for x in (a, b))
    return float(np.corrcoef(ranks_a, ranks_b)[0, 1])


def direction_lag_report(W, components) -> str:
    """The angle between each of PCA's directions and span(``W``), and whether it follows variance.

    ``components`` (d, k) are PCA's directions, orthonormal, by decreasing variance (as the
    exercise returns them). A direction inside the autoencoder's subspace has angle 0.
    """
    components = np.asarray(components, dtype=float)
    basis, _ = np.linalg.qr(np.asarray(W, dtype=float))
    cosines = np.clip(np.linalg.norm(basis.T @ components, axis=0), 0.0, 1.0)
    lags = np.degrees(np.arccos(cosines))
    digits = 2 if lags.max() < 1 else 1
    lines = [f"Angle between each of PCA's {len(lags)} directions (1 = most variance) and the "
             "autoencoder's subspace, in degrees:",
             "  " + " ".join(f"{i + 1}: {a:.{digits}f}" for i, a in enumerate(lags[:8]))]
    if len(lags) > 8:
        lines.append("  " + " ".join(f"{i + 9}: {a:.{digits}f}" for i, a in enumerate(lags[8:])))
    if len(lags) < 3:
        return "\n".join(lines)
    rho = _rank_correlation(np.arange(len(lags)), lags)
    if rho >= 0.5:
        lines.append(f"The less variance a direction has, the further it lies from the autoencoder's "
                     f"subspace (rank correlation {rho:+.2f}): the directions of least variance lag.")
    elif rho <= -0.5:
        lines.append(f"The more variance a direction has, the further it lies from the autoencoder's "
                     f"subspace (rank correlation {rho:+.2f}).")
    else:
        lines.append(f"No clear order between a direction's variance and its angle (rank correlation "
                     f"{rho:+.2f}).")
    return "\n".join(lines)


def autoencoder_vs_pca(ae_mse, pca_mse, code_size, profile_name, ae_name="autoencoder") -> str:
    """Reconstruction errors of an autoencoder and of PCA with as many components, and a verdict."""
    change = (ae_mse / pca_mse - 1) * 100
    lines = [f"Validation MSE with a code of {code_size} numbers: PCA ({code_size} components) "
             f"{pca_mse:.5f}, {ae_name} {ae_mse:.5f} ({change:+.1f}% against PCA)."]
    if abs(change) < 1:
        lines.append(f"The {ae_name} and PCA reconstruct about equally well (within 1%).")
    elif change < 0:
        lines.append(f"The {ae_name} reconstructs better than PCA with the same code size.")
    else:
        lines.append(f"Here PCA reconstructs better than the {ae_name} with the same code size.")
    if profile_name == "quick":
        lines.append("Quick profile: the autoencoder had a short training on a subset; run the full "
                     "profile for the real comparison.")
    return "\n".join(lines)


def subspace_conclusion(angles, ae_mse, pca_mse, profile_name) -> str:
    """A plain-text verdict from the principal angles and the two reconstruction errors."""
    angles = np.asarray(angles, dtype=float)
    excess = (ae_mse / pca_mse - 1) * 100
    median, largest = float(np.median(angles)), float(angles.max())
    lines = [f"Principal angles between the autoencoder's subspace and PCA's ({len(angles)} "
             f"dimensions): median {median:.1f} degrees, largest {largest:.1f} degrees.",
             f"Validation MSE: PCA {pca_mse:.5f}, linear autoencoder {ae_mse:.5f} "
             f"({excess:+.1f}% against PCA)."]
    if largest < AGREEING_ANGLE and excess < 2:
        lines.append(f"Same subspace, to within {largest:.1f} degrees, and an error within 2% of "
                     "PCA's: the linear autoencoder has found PCA's subspace.")
    elif largest < AGREEING_ANGLE:
        lines.append(f"Same subspace, to within {largest:.1f} degrees, but an error {excess:.1f}% "
                     "above PCA's: its map onto that subspace is not yet PCA's orthogonal projection.")
    elif median < AGREEING_ANGLE:
        wide = int((angles >= AGREEING_ANGLE).sum())
        lines.append(f"Most directions agree with PCA, but {wide} of the {len(angles)} angles are "
                     f"{AGREEING_ANGLE:.0f} degrees or more: this run has not fully reached PCA's "
                     "subspace.")
    else:
        lines.append(f"The subspaces still differ (median angle {median:.1f} degrees): this run has "
                     "not reached PCA's subspace.")
    if profile_name == "quick":
        lines.append("Quick profile: short training on a subset; run the full profile for the real "
                     "comparison.")
    return "\n".join(lines)
