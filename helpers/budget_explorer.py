"""The label-budget explorer of notebook 04: accuracy, confusion and mistakes at one label budget.

:class:`BudgetExplorer` is a label-budget slider and a row of method buttons showing the
accuracy curves (current budget marked), the confusion matrix and misclassified test images of
one run. Results come from a ``helpers.budget_study.LabelBudgetStudy``: memory, then the disk
cache; a missing run is trained on the spot while the progress bar moves. A run that failed
is not remembered: selecting it again retries. :func:`overview_figure` is the explorer's
static picture (curves and two confusion matrices) for readers without a kernel, and
:func:`overview_sentences` says what it shows.

The method buttons are ``ToggleButtons``: plain ``<button>`` elements, so in JupyterLab's
command mode Tab (or Shift+Tab) reaches each of them and Enter or Space selects it. On a
focused dropdown the notebook takes the arrow keys to move between cells instead.

DOM contract (CSS classes the browser tests rely on): ``ae-budget-explorer`` (root),
``ae-budget-slider``, ``ae-budget-method`` (the buttons' container; the selected one has
``mod-active``, its text is :func:`helpers.study_report.short_label`), ``ae-budget-image``,
``ae-budget-readout`` (text = :func:`budget_readout`), ``ae-budget-progress``,
``ae-budget-message``; plus ``ae-budget-custom`` (a typed budget) and ``ae-budget-go`` (its button).
"""

from __future__ import annotations

import math
import numbers
import textwrap

import ipywidgets as widgets

from helpers.figure_parts import figure_png
from helpers.labels import balanced_counts, check_budget
from helpers.pretraining_plots import budget_explorer_figure, budget_overview_figure
from helpers.study_methods import METHOD_LABELS, METHOD_RUNS
from helpers.study_report import confusion_matrix, misclassified, most_confused, short_label
from helpers.widgets import Drawing, Explorer, check_choices, check_initial, failure_message

MISCLASSIFIED_SLOTS = 8   # room for misclassified images in pretraining_plots.budget_explorer_figure

# What the explorer reads from a study (a helpers.budget_study.LabelBudgetStudy).
STUDY_ATTRIBUTES = ("budgets", "seeds", "methods", "pool_size", "data", "results", "cached", "run",
                    "summary", "method_result", "budget_label")


def budget_readout(budget, method, accuracy) -> str:
    """The readout line of the label-budget explorer (plain text, also used by browser tests)."""
    count = f"{budget:,}" if isinstance(budget, numbers.Integral) else str(budget)
    what = f"{count} labels, {METHOD_LABELS.get(method, method)}"
    if accuracy is None or not math.isfinite(accuracy):
        return f"{what}: no result available"
    return f"{what}: test accuracy {100 * accuracy:.1f}%"


def budget_name(budget) -> str:
    """How the explorer names what it was asked for, e.g. "a budget of 500 labels"."""
    return f"a budget of {budget} labels"


def budget_failure_message(budget, error) -> str:
    """HTML for the explorer's message area: what was asked, and why it cannot be shown."""
    return failure_message(budget_name(budget), error)


def budget_png(study, budget, method, seed, n_misclassified=MISCLASSIFIED_SLOTS) -> tuple[bytes, float]:
    """(PNG bytes, accuracy) of the explorer's picture for one (budget, method, seed) run.

    Trains nothing: the run must already be in ``study`` (memory or disk cache).
    """
    result = study.method_result(budget, seed, method, train=False)
    if result is None:
        raise ValueError(f"No result for {budget} labels ({method}, seed {seed}) in the cache yet.")
    data = study.data
    predictions = result["predictions"]
    wrong = misclassified(data.y_test, predictions, n_misclassified)
    fig = budget_explorer_figure(
        study.summary(), METHOD_LABELS, study.budgets, study.pool_size, result["budget"], method,
        result["accuracy"], confusion_matrix(data.y_test, predictions), data.class_names,
        data.X_test[wrong], predictions[wrong], data.y_test[wrong],
        title=f"{budget_readout(result['budget'], method, result['accuracy'])} (seed {seed})")
    return figure_png(fig), result["accuracy"]


def overview_runs(study, method, budgets=None, seed=None) -> dict:
    """``{budget: (accuracy, confusion matrix)}`` of ``method``'s cached runs at ``budgets``
    (default: the study's smallest and largest) for ``seed`` (default: the first, as the
    explorer). Trains nothing: a missing run is a ValueError naming it."""
    seed = study.seeds[0] if seed is None else seed
    budgets = (min(study.budgets), max(study.budgets)) if budgets is None else budgets
    runs = {}
    for budget in budgets:
        result = study.method_result(budget, seed, method, train=False)
        if result is None:
            raise ValueError(f"No result for {budget} labels ({method}, seed {seed}) in the cache yet; "
                             "run the study first (study.run_all()).")
        confusion = confusion_matrix(study.data.y_test, result["predictions"])
        runs[result["budget"]] = (result["accuracy"], confusion)
    return runs


def overview_figure(study, method="fine-tuned", budgets=None, seed=None):
    """The explorer's static picture: the accuracy curves with two runs ringed, and their
    confusion matrices (see :func:`overview_runs` for the defaults). A pyplot figure."""
    seed = study.seeds[0] if seed is None else seed
    return budget_overview_figure(
        study.summary(), METHOD_LABELS, study.budgets, study.pool_size, method,
        overview_runs(study, method, budgets, seed), study.data.class_names,
        title=f"test accuracy, mean ± std over seeds; rings: the runs below "
              f"({METHOD_LABELS[method]}, seed {seed})")


def overview_sentences(study, method="fine-tuned", budgets=None, seed=None, k=3) -> list[str]:
    """What :func:`overview_figure` shows, in words: each run's accuracy and its ``k`` most
    frequent confusions, then the confusions among those ``k`` at every budget shown."""
    seed = study.seeds[0] if seed is None else seed
    names = [name.split("/")[0] for name in study.data.class_names]
    out, tops = [], []
    for budget, (accuracy, confusion) in overview_runs(study, method, budgets, seed).items():
        top = most_confused(confusion, names, k)
        tops.append({(true, predicted) for true, predicted, _ in top})
        pairs = ", ".join(f"{true} taken for {predicted} ({count:,} image{'s' * (count != 1)})"
                          for true, predicted, count in top)
        out.append(f"With {study.budget_label(budget)} labels ({METHOD_LABELS[method]}, seed {seed}): "
                   f"{100 * accuracy:.1f}% of the test images right; most frequent confusions: {pairs}.")
    common = sorted(set.intersection(*tops)) if tops else []
    shared = ", ".join(f"{true} taken for {predicted}" for true, predicted in common) or "none"
    out.append(f"Among the {k} most frequent confusions at every budget shown: {shared}.")
    return [textwrap.fill(line, 100, subsequent_indent="  ") for line in out]


def check_study(study):
    """``study`` if it looks like a ``LabelBudgetStudy`` with usable budgets and seeds, else
    ValueError saying what is missing."""
    missing = [name for name in STUDY_ATTRIBUTES if not hasattr(study, name)]
    if missing:
        raise ValueError(f"study must be a helpers.budget_study.LabelBudgetStudy, e.g. "
                         f"LabelBudgetStudy(data); got {type(study).__name__} (no {', '.join(missing)}).")

    def slider_budget(budget):
        if check_budget(budget, study.pool_size) != budget:
            raise ValueError(f"write it as a number of labels, {study.pool_size}.")

    check_choices("study.budgets", study.budgets, slider_budget, "(50, 500)")
    if not len(study.seeds):
        raise ValueError("study.seeds must list at least one seed, e.g. LabelBudgetStudy(data, seeds=(0,)).")
    return study


def check_n_misclassified(n_misclassified) -> int:
    """``n_misclassified`` as an int from 0 to the picture's slots, or ValueError."""
    if (isinstance(n_misclassified, bool) or not isinstance(n_misclassified, numbers.Integral)
            or not 0 <= n_misclassified <= MISCLASSIFIED_SLOTS):
        raise ValueError(f"n_misclassified must be a whole number from 0 to {MISCLASSIFIED_SLOTS} "
                         f"(the picture has {MISCLASSIFIED_SLOTS} slots); got {n_misclassified!r}.")
    return int(n_misclassified)


class BudgetExplorer(Explorer):
    """Label-budget slider + method buttons -> accuracy curves (current budget marked),
    confusion matrix and misclassified test images of one run.

    Args:
        study: a ``helpers.budget_study.LabelBudgetStudy``; the run shown is its first seed.
        method: the method shown first, one of ``study.methods`` (the methods it compares);
            default "fine-tuned" if offered, else the first.
        budget: the slider's first position, one of ``study.budgets`` (or "all" when the
            whole pool is one of them); default 500 if offered, else the smallest.
        n_misclassified: how many misclassified test images to show (0 to 8).

    A budget typed in the box (not on the slider) is checked first: zero, more than the
    pool or an impossible balanced subset gives a message and keeps the picture.
    """

    def __init__(self, study, method=None, budget=None, n_misclassified=MISCLASSIFIED_SLOTS):
        self.study = check_study(study)
        if method is None:
            method = "fine-tuned" if "fine-tuned" in study.methods else study.methods[0]
        self.check_method(method)
        self.n_misclassified = check_n_misclassified(n_misclassified)
        self.seed = study.seeds[0]
        if budget is None:
            budget = 500 if 500 in study.budgets else study.budgets[0]
        budget = check_initial("budget", check_budget(budget, study.pool_size), study.budgets,
                               "budgets of the study (study.budgets)")
        self.trained = []          # (budget, seed, source) trained by this explorer
        self._png: dict = {}       # (budget, method, results known) -> (PNG bytes, accuracy)

        super().__init__("ae-budget", budget_readout(budget, method, None), "460px", "940px")
        self.slider = widgets.SelectionSlider(
            options=[(study.budget_label(b), b) for b in study.budgets], value=budget,
            description="labels", continuous_update=False, layout=widgets.Layout(width="460px"))
        self.slider.add_class("ae-budget-slider")
        self.method = widgets.ToggleButtons(options=[(short_label(m), m) for m in study.methods],
                                            value=method, description="method",
                                            tooltips=[METHOD_LABELS[m] for m in study.methods],
                                            style={"button_width": "auto"})   # no label cut short
        self.method.add_class("ae-budget-method")
        self.custom = widgets.IntText(value=300, description="or type",
                                      layout=widgets.Layout(width="170px"))
        self.custom.add_class("ae-budget-custom")
        self.go = widgets.Button(description="show this budget", layout=widgets.Layout(width="140px"))
        self.go.add_class("ae-budget-go")
        self.assemble("ae-budget-explorer", [self.slider, self.method, widgets.HBox([self.custom, self.go])])
        self.follow(self.slider, self.method)
        self.go.on_click(lambda _button: self.show(self.custom.value))

    def check_method(self, method) -> str:
        """``method`` if the study compares it, else ValueError listing ``study.methods``."""
        return check_initial("method", method, self.study.methods, "study's methods (study.methods)")

    def selection(self) -> tuple:
        return (self.slider.value, self.method.value)

    def describe(self, key) -> str:
        return budget_name(key[0])

    def readout_text(self, key, accuracy) -> str:
        return budget_readout(*key, accuracy)

    def _on_step(self, done, total):
        self.step(done, total, "step")

    def drawing(self, key) -> Drawing:
        """The picture of (budget, method), training the run first if no cache has it."""
        budget, method = key
        study = self.study
        self.check_method(method)
        budget = check_budget(budget, study.pool_size)           # refuses 0, > pool, ...
        balanced_counts(study.data.y_train, budget, self.seed)   # ... and unbalanceable ones
        source = METHOD_RUNS[method][0]
        if study.cached(budget, self.seed, source) is None:
            with self.busy("training", "trained"):
                study.run(budget, self.seed, source, on_step=self._on_step)
            self.trained.append((budget, self.seed, source))
        study.summary()                                # loads every cached result into memory
        memo_key = (budget, method, len(study.results))   # new results -> new curves -> redraw
        if memo_key not in self._png:
            self._png[memo_key] = budget_png(study, budget, method, self.seed, self.n_misclassified)
        png, accuracy = self._png[memo_key]
        return Drawing((png,), budget_readout(budget, method, accuracy))

    def show(self, budget=None, method=None) -> bool:
        """Draw (budget, method) (default: the widgets' values). False + message on failure."""
        return self.show_key((self.slider.value if budget is None else budget,
                              self.method.value if method is None else method))
