"""The label-budget study: every (budget, seed, source) run once, cached, summarised over seeds.

:class:`LabelBudgetStudy` trains each run with :class:`helpers.classifier_training.TwoPhaseTrainer`
on a balanced subset from :mod:`helpers.labels`, and caches its result (accuracy and all 10,000
test predictions after each phase) with :func:`helpers.cache.load_or_compute`. A cached result
is served only if :func:`check_run_result` finds that it answers the request. Its summaries
are test accuracy as mean +- std over seeds, and paired gains over the from-scratch baseline.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from collections.abc import Callable, Iterable

import keras
import numpy as np

from helpers.cache import cached_result, load_or_compute
from helpers.classifier_training import (
    ClassifierPlan,
    TwoPhaseTrainer,
    classifier_plan,
    decode_predictions,
    initial_weights,
)
from helpers.data import load_fashion_mnist
from helpers.labels import balanced_counts, balanced_subset, check_budget, study_budgets
from helpers.models import encoder_classifier
from helpers.profile import active_profile
from helpers.study_methods import ENCODER_SOURCES, METHOD_RUNS, METHODS, SOURCES, check_method
from helpers.training import cache_spec, check_seed, trained_autoencoder

DATA_FIELDS = ("X_train", "y_train", "X_test", "y_test", "checksum")


def mean_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation (0.0 for a single value)."""
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def check_run_result(result, spec, y_test) -> None:
    """The cache's ``verify``: ValueError saying how ``result`` fails to answer ``spec``.

    A run's result must name the requested budget, seed and source, hold both phases (the
    first with the encoder frozen unless the source is "scratch"), one predicted class per
    test image in each, and an accuracy in [0, 1] that agrees with those predictions.
    """
    if not isinstance(result, dict):
        raise ValueError(f"the result is a {type(result).__name__}, not a dict")
    for key in ("budget", "seed", "source"):
        if result.get(key) != spec[key]:
            raise ValueError(f"its {key} is {result.get(key)!r}, but {spec[key]!r} was requested")
    if result.get("subset_size") != spec["budget"]:
        raise ValueError(f"it was trained on {result.get('subset_size')!r} labels, not {spec['budget']}")
    phases = result.get("phases")
    if not isinstance(phases, list) or len(phases) != 2 or not all(isinstance(p, dict) for p in phases):
        raise ValueError("it does not hold the two training phases")
    if phases[0].get("encoder_trainable") != (spec["source"] == "scratch"):
        raise ValueError(f"its first phase does not match source {spec['source']!r} "
                         "(frozen encoder for a pretrained source, trainable for scratch)")
    y_test = np.asarray(y_test)
    for number, phase in enumerate(phases, 1):
        predictions = phase.get("predictions")
        if not (isinstance(predictions, str) and predictions.isascii() and predictions.isdigit()
                and len(predictions) == len(y_test)):
            size = len(predictions) if isinstance(predictions, str) else predictions
            raise ValueError(f"phase {number} holds {size!r} predictions, expected one class digit "
                             f"per test image ({len(y_test):,})")
        accuracy = phase.get("accuracy")
        if (isinstance(accuracy, bool) or not isinstance(accuracy, numbers.Real)
                or not math.isfinite(accuracy) or not 0 <= accuracy <= 1):
            raise ValueError(f"phase {number}'s accuracy is {accuracy!r}, expected a finite number "
                             "from 0 to 1")
        measured = float(np.mean(decode_predictions(predictions) == y_test))
        if not math.isclose(accuracy, measured, abs_tol=1e-9):
            raise ValueError(f"phase {number}'s accuracy {accuracy} disagrees with its predictions "
                             f"({measured})")


def _sequence(value, argument, example) -> list:
    """``value`` as a list, or ValueError if it is a single value rather than a sequence."""
    if isinstance(value, (str, bytes, numbers.Number)) or not isinstance(value, Iterable):
        raise ValueError(f"LabelBudgetStudy({argument}={value!r}): {argument} is a sequence, e.g. "
                         f"{argument}={example}; wrap a single value in a tuple.")
    values = list(value)
    if not values:
        raise ValueError(f"LabelBudgetStudy({argument}=()): a study needs at least one; e.g. "
                         f"{argument}={example}.")
    return values


def _no_repeats(values, argument) -> None:
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"LabelBudgetStudy({argument}=...): {', '.join(repeated)} appears more than "
                         "once; list each once (a repeat would count twice in every mean).")


class LabelBudgetStudy:
    """Test accuracy against the number of labels, for every method, over several seeds.

    Every argument is checked here, before anything is trained, and an error names it.

    Args:
        data: a ``FashionMNIST`` (default: ``load_fashion_mnist()``).
        budgets: label budgets (ints or "all"), each class-balanceable for every seed;
            default :func:`helpers.labels.study_budgets` of the profile.
        seeds: distinct whole numbers >= 0; default the profile's seeds (3 in full, 1 in quick).
        plan: a :class:`ClassifierPlan` (default :func:`classifier_plan`).
        sources: ``{"untied": (encoder, key), "tied": (encoder, key)}`` to use instead of the
            cached coding-30 autoencoders (``key`` identifies the encoder in cache keys).
        methods: the methods summarised and trained by :meth:`run_all` (default :data:`METHODS`);
            must include "scratch", the baseline of every comparison.
    """

    def __init__(self, data=None, budgets=None, seeds=None, plan=None, sources=None, methods=None):
        profile = active_profile()
        self.profile = profile
        self.data = load_fashion_mnist() if data is None else data
        missing = [field for field in DATA_FIELDS if not hasattr(self.data, field)]
        if missing:
            raise ValueError(f"LabelBudgetStudy(data=...): expected a helpers.data.FashionMNIST; a "
                             f"{type(self.data).__name__} has no {', '.join(missing)}.")
        self.pool_size = len(self.data.y_train)
        self.seeds = self._check_seeds(profile.seeds if seeds is None else seeds)
        self.budgets = self._check_budgets(study_budgets(profile) if budgets is None else budgets)
        if plan is not None and not isinstance(plan, ClassifierPlan):
            raise ValueError(f"LabelBudgetStudy(plan={plan!r}): plan must be a "
                             "helpers.classifier_training.ClassifierPlan, or None for the profile's.")
        self.plan = plan or classifier_plan(profile)
        self._sources = self._check_sources({} if sources is None else sources)
        self.methods = self._check_methods(METHODS if methods is None else methods)
        self._trainer = None
        self.results: dict = {}          # (budget, seed, source) -> result (in memory)
        self.trained_now = 0

    # -- argument checks --------------------------------------------------------------------------
    @staticmethod
    def _check_seeds(seeds) -> tuple:
        values = _sequence(seeds, "seeds", "(0, 1, 2)")
        try:
            values = [check_seed(seed) for seed in values]
        except ValueError as err:
            raise ValueError(f"LabelBudgetStudy(seeds={seeds!r}): every {err}") from None
        _no_repeats(values, "seeds")
        return tuple(values)

    def _check_budgets(self, budgets) -> tuple:
        checked = set()
        for budget in _sequence(budgets, "budgets", "(50, 500, 'all')"):
            try:
                labels = check_budget(budget, self.pool_size)
                for seed in self.seeds:
                    balanced_counts(self.data.y_train, labels, seed)
            except ValueError as err:
                raise ValueError(f"LabelBudgetStudy(budgets=...): the budget {budget!r} cannot be "
                                 f"used. {err}") from None
            checked.add(labels)
        return tuple(sorted(checked))

    @staticmethod
    def _check_sources(sources) -> dict:
        if not isinstance(sources, dict) or set(sources) - set(ENCODER_SOURCES):
            raise ValueError(f"LabelBudgetStudy(sources=...): sources is a dict with keys from "
                             f"{', '.join(map(repr, ENCODER_SOURCES))}; got {sources!r}.")
        for name, value in sources.items():
            if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], keras.layers.Layer)
                    and isinstance(value[1], str) and value[1]):
                raise ValueError(f"LabelBudgetStudy(sources=...): sources[{name!r}] must be "
                                 f"(encoder, key): a Keras encoder and a non-empty string naming it in "
                                 f"cache keys; got {value!r}.")
        return dict(sources)

    @staticmethod
    def _check_methods(methods) -> tuple:
        values = _sequence(methods, "methods", "('scratch', 'fine-tuned')")
        for method in values:
            if method not in METHOD_RUNS:
                raise ValueError(f"LabelBudgetStudy(methods=...): unknown method {method!r}; choose "
                                 f"from: {', '.join(METHODS)}.")
        _no_repeats(values, "methods")
        if "scratch" not in values:
            raise ValueError(f"LabelBudgetStudy(methods={methods!r}): include 'scratch', the "
                             "baseline every pretrained method is compared with.")
        return tuple(values)

    # -- what a run starts from -------------------------------------------------------------------
    def source(self, name):
        """(encoder, key) for "untied"/"tied" (the cached coding-30 autoencoders by default)."""
        if name not in ENCODER_SOURCES:
            raise ValueError(f"Unknown source {name!r}; the encoders come from 'untied' or 'tied'.")
        if name not in self._sources:
            cached = trained_autoencoder(30, tied=(name == "tied"), data=self.data)
            self._sources[name] = (cached.model.encoder, cached.key)
        return self._sources[name]

    def trainer(self) -> TwoPhaseTrainer:
        """The one trainer all runs share (built on first use)."""
        if self._trainer is None:
            encoder, _ = self.source("untied")
            template = encoder_classifier(encoder, pretrained=False, seed=0)
            self._trainer = TwoPhaseTrainer(template, self.data.X_train, self.data.y_train,
                                            self.data.X_test, self.plan)
        return self._trainer

    def spec(self, budget, seed, source) -> dict:
        """Everything a run's result depends on: its cache key, made by
        :func:`helpers.training.cache_spec` (so the seed, profile and data hash are recorded as
        for every other cached entry)."""
        if source not in SOURCES:
            raise ValueError(f"Unknown source {source!r}; choose one of: {', '.join(SOURCES)}.")
        return cache_spec(
            "label_budget_run", seed=seed, profile=self.profile, data=self.data,
            budget=check_budget(budget, self.pool_size),
            source=source,
            encoder=None if source == "scratch" else self.source(source)[1],
            architecture="encoder_classifier(784-100-30) + softmax 10",
            plan=dataclasses.asdict(self.plan),
        )

    # -- runs ---------------------------------------------------------------------------------
    def compute(self, budget, seed, source, on_step=None) -> dict:
        """Train one run now (no cache): subset, start weights, two phases, test predictions."""
        budget = check_budget(budget, self.pool_size)
        subset = balanced_subset(self.data.y_train, budget, seed)
        if source == "scratch":
            encoder, pretrained = self.source("untied")[0], False   # only its architecture
        else:
            encoder, pretrained = self.source(source)[0], True
        weights = initial_weights(encoder, pretrained, seed)
        result = self.trainer().run(weights, subset, seed, freeze_first=pretrained, on_step=on_step)
        for phase in result["phases"]:
            predictions = decode_predictions(phase["predictions"])
            phase["accuracy"] = float(np.mean(predictions == self.data.y_test))
        result.update(budget=budget, seed=seed, source=source, subset_size=len(subset))
        return result

    def _load_or_compute(self, budget, seed, source, compute) -> tuple[dict, bool]:
        spec = self.spec(budget, seed, source)
        verify = functools.partial(check_run_result, spec=spec, y_test=self.data.y_test)
        return load_or_compute(spec, compute, verify=verify)

    def run(self, budget, seed, source, on_step=None) -> dict:
        """One run's result: from memory, the disk cache, or trained now (then cached)."""
        key = (check_budget(budget, self.pool_size), check_seed(seed), source)
        if key not in self.results:
            result, from_cache = self._load_or_compute(*key, lambda: self.compute(*key, on_step))
            self.trained_now += not from_cache
            self.results[key] = result
        return self.results[key]

    def cached(self, budget, seed, source) -> dict | None:
        """The run's result if it is in memory or on disk, else None (never trains)."""
        key = (check_budget(budget, self.pool_size), check_seed(seed), source)
        if key not in self.results:
            spec = self.spec(*key)
            verify = functools.partial(check_run_result, spec=spec, y_test=self.data.y_test)
            result = cached_result(spec, verify=verify)   # a look-up: no lock, no write, no wait
            if result is None:
                return None
            self.results[key] = result
        return self.results[key]

    def method_result(self, budget, seed, method, train=True, on_step=None) -> dict | None:
        """``{"accuracy", "predictions" (array), ...}`` of one method at one (budget, seed)."""
        source, phase = METHOD_RUNS[check_method(method)]
        run = self.run(budget, seed, source, on_step) if train else self.cached(budget, seed, source)
        if run is None:
            return None
        out = dict(run["phases"][phase])
        out["predictions"] = decode_predictions(out["predictions"])
        out.update(budget=run["budget"], seed=seed, method=method)
        return out

    def run_all(self, on_run: Callable[[int, int, tuple], None] | None = None) -> int:
        """Make sure every run the study's methods need has a result; returns how many trained now."""
        needed = {METHOD_RUNS[method][0] for method in self.methods}
        keys = [(b, s, src) for b in self.budgets for s in self.seeds for src in SOURCES if src in needed]
        before = self.trained_now
        for k, key in enumerate(keys):
            self.run(*key)
            if on_run:
                on_run(k + 1, len(keys), key)
        return self.trained_now - before

    # -- summaries ----------------------------------------------------------------------------
    def accuracies(self, method, budget, available_only=True, phase=None) -> list:
        """Test accuracy of ``method`` at ``budget`` for each seed with a result.

        ``phase`` (0: after the first phase, 1: after both) reads the method's run at another
        point than its own, e.g. scratch after its first phase for a comparison at equal steps.
        """
        source, own_phase = METHOD_RUNS[check_method(method)]
        if phase not in (None, 0, 1):
            raise ValueError(f"phase must be 0 (after the first training phase), 1 (after both) or "
                             f"None (the method's own); got {phase!r}.")
        phase = own_phase if phase is None else phase
        out = []
        for seed in self.seeds:
            run = self.cached(budget, seed, source) if available_only else self.run(budget, seed, source)
            if run is not None:
                out.append(run["phases"][phase]["accuracy"])
        return out

    def summary(self, methods=None) -> dict:
        """``{method: {budget: (mean, std, n_seeds)}}`` over the results available."""
        table = {}
        for method in self.methods if methods is None else methods:
            table[method] = {}
            for budget in self.budgets:
                accs = self.accuracies(method, budget)
                if accs:
                    table[method][budget] = (*mean_std(accs), len(accs))
        return table

    def steps(self, method) -> int:
        """Optimisation steps behind ``method``'s accuracy: a "frozen" result is read after
        the first phase, so it had half the steps of the others."""
        return self.plan.steps * (METHOD_RUNS[check_method(method)][1] + 1)

    def paired_gains(self, method, baseline="scratch", equal_steps=False) -> dict:
        """``{budget: (mean, std, per-seed gains)}`` of accuracy(method) - accuracy(baseline).

        Both runs of a pair share the labelled subset and the batch order (same seed), so
        the difference is less noisy than comparing two means. ``equal_steps=True`` reads the
        baseline after as many steps as ``method`` had (scratch after its first phase for a
        frozen result) instead of after its own.
        """
        baseline_phase = METHOD_RUNS[check_method(method)][1] if equal_steps else None
        gains = {}
        for budget in self.budgets:
            a = self.accuracies(method, budget)
            b = self.accuracies(baseline, budget, phase=baseline_phase)
            if a and len(a) == len(b):
                diff = np.asarray(a) - np.asarray(b)
                gains[budget] = (*mean_std(diff), diff.tolist())
        return gains

    def budget_label(self, budget) -> str:
        """How tables and widgets name ``budget`` ("all 55,000" for the whole pool)."""
        return f"all {budget:,}" if budget == self.pool_size else f"{budget:,}"
