"""Plain-text conclusions for notebook 05's exercises, computed from the numbers they are given.

Each function turns measured results into sentences, so no sentence claims more than the
numbers support: :func:`pretraining_conclusion` (hands-on 2, from
``helpers.exercise_models.compare_pretraining``), :func:`subspace_conclusion` and
:func:`basis_report` (hands-on 3, the linear autoencoder against PCA).
"""

from __future__ import annotations

import numpy as np


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
             "Fine-tuned minus scratch, per seed: " + ", ".join(f"{d:+.1f}" for d in diff) + " points."]
    wins = int((diff > 0).sum())
    if n == 1:
        verdict = (f"With a single seed there is no spread to compare the difference "
                   f"({diff[0]:+.1f} points) against: run more seeds before concluding.")
    elif wins in (0, n):
        spread = max(pre.std(ddof=1), scr.std(ddof=1))
        verdict = (f"Pretraining helped in all {n} seeds, by {diff.mean():+.1f} points on average "
                   f"(smallest gain {diff.min():+.1f})." if wins else
                   f"Pretraining hurt in all {n} seeds, by {diff.mean():+.1f} points on average: "
                   "with this recipe, training from scratch on the labels alone did better.")
        if abs(diff.mean()) < spread:
            verdict += (f" The effect is consistent but smaller than the seed-to-seed spread of "
                        f"the accuracies themselves (std up to {spread:.1f} points): a small "
                        "effect, which more seeds would pin down better.")
    else:
        verdict = (f"Mixed: pretraining won {wins} of {n} seeds (mean difference {diff.mean():+.1f} "
                   "points); the seed-to-seed spread is as large as the effect.")
    lines.append(verdict)
    if results.get("profile") == "quick":
        lines.append("Quick profile: tiny training runs, so these numbers only show that the "
                     "pipeline works; run the full profile for the real comparison.")
    return "\n".join(lines)


def basis_report(W, components) -> str:
    """How the autoencoder's basis (columns of ``W``) compares with PCA's ``components``.

    Reports the columns' lengths, the largest |cosine| between two different columns
    (0 = orthogonal), and for each column its best |cosine| with a principal component
    (1 for every column = PCA's own basis, up to order and signs).
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
    lines.append("So it is PCA's own basis, up to order and signs." if best.min() > 0.99 else
                 "So it is not PCA's basis: where the subspaces agree, it is another basis of the same "
                 "subspace.")
    return "\n".join(lines)


def subspace_conclusion(angles, ae_mse, pca_mse, profile_name) -> str:
    """A plain-text verdict from the principal angles and the two reconstruction errors."""
    angles = np.asarray(angles, dtype=float)
    excess = (ae_mse / pca_mse - 1) * 100
    lines = [f"Principal angles between the autoencoder's subspace and PCA's ({len(angles)} "
             f"dimensions): median {np.median(angles):.1f} degrees, largest {angles.max():.1f} degrees.",
             f"Validation MSE: PCA {pca_mse:.5f}, linear autoencoder {ae_mse:.5f} "
             f"({excess:+.1f}% against PCA)."]
    if angles.max() < 10 and excess < 2:
        lines.append("Same subspace, to within a few degrees, and the same error: the linear "
                     "autoencoder has found PCA's subspace.")
    elif np.median(angles) < 10:
        lines.append("Most directions agree with PCA; the largest angles belong to directions "
                     "whose variances are nearly equal, which gradient descent separates slowly.")
    else:
        lines.append("Not converged to PCA's subspace yet: train longer to see the two meet.")
    if profile_name == "quick":
        lines.append("Quick profile: short training on a subset, so expect only partial agreement.")
    return "\n".join(lines)
