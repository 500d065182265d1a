"""2-D maps of codings, so that a 30-number coding per image can be plotted (PCA for now).

A t-SNE map is meant to join :func:`pca_project` here. The PCA is NumPy only (scikit-learn
is not a dependency of the suite).
"""

from __future__ import annotations

import numpy as np


def pca_project(X, n_components=2):
    """Principal-component projection with NumPy only.

    Centres ``X`` (n_samples, n_features), takes its SVD and returns
    ``(projected, explained_variance_ratio)``: the coordinates on the first
    ``n_components`` principal axes, and the share of the total variance along each axis.
    The sign of each axis is fixed (largest-magnitude loading positive) so results are
    reproducible.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or not 1 <= n_components <= min(X.shape):
        raise ValueError(f"pca_project needs a 2-D array with at least n_components={n_components} rows "
                         f"and columns; got shape {X.shape}.")
    centred = X - X.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:n_components]
    signs = np.sign(axes[np.arange(n_components), np.argmax(np.abs(axes), axis=1)])
    axes = axes * signs[:, None]
    variance = s ** 2
    total = variance.sum()
    ratio = variance[:n_components] / total if total > 0 else np.zeros(n_components)
    return centred @ axes.T, ratio
