"""The two-phase classifier training and its checks (helpers.classifier_training)."""

import keras
import numpy as np
import pytest

from helpers.classifier_training import (
    ClassifierPlan,
    TwoPhaseTrainer,
    batch_indices,
    classifier_plan,
    decode_predictions,
    encode_predictions,
    initial_weights,
    trainable_counts,
    weight_reuse_report,
)
from helpers.labels import balanced_subset
from helpers.models import encoder_classifier, set_encoder_trainable, stacked_autoencoder
from helpers.profile import PROFILES


def test_batch_indices_pass_over_the_subset():
    subset = np.array([3, 9, 27, 81, 243])
    batches = batch_indices(subset, n_batches=4, batch_size=4, seed=0)
    assert batches.shape == (4, 4) and batches.dtype == np.int32
    assert set(batches.ravel()) == set(subset)
    first_pass = batches.ravel()[:5]
    assert sorted(first_pass) == sorted(subset), "every label once before any repeats"
    second_pass = batches.ravel()[5:10]
    assert sorted(second_pass) == sorted(subset), "then every label once again"
    assert np.array_equal(batches, batch_indices(subset, 4, 4, seed=0))


def test_predictions_round_trip_as_digit_strings():
    preds = np.array([0, 9, 3, 3])
    assert encode_predictions(preds) == "0933"
    assert decode_predictions("0933").tolist() == [0, 9, 3, 3]
    assert encode_predictions([]) == "" and decode_predictions("").tolist() == []


def test_plans_per_profile():
    full, quick = classifier_plan(PROFILES["full"]), classifier_plan(PROFILES["quick"])
    assert (full.steps, quick.steps) == (500, 100)
    assert full.learning_rates == pytest.approx((0.01, 0.003))
    assert full.describe() == ("500 steps with the encoder frozen (Nadam, learning rate 0.01), then 500 "
                               "steps with it unfrozen (learning rate 0.003); batches of 128 labels")


@pytest.mark.parametrize("fields, reason", [
    ({"steps": 55, "chunk": 10}, r"steps=55, chunk=10\): steps must be a positive multiple of chunk"),
    ({"steps": 0}, r"steps=0\): steps must be a whole number >= 1"),
    ({"batch_size": 12.5}, r"batch_size=12.5\): batch_size must be a whole number"),
    ({"chunk": True}, r"chunk=True\)"),
    ({"learning_rate": 0.0}, r"learning_rate=0.0\): learning_rate must be a finite number > 0"),
    ({"finetune_factor": float("nan")}, r"finetune_factor=nan\)"),
])
def test_bad_plans_name_the_field(fields, reason):
    with pytest.raises(ValueError, match=reason):
        ClassifierPlan(**fields)


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


def test_initial_weights_are_the_trained_encoder_or_a_seeded_start(trained_ae):
    pretrained = initial_weights(trained_ae.encoder, pretrained=True, seed=0)
    encoder_weights = trained_ae.encoder.get_weights()
    assert len(pretrained) == len(encoder_weights) + 2, "the encoder's weights, then the softmax head's"
    for got, expected in zip(pretrained[:-2], encoder_weights, strict=True):
        np.testing.assert_array_equal(got, expected)
    scratch = initial_weights(trained_ae.encoder, pretrained=False, seed=5)
    assert not np.array_equal(scratch[0], encoder_weights[0])
    np.testing.assert_array_equal(scratch[0], initial_weights(trained_ae.encoder, False, 5)[0])


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
        assert total == 80
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
    assert [p["learning_rate"] for p in phases] == pytest.approx([0.01, 0.003])
    assert all(len(p["predictions"]) == 10_000 for p in phases)
    accuracy = np.mean(decode_predictions(phases[1]["predictions"]) == fashion.y_test)
    assert accuracy > 0.4, "80 steps on 500 labels beat chance (10%) by far"
    assert np.array_equal(trainer.predict(), decode_predictions(phases[1]["predictions"]))

    again = trainer.run(start, subset, seed=0, freeze_first=True)
    assert again["phases"][1]["predictions"] == phases[1]["predictions"], "runs are reproducible"

    scratch = trainer.run(initial_weights(trained_ae.encoder, False, 0), subset, 0, freeze_first=False)
    assert [p["trainable_variables"] for p in scratch["phases"]] == [6, 6]
