"""helpers.map_plots: maps of the codings, coloured by class, with thumbnails and a legend off the data."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.offsetbox import AnnotationBbox
from shared_helpers import rng

from helpers import map_plots

CLASS_NAMES = [f"class {c}" for c in range(10)]


def test_coding_space_colours_every_class_and_adds_sparse_thumbnails():
    points = rng(4).normal(size=(300, 2))
    labels = np.arange(300) % 10
    images = rng(5).random((300, 28, 28))
    fig = map_plots.coding_space_figure(points, labels, CLASS_NAMES, images=images, n_thumbnails=12)
    ax = fig.axes[0]
    assert [c.get_label() for c in ax.collections] == CLASS_NAMES
    assert sum(len(c.get_offsets()) for c in ax.collections) == 300
    thumbnails = [a for a in ax.artists if isinstance(a, AnnotationBbox)]
    assert 1 <= len(thumbnails) <= 12
    assert ax.get_xlabel() == "principal component 1"
    none = map_plots.coding_space_figure(points, labels, CLASS_NAMES, images=None)
    assert not none.axes[0].artists


def test_maps_side_by_side_share_one_legend_that_covers_no_axes():
    points = rng(6).normal(size=(200, 2))
    labels = np.arange(200) % 10
    maps = {"PCA": points, "t-SNE": points[:, ::-1] * 5}
    fig = map_plots.coding_maps_figure(maps, labels, CLASS_NAMES, axis_names=["PC", "t-SNE"])
    pca_ax, tsne_ax = fig.axes
    assert (pca_ax.get_title(), tsne_ax.get_title()) == ("PCA", "t-SNE")
    assert (pca_ax.get_xlabel(), tsne_ax.get_ylabel()) == ("PC 1", "t-SNE 2")
    np.testing.assert_allclose(np.concatenate([c.get_offsets() for c in tsne_ax.collections]),
                               np.concatenate([maps["t-SNE"][labels == c] for c in range(10)]))
    assert pca_ax.get_legend() is None and tsne_ax.get_legend() is None
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == CLASS_NAMES
    fig.canvas.draw()
    box = legend.get_window_extent()
    for ax in fig.axes:
        assert not box.overlaps(ax.get_window_extent())
    with pytest.raises(ValueError, match="one name per map"):
        map_plots.coding_maps_figure(maps, labels, CLASS_NAMES, axis_names=["PC"])
