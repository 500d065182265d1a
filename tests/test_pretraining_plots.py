"""helpers.pretraining_plots: the study's figures plot the numbers they are given, in percent."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import pretraining_plots

LABELS = {"scratch": "from scratch", "fine-tuned": "fine-tuned"}
SUMMARY = {"scratch": {50: (0.6, 0.01, 3), 55_000: (0.86, 0.002, 3)},
           "fine-tuned": {50: (0.62, 0.02, 3), 55_000: (0.85, 0.001, 3)},
           "empty": {}}
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover"]


def test_budget_tick_label_long_and_compact():
    label = pretraining_plots.budget_tick_label
    assert [label(b, 55_000) for b in (500, 5000, 55_000)] == ["500", "5,000", "all\n55,000"]
    assert [label(b, 55_000, compact=True) for b in (250, 1500, 5000, 55_000)] == [
        "250", "1,500", "5k", "all"]


def test_draw_accuracy_curves_plots_percent_with_std_and_highlights_one_method():
    _, ax = plt.subplots()
    lines = pretraining_plots.draw_accuracy_curves(ax, SUMMARY, LABELS, (50, 55_000), 55_000,
                                                   highlight="fine-tuned")
    assert set(lines) == {"scratch", "fine-tuned"}          # a method with no result draws nothing
    np.testing.assert_allclose(np.asarray(lines["scratch"].get_ydata(), float), [60, 86])
    assert list(lines["fine-tuned"].get_xdata()) == [50, 55_000]
    assert lines["fine-tuned"].get_linewidth() > lines["scratch"].get_linewidth()
    assert lines["scratch"].get_alpha() < 1.0
    error_bar = ax.collections[0].get_segments()[0]        # scratch at 50 labels: 60 +- 1
    np.testing.assert_allclose(error_bar[:, 1], [59, 61])
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["50", "all\n55,000"]


def legend_outside_axes(ax) -> bool:
    """True when the legend's box lies wholly to the right of, or above, the axes' box."""
    fig = ax.figure
    fig.canvas.draw()
    legend, axes = ax.get_legend().get_window_extent(), ax.get_window_extent()
    return legend.x0 >= axes.x1 or legend.y0 >= axes.y1


def test_accuracy_vs_labels_figure_has_a_legend_entry_per_method_outside_the_data():
    fig = pretraining_plots.accuracy_vs_labels_figure(SUMMARY, LABELS, (50, 55_000), 55_000, title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["from scratch", "fine-tuned"]
    assert ax.get_title() == "t" and ax.get_ylabel() == "test accuracy (%)"
    assert legend_outside_axes(ax)


def test_draw_confusion_normalises_rows_and_writes_the_counts():
    _, ax = plt.subplots()
    confusion = np.array([[8, 2, 0], [0, 5, 5], [0, 0, 0]])
    image = pretraining_plots.draw_confusion(ax, confusion, CLASS_NAMES)
    np.testing.assert_allclose(image.get_array(), [[0.8, 0.2, 0], [0, 0.5, 0.5], [0, 0, 0]])
    assert sorted(t.get_text() for t in ax.texts) == ["2", "5", "5", "8"]   # zeros left blank
    white = [t.get_text() for t in ax.texts if t.get_color() == "white"]
    assert white == ["8"]                                  # only the dark cell (80 % of its row)
    assert [t.get_text() for t in ax.get_yticklabels()] == CLASS_NAMES
    assert {t.get_fontsize() for t in ax.texts} == {9}, "readable counts"


def test_draw_confusion_writes_white_on_dark_cells_only():
    shares = [100, 80, 70, 60, 30, 10]                    # row i: shares[i] % on the diagonal
    n = len(shares)
    confusion = np.zeros((n, n), dtype=int)
    for i, share in enumerate(shares):
        confusion[i, i], confusion[i, (i + 1) % n] = share, 100 - share
    _, ax = plt.subplots()
    pretraining_plots.draw_confusion(ax, confusion, [f"c{i}" for i in range(n)], fontsize=12)
    diagonal = {int(t.get_position()[0]): t.get_color() for t in ax.texts
                if t.get_position()[0] == t.get_position()[1]}
    assert [diagonal[i] for i in range(n)] == ["white"] * 3 + ["black"] * 3
    assert {t.get_fontsize() for t in ax.texts} == {12}


def test_budget_explorer_figure_marks_the_current_run_and_names_the_mistakes():
    images = np.random.default_rng(0).random((2, 784))
    fig = pretraining_plots.budget_explorer_figure(
        SUMMARY, LABELS, (50, 55_000), 55_000, budget=50, method="scratch", accuracy=0.61,
        confusion=np.eye(3, dtype=int), class_names=CLASS_NAMES, images=images,
        predicted=[0, 2], true=[1, 0], title="t")
    curves = fig.axes[0]
    ring, budget_line = curves.lines[-1], curves.lines[-2]
    assert (list(ring.get_xdata()), list(ring.get_ydata())) == ([50], [pytest.approx(61)])
    assert list(budget_line.get_xdata()) == [50, 50]
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == ["T-shirt", "Trouser", "Pullover"]
    titles = [ax.get_title() for ax in fig.axes[2:] if ax.get_title()]
    assert titles == ["pred: T-shirt\ntrue: Trouser", "pred: Pullover\ntrue: T-shirt"]
    np.testing.assert_allclose(fig.axes[3].images[0].get_array(), images[1].reshape(28, 28))
    assert len(fig.axes) == 2 + pretraining_plots.N_MISCLASSIFIED_SHOWN
    assert fig._suptitle.get_text() == "t"
    assert legend_outside_axes(curves), "the legend sits above the curves, not on them"
    assert tuple(fig.get_size_inches() * fig.dpi) == (936, 640)
    assert min(t.get_fontsize() for t in fig.axes[1].texts) >= 10, "counts readable on a projector"


def test_budget_overview_figure_rings_each_run_and_draws_its_confusion():
    runs = {50: (0.61, np.eye(3, dtype=int) * 5), 55_000: (0.85, np.array([[4, 1, 0], [0, 5, 0], [0, 0, 5]]))}
    fig = pretraining_plots.budget_overview_figure(SUMMARY, LABELS, (50, 55_000), 55_000, "scratch", runs,
                                                   CLASS_NAMES, title="overview")
    curves, *matrices = fig.axes
    rings = curves.lines[-2:]
    assert [(r.get_xdata()[0], r.get_ydata()[0]) for r in rings] == [(50, pytest.approx(61)),
                                                                     (55_000, pytest.approx(85))]
    assert [m.get_title() for m in matrices] == ["50 labels: 61.0% right", "all 55,000 labels: 85.0% right"]
    np.testing.assert_allclose(matrices[1].images[0].get_array()[0], [0.8, 0.2, 0])
    assert curves.get_title() == "overview" and legend_outside_axes(curves)


def test_budget_explorer_figure_says_when_nothing_was_misclassified():
    fig = pretraining_plots.budget_explorer_figure(
        SUMMARY, LABELS, (50, 55_000), 55_000, 50, "scratch", None, np.eye(3, dtype=int),
        CLASS_NAMES, np.zeros((0, 784)), [], [])
    assert "no misclassified test image" in [t.get_text() for t in fig.texts]
    assert fig.axes[0].lines[-1].get_xdata()[0] == 50      # no ring: the budget line is last


def test_gain_vs_labels_figure_draws_each_seed_and_the_mean():
    gains = {"fine-tuned": {50: (0.02, 0.01, [0.01, 0.02, 0.03]), 55_000: (-0.01, 0.0, [-0.01] * 3)}}
    fig = pretraining_plots.gain_vs_labels_figure(gains, LABELS, (50, 55_000), 55_000, {"fine-tuned": "C2"})
    ax = fig.axes[0]
    seed_dots = [line for line in ax.lines if line.get_linestyle() == "None" and line.get_marker() == "D"]
    assert sorted(round(v, 6) for d in seed_dots for v in d.get_ydata()) == [-1.0, -1.0, -1.0, 1.0, 2.0, 3.0]
    assert all(d.get_alpha() >= 0.8 and d.get_markersize() >= 5 for d in seed_dots), "visible dots"
    assert all(d.get_xdata()[0] != 50 for d in seed_dots[:1]), "beside the error bar, not on it"
    assert legend_outside_axes(ax)
    mean_line = next(line for line in ax.lines if line.get_marker() == "o")
    np.testing.assert_allclose(np.asarray(mean_line.get_ydata(), float), [2, -1])
    assert mean_line.get_color() == "C2"


def test_paired_accuracy_figure_has_a_line_per_seed_and_the_means():
    rows = [{"seed": 0, "scratch": 0.7, "frozen": 0.6, "pretrained": 0.8},
            {"seed": 1, "scratch": 0.71, "frozen": 0.6, "pretrained": 0.82}]
    fig = pretraining_plots.paired_accuracy_figure(rows)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["seed 0", "seed 1", "mean"]
    np.testing.assert_allclose(lines[0].get_ydata(), [70, 60, 80])
    np.testing.assert_allclose(lines[-1].get_ydata(), [70.5, 60, 81])
    assert fig.axes[0].get_xticklabels()[0].get_text() == "from scratch"
    assert legend_outside_axes(fig.axes[0])
