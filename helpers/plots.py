"""Figures for the autoencoder lessons: images, reconstructions, MSE curves, weights.

Functions named ``*_figure`` return a ``matplotlib.figure.Figure``. Those meant for a
notebook cell are made through ``pyplot`` so that ``plt.show()`` displays them; the two
the coding-size explorer renders off-screen (``reconstruction_strip_figure``,
``mse_curve_figure``) are plain ``Figure`` objects that never touch ``pyplot``, turned into
PNG bytes with :func:`helpers.figure_parts.figure_png`. The label-budget figures are in
:mod:`helpers.pretraining_plots`, the maps of the codings in :mod:`helpers.map_plots`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from helpers.figure_parts import (
    IMAGE_SIDE,
    log_x_ticks_at,
    log_y_ticks_covering,
    panel_grid,
    ring_current_point,
    rows_needed,
    show_pixels,
    square,
)

# --- images and reconstructions ----------------------------------------------------------------

def image_grid_figure(images, labels=None, class_names=None, n_cols=10, scale=1.2):
    """A grid of images, each titled with its class name when labels are given."""
    images = np.asarray(images)
    fig, axes = panel_grid(len(images), n_cols, scale, scale * 1.15)
    for k, ax in enumerate(axes):
        show_pixels(ax, square(images[k]))
        if labels is not None:
            label = int(labels[k])
            ax.set_title(class_names[label] if class_names is not None else str(label), fontsize=8)
    fig.tight_layout()
    return fig


def reconstruction_rows_figure(originals, rows, titles=None, scale=1.1):
    """Originals on the top row, then one row per entry of ``rows`` ({row label: images}).

    Every column is the same image: the original and what each model rebuilt from it.
    """
    originals = np.asarray(originals)
    labels = ["original", *rows]
    stacks = [originals, *[np.asarray(r) for r in rows.values()]]
    n = len(originals)
    fig, axes = plt.subplots(len(stacks), n, figsize=(n * scale, len(stacks) * scale * 1.1),
                             squeeze=False)
    for r, (label, stack) in enumerate(zip(labels, stacks, strict=True)):
        for c in range(n):
            show_pixels(axes[r, c], np.clip(square(stack[c]), 0, 1))
            if r == 0 and titles is not None:
                axes[r, c].set_title(titles[c], fontsize=8)
        axes[r, 0].set_ylabel(label, fontsize=9, rotation=0, ha="right", va="center")
    fig.tight_layout()
    return fig


def image_strip(images, gap=2, fill=0.0) -> np.ndarray:
    """Images (n, 28, 28) side by side in one array, separated by ``gap`` columns of ``fill``.

    One array is one ``imshow``: far faster to draw than one axes per image.
    """
    images = np.asarray(images, dtype=np.float32).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    n = len(images)
    strip = np.full((IMAGE_SIDE, n * IMAGE_SIDE + (n - 1) * gap), fill, dtype=np.float32)
    for k, image in enumerate(images):
        start = k * (IMAGE_SIDE + gap)
        strip[:, start:start + IMAGE_SIDE] = image
    return strip


def reconstruction_strip_figure(originals, reconstructions, title=None, width=7.0, dpi=80):
    """Off-screen figure: originals as one strip above, their reconstructions below.

    Two axes only (each image row is a single ``imshow``), so it renders fast enough for
    a slider. Pixel values are shown on the same 0..1 scale in both rows.
    """
    top, bottom = image_strip(originals), image_strip(np.clip(reconstructions, 0, 1))
    height = width * 2 * top.shape[0] / top.shape[1] + 0.9
    fig = Figure(figsize=(width, height), dpi=dpi)
    for k, (strip, label) in enumerate(((top, "originals"), (bottom, "reconstructions"))):
        ax = fig.add_axes((0.02, 0.52 - 0.48 * k, 0.96, 0.36))
        show_pixels(ax, strip, interpolation="nearest")
        ax.set_title(label, fontsize=9, loc="left")
    if title:
        fig.suptitle(title, fontsize=10, y=0.99)
    return fig


# --- reconstruction error while training and against the coding size -------------------------

def learning_curves_figure(histories, title="Learning curves"):
    """Training (dashed) and validation (solid) MSE per epoch, one colour per model.

    ``histories`` maps a label to a history dict with ``loss`` and ``val_loss`` lists. The log
    y axis is labelled from below the smallest to above the largest value plotted.
    """
    fig, ax = plt.subplots(figsize=(8, 4.2))
    plotted = []
    for k, (label, history) in enumerate(histories.items()):
        colour = f"C{k}"
        epochs = np.arange(1, len(history["loss"]) + 1)
        ax.plot(epochs, history["loss"], "--", color=colour, linewidth=2, label=f"{label}: training")
        ax.plot(epochs, history["val_loss"], "-o", color=colour, markersize=4, linewidth=2,
                label=f"{label}: validation")
        plotted += [*history["loss"], *history["val_loss"]]
    ax.set_xlabel("epoch", fontsize=12)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    log_y_ticks_covering(ax, plotted, "reconstruction MSE (log scale)")
    ax.yaxis.label.set_fontsize(12)
    ax.tick_params(labelsize=11)
    ax.set_title(title, fontsize=13)
    ax.legend(fontsize=10)
    fig.tight_layout()
    return fig


LAYERWISE_PHASE_STYLE = {
    "outer": ("C1", "phase 1: shallow 784-100-784 (100-unit bottleneck)"),
    "inner": ("C2", "phase 2: stack with the 100-30-100 being trained"),
    "stacked": ("C3", "phase 3: stack, fine-tuning"),
}


def layerwise_curves_figure(end_to_end, greedy, checkpoints, end_to_end_mse):
    """Left: image validation MSE against training wall time, both routes.
    Right: validation MSE at each checkpoint of the greedy route beside end-to-end's.

    ``end_to_end``: a history (``val_loss``, cumulative ``seconds``); ``greedy``: the dict of
    ``helpers.layerwise.greedy_curve``; ``checkpoints``: {label: MSE} in route order
    (``LayerwiseResult.phase_mse()``); ``end_to_end_mse``: end-to-end's final validation MSE.
    """
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    ax.plot(end_to_end["seconds"], end_to_end["val_loss"], "-o", color="C0", markersize=3,
            label="end-to-end 784-100-30-100-784")
    phases = np.asarray(greedy["phase"])
    seconds, mse = np.asarray(greedy["seconds"]), np.asarray(greedy["image_val_mse"])
    for name, (colour, label) in LAYERWISE_PHASE_STYLE.items():
        mask = phases == name
        if mask.any():
            ax.plot(seconds[mask], mse[mask], "-s", color=colour, markersize=3, label=label)
    ax.set_xlabel("training wall time (s, cumulative; includes compilation)")
    log_y_ticks_covering(ax, [*mse, *end_to_end["val_loss"]], "validation MSE (images, log scale)")
    ax.set_title("Learning curves")
    ax.legend(fontsize=7)

    labels = [*checkpoints, "end-to-end"]
    values = [*checkpoints.values(), end_to_end_mse]
    phase_colours = [colour for colour, _ in LAYERWISE_PHASE_STYLE.values()]
    colours = [*phase_colours[: len(checkpoints)], "C0"]
    bars = bx.barh(range(len(values)), values, color=colours)
    bars[0].set_hatch("//")
    for k, v in enumerate(values):
        bx.text(v, k, f" {v:.4f}", va="center", fontsize=8)
    bx.set_yticks(range(len(values)))
    bx.set_yticklabels([lab.replace(": ", ":\n", 1) for lab in labels], fontsize=8)
    bx.invert_yaxis()
    bx.set_xlabel("validation MSE (all 5,000 images)")
    bx.set_xlim(0, max(values) * 1.3)
    bx.set_title("After each phase")
    fig.tight_layout()
    return fig


def mse_curve_figure(curves, current=None, width=4.2, height=3.0, dpi=80):
    """Off-screen figure: validation MSE against coding size, current size marked.

    ``curves`` maps a label (e.g. "untied") to ``(sizes, mses)``; ``current`` is
    ``(label, size, mse)`` or None. The x axis is logarithmic because the sizes are.
    The marker is the last line drawn (``fig.axes[0].lines[-1]``), so tests can read it.
    """
    fig = Figure(figsize=(width, height), dpi=dpi)
    ax = fig.add_subplot()
    for k, (label, (sizes, mses)) in enumerate(curves.items()):
        if len(sizes):
            ax.plot(sizes, mses, "-o", color=f"C{k}", markersize=4, label=label)
    if current is not None and current[2] is not None:
        _, size, mse = current
        ring_current_point(ax, size, mse, label=f"coding size {size}", size=13)
    all_sizes = sorted({s for sizes, _ in curves.values() for s in sizes})
    log_x_ticks_at(ax, all_sizes, [str(s) for s in all_sizes])
    ax.set_xlabel("coding size")
    ax.set_ylabel("validation MSE")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.subplots_adjust(left=0.2, bottom=0.16, right=0.97, top=0.95)  # tight_layout is slow
    return fig


def coding_size_overview_figure(originals, rows, curves, title=None, image_scale=0.72):
    """The coding-size explorer on one page, for readers without a kernel: the originals on top,
    one row of reconstructions per model below, and validation MSE against coding size beside.

    ``rows`` is {row label: reconstructions (n, 28, 28)}, in display order; ``curves`` is
    {label: (sizes, MSEs)} as for :func:`mse_curve_figure`. Each image row is one ``imshow``
    of :func:`image_strip` (``fig.axes[:len(rows) + 1]``); the curve is the last axes.
    """
    originals = np.asarray(originals)
    stacks = {"originals": originals, **{label: np.asarray(r) for label, r in rows.items()}}
    n_rows, n_images = len(stacks), len(originals)
    strip_width = n_images * image_scale
    height = max(n_rows * image_scale * 1.08, 3.6) + 0.5
    fig = plt.figure(figsize=(strip_width + 6.2, height))
    grid = fig.add_gridspec(n_rows, 2, width_ratios=(strip_width, 4.2), wspace=0.35, hspace=0.12)
    for r, (label, stack) in enumerate(stacks.items()):
        ax = fig.add_subplot(grid[r, 0])
        show_pixels(ax, image_strip(np.clip(stack, 0, 1)), interpolation="nearest")
        ax.set_ylabel(label, fontsize=11, rotation=0, ha="right", va="center")
    ax = fig.add_subplot(grid[:, 1])
    plotted = []
    for k, (label, (sizes, mses)) in enumerate(curves.items()):
        if len(sizes):
            ax.plot(sizes, mses, "-o", color=f"C{k}", markersize=6, linewidth=2, label=label)
            plotted += list(mses)
    all_sizes = sorted({s for sizes, _ in curves.values() for s in sizes})
    log_x_ticks_at(ax, all_sizes, [str(s) for s in all_sizes], fontsize=11)
    log_y_ticks_covering(ax, plotted, "validation MSE (log scale)")
    ax.yaxis.label.set_fontsize(12)
    ax.tick_params(labelsize=11)
    ax.set_xlabel("coding size", fontsize=12)
    if len(curves) > 1:
        ax.legend(fontsize=11)
    if title:
        fig.suptitle(title, fontsize=13)
    fig.subplots_adjust(left=0.14, right=0.98, top=1 - (0.6 if title else 0.15) / height,
                        bottom=0.55 / height)   # room in inches for the title and the x-axis labels
    return fig


# --- what the coding units show -------------------------------------------------

def weight_mosaic(kernel, n_cols=10, gap=2) -> np.ndarray:
    """Columns of a (784, units) kernel as 28x28 tiles in one array, each scaled to [-1, 1].

    Each tile is divided by its own largest absolute weight, so 0 stays 0 and every unit's
    pattern is visible whatever its scale. Gaps between tiles are NaN (drawn blank).
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim != 2 or kernel.shape[0] != IMAGE_SIDE * IMAGE_SIDE:
        raise ValueError(f"Expected a kernel of shape (784, units); got {kernel.shape}.")
    step = IMAGE_SIDE + gap
    mosaic = np.full((rows_needed(kernel.shape[1], n_cols) * step - gap, n_cols * step - gap), np.nan)
    for k in range(kernel.shape[1]):
        w = square(kernel[:, k])
        r, c = divmod(k, n_cols)
        mosaic[r * step:r * step + IMAGE_SIDE, c * step:c * step + IMAGE_SIDE] = w / (np.abs(w).max() or 1.0)
    return mosaic


def weight_images_figure(kernel, n_cols=10, scale=0.9, title=None):
    """Each column of a (784, units) kernel drawn as a 28x28 image (red +, blue -, white 0).

    One ``imshow`` of :func:`weight_mosaic` (fast even for hundreds of units).
    """
    mosaic = weight_mosaic(kernel, n_cols=n_cols)
    n_rows = rows_needed(np.asarray(kernel).shape[1], n_cols)
    fig, ax = plt.subplots(figsize=(n_cols * scale, n_rows * scale + (0.4 if title else 0)))
    ax.imshow(np.ma.masked_invalid(mosaic), cmap="bwr", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def top_activating_figure(images, codings, top, n_cols=3, width=11.0):
    """For every coding unit, a strip of the images in ``top[unit]`` (strongest first).

    ``top`` is (units, k) indices into ``images``; ``codings`` (n_images, units). Units are
    laid out in ``n_cols`` columns; each title gives the unit and its strongest activation,
    and a unit that never fires on ``images`` is titled "dead" and drawn faded.
    """
    images, codings, top = np.asarray(images), np.asarray(codings), np.asarray(top)
    strips = [image_strip(images[indices]) for indices in top]
    panel_width = width / n_cols
    panel_height = panel_width * IMAGE_SIDE / strips[0].shape[1] * 1.45
    fig, axes = panel_grid(len(strips), n_cols, panel_width, panel_height, extra_height=0.3)
    for unit, (ax, strip) in enumerate(zip(axes, strips, strict=True)):
        strongest = float(codings[:, unit].max())
        dead = strongest <= 0
        show_pixels(ax, strip, alpha=0.3 if dead else 1.0)
        ax.set_title(f"unit {unit}: dead" if dead else f"unit {unit} (max {strongest:.2f})",
                     fontsize=8, loc="left", pad=2)
    fig.tight_layout(pad=0.4)
    return fig


def principal_angles_figure(angles, title="Principal angles between the two subspaces"):
    """Bar chart of principal angles (degrees), smallest first."""
    angles = np.asarray(angles, dtype=float)
    fig, ax = plt.subplots(figsize=(7, 3))
    xs = np.arange(1, len(angles) + 1)
    ax.bar(xs, angles, color="C0")
    top = max(1.0, float(angles.max()) * 1.2)
    for x, a in zip(xs, angles, strict=True):
        ax.text(x, a + top * 0.01, f"{a:.2f}" if a < 10 else f"{a:.0f}", ha="center",
                va="bottom", fontsize=6.5)
    ax.set_xticks(xs)
    ax.set_xlabel("principal angle number (smallest first)")
    ax.set_ylabel("angle (degrees)")
    ax.set_ylim(0, top)
    ax.set_title(title)
    fig.tight_layout()
    return fig
