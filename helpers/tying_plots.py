"""Figures for notebook 02's measurements of tying: learning curves against time, the overfitting gap,
and encoder features beside decoder basis images.

Each returns a pyplot ``Figure`` (show it with ``plt.show()``). Legends sit below the axes, never on
the data, and logarithmic axes are labelled across the whole plotted range
(``figure_parts.log_y_ticks_covering``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from helpers.figure_parts import log_x_ticks_at, log_y_ticks_covering
from helpers.plots import weight_mosaic
from helpers.tying_study import first_epoch_at_or_below, paired


def _legend_below(fig, handles, ncol):
    fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=10, frameon=False)
    fig.tight_layout(rect=(0, 0.09, 1, 1))


def speed_figure(histories: dict, target: float, title="Tied and untied, coding size 30"):
    """Left: training (dashed) and validation (solid) MSE per epoch. Right: validation MSE
    against cumulative training seconds, the common ``target`` dotted and where each run first
    reaches it starred. ``histories``: {label: history with loss, val_loss, seconds}."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    plotted, handles = [], []
    for k, (label, history) in enumerate(histories.items()):
        colour, val = f"C{k}", np.asarray(history["val_loss"], dtype=float)
        epochs = np.arange(1, len(val) + 1)
        ax.plot(epochs, history["loss"], "--", color=colour)
        ax.plot(epochs, val, "-o", color=colour, markersize=3)
        bx.plot(history["seconds"], val, "-o", color=colour, markersize=3)
        epoch = first_epoch_at_or_below(val, target)
        if epoch:
            bx.plot(history["seconds"][epoch - 1], val[epoch - 1], "*", color=colour, markersize=14,
                    markeredgecolor="black")
        plotted.extend([*history["loss"], *val])
        handles.append(Line2D([], [], color=colour, marker="o", markersize=4, label=label))
    for axes in (ax, bx):
        axes.axhline(target, color="0.3", linestyle=":", linewidth=1.2)
    log_y_ticks_covering(ax, [*plotted, target], "reconstruction MSE (log scale)")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Per epoch: training dashed, validation solid")
    bx.set_xlabel("training wall time (s, cumulative; the first epoch includes compiling)")
    bx.set_title("Validation MSE against time")
    fig.suptitle(title)
    handles += [Line2D([], [], color="0.3", linestyle="--", label="training"),
                Line2D([], [], color="0.3", linestyle=":", label=f"target {target:.5f}"),
                Line2D([], [], color="0.3", marker="*", markersize=10, linestyle="none",
                       markeredgecolor="black", label="first reaches the target")]
    _legend_below(fig, handles, ncol=3)
    return fig


def overfit_figure(records, title="Small training sets: tied against untied"):
    """Left: gap between validation and training MSE; right: validation MSE; both against the
    training-set size, one dot per seed and a line through the means."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    panels = (("gap", "validation MSE - training MSE"), ("valid_mse", "validation MSE (all 5,000 images)"))
    handles = []
    for ax, (field, ylabel) in zip(axes, panels, strict=True):
        table = paired(records, field)
        sizes = np.array(list(table), dtype=float)
        for kind, (name, colour, shift) in enumerate((("untied", "C0", 0.94), ("tied", "C1", 1.06))):
            means = [pair[kind].mean() for pair in table.values()]
            for n, pair in zip(sizes, table.values(), strict=True):
                ax.plot(np.full(len(pair[kind]), n * shift), pair[kind], "o", color=colour, alpha=0.55,
                        markersize=6, markeredgecolor="none")
            ax.plot(sizes * shift, means, "-", color=colour, linewidth=2)
            if field == "gap":
                handles.append(Line2D([], [], color=colour, linewidth=2, label=f"{name}: mean over seeds"))
                handles.append(Line2D([], [], color=colour, marker="o", alpha=0.55, linestyle="none",
                                      label=f"{name}: one seed"))
        log_x_ticks_at(ax, sizes, [f"{int(n):,}" for n in sizes])
        ax.set_xlim(sizes.min() * 0.75, sizes.max() * 1.3)
        ax.set_xlabel("training images")
        ax.set_ylabel(ylabel)
    axes[0].set_title("Overfitting: the gap at the end of training")
    axes[1].set_title("What the model does on new images")
    fig.suptitle(title)
    _legend_below(fig, handles, ncol=4)
    return fig


def weight_pairs_figure(pairs: dict, cosines: dict, n_units=10, scale=0.9):
    """Per model, column j of an encoder kernel (top row) above row j of a decoder kernel (bottom
    row), for the first ``n_units`` j, each tile on its own colour scale: an encoder feature beside the
    decoder basis image paired with it (pass the decoder's rows in the pairing to show, e.g. each
    feature's best match). ``pairs``: {label: (encoder kernel (784, units), decoder kernel (units,
    784))}; ``cosines``: {label: the pairs' cosine similarities}, written under each pair."""
    if not pairs:
        raise ValueError("pairs must name at least one model: {label: (encoder kernel, decoder kernel)}.")
    fig, axes = plt.subplots(len(pairs), 1, figsize=(n_units * scale, len(pairs) * (2 * scale + 0.7)),
                             squeeze=False)
    for ax, (label, (encoder_kernel, decoder_kernel)) in zip(axes[:, 0], pairs.items(), strict=True):
        encoder_kernel, decoder_kernel = np.asarray(encoder_kernel), np.asarray(decoder_kernel)
        if decoder_kernel.T.shape != encoder_kernel.shape:
            raise ValueError(f"pairs[{label!r}]: the decoder kernel {decoder_kernel.shape} must be the "
                             f"encoder kernel {encoder_kernel.shape} transposed.")
        tiles = np.concatenate([encoder_kernel[:, :n_units], decoder_kernel[:n_units].T], axis=1)
        ax.imshow(np.ma.masked_invalid(weight_mosaic(tiles, n_cols=n_units)), cmap="bwr", vmin=-1, vmax=1,
                  interpolation="nearest")
        step = tiles.shape[0] ** 0.5 + 2
        ax.set_xticks([j * step + 13.5 for j in range(n_units)],
                      [f"{c:+.2f}" for c in np.asarray(cosines[label])[:n_units]], fontsize=8)
        ax.set_yticks([13.5, step + 13.5], ["encoder", "decoder"], fontsize=8)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title(f"{label}: cosine similarity of each pair below it", fontsize=10)
    fig.tight_layout()
    return fig
