"""Pieces the figure modules share: image panels, log axes, the current-point ring, PNG bytes.

:mod:`helpers.plots` and :mod:`helpers.pretraining_plots` both build on these, so images,
logarithmic axes and "you are here" markers look the same in every notebook and explorer.
"""

from __future__ import annotations

import io
import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

IMAGE_SIDE = 28


def rows_needed(n_items, n_cols) -> int:
    """Rows a grid of ``n_cols`` columns needs to hold ``n_items`` (at least one)."""
    if n_cols < 1:
        raise ValueError(f"n_cols must be a positive number of columns; got n_cols={n_cols}.")
    return max(1, math.ceil(n_items / n_cols))


def square(pixels) -> np.ndarray:
    """One image's 784 pixels (flat or already 28x28) as a 28x28 array."""
    pixels = np.asarray(pixels)
    if pixels.size != IMAGE_SIDE * IMAGE_SIDE:
        raise ValueError(f"Expected one {IMAGE_SIDE}x{IMAGE_SIDE} image (784 pixels); "
                         f"got shape {pixels.shape}.")
    return pixels.reshape(IMAGE_SIDE, IMAGE_SIDE)


def show_pixels(ax, pixels, **imshow_options):
    """Draw grey levels in [0, 1] (1 = dark) on ``ax`` without ticks or frame.

    The axis itself stays on, so a row label set with ``ax.set_ylabel`` is still shown.
    """
    image = ax.imshow(pixels, cmap="binary", vmin=0, vmax=1, **imshow_options)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    return image


def panel_grid(n_panels, n_cols, panel_width, panel_height, extra_height=0.0):
    """A pyplot figure of ``n_panels`` blank axes (no axis lines) in rows of ``n_cols``.

    Returns ``(fig, axes)``, ``axes`` being the first ``n_panels`` axes in reading order; the
    rest of the last row stays empty. Sizes are in inches; ``extra_height`` is room for titles.
    """
    n_rows = rows_needed(n_panels, n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False,
                             figsize=(n_cols * panel_width, n_rows * panel_height + extra_height))
    for ax in axes.flat:
        ax.set_axis_off()
    return fig, list(axes.flat[:n_panels])


def ring_current_point(ax, x, y, label=None, size=12):
    """Circle the point on show in red. It is drawn last, so it is ``ax.lines[-1]`` (tests read it)."""
    options = {"label": label} if label else {}
    return ax.plot([x], [y], "o", markersize=size, markerfacecolor="none", markeredgecolor="red",
                   markeredgewidth=2, **options)[0]


def log_x_ticks_at(ax, values, tick_labels, fontsize=None):
    """Logarithmic x axis labelled at ``values`` only, since sizes and budgets are not powers of ten."""
    ax.set_xscale("log")
    if len(values):
        ax.set_xticks(values)
        ax.set_xticklabels(tick_labels, fontsize=fontsize)
    ax.minorticks_off()


# Steps within a decade, coarse to fine: the coarsest that puts enough labels inside the data wins.
LOG_TICK_STEPS = ((1.0,), (1.0, 2.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0),
                  (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0))


def log_ticks_covering(low, high, min_inside=3) -> list[float]:
    """Round tick values for a log axis whose first tick is at or below ``low`` and last at or
    above ``high``, so every plotted value lies between two labelled ticks.

    Uses the coarsest of ``LOG_TICK_STEPS`` that puts at least ``min_inside`` ticks within
    [low, high] (the finest if none does); e.g. 0.0118..0.031 gives 0.01, 0.015, 0.02, 0.03, 0.05.
    """
    if not (np.isfinite(low) and np.isfinite(high) and 0 < low <= high):
        raise ValueError(f"log ticks need finite values with 0 < low <= high; got low={low}, high={high}.")
    decades = range(int(np.floor(np.log10(low))) - 1, int(np.ceil(np.log10(high))) + 1)
    for steps in LOG_TICK_STEPS:
        candidates = sorted({float(f"{s * 10.0 ** d:.6g}") for d in decades for s in steps})
        inside = [t for t in candidates if low <= t <= high]
        if len(inside) >= min_inside or steps is LOG_TICK_STEPS[-1]:
            below = max(t for t in candidates if t < low or (t == low < high))
            above = min(t for t in candidates if t > high or (t == high > low))
            return sorted({below, *inside, above})
    raise AssertionError("unreachable")


def log_y_ticks_covering(ax, values, label):
    """Log y axis labelled at :func:`log_ticks_covering` of ``values`` and limited to them."""
    values = np.asarray([v for v in np.ravel(values) if np.isfinite(v) and v > 0], dtype=float)
    ticks = log_ticks_covering(values.min(), values.max()) if len(values) else [0.01, 0.1]
    ax.set_yscale("log")
    ax.set_ylim(ticks[0], ticks[-1])
    ax.set_yticks(ticks)
    ax.set_yticklabels([f"{t:g}" for t in ticks])
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel(label)


def figure_png(fig, dpi=None) -> bytes:
    """Render ``fig`` to PNG bytes (Agg renderer; nothing is displayed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi or fig.dpi)
    return buffer.getvalue()
