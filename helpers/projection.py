"""Low-dimensional views of images and codings: PCA and t-SNE maps, and what each map keeps.

* :func:`pca_project`: a 2-D (or k-D) PCA map of a small matrix such as the 5,000 codings;
* :func:`fit_pca` / :func:`pca_reconstruction_mse`: PCA as a linear autoencoder of the images,
  the baseline an autoencoder's error is compared with (chunked, so 55,000 images are never
  copied to float64);
* :func:`tsne_project` (scikit-learn) and :func:`cached_tsne_project` (the same, stored in the
  result cache, since it takes seconds);
* :func:`kept_neighbours` and :func:`class_neighbour_shares`: how much of the neighbourhood and
  class structure of the codings a map keeps, so that a lesson can state it from numbers.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

TSNE_SETTINGS = {"perplexity": 30.0, "max_iter": 400, "angle": 0.6}  # about 15 s for 5,000 points


def _fixed_signs(axes: np.ndarray) -> np.ndarray:
    """Rows of ``axes`` flipped so that each one's largest-magnitude entry is positive (reproducible)."""
    signs = np.sign(axes[np.arange(len(axes)), np.argmax(np.abs(axes), axis=1)])
    return axes * signs[:, None]


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
    axes = _fixed_signs(vt[:n_components])
    variance = s ** 2
    total = variance.sum()
    ratio = variance[:n_components] / total if total > 0 else np.zeros(n_components)
    return centred @ axes.T, ratio


# --- PCA as a linear autoencoder of the images --------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PCA:
    """A fitted PCA: ``mean`` (features,), ``components`` (k, features), orthonormal rows."""
    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray


def _rows(X) -> np.ndarray:
    """``X`` as (n, features) without copying (images (n, 28, 28) become (n, 784) views)."""
    X = np.asarray(X)
    if X.ndim < 2 or not len(X):
        raise ValueError(f"expected a stack of samples, shape (n, features) or (n, 28, 28) with n >= 1; "
                         f"got shape {X.shape}.")
    return X.reshape(len(X), -1)


def fit_pca(X, n_components, chunk_size=4096) -> PCA:
    """The first ``n_components`` principal axes of ``X``, from a float64 scatter matrix built in chunks.

    Only ``chunk_size`` rows are converted to float64 at a time, so 55,000 float32 images
    (172 MB) need a few tens of MB more, not a 345 MB float64 copy.
    """
    rows = _rows(X)
    n_features = rows.shape[1]
    if not 1 <= n_components <= n_features:
        raise ValueError(f"n_components must be from 1 to {n_features} (the number of features); "
                         f"got n_components={n_components}.")
    mean = rows.mean(axis=0, dtype=np.float64)
    scatter = np.zeros((n_features, n_features))
    for start in range(0, len(rows), chunk_size):
        block = rows[start:start + chunk_size].astype(np.float64) - mean
        scatter += block.T @ block
    eigenvalues, eigenvectors = np.linalg.eigh(scatter)   # ascending order
    order = np.argsort(eigenvalues)[::-1][:n_components]
    total = eigenvalues.sum()
    ratio = eigenvalues[order] / total if total > 0 else np.zeros(n_components)
    return PCA(mean, _fixed_signs(eigenvectors[:, order].T), ratio)


def pca_reconstruction_mse(pca: PCA, X, chunk_size=4096) -> float:
    """Mean squared error of ``X`` rebuilt from its ``len(pca.components)`` PCA coordinates.

    The same measure as an autoencoder's reconstruction MSE (mean over images and pixels).
    """
    rows = _rows(X)
    if rows.shape[1] != len(pca.mean):
        raise ValueError(f"X has {rows.shape[1]} features per sample but the PCA was fitted on "
                         f"{len(pca.mean)}; pass images of the same shape.")
    squared = 0.0
    for start in range(0, len(rows), chunk_size):
        block = rows[start:start + chunk_size].astype(np.float64) - pca.mean
        rebuilt = (block @ pca.components.T) @ pca.components
        squared += float(np.sum((block - rebuilt) ** 2))
    return squared / rows.size


# --- t-SNE --------------------------------------------------------------------------------------

def tsne_project(X, perplexity=TSNE_SETTINGS["perplexity"], max_iter=TSNE_SETTINGS["max_iter"],
                 angle=TSNE_SETTINGS["angle"], seed=0, n_jobs=2) -> np.ndarray:
    """A 2-D t-SNE map of ``X`` (n, features) with scikit-learn: (n, 2) float64.

    Starts from the PCA map (``init="pca"``) with scikit-learn's automatic learning rate, so
    the result depends only on the arguments. ``angle`` trades accuracy of the Barnes-Hut
    approximation for speed; ``n_jobs`` threads are used for the neighbour search.
    """
    from sklearn.manifold import TSNE

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) < 4:
        raise ValueError(f"tsne_project needs a 2-D array of at least 4 samples; got shape {X.shape}.")
    if not 0 < perplexity < len(X):
        raise ValueError(f"perplexity must be above 0 and below the number of samples ({len(X)}); "
                         f"got perplexity={perplexity}. Typical values are 5 to 50.")
    tsne = TSNE(n_components=2, perplexity=perplexity, max_iter=max_iter, angle=angle, init="pca",
                learning_rate="auto", random_state=seed, n_jobs=n_jobs)
    return tsne.fit_transform(X)


@dataclasses.dataclass(frozen=True)
class TSNEMap:
    points: np.ndarray   # (n, 2)
    seconds: float       # time the t-SNE took when it was computed
    from_cache: bool


def _check_tsne_result(n_points):
    def verify(result):
        points = result.get("points") if isinstance(result, dict) else None
        if not isinstance(points, list) or len(points) != n_points:
            raise ValueError(f"expected {n_points} points, found {type(points).__name__}")
        array = np.asarray(points, dtype=np.float64)
        if array.shape != (n_points, 2) or not np.all(np.isfinite(array)):
            raise ValueError(f"points have shape {array.shape} or are not finite; expected ({n_points}, 2)")
        if not isinstance(result.get("seconds"), (int, float)):
            raise ValueError("the entry has no computing time (seconds)")
    return verify


def cached_tsne_project(X, source: dict, seed=0, n_jobs=2, **settings) -> TSNEMap:
    """:func:`tsne_project` of ``X`` through the result cache (``helpers.cache.load_or_compute``).

    ``source`` names what determines ``X``, e.g. ``{"model": ae.key, "data": data.checksum,
    "images": "X_valid"}``: the cache spec is ``source`` plus the number of points, the t-SNE
    settings (``TSNE_SETTINGS`` overridden by ``settings``), the seed and scikit-learn's version.
    ``n_jobs`` is not in the spec: it changes the speed, not the map.
    """
    import sklearn

    from helpers.cache import load_or_compute

    if not isinstance(source, dict) or not source:
        raise ValueError("source must be a non-empty dict naming what the points come from, e.g. "
                         "{'model': ae.key, 'data': data.checksum, 'images': 'X_valid'}; "
                         f"got {source!r}.")
    unknown = set(settings) - set(TSNE_SETTINGS)
    if unknown:
        raise ValueError(f"unknown t-SNE setting(s) {sorted(unknown)}; use {sorted(TSNE_SETTINGS)}.")
    settings = {**TSNE_SETTINGS, **settings}
    X = np.asarray(X)
    spec = {"kind": "tsne_map", "source": source, "n_points": len(X), "settings": settings,
            "seed": int(seed), "scikit-learn": sklearn.__version__}

    def compute():
        start = time.perf_counter()
        points = tsne_project(X, seed=seed, n_jobs=n_jobs, **settings)
        return {"points": points.tolist(), "seconds": round(time.perf_counter() - start, 2)}

    result, from_cache = load_or_compute(spec, compute, verify=_check_tsne_result(len(X)))
    return TSNEMap(np.asarray(result["points"], dtype=np.float64), float(result["seconds"]), from_cache)


def cached_fit_pca(X, n_components, source: dict) -> PCA:
    """:func:`fit_pca` through the result cache; ``source`` names what determines ``X`` (e.g.
    ``{"data": data.checksum, "images": "X_train[:55000]"}``), so a second run fits nothing."""
    from helpers.cache import load_or_compute

    if not isinstance(source, dict) or not source:
        raise ValueError("source must be a non-empty dict naming the images, e.g. "
                         f"{{'data': data.checksum, 'images': 'X_train'}}; got {source!r}.")
    X = _rows(X)
    spec = {"kind": "pca_fit", "source": source, "n_points": len(X), "n_features": X.shape[1],
            "n_components": int(n_components)}

    def compute():
        pca = fit_pca(X, n_components)
        return {"mean": pca.mean.tolist(), "components": pca.components.tolist(),
                "explained_variance_ratio": pca.explained_variance_ratio.tolist()}

    def verify(result):
        shapes = (np.shape(result.get("mean")), np.shape(result.get("components")))
        if shapes != ((X.shape[1],), (int(n_components), X.shape[1])):
            raise ValueError(f"stored PCA has shapes {shapes}, expected ({X.shape[1]},) and "
                             f"({int(n_components)}, {X.shape[1]})")

    result, _ = load_or_compute(spec, compute, verify=verify)
    return PCA(*(np.asarray(result[k], dtype=np.float64)
                 for k in ("mean", "components", "explained_variance_ratio")))


# --- what a map keeps -----------------------------------------------------------------------------

def _neighbours(points, k) -> np.ndarray:
    """Indices (n, k) of each point's k nearest other points (Euclidean)."""
    from sklearn.neighbors import NearestNeighbors

    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or not 1 <= k < len(points):
        raise ValueError(f"k must be from 1 to the number of points minus 1 ({len(points) - 1}); "
                         f"got k={k} for points of shape {points.shape}.")
    _, indices = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points)
    return indices[:, 1:]   # the first neighbour is the point itself


def kept_neighbours(high, low, k=10) -> float:
    """Average share of each point's ``k`` nearest neighbours in ``high`` that are also among
    its ``k`` nearest in the map ``low``: 1 when the map keeps every neighbourhood."""
    high_nn, low_nn = _neighbours(high, k), _neighbours(low, k)
    if len(high_nn) != len(low_nn):
        raise ValueError(f"high and low must hold the same points; got {len(high_nn)} and {len(low_nn)}.")
    return float(np.mean([len(np.intersect1d(a, b)) / k for a, b in zip(high_nn, low_nn, strict=True)]))


def class_neighbour_shares(points, labels, k=10, n_classes=None) -> np.ndarray:
    """(n_classes, n_classes) matrix: row c is, for the points of class c, the share of their
    ``k`` nearest neighbours that belong to each class. Its diagonal is how well class c keeps
    to itself; the largest off-diagonal entry of a row names the class it mixes with most."""
    labels = np.asarray(labels, dtype=int)
    n_classes = int(labels.max()) + 1 if n_classes is None else int(n_classes)
    neighbour_labels = labels[_neighbours(points, k)]
    shares = np.full((n_classes, n_classes), math.nan)
    for c in range(n_classes):
        rows = neighbour_labels[labels == c]
        if len(rows):
            shares[c] = np.bincount(rows.ravel(), minlength=n_classes)[:n_classes] / rows.size
    return shares
