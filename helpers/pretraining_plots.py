"""Figures for the pretraining study: classifier accuracy against the number of labels.

Notebook 04 shows accuracy and the gain over from-scratch training against the label
budget (:func:`accuracy_vs_labels_figure`, :func:`gain_vs_labels_figure`); its explorer
renders :func:`budget_explorer_figure` off-screen (a plain ``Figure``, never ``pyplot``), and
:func:`budget_overview_figure` is its static picture for readers without a kernel;
notebook 05 compares seeds run by run (:func:`paired_accuracy_figure`). Accuracies come in
as fractions and are drawn in percent. Legends sit outside the axes, so they never cover data.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from helpers.figure_parts import log_x_ticks_at, ring_current_point, show_pixels, square

N_MISCLASSIFIED_SHOWN = 8


def budget_tick_label(budget, pool_size, compact=False) -> str:
    """'500', '1,000' / '1k', and 'all\n55,000' / 'all' for the whole pool."""
    if budget == pool_size:
        return "all" if compact else f"all\n{budget:,}"
    if compact and budget >= 1000 and budget % 1000 == 0:
        return f"{budget // 1000}k"
    return f"{budget:,}"


def _budget_axis(ax, budgets, pool_size, compact=False):
    log_x_ticks_at(ax, budgets, [budget_tick_label(b, pool_size, compact) for b in budgets], fontsize=9)
    ax.set_xlabel("labelled training images (log scale)")


def _percent_errorbar(ax, points, shift=1.0, **style):
    """Mean +- std of ``points`` ({budget: (mean, std, ...)}, fractions) in %, against the budget.

    ``shift`` multiplies the budgets, to set several methods side by side on a log axis.
    """
    budgets = sorted(points)
    return ax.errorbar([b * shift for b in budgets], [100 * points[b][0] for b in budgets],
                       yerr=[100 * points[b][1] for b in budgets], fmt="-o", capsize=3, **style)


def draw_accuracy_curves(ax, summary, method_labels, budgets, pool_size, highlight=None,
                         compact=False):
    """Mean test accuracy (%) +- std (error bars) against the budget, one line per method.

    ``summary``: {method: {budget: (mean, std, n)}} (``LabelBudgetStudy.summary()``).
    Returns {method: line} so callers (and tests) can find each curve.
    """
    lines = {}
    for k, (method, points) in enumerate(summary.items()):
        if not points:
            continue
        container = _percent_errorbar(
            ax, points, markersize=4, color=f"C{k}", label=method_labels.get(method, method),
            linewidth=2.5 if method == highlight else 1.4,
            alpha=1.0 if highlight in (None, method) else 0.55)
        lines[method] = container.lines[0]
    _budget_axis(ax, budgets, pool_size, compact)
    ax.set_ylabel("test accuracy (%)")
    return lines


def legend_outside(ax, fontsize=9, **options):
    """The legend to the right of ``ax``, outside it, so that it never covers data."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, fontsize=fontsize,
                     **options)


def accuracy_vs_labels_figure(summary, method_labels, budgets, pool_size, title=None):
    """Notebook figure: test accuracy against the number of labels, with error bars."""
    fig, ax = plt.subplots(figsize=(10.5, 5), layout="constrained")
    draw_accuracy_curves(ax, summary, method_labels, budgets, pool_size)
    ax.set_title(title or "Test accuracy (10,000 images) against the number of labels")
    legend_outside(ax)
    return fig


def draw_confusion(ax, confusion, class_names, fontsize=9):
    """Row-normalised confusion matrix (% of each true class), with the counts written in.

    Counts are white on dark cells and black on light ones (by the cell colour's luminance).
    """
    confusion = np.asarray(confusion)
    totals = confusion.sum(axis=1, keepdims=True)
    share = np.divide(confusion, totals, out=np.zeros(confusion.shape, float), where=totals > 0)
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    colours = image.cmap(image.norm(share))
    luminance = colours[..., :3] @ np.array([0.2126, 0.7152, 0.0722])
    n = len(class_names)
    for i in range(n):
        for j in range(n):
            if confusion[i, j]:
                ax.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=fontsize,
                        color="white" if luminance[i, j] < 0.5 else "black")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xticklabels(class_names, rotation=45, ha="right", rotation_mode="anchor", fontsize=fontsize)
    ax.set_yticklabels(class_names, fontsize=fontsize)
    ax.set_xlabel("predicted", fontsize=fontsize + 1)
    ax.set_ylabel("true", fontsize=fontsize + 1)
    ax.grid(False)
    return image


def _pixels(fig, left, bottom, width, height):
    """An axes placed in pixels of ``fig`` (origin bottom left), for a layout that never moves."""
    w, h = fig.get_size_inches() * fig.dpi
    return fig.add_axes((left / w, bottom / h, width / w, height / h))


def budget_explorer_figure(summary, method_labels, budgets, pool_size, budget, method, accuracy,
                           confusion, class_names, images, predicted, true, title=None, dpi=72):
    """Off-screen figure for the label-budget explorer, 936 x 640 pixels: the curves with the
    current budget marked (legend above them) | the confusion matrix; below, misclassified
    test images with predicted and true labels.

    ``fig.axes[0]`` holds the curves; its last line is the current point (a red ring at
    ``(budget, 100 * accuracy)``), after a vertical line at ``budget``. ``fig.axes[1]`` is the
    confusion matrix, then ``N_MISCLASSIFIED_SHOWN`` image axes (blank when fewer images).
    """
    short_names = [name.split("/")[0] for name in class_names]   # "T-shirt/top" -> "T-shirt"
    fig = Figure(figsize=(936 / dpi, 640 / dpi), dpi=dpi)
    ax = _pixels(fig, 58, 272, 440, 250)
    draw_accuracy_curves(ax, summary, method_labels, budgets, pool_size, highlight=method, compact=True)
    ax.axvline(budget, color="red", linewidth=1, linestyle=":")
    if accuracy is not None:
        ring_current_point(ax, budget, 100 * accuracy)
    ax.tick_params(labelsize=10)
    ax.xaxis.label.set_fontsize(10)
    ax.yaxis.label.set_fontsize(10)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.02, 1.0, 0.2), mode="expand", ncol=2,
              borderaxespad=0, frameon=False, fontsize=10)
    fig.text(58 / 936, 596 / 640, "accuracy, mean ± std over seeds (ring: the run shown)", fontsize=11)
    cx = _pixels(fig, 630, 222, 300, 300)
    draw_confusion(cx, confusion, short_names, fontsize=10)
    cx.set_title("confusion matrix of the run shown", fontsize=11)
    images = np.asarray(images)
    for k in range(N_MISCLASSIFIED_SHOWN):
        mx = _pixels(fig, 16 + k * 115, 14, 96, 96)
        mx.set_axis_off()
        if k < len(images):
            show_pixels(mx, square(images[k]))
            mx.set_title(f"pred: {short_names[predicted[k]]}\ntrue: {short_names[true[k]]}",
                         fontsize=10, color="firebrick")
    if not len(images):
        fig.text(0.5, 0.08, "no misclassified test image", ha="center", fontsize=11)
    if title:
        fig.suptitle(title, fontsize=12, y=0.985)
    return fig


def budget_overview_figure(summary, method_labels, budgets, pool_size, method, runs, class_names,
                           title=None):
    """The explorer's content as one static picture: accuracy curves with the shown runs ringed,
    then the confusion matrix of each run side by side.

    ``runs``: ``{budget: (accuracy, confusion)}`` for one method and seed (usually two budgets).
    ``fig.axes[0]`` holds the curves, each ring among its last ``len(runs)`` lines; the
    confusion matrices follow in the order of ``runs``.
    """
    short_names = [name.split("/")[0] for name in class_names]
    fig = plt.figure(figsize=(11, 10.5), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.25])
    ax = top.subplots()
    draw_accuracy_curves(ax, summary, method_labels, budgets, pool_size, highlight=method)
    for budget, (accuracy, _) in runs.items():
        ring_current_point(ax, budget, 100 * accuracy)
    ax.set_title(title or f"test accuracy, mean ± std over seeds; rings: the runs below "
                 f"({method_labels.get(method, method)})", fontsize=11)
    legend_outside(ax)
    for cx, (budget, (accuracy, confusion)) in zip(bottom.subplots(1, len(runs)) if len(runs) > 1
                                                   else [bottom.subplots()], runs.items(), strict=True):
        draw_confusion(cx, confusion, short_names, fontsize=9)
        cx.set_title(f"{budget_tick_label(budget, pool_size).replace(chr(10), ' ')} labels: "
                     f"{100 * accuracy:.1f}% right", fontsize=11)
    return fig


def gain_vs_labels_figure(gains, method_labels, budgets, pool_size, colours=None):
    """Accuracy gained over the from-scratch baseline (percentage points) against the budget.

    ``gains``: {method: {budget: (mean, std, per-seed gains)}}
    (``LabelBudgetStudy.paired_gains``). Each seed's difference is a diamond; the mean
    +- std is the line. Above zero, the method beat the same-architecture baseline.
    """
    fig, ax = plt.subplots(figsize=(10.5, 4.8), layout="constrained")
    ax.axhline(0, color="black", linewidth=1)
    for k, (method, points) in enumerate(gains.items()):
        if not points:
            continue
        colour = (colours or {}).get(method, f"C{k}")
        shift = 1 + 0.1 * (k - (len(gains) - 1) / 2)       # side by side on the log axis
        _percent_errorbar(ax, points, shift, markersize=5, color=colour, elinewidth=1,
                          label=method_labels.get(method, method))
        for b in sorted(points):   # each seed beside its method's error bar, not on it
            seeds = 100 * np.asarray(points[b][2])
            ax.plot([b * shift * 1.035] * len(seeds), seeds, "D", color=colour, alpha=0.85, markersize=5,
                    markeredgecolor="white", markeredgewidth=0.6, zorder=3)
    _budget_axis(ax, budgets, pool_size)
    ax.set_ylabel("accuracy minus scratch (points)")
    ax.set_title("Gain over the same classifier trained from scratch (same labels, same seed)")
    legend_outside(ax)
    return fig


def paired_accuracy_figure(rows, methods=("scratch", "frozen", "pretrained"), labels=None):
    """Test accuracy (%) per method, one line per seed joining that seed's runs.

    ``rows``: one dict per seed, with ``seed`` and an accuracy (fraction) per method.
    The last line drawn is the mean of each method.
    """
    labels = labels or {"scratch": "from scratch", "frozen": "pretrained,\nfrozen",
                        "pretrained": "pretrained,\nfine-tuned"}
    fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
    xs = np.arange(len(methods))
    for k, row in enumerate(rows):
        ax.plot(xs, [100 * row[m] for m in methods], "-o", color=f"C{k}", label=f"seed {row['seed']}")
    means = [100 * np.mean([row[m] for row in rows]) for m in methods]
    ax.plot(xs, means, "_", color="black", markersize=30, markeredgewidth=2, label="mean")
    ax.set_xticks(xs)
    ax.set_xticklabels([labels.get(m, m) for m in methods])
    ax.set_xlim(-0.5, len(methods) - 0.5)
    ax.set_ylabel("test accuracy (%)")
    legend_outside(ax, fontsize=8)
    return fig
