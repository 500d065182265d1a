"""helpers.plots: each figure draws the data it is given, where the lessons expect it."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from shared_helpers import rng

from helpers import plots

CLASS_NAMES = [f"class {c}" for c in range(10)]


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


def test_learning_curves_label_the_whole_plotted_range():
    # Values like notebook 01's 20-epoch run: 0.0118 to 0.031. Old ticks left 0.0118..0.015 unlabelled.
    history = {"loss": [0.031, 0.017, 0.0135, 0.0121], "val_loss": [0.019, 0.015, 0.0128, 0.0118]}
    ax = plots.learning_curves_figure({"m": history}).axes[0]
    assert list(ax.get_yticks()) == [0.01, 0.015, 0.02, 0.03, 0.05]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.01", "0.015", "0.02", "0.03", "0.05"]
    assert ax.get_ylim() == (0.01, 0.05)


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


# --- off-screen figures of the coding-size explorer -------------------------------------------

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


def test_coding_size_overview_shows_every_row_and_the_curve():
    originals = rng(8).random((3, 28, 28))
    rows = {"coding size 2": originals * 0.5, "coding size 5": originals * 2 - 0.5}
    curves = {"untied": ([2, 5], [0.04, 0.02])}
    fig = plots.coding_size_overview_figure(originals, rows, curves, title="t")
    *strips, curve = fig.axes
    assert [ax.get_ylabel() for ax in strips] == ["originals", "coding size 2", "coding size 5"]
    np.testing.assert_allclose(strips[0].images[0].get_array(), plots.image_strip(originals))
    np.testing.assert_allclose(strips[2].images[0].get_array(),
                               plots.image_strip(np.clip(originals * 2 - 0.5, 0, 1)))
    tops = [s.get_position().y0 for s in strips]
    assert tops == sorted(tops, reverse=True)   # originals first, then each size below
    (line,) = curve.lines
    assert (list(line.get_xdata()), list(line.get_ydata())) == ([2, 5], [0.04, 0.02])
    assert curve.get_xscale() == curve.get_yscale() == "log"
    assert [t.get_text() for t in curve.get_xticklabels()] == ["2", "5"]
    assert curve.get_ylim()[0] <= 0.02 and curve.get_ylim()[1] >= 0.04
    assert curve.get_legend() is None and fig.get_suptitle() == "t"   # one curve: no legend needed
    both = plots.coding_size_overview_figure(originals, rows, {**curves, "tied": ([2], [0.05])})
    assert both.axes[-1].get_legend() is not None
