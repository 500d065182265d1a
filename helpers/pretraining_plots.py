"""Figures for the pretraining study: classifier accuracy against the number of labels.

Notebook 04 shows accuracy and the gain over from-scratch training against the label
budget (:func:`accuracy_vs_labels_figure`, :func:`gain_vs_labels_figure`); its explorer
renders :func:`budget_explorer_figure` off-screen (a plain ``Figure``, never ``pyplot``);
notebook 05 compares seeds run by run (:func:`paired_accuracy_figure`). Accuracies come in
as fractions and are drawn in percent.
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
    log_x_ticks_at(ax, budgets, [budget_tick_label(b, pool_size, compact) for b in budgets], fontsize=8)
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


def accuracy_vs_labels_figure(summary, method_labels, budgets, pool_size, title=None):
    """Notebook figure: test accuracy against the number of labels, with error bars."""
    fig, ax = plt.subplots(figsize=(9, 5))
    draw_accuracy_curves(ax, summary, method_labels, budgets, pool_size)
    ax.set_title(title or "Test accuracy (10,000 images) against the number of labels")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def draw_confusion(ax, confusion, class_names):
    """Row-normalised confusion matrix (% of each true class), with the counts written in."""
    confusion = np.asarray(confusion)
    totals = confusion.sum(axis=1, keepdims=True)
    share = np.divide(confusion, totals, out=np.zeros(confusion.shape, float), where=totals > 0)
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    n = len(class_names)
    for i in range(n):
        for j in range(n):
            if confusion[i, j]:
                ax.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=5.5,
                        color="white" if share[i, j] > 0.5 else "black")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xticklabels(class_names, rotation=90, fontsize=6.5)
    ax.set_yticklabels(class_names, fontsize=6.5)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.grid(False)
    return image


def budget_explorer_figure(summary, method_labels, budgets, pool_size, budget, method, accuracy,
                           confusion, class_names, images, predicted, true, title=None,
                           width=13.0, dpi=72):
    """Off-screen figure for the label-budget explorer: curves with the current budget
    marked | confusion matrix | misclassified test images with predicted and true labels.

    The current point is the last line drawn on ``fig.axes[0]`` (a red ring at
    ``(budget, 100 * accuracy)``), after a vertical line at ``budget``. Up to
    ``N_MISCLASSIFIED_SHOWN`` images are shown.
    """
    short_names = [name.split("/")[0] for name in class_names]   # "T-shirt/top" -> "T-shirt"
    fig = Figure(figsize=(width, width * 0.33), dpi=dpi)
    grid = fig.add_gridspec(2, 8, width_ratios=[2.6, 0.25, 2.0, 0.25, 1, 1, 1, 1],
                            left=0.05, right=0.99, top=0.86, bottom=0.2, wspace=0.15, hspace=0.5)
    ax = fig.add_subplot(grid[:, 0])
    draw_accuracy_curves(ax, summary, method_labels, budgets, pool_size, highlight=method,
                         compact=True)
    ax.axvline(budget, color="red", linewidth=1, linestyle=":")
    if accuracy is not None:
        ring_current_point(ax, budget, 100 * accuracy)
    ax.legend(fontsize=6.5, loc="lower right")
    ax.set_title("accuracy (mean ± std over seeds)", fontsize=9)
    cx = fig.add_subplot(grid[:, 2])
    draw_confusion(cx, confusion, short_names)
    cx.set_title("confusion matrix (shown run)", fontsize=9)
    images = np.asarray(images)
    for k in range(N_MISCLASSIFIED_SHOWN):
        mx = fig.add_subplot(grid[k // 4, 4 + k % 4])
        mx.set_axis_off()
        if k < len(images):
            show_pixels(mx, square(images[k]))
            mx.set_title(f"pred: {short_names[predicted[k]]}\ntrue: {short_names[true[k]]}",
                         fontsize=7, color="firebrick")
    if not len(images):
        fig.text(0.8, 0.5, "no misclassified test image", ha="center", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def gain_vs_labels_figure(gains, method_labels, budgets, pool_size, colours=None):
    """Accuracy gained over the from-scratch baseline (percentage points) against the budget.

    ``gains``: {method: {budget: (mean, std, per-seed gains)}}
    (``LabelBudgetStudy.paired_gains``). Each seed's difference is a small dot; the mean
    +- std is the line. Above zero, the method beat the same-architecture baseline.
    """
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.axhline(0, color="black", linewidth=1)
    for k, (method, points) in enumerate(gains.items()):
        if not points:
            continue
        colour = (colours or {}).get(method, f"C{k}")
        shift = 1 + 0.04 * (k - (len(gains) - 1) / 2)      # side by side on the log axis
        _percent_errorbar(ax, points, shift, markersize=5, color=colour,
                          label=method_labels.get(method, method))
        for b in sorted(points):
            seeds = 100 * np.asarray(points[b][2])
            ax.plot([b * shift] * len(seeds), seeds, ".", color=colour, alpha=0.45, markersize=5)
    _budget_axis(ax, budgets, pool_size)
    ax.set_ylabel("accuracy minus scratch (points)")
    ax.set_title("Gain over the same classifier trained from scratch (same labels, same seed)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def paired_accuracy_figure(rows, methods=("scratch", "frozen", "pretrained"), labels=None):
    """Test accuracy (%) per method, one line per seed joining that seed's runs.

    ``rows``: one dict per seed, with ``seed`` and an accuracy (fraction) per method.
    The last line drawn is the mean of each method.
    """
    labels = labels or {"scratch": "from scratch", "frozen": "pretrained,\nfrozen",
                        "pretrained": "pretrained,\nfine-tuned"}
    fig, ax = plt.subplots(figsize=(6, 3.8))
    xs = np.arange(len(methods))
    for k, row in enumerate(rows):
        ax.plot(xs, [100 * row[m] for m in methods], "-o", color=f"C{k}", label=f"seed {row['seed']}")
    means = [100 * np.mean([row[m] for row in rows]) for m in methods]
    ax.plot(xs, means, "_", color="black", markersize=30, markeredgewidth=2, label="mean")
    ax.set_xticks(xs)
    ax.set_xticklabels([labels.get(m, m) for m in methods])
    ax.set_xlim(-0.5, len(methods) - 0.5)
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
