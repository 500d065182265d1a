"""helpers.figure_parts: the shared pieces draw what they promise."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers import figure_parts


def offscreen_axes():
    return Figure(figsize=(4, 3)).add_subplot()


def test_rows_needed_rounds_up_and_never_returns_zero():
    assert [figure_parts.rows_needed(n, 4) for n in (0, 1, 4, 5, 8, 9)] == [1, 1, 1, 2, 2, 3]
    with pytest.raises(ValueError, match="n_cols=0"):
        figure_parts.rows_needed(3, 0)


def test_square_accepts_flat_or_square_pixels_only():
    flat = np.arange(784)
    assert figure_parts.square(flat)[1, 0] == 28
    assert figure_parts.square(flat.reshape(28, 28)).shape == (28, 28)
    with pytest.raises(ValueError, match=r"784 pixels\); got shape \(10, 10\)"):
        figure_parts.square(np.zeros((10, 10)))


def test_show_pixels_uses_a_fixed_grey_scale_and_keeps_the_row_label():
    ax = offscreen_axes()
    ax.set_ylabel("row")
    image = figure_parts.show_pixels(ax, np.full((28, 28), 0.2))
    assert image.get_clim() == (0, 1) and image.get_cmap().name == "binary"
    assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
    assert not any(side.get_visible() for side in ax.spines.values())
    assert ax.axison and ax.get_ylabel() == "row"


def test_panel_grid_returns_the_panels_asked_for_and_leaves_the_rest_blank():
    fig, axes = figure_parts.panel_grid(7, 3, panel_width=1.0, panel_height=2.0, extra_height=0.5)
    assert len(axes) == 7 and len(fig.axes) == 9
    assert tuple(fig.get_size_inches()) == pytest.approx((3.0, 3 * 2.0 + 0.5))
    assert not any(ax.axison for ax in fig.axes)
    assert axes[3].get_subplotspec().rowspan.start == 1   # reading order: the 4th is on row 2


def test_ring_current_point_is_the_last_line_and_labelled_only_when_asked():
    ax = offscreen_axes()
    ax.plot([1, 2], [3, 4], label="curve")
    ring = figure_parts.ring_current_point(ax, 2, 4, label="here")
    assert ax.lines[-1] is ring and ring.get_label() == "here"
    assert (list(ring.get_xdata()), list(ring.get_ydata())) == ([2], [4])
    assert ring.get_markerfacecolor() == "none" and ring.get_markeredgecolor() == "red"
    figure_parts.ring_current_point(ax, 1, 3)
    assert [t.get_text() for t in ax.legend().get_texts()] == ["curve", "here"]


def test_log_x_ticks_at_labels_only_the_given_values():
    ax = offscreen_axes()
    ax.plot([2, 30], [1, 1])
    figure_parts.log_x_ticks_at(ax, [2, 5, 30], ["two", "five", "thirty"], fontsize=7)
    assert ax.get_xscale() == "log"
    assert list(ax.get_xticks()) == [2, 5, 30]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["two", "five", "thirty"]
    assert ax.get_xticklabels()[0].get_fontsize() == 7
    assert len(ax.xaxis.get_minorticklocs()) == 0
    empty = offscreen_axes()
    figure_parts.log_x_ticks_at(empty, [], [])
    assert empty.get_xscale() == "log"


@pytest.mark.parametrize(("low", "high", "expected"), [
    (0.0118, 0.031, [0.01, 0.015, 0.02, 0.03, 0.05]),      # 1-1.5-2-3-5-7: 3 labels inside
    (0.003, 0.3, [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]),  # 1-2-5 is enough
    (0.0118, 0.0135, [0.01, 0.012, 0.015]),               # finest steps; still one each side
    (0.02, 0.02, [0.015, 0.02, 0.025]),                    # a single value gets room both sides
])
def test_log_ticks_cover_the_range_with_round_values(low, high, expected):
    ticks = figure_parts.log_ticks_covering(low, high)
    assert ticks == expected
    assert ticks[0] <= low and ticks[-1] >= high


def test_log_ticks_refuse_values_a_log_axis_cannot_show():
    for low, high in [(0, 1), (-1, 1), (2, 1), (float("nan"), 1)]:
        with pytest.raises(ValueError, match="0 < low <= high"):
            figure_parts.log_ticks_covering(low, high)


def test_log_y_ticks_covering_labels_the_whole_plotted_range():
    ax = offscreen_axes()
    ax.plot([1, 2], [0.013, 0.035])
    figure_parts.log_y_ticks_covering(ax, [0.013, 0.035, float("nan")], "MSE")
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "MSE"
    assert list(ax.get_yticks()) == [0.01, 0.015, 0.02, 0.03, 0.05]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.01", "0.015", "0.02", "0.03", "0.05"]
    assert ax.get_ylim() == (0.01, 0.05)


def test_figure_png_renders_at_the_figure_size():
    fig = Figure(figsize=(2, 1), dpi=50)
    fig.add_subplot().plot([0, 1])
    png = figure_parts.figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert mpimg.imread(io.BytesIO(png)).shape[:2] == (50, 100)
    assert mpimg.imread(io.BytesIO(figure_parts.figure_png(fig, dpi=100))).shape[:2] == (100, 200)
