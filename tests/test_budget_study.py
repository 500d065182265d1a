"""The label-budget study, its argument checks and its cache check (helpers.budget_study)."""

import dataclasses
import types

import keras
import numpy as np
import pytest

from helpers.budget_study import LabelBudgetStudy, check_run_result, mean_std
from helpers.cache import cache_key, load_or_compute
from helpers.classifier_training import ClassifierPlan, encode_predictions
from helpers.models import stacked_autoencoder
from helpers.profile import PROFILES
from helpers.study_methods import METHODS
from helpers.training import cache_spec


def small_data(n_test=20):
    """A stand-in for FashionMNIST: 100 labelled images per class, ``n_test`` test labels."""
    y_test = np.arange(n_test) % 10
    return types.SimpleNamespace(X_train=np.zeros((1000, 28, 28), "float32"), y_train=np.arange(1000) % 10,
                                 X_test=np.zeros((n_test, 28, 28), "float32"), y_test=y_test,
                                 checksum="small-data")


def test_mean_and_sample_std_known_values():
    assert mean_std([0.5]) == (0.5, 0.0)
    mean, std = mean_std([0.7, 0.8, 0.9])
    assert mean == pytest.approx(0.8) and std == pytest.approx(0.1)
    assert mean_std([1, 3]) == pytest.approx((2.0, 2 ** 0.5))


# --- the cache's check of a stored run ---------------------------------------------------------

SPEC = {"budget": 20, "seed": 1, "source": "untied"}
Y_TEST = np.array([0, 1, 2, 3])


def good_result():
    return {"budget": 20, "seed": 1, "source": "untied", "subset_size": 20, "phases": [
        {"encoder_trainable": False, "predictions": "0122", "accuracy": 0.75},
        {"encoder_trainable": True, "predictions": "0123", "accuracy": 1.0}]}


def test_a_matching_result_passes():
    assert check_run_result(good_result(), SPEC, Y_TEST) is None
    scratch = good_result()
    scratch["source"], scratch["phases"][0]["encoder_trainable"] = "scratch", True
    assert check_run_result(scratch, {**SPEC, "source": "scratch"}, Y_TEST) is None


def edit(path, value):
    result = good_result()
    *parents, last = path
    target = result
    for key in parents:
        target = target[key]
    target[last] = value
    return result


@pytest.mark.parametrize("result, reason", [
    ([1, 2], "a list, not a dict"),
    (edit(["budget"], 50), "its budget is 50, but 20 was requested"),
    (edit(["seed"], 0), "its seed is 0, but 1 was requested"),
    (edit(["source"], "tied"), "its source is 'tied', but 'untied' was requested"),
    (edit(["subset_size"], 19), "trained on 19 labels, not 20"),
    (edit(["phases"], []), "two training phases"),
    (edit(["phases", 0, "encoder_trainable"], True), "does not match source 'untied'"),
    (edit(["phases", 1, "predictions"], "012"), "phase 2 holds 3 predictions, expected .* \\(4\\)"),
    (edit(["phases", 0, "predictions"], "01x2"), "phase 1 holds 4 predictions"),
    (edit(["phases", 0, "predictions"], None), "phase 1 holds None predictions"),
    (edit(["phases", 1, "accuracy"], float("nan")), "phase 2's accuracy is nan, expected a finite"),
    (edit(["phases", 1, "accuracy"], 1.5), "phase 2's accuracy is 1.5"),
    (edit(["phases", 0, "accuracy"], None), "phase 1's accuracy is None"),
    (edit(["phases", 0, "accuracy"], 0.5), r"phase 1's accuracy 0.5 disagrees with its predictions \(0.75\)"),
])
def test_a_mismatched_result_is_refused_with_the_reason(result, reason):
    with pytest.raises(ValueError, match=reason):
        check_run_result(result, SPEC, Y_TEST)


# --- argument checks at construction ----------------------------------------------------------

@pytest.mark.parametrize("arguments, reason", [
    ({"budgets": 500}, r"budgets=500\): budgets is a sequence, e.g. budgets=\(50, 500, 'all'\)"),
    ({"budgets": "all"}, r"budgets='all'\): budgets is a sequence"),
    ({"budgets": ()}, r"budgets=\(\)\): a study needs at least one"),
    ({"budgets": (50, 10**6)}, r"budgets=...\): the budget 1000000 cannot be used. .*larger than the"),
    ({"budgets": (5,)}, r"the budget 5 cannot be used. .*at least one label for each of the 10 classes"),
    ({"budgets": (0,)}, r"the budget 0 cannot be used. .*nothing to learn from"),
    ({"seeds": 0}, r"seeds=0\): seeds is a sequence, e.g. seeds=\(0, 1, 2\)"),
    ({"seeds": (0, -1)}, r"seeds=\(0, -1\)\): every seed must be a whole number >= 0"),
    ({"seeds": (0, 1.5)}, r"every seed must be a whole number"),
    ({"seeds": (1, 1)}, r"seeds=...\): 1 appears more than once"),
    ({"plan": {"steps": 10}}, r"plan=\{'steps': 10\}\): plan must be a helpers.classifier_training.Class"),
    ({"methods": ("fine-tuned",)}, r"methods=\('fine-tuned',\)\): include 'scratch'"),
    ({"methods": ("scratch", "denoising")}, r"unknown method 'denoising'; choose from: scratch"),
    ({"methods": ("scratch", "frozen", "frozen")}, r"frozen appears more than once"),
    ({"sources": {"denoising": None}}, r"sources=...\): sources is a dict with keys from 'untied', 'tied'"),
    ({"sources": {"untied": "encoder"}}, r"sources\['untied'\] must be \(encoder, key\)"),
])
def test_bad_arguments_are_refused_by_name(arguments, reason):
    with pytest.raises(ValueError, match=reason):
        LabelBudgetStudy(small_data(), **arguments)


def test_bad_data_is_refused_by_name():
    with pytest.raises(ValueError, match=r"data=...\): expected a helpers.data.FashionMNIST; a dict has no"):
        LabelBudgetStudy({"y_train": [0, 1]}, budgets=(10,), seeds=(0,))


def test_arguments_are_normalised(quick_profile):
    study = LabelBudgetStudy(small_data(), budgets=(np.int64(50), "all", 50, 20), seeds=[np.int64(2), 0],
                             methods=["fine-tuned", "scratch"])
    assert study.budgets == (20, 50, 1000) and study.seeds == (2, 0)
    assert study.methods == ("fine-tuned", "scratch")
    assert study.plan == ClassifierPlan(steps=100), "the quick profile's plan"
    assert [study.budget_label(b) for b in study.budgets] == ["20", "50", "all 1,000"]


def test_defaults_come_from_the_profile(monkeypatch):
    monkeypatch.setenv("AE_PROFILE", "full")
    larger = types.SimpleNamespace(**{**vars(small_data()), "y_train": np.arange(60_000) % 10})
    study = LabelBudgetStudy(larger)
    assert study.budgets == (50, 100, 250, 500, 1000, 5000, 60_000) and study.seeds == (0, 1, 2)
    assert study.methods == METHODS and study.plan == ClassifierPlan()


def test_spec_names_the_whole_profile_and_checks_its_arguments(quick_profile):
    encoder = stacked_autoencoder(30).encoder
    study = LabelBudgetStudy(small_data(), budgets=(20,), seeds=(0,), sources={"untied": (encoder, "enc")})
    spec = study.spec("all", np.int64(0), "untied")
    assert spec["profile"] == dataclasses.asdict(PROFILES["quick"])
    assert spec["profile"]["seeds"] == (0,) and spec["profile"]["train_size"] == 5000
    assert (spec["budget"], spec["seed"], spec["encoder"], spec["data"]) == (1000, 0, "enc", "small-data")
    assert study.spec(20, 0, "scratch")["encoder"] is None
    with pytest.raises(ValueError, match="Unknown source 'denoising'"):
        study.spec(50, 0, "denoising")
    with pytest.raises(ValueError, match="seed must be a whole number >= 0"):
        study.spec(50, -3, "scratch")


def test_spec_comes_from_cache_spec_and_keeps_the_old_cache_keys(quick_profile):
    """The spec is made by helpers.training.cache_spec, like every other cached entry's, and has
    the same content (so the same key) as the hand-written spec before it: no entry is lost."""
    encoder = stacked_autoencoder(30).encoder
    data = small_data()
    study = LabelBudgetStudy(data, budgets=(20,), seeds=(0,), sources={"untied": (encoder, "enc")})
    spec = study.spec(20, 1, "untied")
    assert spec == cache_spec("label_budget_run", seed=1, profile=PROFILES["quick"], data=data, budget=20,
                              source="untied", encoder="enc",
                              architecture="encoder_classifier(784-100-30) + softmax 10",
                              plan=dataclasses.asdict(study.plan))
    before = {"kind": "label_budget_run", "budget": 20, "seed": 1, "source": "untied", "encoder": "enc",
              "architecture": "encoder_classifier(784-100-30) + softmax 10",
              "plan": dataclasses.asdict(study.plan), "profile": dataclasses.asdict(PROFILES["quick"]),
              "data": "small-data"}
    assert cache_key(spec) == cache_key(before)


def test_a_stored_result_that_does_not_match_is_not_served(private_cache, quick_profile):
    study = LabelBudgetStudy(small_data(4), budgets=(20,), seeds=(0,))
    wrong = {"budget": 50, "seed": 0, "source": "scratch", "subset_size": 20, "phases": [
        {"encoder_trainable": True, "predictions": "0123", "accuracy": 1.0}] * 2}
    load_or_compute(study.spec(20, 0, "scratch"), lambda: wrong)
    with pytest.warns(RuntimeWarning, match="its budget is 50, but 20 was requested"):
        assert study.cached(20, 0, "scratch") is None, "refused, and peeking never trains"
    spec, right = study.spec(20, 0, "scratch"), {**wrong, "budget": 20}
    with pytest.warns(RuntimeWarning, match="rebuilding and overwriting it"):   # a verified write replaces it
        load_or_compute(spec, lambda: right, verify=lambda r: check_run_result(r, spec, Y_TEST))
    assert LabelBudgetStudy(small_data(4), budgets=(20,), seeds=(0,)).cached(20, 0, "scratch") == right


# --- a real study, end to end ------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_study_args():
    keras.utils.set_random_seed(1)
    untied, tied = stacked_autoencoder(30), stacked_autoencoder(30, tied=True)
    sources = {"untied": (untied.encoder, "test-untied"), "tied": (tied.encoder, "test-tied")}
    return {"budgets": (20, 50), "seeds": (0, 1), "sources": sources,
            "plan": ClassifierPlan(steps=20, chunk=10, batch_size=32)}


def test_study_caches_every_run_and_summarises(fashion, tiny_study_args, private_cache):
    study = LabelBudgetStudy(fashion, **tiny_study_args)
    assert study.cached(20, 0, "scratch") is None, "peeking never trains"
    assert study.run_all() == 12  # 2 budgets x 2 seeds x 3 sources
    summary = study.summary()
    assert set(summary) == set(METHODS)
    for method in METHODS:
        assert set(summary[method]) == {20, 50}
        mean, std, n = summary[method][50]
        assert 0 <= mean <= 1 and std >= 0 and n == 2
    result = study.method_result(50, 1, "tied frozen")
    assert len(result["predictions"]) == 10_000 and result["trainable_variables"] == 2
    assert result["accuracy"] == pytest.approx(np.mean(result["predictions"] == fashion.y_test))
    run = study.run(50, 1, "tied")
    assert encode_predictions(result["predictions"]) == run["phases"][0]["predictions"]
    assert (run["budget"], run["seed"], run["source"], run["subset_size"]) == (50, 1, "tied", 50)

    warm = LabelBudgetStudy(fashion, **tiny_study_args)
    assert warm.run_all() == 0, "a warm cache recomputes nothing"
    assert warm.summary() == summary

    only_scratch = LabelBudgetStudy(fashion, **tiny_study_args, methods=("scratch", "fine-tuned"))
    assert only_scratch.run_all() == 0 and set(only_scratch.summary()) == {"scratch", "fine-tuned"}


def test_run_all_trains_only_what_the_methods_need(fashion, tiny_study_args, private_cache):
    study = LabelBudgetStudy(fashion, **{**tiny_study_args, "budgets": (20,), "seeds": (0,)},
                             methods=("scratch", "fine-tuned"))
    reported = []
    assert study.run_all(lambda done, total, key: reported.append((done, total, key))) == 2
    assert reported == [(1, 2, (20, 0, "scratch")), (2, 2, (20, 0, "untied"))]
    assert study.cached(20, 0, "tied") is None


# --- summaries at equal steps --------------------------------------------------------------------

def study_with_accuracies(per_run):
    """A study whose results are ``{(budget, seed, source): (after phase 1, after phase 2)}``."""
    study = LabelBudgetStudy(small_data(), budgets=(20,), seeds=(0, 1),
                             plan=ClassifierPlan(steps=300, chunk=100))
    for (budget, seed, source), accuracies in per_run.items():
        study.results[(budget, seed, source)] = {"phases": [{"accuracy": a} for a in accuracies]}
    return study


def test_steps_and_paired_gains_at_equal_steps():
    study = study_with_accuracies({(20, 0, "scratch"): (0.50, 0.60), (20, 1, "scratch"): (0.52, 0.64),
                                   (20, 0, "untied"): (0.55, 0.70), (20, 1, "untied"): (0.53, 0.66)})
    steps = [study.steps(m) for m in ("scratch", "frozen", "fine-tuned", "tied frozen")]
    assert steps == [600, 300, 600, 300]
    assert study.accuracies("scratch", 20) == [0.60, 0.64]
    assert study.accuracies("scratch", 20, phase=0) == [0.50, 0.52]
    assert study.accuracies("frozen", 20, phase=1) == [0.70, 0.66]
    mean, _, per_seed = study.paired_gains("frozen")[20]            # frozen (300 steps) - scratch (600)
    assert per_seed == pytest.approx([-0.05, -0.11]) and mean == pytest.approx(-0.08)
    mean, _, per_seed = study.paired_gains("frozen", equal_steps=True)[20]   # both after 300 steps
    assert per_seed == pytest.approx([0.05, 0.01]) and mean == pytest.approx(0.03)
    assert study.paired_gains("fine-tuned", equal_steps=True) == study.paired_gains("fine-tuned")
    with pytest.raises(ValueError, match=r"phase must be 0 .*, 1 .* or None"):
        study.accuracies("scratch", 20, phase=2)
