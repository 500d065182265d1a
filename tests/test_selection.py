"""helpers.selection: which examples a figure shows."""

import numpy as np
import pytest

from helpers.selection import one_per_class, sparse_subset


def test_one_per_class_picks_the_first_example_of_each_class():
    labels = np.array([3, 1, 0, 1, 2, 0, 3])
    np.testing.assert_array_equal(one_per_class(labels, n_classes=4), [2, 1, 4, 0])


def test_one_per_class_names_missing_classes():
    with pytest.raises(ValueError, match=r"class\(es\) \[2\].*n_classes=3"):
        one_per_class([0, 1, 0], n_classes=3)


def test_sparse_subset_keeps_points_apart_and_covers_the_rest():
    points = np.random.default_rng(3).normal(size=(400, 2))
    kept = sparse_subset(points, min_distance=0.5)
    chosen = points[kept]
    distances = np.linalg.norm(chosen[:, None] - chosen[None], axis=-1)
    assert np.all(distances[np.triu_indices(len(kept), 1)] >= 0.5)
    # Every point left out is within min_distance of a kept one (the subset is maximal).
    nearest = np.linalg.norm(points[:, None] - chosen[None], axis=-1).min(axis=1)
    assert np.all(nearest < 0.5 + 1e-12)
    assert len(sparse_subset(points, min_distance=0.5, max_count=5)) == 5
    np.testing.assert_array_equal(kept, sparse_subset(points, min_distance=0.5))  # seeded


def test_sparse_subset_of_a_tight_cluster_keeps_one_point_per_cluster():
    points = np.array([[0, 0], [0.01, 0], [0, 0.01], [10, 10], [10.01, 10]])
    kept = sparse_subset(points, min_distance=1.0)
    assert sorted(int(k) // 3 for k in kept) == [0, 1]   # one from each group of indices
