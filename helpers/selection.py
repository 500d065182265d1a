"""Which examples a figure shows: the first image of each class, or points spread over a map.

Both return indices, so the caller picks the images, labels and codings with the same index.
"""

from __future__ import annotations

import numpy as np


def one_per_class(labels, n_classes=10) -> np.ndarray:
    """Index of the first example of each class 0..n_classes-1, in class order."""
    labels = np.asarray(labels)
    missing = [c for c in range(n_classes) if not np.any(labels == c)]
    if missing:
        raise ValueError(f"No example of class(es) {missing} among the {len(labels)} labels given; "
                         f"pass more labels or a smaller n_classes (got n_classes={n_classes}).")
    return np.array([int(np.argmax(labels == c)) for c in range(n_classes)])


def sparse_subset(points, min_distance, max_count=None, seed=0) -> np.ndarray:
    """Indices of points kept so that no two kept points are closer than ``min_distance``.

    Points are visited in a seeded random order, so the subset is spread over the whole
    cloud rather than piled up where the data are dense. Used to place thumbnails.
    """
    points = np.asarray(points, dtype=np.float64)
    order = np.random.default_rng(seed).permutation(len(points))
    kept = []
    for i in order:
        if kept and np.min(np.linalg.norm(points[kept] - points[i], axis=1)) < min_distance:
            continue
        kept.append(int(i))
        if max_count is not None and len(kept) >= max_count:
            break
    return np.array(kept, dtype=int)
