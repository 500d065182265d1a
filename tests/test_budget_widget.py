"""The label-budget explorer of notebook 04: set widget values, check what it produced."""

import io

import keras
import matplotlib.image as mpimg
import numpy as np
import pytest

from helpers.models import stacked_autoencoder
from helpers.plots import budget_explorer_figure
from helpers.pretraining import (METHOD_LABELS, ClassifierPlan, LabelBudgetStudy,
                                 confusion_matrix)
from helpers.widgets import BudgetExplorer, budget_failure_message, budget_png, budget_readout


def png_shape(data: bytes):
    return mpimg.imread(io.BytesIO(data), format="png").shape


def test_readout_text():
    assert budget_readout(500, "fine-tuned", 0.8123) == (
        "500 labels, pretrained encoder, fine-tuned: test accuracy 81.2%")
    assert budget_readout(55_000, "scratch", None) == (
        "55,000 labels, from scratch (random init): no result available")
    assert budget_readout(50, "frozen", float("nan")).endswith("no result available")
    message = budget_failure_message(0, ValueError("a <b> reason"))
    assert "0 labels" in message and "&lt;b&gt;" in message


@pytest.fixture(scope="module")
def study_args():
    keras.utils.set_random_seed(0)
    untied, tied = stacked_autoencoder(30), stacked_autoencoder(30, tied=True)
    return dict(budgets=(20, 100), seeds=(0, 1), plan=ClassifierPlan(steps=20, chunk=10, batch_size=32),
                sources={"untied": (untied.encoder, "w-untied"), "tied": (tied.encoder, "w-tied")})


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


def test_classes_follow_the_dom_contract(explorer):
    assert "ae-budget-explorer" in explorer.widget._dom_classes
    for widget, name in [(explorer.slider, "slider"), (explorer.method, "method"),
                         (explorer.image, "image"), (explorer.readout, "readout"),
                         (explorer.progress, "progress"), (explorer.message, "message")]:
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
    for title, p, t in zip(titles, preds[wrong], fashion.y_test[wrong]):
        assert fashion.class_names[p].split("/")[0] in title.split("\n")[0]
        assert fashion.class_names[t].split("/")[0] in title.split("\n")[1]
    png, acc = budget_png(study, 100, "scratch", 0)
    assert acc == result["accuracy"] and png_shape(png)[2] in (3, 4)


def test_budget_png_never_trains(fashion, study_args, private_cache):
    study = LabelBudgetStudy(fashion, **study_args)
    with pytest.raises(ValueError, match="No result for 40 labels"):
        budget_png(study, 40, "scratch", 0)
