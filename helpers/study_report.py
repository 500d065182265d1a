"""Reporting the label-budget study: its accuracy table, its conclusions, and one run's errors.

Everything here is computed from the numbers it is given (a
``helpers.budget_study.LabelBudgetStudy``, or one run's predictions), so no sentence states
more than the results support: a gain is "ahead" only if every seed agrees.
"""

from __future__ import annotations

import numpy as np

from helpers.labels import N_CLASSES
from helpers.study_methods import METHOD_LABELS, check_method

CONCLUDED_METHODS = {  # the pretrained methods the conclusion discusses, and how it names them
    "fine-tuned": "Fine-tuned pretrained encoder",
    "frozen": "Frozen pretrained encoder",
    "tied fine-tuned": "Fine-tuned encoder of the tied autoencoder",
}


def accuracy_table(study, methods=None) -> str:
    """Mean +- std test accuracy (%) per method (rows) and budget (columns); "-" = no result.

    ``methods`` defaults to the study's own.
    """
    methods = study.methods if methods is None else [check_method(m) for m in methods]
    summary = study.summary(methods)
    width = 16
    lines = [f"{'labels':<32}" + "".join(f"{study.budget_label(b):>{width}}" for b in study.budgets)]
    for method in methods:
        cells = []
        for budget in study.budgets:
            if budget in summary[method]:
                mean, std, _ = summary[method][budget]
                cells.append(f"{100 * mean:.1f} ± {100 * std:.1f}")
            else:
                cells.append("-")
        lines.append(f"{METHOD_LABELS[method]:<32}" + "".join(f"{c:>{width}}" for c in cells))
    return "\n".join(lines)


def _pct(x) -> str:
    return f"{100 * x:.1f}%"


def _points(x) -> str:
    return f"{100 * x:+.1f} points"


def verdict(gains_per_seed) -> str:
    """'ahead' / 'behind' if every seed agrees on the sign, else 'mixed'."""
    g = np.asarray(gains_per_seed)
    if np.all(g > 0):
        return "ahead"
    if np.all(g < 0):
        return "behind"
    return "mixed"


def _seed_count(gains_per_seed) -> str:
    g = np.asarray(gains_per_seed)
    n = len(g)
    if n == 1:
        return f"{'ahead' if g[0] > 0 else 'behind' if g[0] < 0 else 'tied'} on the only seed"
    return f"ahead on {int(np.sum(g > 0))} of {n} seeds"


def conclusion_sentences(study) -> list[str]:
    """Plain lines of text built only from the study's numbers (nothing is assumed).

    For each pretrained method of the study: its paired gain over the scratch baseline per
    budget (mean +- std over seeds, and on how many seeds it was ahead), then where it was
    ahead on every seed and from which budget on it no longer was.
    """
    summary = study.summary()
    n_seeds = min((v[2] for m in summary.values() for v in m.values()), default=0)
    label = study.budget_label
    out = []
    if n_seeds < 2:
        out.append(f"Only {n_seeds} seed per point: there is no spread to compare against, so "
                   "small differences below may be luck.")
    for method, name in CONCLUDED_METHODS.items():
        gains = study.paired_gains(method) if method in study.methods else {}
        if not gains:
            continue
        out.append(f"{name} vs from scratch (test accuracy difference, same labels and seed):")
        for b, (mean, std, per_seed) in gains.items():
            spread = f" ± {100 * std:.1f}" if len(per_seed) > 1 else ""
            out.append(f"    {label(b):>10} labels: {100 * mean:+5.1f}{spread} points "
                       f"({_seed_count(per_seed)})")
        ahead = [b for b, g in gains.items() if verdict(g[2]) == "ahead"]
        seeds = "the only seed" if n_seeds == 1 else "every seed"
        if not ahead:
            out.append(f"  -> never ahead of the scratch baseline on {seeds}.")
        else:
            best = max(gains, key=lambda b: gains[b][0])
            sentence = (f"  -> ahead on {seeds} at {', '.join(label(b) for b in ahead)} labels; "
                        f"largest mean gain {_points(gains[best][0])} at {label(best)} labels")
            later = [b for b in gains if b > max(ahead)]
            if later:
                sentence += (f"; from {label(min(later))} labels on, no longer ahead "
                             f"({_points(gains[min(later)][0])} there)")
            out.append(sentence + ".")
    all_gains = {m: study.paired_gains(m) for m in study.methods if m != "scratch"}
    best = max(((g[0], m, b) for m, gains in all_gains.items() for b, g in gains.items()), default=None)
    if best is not None:
        line = (f"Largest mean gain of any pretrained method: {_points(best[0])} "
                f"({METHOD_LABELS[best[1]]}, {label(best[2])} labels)")
        top = max(study.budgets)
        at_top = [gains[top][0] for gains in all_gains.values() if top in gains]
        if at_top and max(at_top) < 0:
            line += f"; with {label(top)} labels every pretrained method was behind scratch"
        out.append(line + ".")
    spread = [v[1] for v in summary.get("scratch", {}).values()]
    if n_seeds >= 2 and spread:
        out.append(f"Seed-to-seed spread (std) of the scratch baseline: {100 * min(spread):.1f} to "
                   f"{100 * max(spread):.1f} points depending on the budget; a gain of that size "
                   "can be luck.")
    s, f = summary.get("scratch", {}), summary.get("fine-tuned", {})
    if s and f:
        lo, hi = min(s), max(s)
        out.append(f"For scale: from scratch went from {_pct(s[lo][0])} with {label(lo)} labels to "
                   f"{_pct(s[hi][0])} with {label(hi)}; the fine-tuned pretrained classifier from "
                   f"{_pct(f[lo][0])} to {_pct(f[hi][0])}.")
    t, u = summary.get("tied fine-tuned", {}), summary.get("fine-tuned", {})
    common = [b for b in study.budgets if b in t and b in u]
    if common:
        diffs = [t[b][0] - u[b][0] for b in common]
        out.append(f"Tied vs untied autoencoder as the source (fine-tuned, mean accuracies): "
                   f"difference {_points(float(np.mean(diffs)))} on average over the budgets "
                   f"(from {_points(min(diffs))} to {_points(max(diffs))}).")
    return out


def confusion_matrix(y_true, y_pred, n_classes=N_CLASSES) -> np.ndarray:
    """Counts: row = true class, column = predicted class."""
    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes ** 2).reshape(n_classes, n_classes)


def misclassified(y_true, y_pred, k=8) -> np.ndarray:
    """Indices of up to ``k`` wrong predictions: the first of each true class in turn, so
    the examples cover as many classes as possible; in test-set order within a class."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    wrong = np.flatnonzero(y_true != y_pred)
    by_class = [list(wrong[y_true[wrong] == c]) for c in np.unique(y_true[wrong])]
    picked = []
    while len(picked) < k and any(by_class):
        for members in by_class:
            if members and len(picked) < k:
                picked.append(members.pop(0))
    return np.array(picked, dtype=int)
