"""Reporting the label-budget study: its accuracy table, its conclusions, and one run's errors.

Everything here is computed from the numbers it is given (a
``helpers.budget_study.LabelBudgetStudy``, or one run's predictions), so no sentence states
more than the results support: a difference counts only if every seed agrees on its sign, and
each verdict says whether it is larger than the *seed spread* (the larger of the two compared
methods' standard deviations over seeds at that budget).
"""

from __future__ import annotations

import textwrap

import numpy as np

from helpers.budget_study import mean_std
from helpers.labels import N_CLASSES
from helpers.study_methods import METHOD_LABELS, METHOD_RUNS, check_method

CONCLUDED_METHODS = ("fine-tuned", "frozen", "tied fine-tuned")   # the methods the conclusion discusses
WIDTH = 100   # the conclusion's lines are wrapped to this many characters
TABLE_HEADERS = {  # two header lines per method, so that the table fits in 100 columns
    "scratch": ("from", "scratch"),
    "frozen": ("pretrained,", "frozen"),
    "fine-tuned": ("pretrained,", "fine-tuned"),
    "tied frozen": ("tied AE's,", "frozen"),
    "tied fine-tuned": ("tied AE's,", "fine-tuned"),
}
VERDICTS = {  # verdict of spread_verdict -> how the conclusion says it, in the order it lists them
    "ahead": "ahead on every seed, by more than the seed spread",
    "ahead within spread": "ahead on every seed, but by less than the seed spread",
    "mixed": "the seeds disagree",
    "level": "no difference on any seed",
    "behind within spread": "behind on every seed, but by less than the seed spread",
    "behind": "behind on every seed, by more than the seed spread",
    "ahead on one seed": "ahead on the only seed",
    "behind on one seed": "behind on the only seed",
}


def short_label(method) -> str:
    """The method's name in the table's two header lines, on one line ("pretrained, frozen")."""
    return " ".join(TABLE_HEADERS[check_method(method)])


def accuracy_table(study, methods=None) -> str:
    """Mean +- std test accuracy (%): one row per budget, one column per method; "-" = no result.

    ``methods`` defaults to the study's own. The "steps" row gives the optimisation steps each
    method had when its accuracy was read (a frozen result: after the first phase only).
    12 + 13 characters per method wide: 77 for the five methods.
    """
    methods = study.methods if methods is None else [check_method(m) for m in methods]
    summary = study.summary(methods)

    def row(name, cells):
        return f"{name:<12}" + "".join(f"{c:>13}" for c in cells)

    lines = [row("", [TABLE_HEADERS[m][0] for m in methods]),
             row("labels", [TABLE_HEADERS[m][1] for m in methods]),
             row("steps", [f"{study.steps(m):,}" for m in methods])]
    for budget in study.budgets:
        cells = []
        for method in methods:
            if budget in summary[method]:
                mean, std, _ = summary[method][budget]
                cells.append(f"{100 * mean:.1f} ± {100 * std:.1f}")
            else:
                cells.append("-")
        lines.append(row(study.budget_label(budget), cells))
    return "\n".join(lines)


def _pct(x) -> str:
    return f"{100 * x:.1f}%"


def _points(x) -> str:
    return f"{100 * x:+.1f} points"


def _and(items) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def verdict(gains_per_seed) -> str:
    """'ahead' / 'behind' if every seed agrees on the sign, else 'mixed'."""
    g = np.asarray(gains_per_seed)
    if np.all(g > 0):
        return "ahead"
    if np.all(g < 0):
        return "behind"
    return "mixed"


def spread_verdict(gains_per_seed, spread) -> str:
    """A key of :data:`VERDICTS`: the sign every seed agrees on (else "mixed", or "level" if no
    seed shows a difference) and whether the mean gain is larger than ``spread`` (a spread
    means nothing for a single seed)."""
    g = np.asarray(gains_per_seed, dtype=float)
    if np.all(g == 0):
        return "level"
    sign = verdict(g)
    if sign == "mixed":
        return sign
    if len(g) == 1:
        return f"{sign} on one seed"
    return sign if abs(g.mean()) > spread else f"{sign} within spread"


def seed_spread(study, method, budget, equal_steps=False) -> float:
    """The larger standard deviation over seeds of ``method`` and of scratch at ``budget``
    (scratch read after as many steps as ``method`` if ``equal_steps``)."""
    phase = METHOD_RUNS[check_method(method)][1] if equal_steps else None
    return max(mean_std(study.accuracies(method, budget))[1],
               mean_std(study.accuracies("scratch", budget, phase=phase))[1])


def _seed_count(gains_per_seed) -> str:
    g = np.asarray(gains_per_seed)
    if len(g) == 1:
        return f"{'ahead' if g[0] > 0 else 'behind' if g[0] < 0 else 'level'} on the only seed"
    return f"ahead on {int(np.sum(g > 0))} of {len(g)} seeds"


def _wrap(text) -> str:
    return textwrap.fill(text, WIDTH, subsequent_indent="  ", break_on_hyphens=False)


def comparison_sentences(study, method, equal_steps=False) -> list[str]:
    """``method`` against scratch: a header, one line per budget (mean +- std of the paired gain,
    seeds ahead, seed spread), then one "->" line per :func:`spread_verdict`, naming its budgets."""
    gains = study.paired_gains(method, equal_steps=equal_steps)
    if not gains:
        return []
    label, steps, scratch_steps = study.budget_label, study.steps(method), study.steps("scratch")
    if equal_steps or steps == scratch_steps:
        when = f"both after {steps:,} steps"
    else:
        when = f"{steps:,} steps against scratch's {scratch_steps:,}"
    name = METHOD_LABELS[method]
    out = [_wrap(f"{name[0].upper()}{name[1:]}: test accuracy minus scratch's ({when}; same labels, "
                 "same seed):")]
    grouped = {}
    for b, (mean, std, per_seed) in gains.items():
        spread = seed_spread(study, method, b, equal_steps)
        detail = (f" ± {100 * std:.1f} points ({_seed_count(per_seed)}; seed spread {100 * spread:.1f})"
                  if len(per_seed) > 1 else f" points ({_seed_count(per_seed)})")
        out.append(f"    {label(b):>10} labels: {100 * mean:+5.1f}{detail}")
        grouped.setdefault(spread_verdict(per_seed, spread), []).append(label(b))
    out += [f"  -> {words}: at {_and(grouped[v])} labels." for v, words in VERDICTS.items() if v in grouped]
    return out


def conclusion_sentences(study) -> list[str]:
    """Lines of text (wrapped to :data:`WIDTH`) built only from the study's numbers.

    For each method of :data:`CONCLUDED_METHODS` that the study has, :func:`comparison_sentences`
    (a frozen result also against scratch at equal steps, since it is read after the first
    phase); then the largest gain against its seed spread, the spread of scratch, the range of
    accuracies, and tied against untied.
    """
    summary = study.summary()
    n_seeds = min((v[2] for m in summary.values() for v in m.values()), default=0)
    label = study.budget_label
    out = []
    if n_seeds < 2:
        out.append(_wrap(f"Only {n_seeds} seed per point: there is no spread to compare against, so "
                         "any difference below may be luck."))
    else:
        out.append(_wrap("Seed spread: the larger of the two compared methods' standard deviations over "
                         "the seeds at that budget; a difference smaller than that may be luck."))
    for method in CONCLUDED_METHODS:
        if method in study.methods:
            out += comparison_sentences(study, method)
            if study.steps(method) != study.steps("scratch"):
                out += comparison_sentences(study, method, equal_steps=True)
    all_gains = {m: study.paired_gains(m) for m in study.methods if m != "scratch"}
    best = max(((g[0], m, b) for m, gains in all_gains.items() for b, g in gains.items()), default=None)
    if best is not None:
        gain, method, budget = best
        line = (f"Largest mean gain of any pretrained method: {_points(gain)} "
                f"({METHOD_LABELS[method]}, {label(budget)} labels)")
        if n_seeds >= 2:
            spread = seed_spread(study, method, budget)
            line += (f", {'more' if abs(gain) > spread else 'less'} than the seed spread there "
                     f"({100 * spread:.1f} points)")
        top = max(study.budgets)
        at_top = [gains[top][0] for gains in all_gains.values() if top in gains]
        if at_top and max(at_top) < 0:
            line += f"; with {label(top)} labels every pretrained method was behind scratch on average"
        out.append(_wrap(line + "."))
    spread = [v[1] for v in summary.get("scratch", {}).values()]
    if n_seeds >= 2 and spread:
        out.append(_wrap(f"Seed-to-seed spread (std) of the scratch baseline: {100 * min(spread):.1f} "
                         f"to {100 * max(spread):.1f} points depending on the budget."))
    s, f = summary.get("scratch", {}), summary.get("fine-tuned", {})
    if s and f:
        lo, hi = min(s), max(s)
        out.append(_wrap(f"For scale: from scratch went from {_pct(s[lo][0])} with {label(lo)} labels "
                         f"to {_pct(s[hi][0])} with {label(hi)}; the fine-tuned pretrained classifier "
                         f"from {_pct(f[lo][0])} to {_pct(f[hi][0])}."))
    t, u = summary.get("tied fine-tuned", {}), summary.get("fine-tuned", {})
    common = [b for b in study.budgets if b in t and b in u]
    if common:
        diffs = [t[b][0] - u[b][0] for b in common]
        out.append(_wrap(f"Tied vs untied autoencoder as the source (fine-tuned, mean accuracies): "
                         f"difference {_points(float(np.mean(diffs)))} on average over the budgets "
                         f"(from {_points(min(diffs))} to {_points(max(diffs))})."))
    return out


def confusion_matrix(y_true, y_pred, n_classes=N_CLASSES) -> np.ndarray:
    """Counts: row = true class, column = predicted class."""
    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes ** 2).reshape(n_classes, n_classes)


def most_confused(confusion, class_names, k=2) -> list[tuple[str, str, int]]:
    """The ``k`` largest off-diagonal cells of ``confusion``: (true name, predicted name, count),
    largest first (ties in row-major order); cells with a count of zero are left out."""
    confusion = np.asarray(confusion)
    off = confusion * (1 - np.eye(len(confusion), dtype=confusion.dtype))
    order = np.argsort(-off, axis=None, kind="stable")[:k]
    cells = [np.unravel_index(i, off.shape) for i in order]
    return [(class_names[i], class_names[j], int(off[i, j])) for i, j in cells if off[i, j] > 0]


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
