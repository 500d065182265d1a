"""Label budgets and balanced subsets (helpers.labels)."""

import hashlib

import numpy as np
import pytest

from helpers.labels import (
    FULL_BUDGETS,
    QUICK_BUDGETS,
    balanced_counts,
    balanced_subset,
    check_budget,
    labelled_subset,
    max_balanced_budget,
    study_budgets,
)
from helpers.profile import PROFILES

POOL = 55_000


def test_budget_words_and_numbers():
    assert check_budget("all", POOL) == POOL and check_budget(None, POOL) == POOL
    assert check_budget(" ALL ", POOL) == POOL
    assert check_budget(np.int64(500), POOL) == 500 and check_budget(POOL, POOL) == POOL


@pytest.mark.parametrize("bad, reason", [
    (0, "nothing to learn from"), (-5, "nothing to learn from"),
    (60_000, "larger than the labelled pool"), (2.5, "whole number"), ("lots", "whole number"),
    (True, "whole number"),
])
def test_bad_budgets_say_why(bad, reason):
    with pytest.raises(ValueError, match=reason):
        check_budget(bad, POOL)


def test_budgets_per_profile():
    assert study_budgets(PROFILES["full"]) == FULL_BUDGETS == (50, 100, 250, 500, 1000, 5000, "all")
    assert study_budgets(PROFILES["quick"]) == QUICK_BUDGETS == (50, 500, "all")


def test_study_budgets_follow_the_active_profile(monkeypatch):
    monkeypatch.setenv("AE_PROFILE", "quick")
    assert study_budgets() == (50, 500, "all")
    monkeypatch.setenv("AE_PROFILE", "full")
    assert study_budgets()[-2:] == (5000, "all")


def test_max_balanced_budget_known_values(fashion):
    assert max_balanced_budget([0, 0, 1, 1, 1, 2], n_classes=3) == 3      # class 2 has one image
    assert max_balanced_budget([0, 1, 1], n_classes=3) == 0               # class 2 has none
    # The 55,000-image training split: its rarest class (4, coat) has 5,473 images.
    assert max_balanced_budget(fashion.y_train) == 54_730


def test_fewer_than_one_label_per_class_is_refused(fashion):
    with pytest.raises(ValueError, match="at least one label for each of the 10 classes"):
        balanced_subset(fashion.y_train, 9, seed=0)


def test_unbalanceable_budget_is_refused_with_the_largest_possible(fashion):
    assert len(balanced_subset(fashion.y_train, 54_730, seed=0)) == 54_730
    with pytest.raises(ValueError, match=r"cannot be class-balanced.*class 4 has only 5,473.*at most 54,730"):
        balanced_subset(fashion.y_train, 54_740, seed=0)


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


def test_all_labels_keep_the_natural_class_mix(fashion):
    assert balanced_counts(fashion.y_train, "all").tolist() == [
        5479, 5503, 5510, 5492, 5473, 5497, 5533, 5550, 5485, 5478]
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
