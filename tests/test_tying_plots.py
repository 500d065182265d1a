"""helpers.tying_plots: log ticks that bracket the data, the speed figure and the overfitting figure."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from helpers import tying_plots as tp


def histories():
    return {"untied, random start": {"loss": [0.05, 0.02, 0.015], "val_loss": [0.03, 0.02, 0.016],
                                     "seconds": [3.0, 4.0, 5.0]},
            "tied": {"loss": [0.04, 0.018, 0.013], "val_loss": [0.025, 0.016, 0.0125],
                     "seconds": [2.0, 3.0, 4.0]}}


def test_speed_figure_labels_the_whole_range_and_stars_the_target():
    fig = tp.speed_figure(histories(), target=0.016)
    ax, bx = fig.axes
    low, high = ax.get_ylim()
    ticks = [t for t in ax.get_yticks() if low <= t <= high]
    assert min(ticks) <= 0.0125 and max(ticks) >= 0.05  # every plotted value lies between two labels
    stars = [line for line in bx.lines if line.get_marker() == "*"]
    assert [tuple(np.ravel(s.get_xdata())) for s in stars] == [(5.0,), (3.0,)]  # first epoch <= target
    assert len(fig.legends) == 1 and not ax.get_legend() and not bx.get_legend()  # legend off the axes


def test_overfit_figure_has_a_dot_per_seed_and_a_mean_line():
    records = [{"n_images": n, "tied": tied, "seed": seed, "gap": 0.001 * seed + (0.002 if tied else 0.004),
                "valid_mse": 0.02} for n in (500, 5000) for tied in (False, True) for seed in (0, 1, 2)]
    fig = tp.overfit_figure(records)
    gap_axes = fig.axes[0]
    dots = [line for line in gap_axes.lines if line.get_marker() == "o"]
    assert sum(len(line.get_ydata()) for line in dots) == 12  # 2 sizes x 2 kinds x 3 seeds
    means = [line for line in gap_axes.lines if line.get_linestyle() == "-"]
    np.testing.assert_allclose(means[0].get_ydata(), [0.005, 0.005])  # untied: 0.004 + mean(0, 1, 2) ms
    np.testing.assert_allclose(means[1].get_ydata(), [0.003, 0.003])
    assert [t.get_text() for t in gap_axes.get_xticklabels()] == ["500", "5,000"]
    assert len(fig.legends) == 1


def test_weight_pairs_figure_draws_each_units_feature_above_its_basis_image():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(784, 12))
    fig = tp.weight_pairs_figure({"tied": (w, w.T), "untied": (w, rng.normal(size=(12, 784)))},
                                 {"tied": np.ones(12), "untied": np.linspace(-1, 1, 12)}, n_units=5)
    tied_ax, untied_ax = fig.axes
    image = tied_ax.images[0].get_array()
    assert image.shape == (2 * 28 + 2, 5 * 28 + 4 * 2)  # two rows of five tiles
    np.testing.assert_allclose(image[:28, :28], image[30:, :28])  # tied: the same picture twice
    labels = [t.get_text() for t in untied_ax.get_xticklabels()]
    assert labels == ["-1.00", "-0.82", "-0.64", "-0.45", "-0.27"]
    with pytest.raises(ValueError, match="transposed"):
        tp.weight_pairs_figure({"bad": (w, w)}, {"bad": np.ones(12)})
