import hashlib

import keras
import numpy as np
import pytest

from helpers.models import encoder_classifier, set_encoder_trainable, stacked_autoencoder
from helpers.pretraining import (METHODS, ClassifierPlan, LabelBudgetStudy, TwoPhaseTrainer,
                                 balanced_counts, balanced_subset, batch_indices, check_budget,
                                 check_method, classifier_plan, conclusion_sentences,
                                 confusion_matrix, decode_predictions, encode_predictions,
                                 initial_weights, labelled_subset, max_balanced_budget, mean_std,
                                 misclassified, study_budgets, trainable_counts, verdict,
                                 weight_reuse_report)
from helpers.profile import PROFILES

POOL = 55_000


# --- budgets and balanced subsets -----------------------------------------------------------

def test_budget_words_and_numbers():
    assert check_budget("all", POOL) == POOL and check_budget(None, POOL) == POOL
    assert check_budget(np.int64(500), POOL) == 500 and check_budget(POOL, POOL) == POOL


@pytest.mark.parametrize("bad, reason", [
    (0, "nothing to learn from"), (-5, "nothing to learn from"),
    (60_000, "larger than the labelled pool"), (2.5, "whole number"), ("lots", "whole number"),
    (True, "whole number"),
])
def test_bad_budgets_say_why(bad, reason):
    with pytest.raises(ValueError, match=reason):
        check_budget(bad, POOL)


def test_fewer_than_one_label_per_class_is_refused(fashion):
    with pytest.raises(ValueError, match="at least one label for each of the 10 classes"):
        balanced_subset(fashion.y_train, 9, seed=0)


def test_unbalanceable_budget_is_refused_with_the_largest_possible(fashion):
    largest = max_balanced_budget(fashion.y_train)
    assert largest == 10 * np.bincount(fashion.y_train).min()
    assert len(balanced_subset(fashion.y_train, largest, seed=0)) == largest
    with pytest.raises(ValueError, match=f"cannot be class-balanced.*at most {largest:,}"):
        balanced_subset(fashion.y_train, largest + 10, seed=0)


@pytest.mark.parametrize("budget", [10, 50, 100, 250, 1000, 5000])
def test_exact_counts_per_class(fashion, budget):
    idx = balanced_subset(fashion.y_train, budget, seed=3)
    assert len(idx) == budget == len(np.unique(idx))
    assert np.all(np.bincount(fashion.y_train[idx], minlength=10) == budget // 10)


def test_remainder_is_spread_one_per_class(fashion):
    counts = balanced_counts(fashion.y_train, 57, seed=1)
    assert counts.sum() == 57 and sorted(set(counts.tolist())) == [5, 6] and (counts == 6).sum() == 7
    idx = balanced_subset(fashion.y_train, 57, seed=1)
    assert np.array_equal(np.bincount(fashion.y_train[idx], minlength=10), counts)


def test_all_labels_is_the_whole_pool(fashion):
    idx = balanced_subset(fashion.y_train, "all", seed=0)
    assert np.array_equal(idx, np.arange(len(fashion.y_train)))


def test_subsets_are_disjoint_from_validation_and_test(fashion):
    X, y, idx = labelled_subset(fashion, 5000, seed=0)
    assert idx.min() >= 0 and idx.max() < len(fashion.X_train)
    assert np.array_equal(y, fashion.y_train[idx])

    def digests(images):
        return {hashlib.sha1(image.tobytes()).hexdigest() for image in images}

    chosen = digests(X)
    assert len(chosen) == 5000
    assert not chosen & digests(fashion.X_valid)
    assert not chosen & digests(fashion.X_test)


def test_subsets_are_reproducible_by_seed_and_nested(fashion):
    a = balanced_subset(fashion.y_train, 250, seed=7)
    assert np.array_equal(a, balanced_subset(fashion.y_train, 250, seed=7))
    assert not np.array_equal(a, balanced_subset(fashion.y_train, 250, seed=8))
    small = balanced_subset(fashion.y_train, 100, seed=7)
    assert set(small) <= set(a), "a smaller budget with the same seed is a subset"


def test_batch_indices_pass_over_the_subset():
    subset = np.array([3, 9, 27, 81, 243])
    batches = batch_indices(subset, n_batches=4, batch_size=4, seed=0)
    assert batches.shape == (4, 4) and batches.dtype == np.int32
    assert set(batches.ravel()) == set(subset)
    first_pass = batches.ravel()[:5]
    assert sorted(first_pass) == sorted(subset), "every label once before any repeats"
    assert np.array_equal(batches, batch_indices(subset, 4, 4, seed=0))


# --- small pure helpers ------------------------------------------------------------------------

def test_confusion_predictions_and_statistics():
    cm = confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], n_classes=3)
    assert cm.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    preds = np.array([0, 9, 3, 3])
    assert encode_predictions(preds) == "0933"
    assert np.array_equal(decode_predictions("0933"), preds)
    assert mean_std([0.5]) == (0.5, 0.0)
    mean, std = mean_std([0.7, 0.8, 0.9])
    assert mean == pytest.approx(0.8) and std == pytest.approx(0.1)
    assert verdict([0.01, 0.02]) == "ahead" and verdict([-0.01, -0.1]) == "behind"
    assert verdict([0.01, -0.01]) == "mixed"
    with pytest.raises(ValueError, match="Unknown method"):
        check_method("semi-supervised")


def test_misclassified_covers_classes_first():
    y_true = np.array([0, 0, 0, 1, 1, 2, 2])
    y_pred = np.array([1, 1, 0, 0, 1, 0, 2])
    assert misclassified(y_true, y_pred, k=3).tolist() == [0, 3, 5]
    assert misclassified(y_true, y_pred, k=10).tolist() == [0, 3, 5, 1]
    assert misclassified(y_true, y_true, k=5).tolist() == []


def test_plans_and_budgets_per_profile():
    assert study_budgets(PROFILES["full"])[:6] == (50, 100, 250, 500, 1000, 5000)
    assert study_budgets(PROFILES["full"])[-1] == "all"
    full, quick = classifier_plan(PROFILES["full"]), classifier_plan(PROFILES["quick"])
    assert quick.steps < full.steps
    assert full.learning_rates[1] == pytest.approx(full.learning_rate * full.finetune_factor)
    with pytest.raises(ValueError, match="multiple of chunk"):
        ClassifierPlan(steps=55, chunk=10)


# --- weight reuse and freezing ----------------------------------------------------------------

@pytest.fixture(scope="module")
def trained_ae():
    """A stacked autoencoder after a few real training steps (its weights differ from any init)."""
    from helpers.data import load_fashion_mnist

    keras.utils.set_random_seed(0)
    data = load_fashion_mnist(download=False)
    ae = stacked_autoencoder(30)
    ae.compile(optimizer="adam", loss="mse")
    ae.fit(data.X_train[:512], data.X_train[:512], batch_size=128, epochs=1, verbose=0)
    return ae


def test_weight_reuse_report(trained_ae):
    clf = encoder_classifier(trained_ae.encoder, pretrained=True, seed=0)
    report = weight_reuse_report(clf, trained_ae, seed=0)
    assert report == {
        "classifier's encoder == trained encoder": True,
        "fresh initialisation == trained encoder": False,
        "clone_model(encoder) == trained encoder": False,
        "classifier shares no variable with the autoencoder": True,
    }
    scratch = encoder_classifier(trained_ae.encoder, pretrained=False, seed=0)
    assert not weight_reuse_report(scratch, trained_ae)["classifier's encoder == trained encoder"]


def test_trainable_counts_and_state_is_restored(trained_ae):
    clf = encoder_classifier(trained_ae.encoder, freeze=True, seed=0)
    assert trainable_counts(clf) == {"encoder frozen": 2, "encoder unfrozen": 6}
    assert len(clf.trainable_variables) == 2
    set_encoder_trainable(clf, True)
    trainable_counts(clf)
    assert len(clf.trainable_variables) == 6


def test_two_phase_training_freezes_then_unfreezes(fashion, trained_ae):
    plan = ClassifierPlan(steps=40, chunk=20, batch_size=64)
    template = encoder_classifier(trained_ae.encoder, pretrained=False, seed=0)
    trainer = TwoPhaseTrainer(template, fashion.X_train, fashion.y_train, fashion.X_test, plan)
    subset = balanced_subset(fashion.y_train, 500, seed=0)
    start = initial_weights(trained_ae.encoder, pretrained=True, seed=0)
    n_encoder = len(trained_ae.encoder.get_weights())
    snapshots = {}

    def on_step(done, total):
        snapshots[done] = [w.copy() for w in template.get_weights()]

    result = trainer.run(start, subset, seed=0, freeze_first=True, on_step=on_step)
    assert sorted(snapshots) == [20, 40, 60, 80]
    frozen_end, final = snapshots[40], snapshots[80]
    for k in range(n_encoder):   # phase 1 leaves the encoder exactly as the autoencoder made it
        np.testing.assert_array_equal(frozen_end[k], start[k])
    assert not np.array_equal(frozen_end[-2], start[-2]), "the head learns in phase 1"
    assert not np.array_equal(final[1], start[1]), "the encoder learns in phase 2"
    phases = result["phases"]
    assert [p["trainable_variables"] for p in phases] == [2, 6]
    assert [p["encoder_trainable"] for p in phases] == [False, True]
    assert phases[1]["learning_rate"] == pytest.approx(plan.learning_rates[1])
    accuracy = np.mean(decode_predictions(phases[1]["predictions"]) == fashion.y_test)
    assert accuracy > 0.4, "80 steps on 500 labels beat chance (10%) by far"

    again = trainer.run(start, subset, seed=0, freeze_first=True)
    assert again["phases"][1]["predictions"] == phases[1]["predictions"], "runs are reproducible"

    scratch = trainer.run(initial_weights(trained_ae.encoder, False, 0), subset, 0, freeze_first=False)
    assert [p["trainable_variables"] for p in scratch["phases"]] == [6, 6]


# --- the study ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_study_args(trained_ae):
    keras.utils.set_random_seed(1)
    tied = stacked_autoencoder(30, tied=True)
    sources = {"untied": (trained_ae.encoder, "test-untied"), "tied": (tied.encoder, "test-tied")}
    return dict(budgets=(20, 50), seeds=(0, 1), plan=ClassifierPlan(steps=20, chunk=10, batch_size=32),
                sources=sources)


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
        assert mean == pytest.approx(np.mean(study.accuracies(method, 50)))
    result = study.method_result(50, 1, "tied frozen")
    assert len(result["predictions"]) == 10_000 and result["trainable_variables"] == 2
    assert result["accuracy"] == pytest.approx(np.mean(result["predictions"] == fashion.y_test))

    warm = LabelBudgetStudy(fashion, **tiny_study_args)
    assert warm.run_all() == 0, "a warm cache recomputes nothing"
    assert warm.summary() == summary

    gains = warm.paired_gains("fine-tuned")
    for b in (20, 50):
        expected = np.subtract(warm.accuracies("fine-tuned", b), warm.accuracies("scratch", b))
        assert gains[b][2] == pytest.approx(expected.tolist())
    table = warm.table_text()
    assert "pretrained encoder, fine-tuned" in table and "±" in table
    sentences = conclusion_sentences(warm)
    text = " ".join(sentences)
    assert "vs from scratch" in text and "Tied vs untied" in text
    s20 = 100 * summary["scratch"][20][0]
    assert f"{s20:.1f}%" in text, "the conclusion quotes the computed numbers"


def test_study_refuses_bad_budgets(fashion, tiny_study_args):
    with pytest.raises(ValueError, match="larger than the labelled pool"):
        LabelBudgetStudy(fashion, **{**tiny_study_args, "budgets": (50, 10**6)})
    study = LabelBudgetStudy(fashion, **tiny_study_args)
    with pytest.raises(ValueError, match="Unknown source"):
        study.spec(50, 0, "denoising")


# --- figures of the study -----------------------------------------------------------------------

SUMMARY = {"scratch": {50: (0.6, 0.01, 3), 55_000: (0.86, 0.002, 3)},
           "fine-tuned": {50: (0.62, 0.02, 3), 55_000: (0.85, 0.001, 3)}}


def test_accuracy_and_gain_figures_plot_the_numbers_given():
    import matplotlib.pyplot as plt

    from helpers.plots import accuracy_vs_labels_figure, budget_tick_label, gain_vs_labels_figure
    from helpers.pretraining import METHOD_LABELS

    fig = accuracy_vs_labels_figure(SUMMARY, METHOD_LABELS, (50, 55_000), 55_000)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    ys = [list(line.get_ydata()) for line in ax.lines if len(line.get_xdata()) == 2]
    assert [60.0, 86.0] in [[round(v, 6) for v in y] for y in ys]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["50", "all\n55,000"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        METHOD_LABELS["scratch"], METHOD_LABELS["fine-tuned"]]
    plt.close(fig)

    gains = {"fine-tuned": {50: (0.02, 0.01, [0.01, 0.02, 0.03]), 55_000: (-0.01, 0.0, [-0.01] * 3)}}
    fig = gain_vs_labels_figure(gains, METHOD_LABELS, (50, 55_000), 55_000, {"fine-tuned": "C2"})
    ax = fig.axes[0]
    seed_dots = [line for line in ax.lines if line.get_linestyle() == "None" and line.get_marker() == "."]
    assert sorted(round(v, 6) for d in seed_dots for v in d.get_ydata()) == [-1.0, -1.0, -1.0, 1.0, 2.0, 3.0]
    plt.close(fig)

    assert budget_tick_label(5000, 55_000, compact=True) == "5k"
    assert budget_tick_label(250, 55_000, compact=True) == "250"
    assert budget_tick_label(55_000, 55_000, compact=True) == "all"
