"""Choosing which training labels a classifier may see: label budgets and balanced subsets.

A budget is a whole number of labels, or "all". :func:`balanced_subset` draws exactly the same
number of labels per class from the training split (never from validation or test),
reproducibly by seed, and the subsets of one seed are nested: the 100-label subset contains
the 50-label one. That keeps a sweep over budgets a comparison of label counts, not of luck
in which images were drawn.
"""

from __future__ import annotations

import numbers

import numpy as np

from helpers.profile import active_profile

N_CLASSES = 10
FULL_BUDGETS = (50, 100, 250, 500, 1_000, 5_000, "all")
QUICK_BUDGETS = (50, 500, "all")


def study_budgets(profile=None) -> tuple:
    """The label budgets a study sweeps under ``profile`` (default: the active one)."""
    profile = profile or active_profile()
    return QUICK_BUDGETS if profile.is_quick else FULL_BUDGETS


def check_budget(budget, pool_size: int) -> int:
    """The number of labels ``budget`` means ("all" or None = the whole pool), or ValueError."""
    if budget is None or (isinstance(budget, str) and budget.strip().lower() == "all"):
        return int(pool_size)
    if isinstance(budget, bool) or not isinstance(budget, numbers.Integral):
        raise ValueError(f"A label budget is a whole number of labels from 1 to {pool_size:,}, "
                         f"or 'all'; got {budget!r}.")
    budget = int(budget)
    if budget <= 0:
        raise ValueError(f"A label budget of {budget} leaves the classifier nothing to learn from; "
                         f"use at least {N_CLASSES} labels (one per class) and at most {pool_size:,}.")
    if budget > pool_size:
        raise ValueError(f"A label budget of {budget:,} is larger than the labelled pool: the "
                         f"training split holds {pool_size:,} images. Use at most {pool_size:,} "
                         "(or 'all').")
    return budget


def max_balanced_budget(y_pool, n_classes=N_CLASSES) -> int:
    """The largest budget that can be split evenly over the classes of ``y_pool``."""
    return int(n_classes * np.bincount(np.asarray(y_pool), minlength=n_classes).min())


def balanced_counts(y_pool, budget, seed=0, n_classes=N_CLASSES) -> np.ndarray:
    """Labels to draw from each class: ``budget // n_classes`` each, the remainder spread
    one by one over classes chosen by ``seed``. ``budget`` = the whole pool keeps every label
    (the natural class mix). ValueError with the reason when no balanced subset exists.
    """
    y_pool = np.asarray(y_pool)
    budget = check_budget(budget, len(y_pool))
    available = np.bincount(y_pool, minlength=n_classes)[:n_classes]
    if budget == len(y_pool):
        return available
    if budget < n_classes:
        raise ValueError(f"{budget} labels cannot be class-balanced: a balanced subset needs at "
                         f"least one label for each of the {n_classes} classes, i.e. at least "
                         f"{n_classes} labels.")
    base, extra = divmod(budget, n_classes)
    counts = np.full(n_classes, base)
    if extra:
        counts[np.random.default_rng([seed, budget]).choice(n_classes, extra, replace=False)] += 1
    if np.any(counts > available):
        worst = int(np.argmin(available))
        raise ValueError(f"{budget:,} labels cannot be class-balanced: that needs {counts.max():,} "
                         f"images of every class, but class {worst} has only {available[worst]:,} "
                         f"in the pool. Use at most {max_balanced_budget(y_pool, n_classes):,} "
                         f"labels, or all {len(y_pool):,}.")
    return counts


def balanced_subset(y_pool, budget, seed=0, n_classes=N_CLASSES) -> np.ndarray:
    """Sorted indices into ``y_pool`` with exactly :func:`balanced_counts` labels per class.

    The same seed always gives the same subset, and a smaller budget with the same seed
    gives a subset of the larger one's (each class is visited in one seeded order).
    """
    y_pool = np.asarray(y_pool)
    counts = balanced_counts(y_pool, budget, seed, n_classes)
    rng = np.random.default_rng(seed)
    chosen = []
    for c in range(n_classes):
        members = rng.permutation(np.flatnonzero(y_pool == c))
        chosen.append(members[: counts[c]])
    return np.sort(np.concatenate(chosen))


def labelled_subset(data, budget, seed=0):
    """(X, y, indices) of a balanced subset of ``data``'s training split."""
    idx = balanced_subset(data.y_train, budget, seed)
    return data.X_train[idx], data.y_train[idx], idx
