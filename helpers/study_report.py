"""Reporting the label-budget study: its accuracy table, its conclusions, and one run's errors.

Everything here is computed from the numbers it is given (a
``helpers.budget_study.LabelBudgetStudy``, or one run's predictions), so no sentence states
more than the results support. A pretrained method is judged by its *paired* gains (its accuracy
minus scratch's, seed by seed, on the same labels and batches) and their own spread: a difference
counts only if every seed agrees on its sign, and the verdict says whether the Student's t
interval of the mean gain excludes zero. The spread *between* seeds of either method's accuracy
is not the yardstick: the two runs of a pair share their labelled subset and batch order, and
what they share cancels in the difference.
"""

from __future__ import annotations

import textwrap

import numpy as np
from scipy import stats

from helpers.labels import N_CLASSES
from helpers.study_methods import METHOD_LABELS, check_method

CONCLUDED_METHODS = ("fine-tuned", "frozen", "tied fine-tuned")   # the methods the conclusion discusses
WIDTH = 100   # the conclusion's lines are wrapped to this many characters
TABLE_HEADERS = {  # two header lines per method, so that the table fits in 100 columns
    "scratch": ("from", "scratch"),
    "frozen": ("pretrained,", "frozen"),
    "fine-tuned": ("pretrained,", "fine-tuned"),
    "tied frozen": ("tied AE's,", "frozen"),
    "tied fine-tuned": ("tied AE's,", "fine-tuned"),
}
CONFIDENCE = 0.95   # of the interval each verdict reads
VERDICTS = {  # verdict of paired_verdict -> how the conclusion says it, in the order it lists them
    "ahead": "ahead on every seed, and the mean gain's 95% interval is above zero",
    "ahead, interval includes zero": "ahead on every seed, but the paired gains vary too much for "
                                     "the 95% interval to exclude zero",
    "mixed": "the seeds disagree",
    "level": "no difference on any seed",
    "behind, interval includes zero": "behind on every seed, but the paired gains vary too much for "
                                      "the 95% interval to exclude zero",
    "behind": "behind on every seed, and the mean gain's 95% interval is below zero",
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


def paired_interval(gains_per_seed, confidence=CONFIDENCE) -> tuple[float, float]:
    """(low, high): the Student's t interval of the mean paired gain over the seeds.

    Its width comes from the paired gains' own standard deviation (``n - 1`` degrees of freedom),
    so it is wide with few seeds: with 3, it is the mean +- 4.3 standard errors. It assumes the
    gains vary roughly normally from seed to seed; it needs at least two seeds.
    """
    g = np.asarray(gains_per_seed, dtype=float)
    if g.ndim != 1 or len(g) < 2 or not np.all(np.isfinite(g)):
        raise ValueError(f"gains_per_seed must hold at least two finite gains (one per seed) for an "
                         f"interval; got {gains_per_seed!r}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1; got {confidence!r}.")
    half = stats.t.ppf((1 + confidence) / 2, len(g) - 1) * g.std(ddof=1) / np.sqrt(len(g))
    return float(g.mean() - half), float(g.mean() + half)


def paired_verdict(gains_per_seed) -> str:
    """A key of :data:`VERDICTS`, judged from the paired gains alone: the sign every seed agrees
    on (else "mixed", or "level" if no seed shows a difference), and whether the 95% interval
    of their mean (:func:`paired_interval`) excludes zero (no interval for a single seed)."""
    g = np.asarray(gains_per_seed, dtype=float)
    if g.ndim != 1 or len(g) == 0:
        raise ValueError(f"gains_per_seed must hold one gain per seed; got {gains_per_seed!r}.")
    if np.all(g == 0):
        return "level"
    sign = verdict(g)
    if sign == "mixed":
        return sign
    if len(g) == 1:
        return f"{sign} on one seed"
    low, high = paired_interval(g)
    return sign if low > 0 or high < 0 else f"{sign}, interval includes zero"


def chance_agreement(n_seeds) -> float:
    """How often ``n_seeds`` seeds would all agree on the sign if there were no difference at all
    (each sign equally likely): 2 * 0.5 ** n. With 3 seeds, 1 time in 4."""
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, (int, np.integer)) or n_seeds < 1:
        raise ValueError(f"n_seeds must be a whole number >= 1; got {n_seeds!r}.")
    return min(1.0, 2 * 0.5 ** int(n_seeds))


def _seed_count(gains_per_seed) -> str:
    g = np.asarray(gains_per_seed)
    if len(g) == 1:
        return f"{'ahead' if g[0] > 0 else 'behind' if g[0] < 0 else 'level'} on the only seed"
    return f"ahead on {int(np.sum(g > 0))} of {len(g)} seeds"


def _wrap(text) -> str:
    return textwrap.fill(text, WIDTH, subsequent_indent="  ", break_on_hyphens=False)


def _interval_text(per_seed) -> str:
    low, high = paired_interval(per_seed)
    return f"95% interval {100 * low:+.1f} to {100 * high:+.1f}"


def comparison_sentences(study, method, equal_steps=False) -> list[str]:
    """``method`` against scratch: a header, one line per budget (mean +- std of the paired gain,
    seeds ahead, the mean's 95% interval), then one "->" line per :func:`paired_verdict`,
    naming its budgets."""
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
        detail = (f" ± {100 * std:.1f} points ({_seed_count(per_seed)}; {_interval_text(per_seed)})"
                  if len(per_seed) > 1 else f" points ({_seed_count(per_seed)})")
        out.append(f"    {label(b):>10} labels: {100 * mean:+5.1f}{detail}")
        grouped.setdefault(paired_verdict(per_seed), []).append(label(b))
    out += [_wrap(f"  -> {words}: at {_and(grouped[v])} labels.")
            for v, words in VERDICTS.items() if v in grouped]
    return out


def conclusion_sentences(study) -> list[str]:
    """Lines of text (wrapped to :data:`WIDTH`) built only from the study's numbers.

    First what the seeds can support (how often they would all agree on a sign by chance, how
    wide an interval they give); then, for each method of :data:`CONCLUDED_METHODS` that the
    study has, :func:`comparison_sentences` (a frozen result also against scratch at equal
    steps, since it is read after the first phase); then the largest mean gain with its
    interval, the spread of scratch, the range of accuracies, and tied against untied.
    """
    summary = study.summary()
    n_seeds = min((v[2] for m in summary.values() for v in m.values()), default=0)
    label = study.budget_label
    out = []
    if n_seeds < 2:
        out.append(_wrap(f"Only {n_seeds} seed per point: there is no spread to judge a difference by, so "
                         "any difference below may be luck."))
    else:
        t = stats.t.ppf((1 + CONFIDENCE) / 2, n_seeds - 1)
        out.append(_wrap(
            f"Each pretrained run is compared with the scratch run of the same seed (its paired "
            f"gain). With {n_seeds} seeds, {'both' if n_seeds == 2 else f'all {n_seeds}'} would agree on "
            f"the sign of a difference that "
            f"does not exist {100 * chance_agreement(n_seeds):.0f}% of the time, so agreement alone "
            f"proves little. The 95% interval of the mean paired gain (mean ± {t:.2f} standard errors "
            f"of the {n_seeds} gains, Student's t) also weighs how much the gains vary; it assumes "
            f"they vary normally between seeds. Each of the {len(study.budgets)} budgets gets its own "
            f"interval: with no difference anywhere, about 1 interval in 20 would still exclude zero, so "
            f"one budget that stands out from its neighbours is weak evidence."))
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
        per_seed = all_gains[method][budget][2]
        if len(per_seed) >= 2:
            line += f"; {_seed_count(per_seed)}, {_interval_text(per_seed)} points"
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
