"""Reusing a trained encoder in a classifier that has few labels (unsupervised pretraining).

Three pieces, each usable on its own:

* **Labelled subsets**: :func:`balanced_subset` draws exactly the same number of labels per
  class from the training split (never from validation or test), reproducibly by seed.
  Subsets of one seed are nested: the 100-label subset contains the 50-label one.
* **Two-phase training**: :class:`TwoPhaseTrainer` trains a classifier built by
  :func:`helpers.models.encoder_classifier` for a fixed number of optimisation steps with the
  encoder frozen, then the same number of steps with it unfrozen at a lower learning rate.
  The from-scratch baseline gets the same two phases, the same steps and the same learning
  rates, with its encoder trainable throughout (freezing random weights would teach nothing).
  A fixed step budget makes every run cost the same, whatever its number of labels.
* **The label-budget study**: :class:`LabelBudgetStudy` runs every (budget, seed, source)
  once, caches its result (accuracy and all 10,000 test predictions) with
  :func:`helpers.cache.load_or_compute`, and summarises accuracy as mean +- std over seeds.

Speed: a sweep is dozens of short runs. Building and compiling a Keras model per run would
cost more than the training itself, so one trainer keeps one classifier object and one
XLA-compiled step function per phase, and each run only resets the weights and optimiser
state. The batches are index arrays into the whole labelled pool (a fixed shape), so no run
triggers a new compilation.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import time
from typing import Callable

import keras
import numpy as np

from helpers.cache import load_or_compute
from helpers.data import load_fashion_mnist
from helpers.models import encoder_classifier, same_weights, set_encoder_trainable
from helpers.profile import active_profile

N_CLASSES = 10

# The classifiers compared. Each is one phase of one training run: a run starts from a
# "source" (a random initialisation, or the encoder of the untied or tied autoencoder).
METHODS = ("scratch", "frozen", "fine-tuned", "tied frozen", "tied fine-tuned")
METHOD_LABELS = {
    "scratch": "from scratch (random init)",
    "frozen": "pretrained encoder, frozen",
    "fine-tuned": "pretrained encoder, fine-tuned",
    "tied frozen": "tied AE's encoder, frozen",
    "tied fine-tuned": "tied AE's encoder, fine-tuned",
}
SOURCES = ("scratch", "untied", "tied")
METHOD_RUNS = {  # method -> (source, phase index: 0 = after phase 1, 1 = after phase 2)
    "scratch": ("scratch", 1),
    "frozen": ("untied", 0),
    "fine-tuned": ("untied", 1),
    "tied frozen": ("tied", 0),
    "tied fine-tuned": ("tied", 1),
}
FULL_BUDGETS = (50, 100, 250, 500, 1_000, 5_000, "all")
QUICK_BUDGETS = (50, 500, "all")


def check_method(method) -> str:
    if method not in METHOD_RUNS:
        raise ValueError(f"Unknown method {method!r}; choose one of: {', '.join(METHODS)}.")
    return method


# --- labelled subsets ------------------------------------------------------------------------

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


# --- two-phase training ----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ClassifierPlan:
    """The training budget of every classifier run (the same for every method and budget).

    ``steps`` optimisation steps per phase, on batches of ``batch_size`` labels drawn from the
    subset (reshuffled each pass; a subset smaller than a batch appears several times in one
    batch). Phase 2 uses ``learning_rate * finetune_factor``. ``chunk`` steps run per
    compiled call (the progress bar moves between chunks).

    The defaults were chosen on the *validation* split (never the test split) with the
    coding-30 autoencoders, seed 0, at 50 to 55,000 labels: a higher phase-1 rate lets the
    frozen head converge within its steps, and a phase-2 rate of 0.3x (rather than 0.1x)
    stopped handicapping the pretrained encoder at large budgets. 2 x 500 steps of 128 is
    about 2.3 passes over all 55,000 labels, which keeps the whole sweep affordable.
    """

    steps: int = 500
    batch_size: int = 128
    learning_rate: float = 1e-2
    finetune_factor: float = 0.3
    chunk: int = 50

    def __post_init__(self):
        if self.steps <= 0 or self.chunk <= 0 or self.steps % self.chunk:
            raise ValueError(f"steps ({self.steps}) must be a positive multiple of chunk ({self.chunk}).")

    @property
    def learning_rates(self) -> tuple:
        return (self.learning_rate, self.learning_rate * self.finetune_factor)

    def describe(self) -> str:
        return (f"{self.steps} steps with the encoder frozen (Nadam, learning rate "
                f"{self.learning_rate:g}), then {self.steps} steps with it unfrozen "
                f"(learning rate {self.learning_rates[1]:g}); batches of {self.batch_size} labels")


def classifier_plan(profile=None) -> ClassifierPlan:
    """The plan for the active profile (the quick one trains fewer steps)."""
    profile = profile or active_profile()
    return ClassifierPlan(steps=100) if profile.is_quick else ClassifierPlan()


def study_budgets(profile=None) -> tuple:
    profile = profile or active_profile()
    return QUICK_BUDGETS if profile.is_quick else FULL_BUDGETS


def batch_indices(subset, n_batches, batch_size, seed) -> np.ndarray:
    """(n_batches, batch_size) int32 indices: seeded passes over ``subset``, end to end."""
    subset = np.asarray(subset)
    rng = np.random.default_rng(seed)
    passes = math.ceil(n_batches * batch_size / len(subset))
    stream = np.concatenate([rng.permutation(subset) for _ in range(passes)])
    return stream[: n_batches * batch_size].reshape(n_batches, batch_size).astype("int32")


def initial_weights(encoder, pretrained, seed) -> list:
    """Start weights of a classifier run: :func:`encoder_classifier` on ``encoder``, seeded."""
    return encoder_classifier(encoder, pretrained=pretrained, seed=seed).get_weights()


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


def encode_predictions(predictions) -> str:
    """Class predictions 0-9 as one digit string (compact JSON for the result cache)."""
    return "".join(str(int(p)) for p in predictions)


def decode_predictions(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8) - ord("0")


class TwoPhaseTrainer:
    """Runs the two-phase recipe on one reusable classifier (see the module docstring).

    Args:
        template: a classifier from :func:`helpers.models.encoder_classifier`; every run
            overwrites its weights, so pass one made for this purpose.
        X_pool, y_pool: the labelled pool (the training split); runs name subsets by index.
        X_test: images to predict after each phase.
        plan: a :class:`ClassifierPlan`.
    """

    def __init__(self, template, X_pool, y_pool, X_test, plan: ClassifierPlan):
        import tensorflow as tf

        self.tf, self.model, self.plan = tf, template, plan
        self.X_pool = tf.constant(np.asarray(X_pool, dtype="float32"))
        self.y_pool = tf.constant(np.asarray(y_pool, dtype="int32"))
        self.X_test = tf.constant(np.asarray(X_test, dtype="float32"))
        self._phases: dict = {}
        self._loss = keras.losses.SparseCategoricalCrossentropy()
        model = self.model
        self._predict = tf.function(
            lambda x: tf.argmax(model(x, training=False), axis=-1, output_type=tf.int32),
            jit_compile=True)

    def _phase(self, encoder_trainable: bool, learning_rate: float):
        """(compiled chunk function, optimizer, its initial state, trainable variable count)."""
        key = (bool(encoder_trainable), float(learning_rate))
        if key in self._phases:
            return self._phases[key]
        tf, model, loss_fn = self.tf, self.model, self._loss
        X_pool, y_pool = self.X_pool, self.y_pool
        set_encoder_trainable(model, encoder_trainable)
        variables = list(model.trainable_variables)   # what this phase is allowed to change
        optimizer = keras.optimizers.Nadam(learning_rate)
        optimizer.build(variables)
        initial_state = [v.numpy() for v in optimizer.variables]

        @tf.function(jit_compile=True)
        def run_chunk(batches):  # (chunk, batch_size) indices into the pool
            loss = tf.constant(0.0)
            for i in tf.range(tf.shape(batches)[0]):
                rows = batches[i]
                x, y = tf.gather(X_pool, rows), tf.gather(y_pool, rows)
                with tf.GradientTape() as tape:
                    loss = loss_fn(y, model(x, training=True))
                optimizer.apply(tape.gradient(loss, variables), variables)
            return loss

        self._phases[key] = (run_chunk, optimizer, initial_state, len(variables))
        return self._phases[key]

    def predict(self) -> np.ndarray:
        return self._predict(self.X_test).numpy()

    def run(self, start_weights, subset, seed, freeze_first=True,
            on_step: Callable[[int, int], None] | None = None) -> dict:
        """Train from ``start_weights`` on pool rows ``subset``; evaluate after each phase.

        ``freeze_first`` freezes the encoder in phase 1 (pretrained sources); the scratch
        baseline passes False. ``on_step(done, total)`` is called after every chunk.
        Returns ``{"phases": [{"encoder_trainable", "trainable_variables", "learning_rate",
        "final_loss", "predictions"}, ...], "seconds": ...}`` (predictions as a digit string).
        """
        plan = self.plan
        start = time.perf_counter()
        batches = batch_indices(subset, 2 * plan.steps, plan.batch_size, seed)
        chunks = batches.reshape(2, plan.steps // plan.chunk, plan.chunk, plan.batch_size)
        self.model.set_weights(start_weights)
        total, done, phases = 2 * plan.steps, 0, []
        for k, (trainable, lr) in enumerate(zip((not freeze_first, True), plan.learning_rates)):
            run_chunk, optimizer, state, n_vars = self._phase(trainable, lr)
            set_encoder_trainable(self.model, trainable)
            for variable, value in zip(optimizer.variables, state):
                variable.assign(value)       # a fresh optimiser for every phase of every run
            for chunk in chunks[k]:
                loss = float(run_chunk(self.tf.constant(chunk)))
                done += plan.chunk
                if on_step:
                    on_step(done, total)
            phases.append({"encoder_trainable": bool(trainable), "trainable_variables": n_vars,
                           "learning_rate": lr, "final_loss": loss,
                           "predictions": encode_predictions(self.predict())})
        return {"phases": phases, "seconds": round(time.perf_counter() - start, 3)}


# --- the label-budget study ------------------------------------------------------------------

class _NotCached(Exception):
    pass


def _raise_not_cached():
    raise _NotCached


def mean_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation (0.0 for a single value)."""
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


class LabelBudgetStudy:
    """Test accuracy against the number of labels, for every method, over several seeds.

    Args:
        data: a ``FashionMNIST`` (default: ``load_fashion_mnist()``).
        budgets: label budgets (ints or "all"); default :func:`study_budgets` of the profile.
        seeds: default the profile's seeds (3 in full, 1 in quick).
        plan: a :class:`ClassifierPlan` (default :func:`classifier_plan`).
        sources: ``{"untied": (encoder, key), "tied": (encoder, key)}`` to use instead of the
            cached coding-30 autoencoders (``key`` identifies the encoder in cache keys).
    """

    def __init__(self, data=None, budgets=None, seeds=None, plan=None, sources=None):
        profile = active_profile()
        self.profile = profile
        self.data = data or load_fashion_mnist()
        self.pool_size = len(self.data.y_train)
        budgets = study_budgets(profile) if budgets is None else budgets
        self.budgets = tuple(sorted({check_budget(b, self.pool_size) for b in budgets}))
        self.seeds = tuple(profile.seeds if seeds is None else seeds)
        if not self.budgets or not self.seeds:
            raise ValueError("A study needs at least one budget and one seed.")
        self.plan = plan or classifier_plan(profile)
        self._sources = dict(sources) if sources else {}
        self._trainer = None
        self.results: dict = {}          # (budget, seed, source) -> result (in memory)
        self.trained_now = 0

    # -- what a run starts from -------------------------------------------------------------------
    def source(self, name):
        """(encoder, key) for "untied"/"tied" (the cached coding-30 autoencoders by default)."""
        if name not in ("untied", "tied"):
            raise ValueError(f"Unknown source {name!r}; the encoders come from 'untied' or 'tied'.")
        if name not in self._sources:
            from helpers.training import trained_autoencoder

            cached = trained_autoencoder(30, tied=(name == "tied"), data=self.data)
            self._sources[name] = (cached.model.encoder, cached.key)
        return self._sources[name]

    def trainer(self) -> TwoPhaseTrainer:
        if self._trainer is None:
            encoder, _ = self.source("untied")
            template = encoder_classifier(encoder, pretrained=False, seed=0)
            self._trainer = TwoPhaseTrainer(template, self.data.X_train, self.data.y_train,
                                            self.data.X_test, self.plan)
        return self._trainer

    def spec(self, budget, seed, source) -> dict:
        if source not in SOURCES:
            raise ValueError(f"Unknown source {source!r}; choose one of: {', '.join(SOURCES)}.")
        budget = check_budget(budget, self.pool_size)
        return {
            "kind": "label_budget_run",
            "budget": budget,
            "seed": seed,
            "source": source,
            "encoder": None if source == "scratch" else self.source(source)[1],
            "architecture": "encoder_classifier(784-100-30) + softmax 10",
            "plan": dataclasses.asdict(self.plan),
            "profile": self.profile.name,
            "data": self.data.checksum,
        }

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
        result.update(budget=budget, seed=seed, source=source, subset_size=int(len(subset)))
        return result

    def run(self, budget, seed, source, on_step=None) -> dict:
        """One run's result: from memory, the disk cache, or trained now (then cached)."""
        budget = check_budget(budget, self.pool_size)
        key = (budget, seed, source)
        if key not in self.results:
            result, from_cache = load_or_compute(
                self.spec(budget, seed, source),
                lambda: self.compute(budget, seed, source, on_step))
            self.trained_now += not from_cache
            self.results[key] = result
        return self.results[key]

    def cached(self, budget, seed, source) -> dict | None:
        """The run's result if it is in memory or on disk, else None (never trains)."""
        budget = check_budget(budget, self.pool_size)
        key = (budget, seed, source)
        if key not in self.results:
            try:
                self.results[key], _ = load_or_compute(self.spec(budget, seed, source),
                                                       _raise_not_cached)
            except _NotCached:
                return None
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
        """Make sure every (budget, seed, source) has a result; returns how many trained now."""
        keys = [(b, s, src) for b in self.budgets for s in self.seeds for src in SOURCES]
        before = self.trained_now
        for k, key in enumerate(keys):
            self.run(*key)
            if on_run:
                on_run(k + 1, len(keys), key)
        return self.trained_now - before

    # -- summaries ----------------------------------------------------------------------------
    def accuracies(self, method, budget, available_only=True) -> list:
        """Test accuracy of ``method`` at ``budget`` for each seed with a result."""
        source, phase = METHOD_RUNS[check_method(method)]
        out = []
        for seed in self.seeds:
            run = self.cached(budget, seed, source) if available_only else self.run(budget, seed, source)
            if run is not None:
                out.append(run["phases"][phase]["accuracy"])
        return out

    def summary(self, methods=METHODS) -> dict:
        """``{method: {budget: (mean, std, n_seeds)}}`` over the results available."""
        table = {}
        for method in methods:
            table[method] = {}
            for budget in self.budgets:
                accs = self.accuracies(method, budget)
                if accs:
                    table[method][budget] = (*mean_std(accs), len(accs))
        return table

    def paired_gains(self, method, baseline="scratch") -> dict:
        """``{budget: (mean, std, per-seed gains)}`` of accuracy(method) - accuracy(baseline).

        Both runs of a pair share the labelled subset and the batch order (same seed), so
        the difference is less noisy than comparing two means.
        """
        gains = {}
        for budget in self.budgets:
            a, b = self.accuracies(method, budget), self.accuracies(baseline, budget)
            if a and len(a) == len(b):
                diff = np.asarray(a) - np.asarray(b)
                gains[budget] = (*mean_std(diff), diff.tolist())
        return gains

    def budget_label(self, budget) -> str:
        return f"all {budget:,}" if budget == self.pool_size else f"{budget:,}"

    def table_text(self, methods=METHODS) -> str:
        """Mean +- std test accuracy (%) per method (rows) and budget (columns)."""
        summary = self.summary(methods)
        width = 16
        head = f"{'labels':<32}" + "".join(f"{self.budget_label(b):>{width}}" for b in self.budgets)
        lines = [head]
        for method in methods:
            cells = []
            for b in self.budgets:
                if b in summary[method]:
                    mean, std, _ = summary[method][b]
                    cells.append(f"{100 * mean:.1f} ± {100 * std:.1f}")
                else:
                    cells.append("-")
            lines.append(f"{METHOD_LABELS[method]:<32}" + "".join(f"{c:>{width}}" for c in cells))
        return "\n".join(lines)


# --- the notebook's checks and conclusions ---------------------------------------------------

def weight_reuse_report(classifier, autoencoder, seed=0) -> dict:
    """Checks that ``classifier`` (from ``encoder_classifier``) really reuses the trained weights.

    Returns named booleans: its encoder equals the autoencoder's; a same-architecture
    classifier from a fresh initialisation does not; a bare ``keras.models.clone_model`` of
    the encoder does not either (it re-initialises); and the classifier shares no variable
    with the autoencoder (training it cannot change the autoencoder).
    """
    encoder = classifier.get_layer("encoder")
    fresh = encoder_classifier(autoencoder.encoder, pretrained=False, seed=seed).get_layer("encoder")
    cloned = keras.models.clone_model(autoencoder.encoder)
    shared = {id(v) for v in encoder.weights} & {id(v) for v in autoencoder.weights}
    return {
        "classifier's encoder == trained encoder": same_weights(encoder, autoencoder.encoder),
        "fresh initialisation == trained encoder": same_weights(fresh, autoencoder.encoder),
        "clone_model(encoder) == trained encoder": same_weights(cloned, autoencoder.encoder),
        "classifier shares no variable with the autoencoder": not shared,
    }


def trainable_counts(classifier) -> dict:
    """Trainable variables of ``classifier`` with its encoder frozen, then unfrozen.

    Leaves the encoder in the state it found it.
    """
    encoder = classifier.get_layer("encoder")
    was = encoder.trainable
    counts = {}
    for label, flag in (("encoder frozen", False), ("encoder unfrozen", True)):
        set_encoder_trainable(classifier, flag)
        counts[label] = len(classifier.trainable_variables)
    set_encoder_trainable(classifier, was)
    return counts


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


def conclusion_sentences(study: LabelBudgetStudy) -> list[str]:
    """Plain lines of text built only from the study's numbers (nothing is assumed).

    For each pretrained method: its paired gain over the scratch baseline per budget
    (mean +- std over seeds, and on how many seeds it was ahead), then where it was ahead on
    every seed and from which budget on it no longer was.
    """
    summary = study.summary()
    n_seeds = min((v[2] for m in summary.values() for v in m.values()), default=0)
    label = study.budget_label
    out = []
    if n_seeds < 2:
        out.append(f"Only {n_seeds} seed per point: there is no spread to compare against, so "
                   "small differences below may be luck.")
    for method, name in (("fine-tuned", "Fine-tuned pretrained encoder"),
                         ("frozen", "Frozen pretrained encoder"),
                         ("tied fine-tuned", "Fine-tuned encoder of the tied autoencoder")):
        gains = study.paired_gains(method)
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
    all_gains = {m: study.paired_gains(m) for m in METHODS if m != "scratch"}
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
