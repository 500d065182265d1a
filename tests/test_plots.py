import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.offsetbox import AnnotationBbox  # noqa: E402

from helpers import plots  # noqa: E402

CLASS_NAMES = [f"class {c}" for c in range(10)]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def rng(seed=0):
    return np.random.default_rng(seed)


# --- choosing what to show -----------------------------------------------------------------

def test_one_per_class_picks_the_first_example_of_each_class():
    labels = np.array([3, 1, 0, 1, 2, 0, 3])
    np.testing.assert_array_equal(plots.one_per_class(labels, n_classes=4), [2, 1, 4, 0])


def test_one_per_class_names_missing_classes():
    with pytest.raises(ValueError, match=r"class\(es\) \[2\]"):
        plots.one_per_class([0, 1, 0], n_classes=3)


def test_pca_matches_the_covariance_eigenvectors():
    X = rng(1).normal(size=(500, 6)) @ rng(2).normal(size=(6, 6))
    projected, ratio = plots.pca_project(X, n_components=2)
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
    projected, ratio = plots.pca_project(X, n_components=2)
    np.testing.assert_allclose(ratio, [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(np.abs(projected[:, 0]), np.abs(t) * np.sqrt(6), rtol=1e-9)


def test_pca_refuses_bad_shapes():
    with pytest.raises(ValueError, match="2-D array"):
        plots.pca_project(np.zeros(5))
    with pytest.raises(ValueError, match="2-D array"):
        plots.pca_project(np.zeros((3, 1)), n_components=2)


def test_sparse_subset_keeps_points_apart_and_covers_the_rest():
    points = rng(3).normal(size=(400, 2))
    kept = plots.sparse_subset(points, min_distance=0.5)
    chosen = points[kept]
    distances = np.linalg.norm(chosen[:, None] - chosen[None], axis=-1)
    assert np.all(distances[np.triu_indices(len(kept), 1)] >= 0.5)
    # Every point left out is within min_distance of a kept one (the subset is maximal).
    nearest = np.linalg.norm(points[:, None] - chosen[None], axis=-1).min(axis=1)
    assert np.all(nearest < 0.5 + 1e-12)
    assert len(plots.sparse_subset(points, min_distance=0.5, max_count=5)) == 5
    np.testing.assert_array_equal(kept, plots.sparse_subset(points, min_distance=0.5))  # seeded


# --- figures for notebook cells --------------------------------------------------------------

def test_image_grid_titles_each_image_with_its_class_name():
    images = rng().random((12, 28, 28))
    labels = np.arange(12) % 10
    fig = plots.image_grid_figure(images, labels, CLASS_NAMES, n_cols=5)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 15 and len(shown) == 12
    assert [ax.get_title() for ax in shown] == [CLASS_NAMES[c] for c in labels]
    np.testing.assert_array_equal(shown[3].images[0].get_array(), images[3])


def test_reconstruction_rows_put_originals_on_top():
    originals, recon = rng(1).random((4, 28, 28)), rng(2).random((4, 784))
    fig = plots.reconstruction_rows_figure(originals, {"model": recon}, titles=list("abcd"))
    assert len(fig.axes) == 8
    assert fig.axes[0].get_ylabel() == "original" and fig.axes[4].get_ylabel() == "model"
    np.testing.assert_allclose(fig.axes[1].images[0].get_array(), originals[1])
    np.testing.assert_allclose(fig.axes[5].images[0].get_array(), recon[1].reshape(28, 28))
    assert [fig.axes[k].get_title() for k in range(4)] == list("abcd")


def test_learning_curves_plot_both_losses_of_every_model():
    histories = {"a": {"loss": [3, 2, 1], "val_loss": [4, 3, 2]},
                 "b": {"loss": [5, 4], "val_loss": [6, 5]}}
    fig = plots.learning_curves_figure(histories)
    ax = fig.axes[0]
    data = {line.get_label(): list(line.get_ydata()) for line in ax.lines}
    assert data == {"a: training": [3, 2, 1], "a: validation": [4, 3, 2],
                    "b: training": [5, 4], "b: validation": [6, 5]}
    assert ax.get_yscale() == "log"


def test_coding_space_colours_every_class_and_adds_sparse_thumbnails():
    points = rng(4).normal(size=(300, 2))
    labels = np.arange(300) % 10
    images = rng(5).random((300, 28, 28))
    fig = plots.coding_space_figure(points, labels, CLASS_NAMES, images=images, n_thumbnails=12)
    ax = fig.axes[0]
    assert [c.get_label() for c in ax.collections] == CLASS_NAMES
    assert sum(len(c.get_offsets()) for c in ax.collections) == 300
    thumbnails = [a for a in ax.artists if isinstance(a, AnnotationBbox)]
    assert 1 <= len(thumbnails) <= 12
    none = plots.coding_space_figure(points, labels, CLASS_NAMES, images=None)
    assert not none.axes[0].artists


def test_weight_mosaic_tiles_each_kernel_column_on_its_own_scale():
    kernel = rng(6).normal(size=(784, 12))
    kernel[:, 3] *= 100  # scale must not matter
    mosaic = plots.weight_mosaic(kernel, n_cols=5, gap=2)
    assert mosaic.shape == (3 * 30 - 2, 5 * 30 - 2)
    tile = mosaic[30:58, 60:88]  # unit 7: row 1, column 2
    np.testing.assert_allclose(tile, kernel[:, 7].reshape(28, 28) / np.abs(kernel[:, 7]).max())
    np.testing.assert_allclose(np.nanmax(np.abs(mosaic[0:28, 90:118])), 1.0)  # unit 3
    assert np.isnan(mosaic[28:30]).all()  # gap rows
    assert np.isnan(mosaic[60:, 60:]).all()  # no unit 12..14: blank
    with pytest.raises(ValueError, match=r"\(784, units\)"):
        plots.weight_mosaic(np.zeros((100, 30)))


def test_weight_images_figure_draws_the_mosaic_with_zero_as_white():
    kernel = rng(6).normal(size=(784, 12))
    fig = plots.weight_images_figure(kernel, n_cols=5, title="t")
    image = fig.axes[0].images[0]
    np.testing.assert_allclose(np.ma.filled(image.get_array(), np.nan),
                               plots.weight_mosaic(kernel, n_cols=5))
    assert image.get_clim() == (-1, 1) and image.get_cmap().name == "bwr"
    assert fig.axes[0].get_title() == "t"


# --- off-screen figures ------------------------------------------------------------------------

def png_shape(png):
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return mpimg.imread(io.BytesIO(png)).shape


def test_figure_png_renders_at_the_figure_size():
    fig = Figure(figsize=(2, 1), dpi=50)
    fig.add_subplot().plot([0, 1])
    assert png_shape(plots.figure_png(fig))[:2] == (50, 100)


def test_image_strip_places_images_side_by_side_with_gaps():
    images = np.stack([np.full((28, 28), v) for v in (0.2, 0.5, 0.9)])
    strip = plots.image_strip(images, gap=2, fill=0.0)
    assert strip.shape == (28, 3 * 28 + 2 * 2)
    assert np.all(strip[:, :28] == np.float32(0.2)) and np.all(strip[:, 30:58] == np.float32(0.5))
    assert np.all(strip[:, 28:30] == 0.0) and np.all(strip[:, 60:] == np.float32(0.9))


def test_reconstruction_strip_figure_shows_originals_above_clipped_reconstructions():
    originals = rng(7).random((3, 28, 28))
    recon = originals * 3 - 1  # values outside [0, 1] must be clipped for display
    fig = plots.reconstruction_strip_figure(originals, recon, title="t")
    top, bottom = fig.axes
    assert (top.get_title(loc="left"), bottom.get_title(loc="left")) == ("originals", "reconstructions")
    np.testing.assert_allclose(top.images[0].get_array(), plots.image_strip(originals))
    np.testing.assert_allclose(bottom.images[0].get_array(), plots.image_strip(np.clip(recon, 0, 1)))
    assert top.get_position().y0 > bottom.get_position().y0


def test_mse_curve_marks_the_current_size():
    curves = {"untied": ([2, 10, 30], [0.04, 0.02, 0.015]), "tied": ([2, 30], [0.05, 0.016])}
    fig = plots.mse_curve_figure(curves, current=("tied", 30, 0.016))
    ax = fig.axes[0]
    by_label = {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in ax.lines}
    assert by_label["untied"] == ([2, 10, 30], [0.04, 0.02, 0.015])
    assert by_label["tied"] == ([2, 30], [0.05, 0.016])
    marker = ax.lines[-1]
    assert (list(marker.get_xdata()), list(marker.get_ydata())) == ([30], [0.016])
    assert marker.get_label() == "coding size 30"
    assert ax.get_xscale() == "log" and [t.get_text() for t in ax.get_xticklabels()] == ["2", "10", "30"]
    unmarked = plots.mse_curve_figure(curves, current=None).axes[0]
    assert len(unmarked.lines) == 2
