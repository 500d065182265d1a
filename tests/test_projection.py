"""helpers.projection: PCA, t-SNE and the neighbourhood measures, against known answers."""

import numpy as np
import pytest

from helpers import projection
from helpers.projection import (
    class_neighbour_shares,
    fit_pca,
    kept_neighbours,
    pca_project,
    pca_reconstruction_mse,
    tsne_project,
)


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


# --- PCA as a linear autoencoder --------------------------------------------------------------

def test_fit_pca_in_chunks_finds_the_same_axes_as_the_svd():
    X = (rng(3).normal(size=(301, 5)) @ rng(4).normal(size=(5, 5))).astype(np.float32)
    pca = fit_pca(X, n_components=3, chunk_size=64)   # 301 rows: the last chunk is partial
    projected, ratio = pca_project(X, n_components=3)
    np.testing.assert_allclose((X - pca.mean) @ pca.components.T, projected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(pca.explained_variance_ratio, ratio, rtol=1e-6)
    np.testing.assert_allclose(pca.components @ pca.components.T, np.eye(3), atol=1e-12)


def test_pca_reconstruction_error_is_the_variance_left_out():
    # Independent columns with variances 9, 4, 1, 0.25 (after exact whitening): keeping the top two
    # leaves 1 + 0.25 per sample, i.e. 1.25 / 4 per feature.
    Z = rng(5).normal(size=(2000, 4))
    Z = (Z - Z.mean(axis=0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(Z, rowvar=False, bias=True))).T
    X = Z * np.array([3.0, 2.0, 1.0, 0.5]) + 7.0
    pca = fit_pca(X, n_components=2, chunk_size=300)
    assert pca_reconstruction_mse(pca, X, chunk_size=128) == pytest.approx(1.25 / 4, rel=1e-9)
    assert pca_reconstruction_mse(fit_pca(X, 4), X) == pytest.approx(0.0, abs=1e-20)


def test_pca_takes_images_as_they_are():
    images = rng(6).random((40, 28, 28)).astype(np.float32)
    pca = fit_pca(images, n_components=5)
    assert pca.components.shape == (5, 784) and pca.mean.shape == (784,)
    assert 0 < pca_reconstruction_mse(pca, images) < np.var(images)


def test_pca_fitting_refuses_bad_arguments():
    with pytest.raises(ValueError, match=r"n_components must be from 1 to 3"):
        fit_pca(np.zeros((10, 3)), n_components=4)
    with pytest.raises(ValueError, match="stack of samples"):
        fit_pca(np.zeros(5), n_components=1)
    with pytest.raises(ValueError, match="fitted on 3"):
        pca_reconstruction_mse(fit_pca(np.eye(3), 1), np.zeros((2, 4)))


# --- t-SNE ------------------------------------------------------------------------------------

def three_blobs(n_per=40, dims=10, seed=7):
    centres = rng(seed).normal(size=(3, dims)) * 20
    X = np.concatenate([c + rng(seed + 1 + k).normal(size=(n_per, dims)) for k, c in enumerate(centres)])
    return X, np.repeat(np.arange(3), n_per)


def test_tsne_keeps_separate_blobs_separate():
    X, labels = three_blobs()
    points = tsne_project(X, perplexity=10, max_iter=500)
    assert points.shape == (120, 2) and np.all(np.isfinite(points))
    assert np.all(np.diag(class_neighbour_shares(points, labels, k=5)) == 1.0)
    np.testing.assert_array_equal(points, tsne_project(X, perplexity=10, max_iter=500))  # seeded


def test_tsne_refuses_bad_arguments():
    with pytest.raises(ValueError, match="perplexity must be"):
        tsne_project(np.zeros((10, 3)), perplexity=10)
    with pytest.raises(ValueError, match="2-D array"):
        tsne_project(np.zeros(10))


def test_cached_tsne_computes_once_per_source(private_cache, monkeypatch):
    X, _ = three_blobs(n_per=20)
    calls = []
    real = projection.tsne_project
    monkeypatch.setattr(projection, "tsne_project", lambda *a, **k: calls.append(k) or real(*a, **k))
    source = {"model": "abc", "data": "123", "images": "X_valid"}
    first = projection.cached_tsne_project(X, source, perplexity=5.0, max_iter=250)
    again = projection.cached_tsne_project(X, source, perplexity=5.0, max_iter=250, n_jobs=1)
    assert (first.from_cache, again.from_cache) == (False, True) and len(calls) == 1
    assert calls[0]["perplexity"] == 5.0 and calls[0]["angle"] == projection.TSNE_SETTINGS["angle"]
    np.testing.assert_allclose(again.points, first.points)
    assert first.points.shape == (60, 2) and again.seconds == first.seconds >= 0
    other = projection.cached_tsne_project(X, {**source, "model": "def"}, perplexity=5.0, max_iter=250)
    assert not other.from_cache and len(calls) == 2


def test_cached_tsne_refuses_a_missing_source_or_unknown_setting(private_cache):
    with pytest.raises(ValueError, match="source must be a non-empty dict"):
        projection.cached_tsne_project(np.zeros((10, 2)), {})
    with pytest.raises(ValueError, match=r"unknown t-SNE setting\(s\) \['iterations'\]"):
        projection.cached_tsne_project(np.zeros((10, 2)), {"model": "x"}, iterations=5)


# --- what a map keeps -------------------------------------------------------------------------

def test_kept_neighbours_is_one_for_a_copy_and_low_for_a_shuffle():
    X = rng(8).normal(size=(200, 5))
    assert kept_neighbours(X, X * 3 + 1, k=5) == 1.0   # scaled and shifted: same neighbours
    shuffled = X[rng(9).permutation(200)]
    assert kept_neighbours(X, shuffled[:, :2], k=5) < 0.2
    line = np.arange(6.0)[:, None]   # neighbours of 0: {1}; after swapping 1 and 5 in the map: {5}
    moved = line.copy()
    moved[[1, 5]] = moved[[5, 1]]
    assert kept_neighbours(line, line, k=1) == 1.0
    assert kept_neighbours(line, moved, k=1) < 1.0


def test_class_neighbour_shares_count_each_classes_neighbours():
    # Four points on a line: 0 and 1 are class 0, 2 and 3 are class 1; with k=1, 1's nearest is 0
    # (distance 1 < 1.5) and 2's nearest is 3 (distance 1 < 1.5), so every class keeps to itself.
    points = np.array([[0.0], [1.0], [2.5], [3.5]])
    np.testing.assert_array_equal(class_neighbour_shares(points, [0, 0, 1, 1], k=1), np.eye(2))
    # k=2: point 1's two nearest are 0 and 2.5 (half its own class); point 0's are 1 and 2.5.
    shares = class_neighbour_shares(points, [0, 0, 1, 1], k=2)
    np.testing.assert_allclose(shares, [[0.5, 0.5], [0.5, 0.5]])
    with_empty = class_neighbour_shares(points, [0, 0, 2, 2], k=1, n_classes=3)
    assert np.isnan(with_empty[1]).all() and with_empty[2, 2] == 1.0
    with pytest.raises(ValueError, match="k must be from 1"):
        class_neighbour_shares(points, [0, 0, 1, 1], k=4)


def test_cached_fit_pca_fits_once_and_returns_the_same_axes(tmp_path, monkeypatch):
    monkeypatch.setenv("AE_CACHE_DIR", str(tmp_path))
    X = np.random.default_rng(0).normal(size=(200, 6)).astype("float32")
    calls = []
    real = projection.fit_pca
    monkeypatch.setattr(projection, "fit_pca", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = projection.cached_fit_pca(X, 3, source={"images": "demo"})
    again = projection.cached_fit_pca(X, 3, source={"images": "demo"})
    assert calls == [1]
    np.testing.assert_allclose(again.components, real(X, 3).components)
    np.testing.assert_allclose(first.mean, X.mean(axis=0), atol=1e-6)
    with pytest.raises(ValueError, match="source must be a non-empty dict"):
        projection.cached_fit_pca(X, 3, source={})
