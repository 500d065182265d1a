"""helpers.plots' figures for notebook 05's exercises (top-activating images, principal angles)."""

import exercise_solutions as solutions
import matplotlib
import numpy as np

matplotlib.use("Agg")

from helpers import plots


def test_top_activating_figure_marks_dead_units(fashion):
    images = fashion.X_valid[:40]
    codings = np.random.default_rng(0).random((40, 5)).astype("float32")
    codings[:, 3] = 0.0
    fig = plots.top_activating_figure(images, codings, solutions.top_right(codings, 4), n_cols=2)
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
    assert len(titles) == 5 and titles[3] == "unit 3: dead" and titles[0].startswith("unit 0 (max")
    assert fig.axes[0].images[0].get_array().shape == (28, 4 * 28 + 3 * 2)
    matplotlib.pyplot.close(fig)


def test_principal_angles_figure_draws_one_bar_per_angle():
    fig = plots.principal_angles_figure([0.5, 1.0, 30.0])
    assert [round(p.get_height(), 3) for p in fig.axes[0].patches] == [0.5, 1.0, 30.0]
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.50", "1.00", "30"]
    matplotlib.pyplot.close(fig)
