"""helpers.projection: PCA coordinates and explained variance against known answers."""

import numpy as np
import pytest

from helpers.projection import pca_project


def rng(seed):
    return np.random.default_rng(seed)


def test_pca_matches_the_covariance_eigenvectors():
    X = rng(1).normal(size=(500, 6)) @ rng(2).normal(size=(6, 6))
    projected, ratio = pca_project(X, n_components=2)
    centred = X - X.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(centred, rowvar=False))
    top = eigenvectors[:, ::-1][:, :2]
    # Same axes up to sign: |correlation| of each projected column with the eigen-projection is 1.
    for k in range(2):
        corr = np.corrcoef(projected[:, k], centred @ top[:, k])[0, 1]
        assert abs(corr) == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(ratio, eigenvalues[::-1][:2] / eigenvalues.sum(), rtol=1e-9)
    assert ratio[0] >= ratio[1]
    np.testing.assert_allclose(projected.mean(axis=0), 0, atol=1e-9)
    assert abs(np.corrcoef(projected.T)[0, 1]) < 1e-9  # uncorrelated components


def test_pca_of_points_on_a_line_explains_everything_with_one_axis():
    t = np.linspace(-1, 1, 50)
    X = np.stack([t, 2 * t, -t], axis=1) + 5
    projected, ratio = pca_project(X, n_components=2)
    np.testing.assert_allclose(ratio, [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(np.abs(projected[:, 0]), np.abs(t) * np.sqrt(6), rtol=1e-9)


def test_pca_axis_signs_are_fixed():
    # Points along (3, -1): the largest loading (3/sqrt(10)) must come out positive, so the
    # point with the largest first feature lies on the positive side, whatever the SVD returned.
    t = np.array([-2.0, -1.0, 0.5, 2.5])
    X = np.stack([3 * t, -t], axis=1)
    projected, _ = pca_project(-X, n_components=1)
    np.testing.assert_allclose(projected[:, 0], -(t - t.mean()) * np.sqrt(10), rtol=1e-12)


def test_pca_refuses_bad_shapes():
    with pytest.raises(ValueError, match="2-D array"):
        pca_project(np.zeros(5))
    with pytest.raises(ValueError, match=r"n_components=2.*shape \(3, 1\)"):
        pca_project(np.zeros((3, 1)), n_components=2)
