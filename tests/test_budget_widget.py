"""The label-budget explorer of notebook 04: set widget values, check what it produced.

A small real study (trained once per module) checks the pictures; a fake study checks the
argument errors and the failure/retry cycle without training anything.
"""

import io
from types import SimpleNamespace

import ipywidgets as widgets
import keras
import matplotlib.image as mpimg
import numpy as np
import pytest

from helpers import budget_explorer as be
from helpers.budget_explorer import (
    BudgetExplorer,
    budget_failure_message,
    budget_png,
    budget_readout,
    overview_figure,
    overview_runs,
    overview_sentences,
)
from helpers.budget_study import LabelBudgetStudy
from helpers.classifier_training import ClassifierPlan
from helpers.models import stacked_autoencoder
from helpers.pretraining_plots import budget_explorer_figure
from helpers.study_methods import METHOD_LABELS, METHODS
from helpers.study_report import confusion_matrix, short_label


def png_shape(data: bytes):
    return mpimg.imread(io.BytesIO(data), format="png").shape


# --- pure functions ---------------------------------------------------------------------------

def test_readout_text():
    assert budget_readout(500, "fine-tuned", 0.8123) == (
        "500 labels, pretrained encoder, fine-tuned: test accuracy 81.2%")
    assert budget_readout(55_000, "scratch", None) == (
        "55,000 labels, from scratch (random init): no result available")
    assert budget_readout(50, "frozen", float("nan")).endswith("no result available")
    assert budget_readout("lots", "odd", None) == "lots labels, odd: no result available"


def test_failure_message():
    assert be.budget_name(40) == "a budget of 40 labels"
    assert budget_failure_message(0, ValueError("a <b> reason")) == (
        "<b>Cannot show a budget of 0 labels.</b> ValueError: a &lt;b&gt; reason")


def test_check_n_misclassified():
    assert be.check_n_misclassified(0) == 0 and be.check_n_misclassified(np.int64(8)) == 8
    for bad in (9, -1, 2.5, True, None):
        with pytest.raises(ValueError, match=r"^n_misclassified must be a whole number from 0 to 8"):
            be.check_n_misclassified(bad)


# --- a fake study: no training, no pictures ------------------------------------------------------

class FakeStudy:
    """What the explorer reads from a LabelBudgetStudy. ``run`` fails ``failures`` times
    (OSError) before it works; a run's accuracy is budget / 1000."""

    def __init__(self, budgets=(20, 100), seeds=(0,), methods=METHODS, pool_size=1000, failures=0):
        self.budgets, self.seeds, self.methods, self.pool_size = budgets, seeds, methods, pool_size
        self.data = SimpleNamespace(y_train=np.arange(pool_size) % 10)
        self.results, self.failures, self.runs = {}, failures, []

    def budget_label(self, budget):
        return f"{budget:,}"

    def cached(self, budget, seed, source):
        return self.results.get((budget, seed, source))

    def run(self, budget, seed, source, on_step=None):
        self.runs.append((budget, seed, source))
        on_step(1, 2)
        if self.failures:
            self.failures -= 1
            raise OSError("the cache disk is full")
        on_step(2, 2)
        self.results[(budget, seed, source)] = {"accuracy": budget / 1000}
        return self.results[(budget, seed, source)]

    def summary(self):
        return {}

    def method_result(self, budget, seed, method, train=True):
        raise AssertionError("budget_png is replaced in these tests")


@pytest.fixture
def fake_png(monkeypatch):
    """budget_png replaced by (b"budget/method", the fake run's accuracy)."""
    def png(study, budget, method, seed, n_misclassified):
        source = be.METHOD_RUNS[method][0]
        return f"{budget}/{method}".encode(), study.results[(budget, seed, source)]["accuracy"]

    monkeypatch.setattr(be, "budget_png", png)


def test_a_failed_run_is_retried_after_moving_away_and_back(fake_png):
    study = FakeStudy(failures=1)
    study.results[(20, 0, "untied")] = {"accuracy": 0.02}
    explorer = BudgetExplorer(study, budget=20)
    assert explorer.show() is True and explorer.image.value == b"20/fine-tuned"
    explorer.slider.value = 100                       # trains, and fails
    assert "OSError: the cache disk is full" in explorer.message.value
    assert "Cannot show a budget of 100 labels" in explorer.message.value
    assert (explorer.progress.bar_style, explorer.progress.description) == ("danger", "failed")
    assert explorer.drawn is None and explorer.image.layout.visibility == "hidden"
    assert explorer.readout.value == budget_readout(100, "fine-tuned", None)
    explorer.slider.value = 20
    explorer.slider.value = 100                       # back: tries again, and works
    assert study.runs == [(100, 0, "untied"), (100, 0, "untied")]
    assert explorer.drawn == (100, "fine-tuned") and explorer.message.value == ""
    assert explorer.readout.value == budget_readout(100, "fine-tuned", 0.1)
    assert (explorer.progress.bar_style, explorer.progress.description) == ("success", "trained")
    assert explorer.progress.value == explorer.progress.max == 2
    assert explorer.trained == [(100, 0, "untied")]


def test_typing_a_failed_budget_again_retries(fake_png):
    study = FakeStudy(failures=1)
    study.results[(20, 0, "untied")] = {"accuracy": 0.02}
    explorer = BudgetExplorer(study, budget=20)
    explorer.show()
    explorer.custom.value = 60
    explorer.go.click()
    assert "the cache disk is full" in explorer.message.value
    assert explorer.image.value == b"20/fine-tuned", "a typed failure keeps the picture"
    explorer.go.click()
    assert explorer.image.value == b"60/fine-tuned" and explorer.drawn == (60, "fine-tuned")


def test_the_explorer_reads_its_choices_from_the_study(fake_png):
    explorer = BudgetExplorer(FakeStudy(budgets=(20, 100, 1000), methods=("scratch", "frozen")))
    assert explorer.slider.options == (("20", 20), ("100", 100), ("1,000", 1000))
    assert explorer.method.options == (("from scratch", "scratch"), ("pretrained, frozen", "frozen"))
    assert tuple(explorer.method.tooltips) == tuple(METHOD_LABELS[m] for m in ("scratch", "frozen"))
    assert explorer.selection() == (20, "scratch"), "default: the smallest budget, the first method"
    assert BudgetExplorer(FakeStudy(budgets=(20, 500))).selection() == (500, "fine-tuned")
    assert BudgetExplorer(FakeStudy(budgets=(20, 1000)), budget="all").slider.value == 1000
    assert explorer.describe((7, "frozen")) == "a budget of 7 labels"
    assert explorer.readout_text((7, "frozen"), None) == budget_readout(7, "frozen", None)


def test_check_study_returns_a_good_study():
    study = FakeStudy()
    assert be.check_study(study) is study


@pytest.mark.parametrize("study, message", [
    (None, r"^study must be a helpers.budget_study.LabelBudgetStudy, e.g. LabelBudgetStudy\(data\); "
           r"got NoneType \(no budgets, seeds"),
    (FakeStudy(budgets=(100, 20)), r"^study.budgets must be in increasing order .* "
                                   r"Use study.budgets=\(20, 100\)\.$"),
    (FakeStudy(budgets=(20, 20)), r"^study.budgets lists 20 twice"),
    (FakeStudy(budgets=(0, 20)), r"^study.budgets holds 0, which is not allowed: .*nothing to learn from"),
    (FakeStudy(budgets=(20, 5000)), r"^study.budgets holds 5000, .*larger than the labelled pool"),
    (FakeStudy(budgets=(20, "all")), r"^study.budgets holds 'all', .*write it as a number of labels, 1000"),
    (FakeStudy(budgets=()), r"^study.budgets needs at least one value"),
    (FakeStudy(seeds=()), r"^study.seeds must list at least one seed"),
])
def test_a_bad_study_is_refused_at_construction(study, message):
    with pytest.raises(ValueError, match=message):
        BudgetExplorer(study)


@pytest.mark.parametrize("arguments, message", [
    ({"method": "bogus"}, r"^method must be one of the study's methods \(study.methods\) "
                          r"\('scratch', 'frozen', 'fine-tuned', 'tied frozen', 'tied fine-tuned'\); "
                          r"got 'bogus'\.$"),
    ({"budget": 60}, r"^budget must be one of the budgets of the study \(study.budgets\) \(20, 100\); "
                     r"got 60\.$"),
    ({"budget": 0}, r"nothing to learn from"),
    ({"budget": "many"}, r"A label budget is a whole number of labels from 1 to 1,000"),
    ({"n_misclassified": 20}, r"^n_misclassified must be a whole number from 0 to 8"),
])
def test_bad_arguments_are_refused_at_construction(arguments, message):
    with pytest.raises(ValueError, match=message):
        BudgetExplorer(FakeStudy(), **arguments)


def test_a_method_the_study_does_not_compare_is_refused():
    with pytest.raises(ValueError, match=r"^method must be one of .*\('scratch', 'frozen'\); got 'tied fro"):
        BudgetExplorer(FakeStudy(methods=("scratch", "frozen")), method="tied frozen")


def test_show_explains_an_unknown_method(fake_png):
    explorer = BudgetExplorer(FakeStudy())
    assert explorer.show(method="bogus") is False
    assert "method must be one of the study&#x27;s methods" in explorer.message.value


# --- a small real study --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def study_args():
    keras.utils.set_random_seed(0)
    untied, tied = stacked_autoencoder(30), stacked_autoencoder(30, tied=True)
    return {"budgets": (20, 100), "seeds": (0, 1), "plan": ClassifierPlan(steps=20, chunk=10, batch_size=32),
            "sources": {"untied": (untied.encoder, "w-untied"), "tied": (tied.encoder, "w-tied")}}


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        path = tmp_path_factory.mktemp("budget-cache")
        patch.setenv("AE_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="module")
def study(fashion, study_args, module_cache):
    study = LabelBudgetStudy(fashion, **study_args)
    study.run_all()
    return study


@pytest.fixture
def explorer(study):
    return BudgetExplorer(study)   # a new explorer on the shared (already trained) study


def test_the_methods_are_buttons_the_keyboard_reaches(fake_png):
    explorer = BudgetExplorer(FakeStudy())
    assert isinstance(explorer.method, widgets.ToggleButtons), "Tab + Enter/Space, unlike a Dropdown"
    assert [label for label, _ in explorer.method.options] == [short_label(m) for m in METHODS]
    rows = explorer.widget.children
    assert rows[0] is explorer.slider and rows[1] is explorer.method, "one Tab from the slider to the buttons"


def test_classes_follow_the_dom_contract(explorer):
    assert "ae-budget-explorer" in explorer.widget._dom_classes
    for widget, name in [(explorer.slider, "slider"), (explorer.method, "method"),
                         (explorer.image, "image"), (explorer.readout, "readout"),
                         (explorer.progress, "progress"), (explorer.message, "message"),
                         (explorer.custom, "custom"), (explorer.go, "go")]:
        assert f"ae-budget-{name}" in widget._dom_classes


def test_slider_and_method_redraw_from_the_cache(explorer):
    study = explorer.study
    assert explorer.slider.value == 20 and explorer.method.value == "fine-tuned"
    explorer.slider.value = 100
    expected = study.method_result(100, 0, "fine-tuned", train=False)["accuracy"]
    assert explorer.readout.value == budget_readout(100, "fine-tuned", expected)
    assert explorer.drawn == (100, "fine-tuned") and explorer.message.value == ""
    first_png = explorer.image.value
    assert png_shape(first_png)[0] > 100
    explorer.method.value = "tied frozen"
    expected = study.method_result(100, 0, "tied frozen", train=False)["accuracy"]
    assert explorer.readout.value == budget_readout(100, "tied frozen", expected)
    assert explorer.image.value != first_png
    assert explorer.trained == [], "everything came from the study's cache"
    explorer.method.value = "fine-tuned"
    assert explorer.image.value == first_png, "back to a drawn state: the same picture"
    assert len(explorer._png) == 2, "and it was not drawn again"


def test_missing_budget_trains_with_progress(explorer):
    assert explorer.study.cached(60, 0, "untied") is None
    explorer.method.value = "frozen"
    assert explorer.show(60)
    assert explorer.trained == [(60, 0, "untied")]
    assert explorer.progress.value == explorer.progress.max == 40  # 2 phases x 20 steps
    assert explorer.readout.value.startswith("60 labels, pretrained encoder, frozen: test accuracy")
    explorer.custom.value = 60
    explorer.go.click()
    assert explorer.trained == [(60, 0, "untied")], "the second time it comes from the cache"


@pytest.mark.parametrize("budget, reason", [
    (0, "nothing to learn from"), (70_000, "larger than the labelled pool"),
    (7, "at least one label for each of the 10 classes"), (54_990, "cannot be class-balanced"),
])
def test_bad_budgets_give_a_message_and_keep_the_picture(explorer, budget, reason):
    explorer.show()
    shown, text = explorer.image.value, explorer.readout.value
    explorer.custom.value = budget
    explorer.go.click()
    assert reason in explorer.message.value and "Traceback" not in explorer.message.value
    assert explorer.image.value == shown and explorer.readout.value == text
    assert explorer.trained == []
    explorer.slider.value = 100      # a good value clears the message
    assert explorer.message.value == ""


def test_figure_marks_the_budget_and_shows_real_mistakes(fashion, explorer):
    study = explorer.study
    result = study.method_result(100, 0, "scratch", train=False)
    preds = result["predictions"]
    wrong = np.flatnonzero(preds != fashion.y_test)[:3]
    fig = budget_explorer_figure(study.summary(), METHOD_LABELS, study.budgets, study.pool_size,
                                 100, "scratch", result["accuracy"],
                                 confusion_matrix(fashion.y_test, preds), fashion.class_names,
                                 fashion.X_test[wrong], preds[wrong], fashion.y_test[wrong])
    curves, matrix = fig.axes[0], fig.axes[1]
    marker = curves.lines[-1]
    assert marker.get_xdata()[0] == 100
    assert marker.get_ydata()[0] == pytest.approx(100 * result["accuracy"])
    assert curves.lines[-2].get_xdata()[0] == 100, "vertical line at the budget"
    cm = confusion_matrix(fashion.y_test, preds)
    np.testing.assert_allclose(matrix.images[0].get_array(), cm / cm.sum(axis=1, keepdims=True))
    titles = [ax.get_title() for ax in fig.axes[2:] if ax.get_title()]
    assert len(titles) == 3
    for title, p, t in zip(titles, preds[wrong], fashion.y_test[wrong], strict=True):
        assert fashion.class_names[p].split("/")[0] in title.split("\n")[0]
        assert fashion.class_names[t].split("/")[0] in title.split("\n")[1]
    png, acc = budget_png(study, 100, "scratch", 0)
    assert acc == result["accuracy"] and png_shape(png)[2] in (3, 4)


def test_budget_png_never_trains(fashion, study_args, private_cache):
    study = LabelBudgetStudy(fashion, **study_args)
    with pytest.raises(ValueError, match="No result for 40 labels"):
        budget_png(study, 40, "scratch", 0)


def test_overview_figure_shows_the_smallest_and_largest_budget(fashion, explorer):
    study = explorer.study
    runs = overview_runs(study, "scratch")
    assert list(runs) == [20, 100], "default: the study's smallest and largest budget, first seed"
    for budget, (accuracy, confusion) in runs.items():
        result = study.method_result(budget, 0, "scratch", train=False)
        assert accuracy == result["accuracy"]
        np.testing.assert_array_equal(confusion, confusion_matrix(fashion.y_test, result["predictions"]))
    fig = overview_figure(study, "scratch", seed=1)
    assert len(fig.axes) == 3 and "seed 1" in fig.axes[0].get_title()
    rings = fig.axes[0].lines[-2:]
    assert [ring.get_xdata()[0] for ring in rings] == [20, 100]
    assert rings[1].get_ydata()[0] == pytest.approx(100 * study.method_result(100, 1, "scratch")["accuracy"])
    import matplotlib.pyplot as plt
    plt.close(fig)
    with pytest.raises(ValueError, match="No result for 40 labels"):
        overview_runs(study, "scratch", budgets=(20, 40))


def test_overview_sentences_name_accuracy_and_confusions(explorer, monkeypatch):
    confusions = {20: np.array([[5, 3, 0], [0, 9, 1], [2, 0, 8]]),
                  100: np.array([[8, 2, 0], [0, 9, 1], [0, 0, 10]])}
    runs = {b: (0.5 + b / 1000, c) for b, c in confusions.items()}
    monkeypatch.setattr(be, "overview_runs", lambda study, method, budgets, seed: runs)
    study = SimpleNamespace(seeds=(0,), data=SimpleNamespace(class_names=["T-shirt/top", "Trouser", "Bag"]),
                            budget_label=lambda b: f"{b:,}")
    assert overview_sentences(study, "scratch", k=2) == [
        "With 20 labels (from scratch (random init), seed 0): 52.0% of the test images right; most frequent\n"
        "  confusions: T-shirt taken for Trouser (3 images), Bag taken for T-shirt (2 images).",
        "With 100 labels (from scratch (random init), seed 0): 60.0% of the test images right; most "
        "frequent\n  confusions: T-shirt taken for Trouser (2 images), Trouser taken for Bag (1 image).",
        "Among the 2 most frequent confusions at every budget shown: T-shirt taken for Trouser.",
    ]
