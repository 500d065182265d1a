"""Training a classifier on few labels in two phases: encoder frozen, then fine-tuned.

:class:`TwoPhaseTrainer` trains a classifier built by :func:`helpers.models.encoder_classifier`
for a fixed number of optimisation steps with the encoder frozen, then the same number of steps
with it unfrozen at a lower learning rate. The from-scratch baseline gets the same two phases,
the same steps and the same learning rates, with its encoder trainable throughout (freezing
random weights would teach nothing). A fixed step budget makes every run cost the same,
whatever its number of labels.

Speed: a sweep is dozens of short runs. Building and compiling a Keras model per run would
cost more than the training itself, so one trainer keeps one classifier object and one
XLA-compiled step function per phase, and each run only resets the weights and optimiser
state. The batches are index arrays into the whole labelled pool (a fixed shape), so no run
triggers a new compilation.

:func:`weight_reuse_report` and :func:`trainable_counts` check the two things this rests on:
the classifier really starts from the trained weights, and freezing really freezes.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import time
from collections.abc import Callable

import keras
import numpy as np

from helpers.models import encoder_classifier, same_weights, set_encoder_trainable
from helpers.profile import active_profile


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
        for name in ("steps", "batch_size", "chunk"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise ValueError(f"ClassifierPlan({name}={value!r}): {name} must be a whole number >= 1.")
        if self.steps % self.chunk:
            nearest = self.chunk * max(1, self.steps // self.chunk)
            raise ValueError(f"ClassifierPlan(steps={self.steps}, chunk={self.chunk}): steps must be a "
                             f"positive multiple of chunk, e.g. steps={nearest}.")
        for name in ("learning_rate", "finetune_factor"):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
                    or value <= 0):
                raise ValueError(f"ClassifierPlan({name}={value!r}): {name} must be a finite number > 0.")

    @property
    def learning_rates(self) -> tuple:
        return (self.learning_rate, self.learning_rate * self.finetune_factor)

    def describe(self) -> str:
        return (f"{self.steps} steps with the encoder frozen (Nadam, learning rate "
                f"{self.learning_rate:g}), then {self.steps} steps with it unfrozen "
                f"(learning rate {self.learning_rates[1]:g}); batches of {self.batch_size} labels")


def classifier_plan(profile=None) -> ClassifierPlan:
    """The plan for ``profile`` (default: the active one; the quick one trains fewer steps)."""
    profile = profile or active_profile()
    return ClassifierPlan(steps=100) if profile.is_quick else ClassifierPlan()


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


def encode_predictions(predictions) -> str:
    """Class predictions 0-9 as one digit string (compact JSON for the result cache)."""
    return "".join(str(int(p)) for p in predictions)


def decode_predictions(text: str) -> np.ndarray:
    """The class predictions of :func:`encode_predictions`'s digit string, as an array."""
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
        """The classifier's class for every test image, as it stands now."""
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
        for k, (trainable, lr) in enumerate(zip((not freeze_first, True), plan.learning_rates, strict=True)):
            run_chunk, optimizer, state, n_vars = self._phase(trainable, lr)
            set_encoder_trainable(self.model, trainable)
            for variable, value in zip(optimizer.variables, state, strict=True):
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
