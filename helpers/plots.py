"""Figures for the notebooks and the explorers (matplotlib only).

Functions named ``*_figure`` return a ``matplotlib.figure.Figure``. Those meant for a
notebook cell are made through ``pyplot`` so that ``plt.show()`` displays them; the ones
an explorer widget renders off-screen (``reconstruction_strip_figure``,
``mse_curve_figure``) are plain ``Figure`` objects that never touch ``pyplot`` and are turned
into PNG bytes with :func:`figure_png`.
"""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.offsetbox import AnnotationBbox, OffsetImage
from matplotlib.ticker import FormatStrFormatter, LogLocator, MaxNLocator

IMAGE_SIDE = 28


# --- choosing what to show ---------------------------------------------------------------

def one_per_class(labels, n_classes=10) -> np.ndarray:
    """Index of the first example of each class 0..n_classes-1, in class order."""
    labels = np.asarray(labels)
    missing = [c for c in range(n_classes) if not np.any(labels == c)]
    if missing:
        raise ValueError(f"No example of class(es) {missing} among the {len(labels)} labels given.")
    return np.array([int(np.argmax(labels == c)) for c in range(n_classes)])


def pca_project(X, n_components=2):
    """Principal-component projection with NumPy only.

    Centres ``X`` (n_samples, n_features), takes its SVD and returns
    ``(projected, explained_variance_ratio)``: the coordinates on the first
    ``n_components`` principal axes, and the share of the total variance along each axis.
    The sign of each axis is fixed (largest-magnitude loading positive) so results are
    reproducible.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or not 1 <= n_components <= min(X.shape):
        raise ValueError(f"pca_project needs a 2-D array with at least {n_components} rows and "
                         f"columns; got shape {X.shape}.")
    centred = X - X.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:n_components]
    signs = np.sign(axes[np.arange(n_components), np.argmax(np.abs(axes), axis=1)])
    axes = axes * signs[:, None]
    variance = s ** 2
    total = variance.sum()
    ratio = variance[:n_components] / total if total > 0 else np.zeros(n_components)
    return centred @ axes.T, ratio


def sparse_subset(points, min_distance, max_count=None, seed=0) -> np.ndarray:
    """Indices of points kept so that no two kept points are closer than ``min_distance``.

    Points are visited in a seeded random order, so the subset is spread over the whole
    cloud rather than piled up where the data are dense. Used to place thumbnails.
    """
    points = np.asarray(points, dtype=np.float64)
    order = np.random.default_rng(seed).permutation(len(points))
    kept = []
    for i in order:
        if kept and np.min(np.linalg.norm(points[kept] - points[i], axis=1)) < min_distance:
            continue
        kept.append(int(i))
        if max_count is not None and len(kept) >= max_count:
            break
    return np.array(kept, dtype=int)


# --- figures for notebook cells ------------------------------------------------------------

def image_grid_figure(images, labels=None, class_names=None, n_cols=10, scale=1.2):
    """A grid of images, each titled with its class name when labels are given."""
    images = np.asarray(images)
    n_rows = int(np.ceil(len(images) / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(n_cols * scale, n_rows * scale * 1.15),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= len(images):
            continue
        ax.imshow(images[k].reshape(IMAGE_SIDE, IMAGE_SIDE), cmap="binary")
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
    for r, (label, stack) in enumerate(zip(labels, stacks)):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(np.clip(stack[c].reshape(IMAGE_SIDE, IMAGE_SIDE), 0, 1), cmap="binary",
                      vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ax.spines.values():
                side.set_visible(False)
            if r == 0 and titles is not None:
                ax.set_title(titles[c], fontsize=8)
        axes[r, 0].set_ylabel(label, fontsize=9, rotation=0, ha="right", va="center")
    fig.tight_layout()
    return fig


def learning_curves_figure(histories, title="Learning curves"):
    """Training (dashed) and validation (solid) MSE per epoch, one colour per model.

    ``histories`` maps a label to a history dict with ``loss`` and ``val_loss`` lists.
    """
    fig, ax = plt.subplots(figsize=(8, 4))
    for k, (label, history) in enumerate(histories.items()):
        colour = f"C{k}"
        epochs = np.arange(1, len(history["loss"]) + 1)
        ax.plot(epochs, history["loss"], "--", color=colour, label=f"{label}: training")
        ax.plot(epochs, history["val_loss"], "-o", color=colour, markersize=3,
                label=f"{label}: validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("reconstruction MSE")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_minor_locator(LogLocator(base=10, subs=np.arange(1.0, 10.0, 0.5)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%.3f"))
    ax.yaxis.set_minor_formatter(FormatStrFormatter("%.3f"))
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def coding_space_figure(points, labels, class_names, images=None, n_thumbnails=40,
                        thumbnail_zoom=0.7, seed=0, title="Codings projected to 2-D"):
    """Scatter of 2-D points coloured by class, with image thumbnails on a sparse subset.

    ``points`` (n, 2); ``images`` (n, 28, 28) are the images behind the points (optional).
    """
    points, labels = np.asarray(points), np.asarray(labels)
    fig, ax = plt.subplots(figsize=(9, 7.5))
    cmap = plt.get_cmap("tab10")
    for c, name in enumerate(class_names):
        mask = labels == c
        ax.scatter(points[mask, 0], points[mask, 1], s=4, color=cmap(c), alpha=0.6, label=name)
    if images is not None and n_thumbnails:
        span = np.ptp(points, axis=0).max()
        chosen = sparse_subset(points, min_distance=span / 12, max_count=n_thumbnails, seed=seed)
        for i in chosen:
            box = OffsetImage(np.asarray(images[i]).reshape(IMAGE_SIDE, IMAGE_SIDE),
                              cmap="binary", zoom=thumbnail_zoom)
            ax.add_artist(AnnotationBbox(box, points[i], frameon=True, pad=0.1,
                                         bboxprops={"edgecolor": cmap(int(labels[i])),
                                                    "linewidth": 1.5}))
    ax.set_xlabel("first principal component")
    ax.set_ylabel("second principal component")
    ax.set_title(title)
    ax.legend(markerscale=4, fontsize=8, loc="upper right", framealpha=0.9)
    fig.tight_layout()
    return fig


def weight_mosaic(kernel, n_cols=10, gap=2) -> np.ndarray:
    """Columns of a (784, units) kernel as 28x28 tiles in one array, each scaled to [-1, 1].

    Each tile is divided by its own largest absolute weight, so 0 stays 0 and every unit's
    pattern is visible whatever its scale. Gaps between tiles are NaN (drawn blank).
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim != 2 or kernel.shape[0] != IMAGE_SIDE * IMAGE_SIDE:
        raise ValueError(f"Expected a kernel of shape (784, units); got {kernel.shape}.")
    units = kernel.shape[1]
    n_rows = int(np.ceil(units / n_cols))
    step = IMAGE_SIDE + gap
    mosaic = np.full((n_rows * step - gap, n_cols * step - gap), np.nan)
    for k in range(units):
        w = kernel[:, k].reshape(IMAGE_SIDE, IMAGE_SIDE)
        r, c = divmod(k, n_cols)
        mosaic[r * step:r * step + IMAGE_SIDE, c * step:c * step + IMAGE_SIDE] = w / (np.abs(w).max() or 1.0)
    return mosaic


def weight_images_figure(kernel, n_cols=10, scale=0.9, title=None):
    """Each column of a (784, units) kernel drawn as a 28x28 image (red +, blue -, white 0).

    One ``imshow`` of :func:`weight_mosaic` (fast even for hundreds of units).
    """
    mosaic = weight_mosaic(kernel, n_cols=n_cols)
    n_rows = int(np.ceil(np.asarray(kernel).shape[1] / n_cols))
    fig, ax = plt.subplots(figsize=(n_cols * scale, n_rows * scale + (0.4 if title else 0)))
    ax.imshow(np.ma.masked_invalid(mosaic), cmap="bwr", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


# --- off-screen figures for the explorer widgets ---------------------------------------------

def figure_png(fig, dpi=None) -> bytes:
    """Render ``fig`` to PNG bytes (Agg renderer; nothing is displayed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi or fig.dpi)
    return buffer.getvalue()


def image_strip(images, gap=2, fill=0.0) -> np.ndarray:
    """Images (n, 28, 28) side by side in one array, separated by ``gap`` columns of ``fill``."""
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
        ax.imshow(strip, cmap="binary", vmin=0, vmax=1, interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(label, fontsize=9, loc="left")
    if title:
        fig.suptitle(title, fontsize=10, y=0.99)
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
        label, size, mse = current
        ax.plot([size], [mse], "o", markersize=13, markerfacecolor="none", markeredgecolor="red",
                markeredgewidth=2, label=f"coding size {size}")
    ax.set_xscale("log")
    all_sizes = sorted({s for sizes, _ in curves.values() for s in sizes})
    if all_sizes:
        ax.set_xticks(all_sizes)
        ax.set_xticklabels([str(s) for s in all_sizes])
        ax.minorticks_off()
    ax.set_xlabel("coding size")
    ax.set_ylabel("validation MSE")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.subplots_adjust(left=0.2, bottom=0.16, right=0.97, top=0.95)  # tight_layout is slow
    return fig


# --- notebook 03: greedy layer-wise training against end-to-end ------------------------------

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
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

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
    ax.set_ylabel("validation MSE (images, log scale)")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_title("Learning curves")
    ax.legend(fontsize=7)

    labels = list(checkpoints) + ["end-to-end"]
    values = list(checkpoints.values()) + [end_to_end_mse]
    colours = ["C1", "C2", "C3", "C0"][: len(values) - 1] + ["C0"]
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


# --- notebook 04: accuracy against the number of labels --------------------------------------

def budget_tick_label(budget, pool_size, compact=False) -> str:
    """'500', '1,000' / '1k', and 'all\n55,000' / 'all' for the whole pool."""
    if budget == pool_size:
        return "all" if compact else f"all\n{budget:,}"
    if compact and budget >= 1000 and budget % 1000 == 0:
        return f"{budget // 1000}k"
    return f"{budget:,}"


def _budget_axis(ax, budgets, pool_size, compact=False):
    ax.set_xscale("log")
    ax.set_xticks(budgets)
    ax.set_xticklabels([budget_tick_label(b, pool_size, compact) for b in budgets], fontsize=8)
    ax.minorticks_off()
    ax.set_xlabel("labelled training images (log scale)")


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
        xs = sorted(points)
        means = [100 * points[b][0] for b in xs]
        stds = [100 * points[b][1] for b in xs]
        style = {"linewidth": 2.5 if method == highlight else 1.4,
                 "alpha": 1.0 if highlight in (None, method) else 0.55}
        container = ax.errorbar(xs, means, yerr=stds, fmt="-o", markersize=4, capsize=3,
                                color=f"C{k}", label=method_labels.get(method, method), **style)
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
    ``(budget, 100 * accuracy)``), after a vertical line at ``budget``.
    """
    fig = Figure(figsize=(width, width * 0.33), dpi=dpi)
    grid = fig.add_gridspec(2, 8, width_ratios=[2.6, 0.25, 2.0, 0.25, 1, 1, 1, 1],
                            left=0.05, right=0.99, top=0.86, bottom=0.2, wspace=0.15, hspace=0.5)
    ax = fig.add_subplot(grid[:, 0])
    draw_accuracy_curves(ax, summary, method_labels, budgets, pool_size, highlight=method,
                         compact=True)
    ax.axvline(budget, color="red", linewidth=1, linestyle=":")
    if accuracy is not None:
        ax.plot([budget], [100 * accuracy], "o", markersize=12, markerfacecolor="none",
                markeredgecolor="red", markeredgewidth=2)
    ax.legend(fontsize=6.5, loc="lower right")
    ax.set_title("accuracy (mean ± std over seeds)", fontsize=9)
    cx = fig.add_subplot(grid[:, 2])
    draw_confusion(cx, confusion, [c.split("/")[0] for c in class_names])
    cx.set_title("confusion matrix (shown run)", fontsize=9)
    images = np.asarray(images)
    for k in range(8):
        mx = fig.add_subplot(grid[k // 4, 4 + k % 4])
        mx.set_axis_off()
        if k < len(images):
            mx.imshow(images[k].reshape(IMAGE_SIDE, IMAGE_SIDE), cmap="binary", vmin=0, vmax=1)
            mx.set_title(f"pred: {class_names[predicted[k]].split('/')[0]}\n"
                         f"true: {class_names[true[k]].split('/')[0]}", fontsize=7, color="firebrick")
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
        colour = (colours or {}).get(method, f"C{k}")
        xs = sorted(points)
        if not xs:
            continue
        shift = 1 + 0.04 * (k - (len(gains) - 1) / 2)      # side by side on the log axis
        ax.errorbar([x * shift for x in xs], [100 * points[b][0] for b in xs],
                    yerr=[100 * points[b][1] for b in xs], fmt="-o", capsize=3, markersize=5,
                    color=colour, label=method_labels.get(method, method))
        for b in xs:
            seeds = 100 * np.asarray(points[b][2])
            ax.plot([b * shift] * len(seeds), seeds, ".", color=colour, alpha=0.45, markersize=5)
    _budget_axis(ax, budgets, pool_size)
    ax.set_ylabel("accuracy minus scratch (points)")
    ax.set_title("Gain over the same classifier trained from scratch (same labels, same seed)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# --- notebook 05: exercises --------------------------------------------------------------------

def top_activating_figure(images, codings, top, n_cols=3, width=11.0):
    """For every coding unit, a strip of the images in ``top[unit]`` (strongest first).

    ``top`` is (units, k) indices into ``images``; ``codings`` (n_images, units). Units are
    laid out in ``n_cols`` columns; each title gives the unit and its strongest activation,
    and a unit that never fires on ``images`` is titled "dead" and drawn faded.
    """
    images, codings, top = np.asarray(images), np.asarray(codings), np.asarray(top)
    units = top.shape[0]
    n_rows = int(np.ceil(units / n_cols))
    strip_ratio = IMAGE_SIDE / image_strip(images[top[0]]).shape[1]
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(width, n_rows * (width / n_cols) * strip_ratio * 1.45 + 0.3),
                             squeeze=False)
    for unit, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if unit >= units:
            continue
        strongest = float(codings[:, unit].max())
        dead = strongest <= 0
        ax.imshow(image_strip(images[top[unit]]), cmap="binary", vmin=0, vmax=1,
                  alpha=0.3 if dead else 1.0)
        ax.set_title(f"unit {unit}: dead" if dead else f"unit {unit} (max {strongest:.2f})",
                     fontsize=8, loc="left", pad=2)
    fig.tight_layout(pad=0.4)
    return fig


def paired_accuracy_figure(rows, methods=("scratch", "frozen", "pretrained"), labels=None):
    """Test accuracy (%) per method, one line per seed joining that seed's runs."""
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


def principal_angles_figure(angles, title="Principal angles between the two subspaces"):
    """Bar chart of principal angles (degrees), smallest first."""
    angles = np.asarray(angles, dtype=float)
    fig, ax = plt.subplots(figsize=(7, 3))
    xs = np.arange(1, len(angles) + 1)
    ax.bar(xs, angles, color="C0")
    top = max(1.0, float(angles.max()) * 1.2)
    for x, a in zip(xs, angles):
        ax.text(x, a + top * 0.01, f"{a:.2f}" if a < 10 else f"{a:.0f}", ha="center",
                va="bottom", fontsize=6.5)
    ax.set_xticks(xs)
    ax.set_xlabel("principal angle number (smallest first)")
    ax.set_ylabel("angle (degrees)")
    ax.set_ylim(0, top)
    ax.set_title(title)
    fig.tight_layout()
    return fig
