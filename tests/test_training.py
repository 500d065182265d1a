"""helpers.training: fitting, the cached-training sequence, argument checks and cache-hit checks."""

import gc
import hashlib
import json
import shutil
import weakref

import keras
import numpy as np
import pytest

from helpers.models import stacked_autoencoder
from helpers.recipes import FAST
from helpers.training import (
    check_seed,
    fit_reconstruction,
    fresh_model,
    reconstruction_dataset,
    reconstruction_mse,
    train_cached,
    trained_autoencoder,
    training_spec,
    verify_autoencoder,
)


@pytest.mark.parametrize("tied, recipe, zero_start", [(False, "fast", True), (False, "book", False),
                                                      (True, "fast", False)])
def test_trained_autoencoder_trains_from_the_recipes_start(fashion, quick_profile, private_cache,
                                                           monkeypatch, tied, recipe, zero_start):
    import helpers.training as training

    seen = {}

    def record_start(model, *args, **kwargs):
        seen["kernel"] = keras.ops.convert_to_numpy(model.decoder.layers[-2].kernel)
        return {"loss": [1.0], "val_loss": [1.0], "seconds": [0.0]}

    monkeypatch.setattr(training, "fit_reconstruction", record_start)
    trained_autoencoder(5, tied=tied, recipe=recipe, data=fashion)
    assert (not np.any(seen["kernel"])) == zero_start


def _batches(X, batch_size, **options):
    with reconstruction_dataset(X, batch_size, **options) as dataset:
        return [(x.numpy(), y.numpy()) for x, y in dataset]


def test_reconstruction_dataset_targets_are_the_inputs_in_order_unless_shuffled():
    X = np.arange(10 * 4, dtype="float32").reshape(10, 2, 2)
    plain = _batches(X, batch_size=4)
    assert [len(x) for x, _ in plain] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in plain]), X)
    for x, y in plain:
        np.testing.assert_array_equal(x, y)
    shuffled = _batches(X, batch_size=4, shuffle=True, seed=1)
    rows = np.concatenate([x for x, _ in shuffled])
    assert not np.array_equal(rows, X)                               # a new order ...
    np.testing.assert_array_equal(np.sort(rows[:, 0, 0]), X[:, 0, 0])  # ... of every row, once


def test_reconstruction_dataset_explicit_targets_and_offset():
    X = np.arange(6 * 4, dtype="float32").reshape(6, 2, 2)
    T = -X
    offset = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
    (x, y), = _batches(X, batch_size=6, targets=T, offset=offset)
    np.testing.assert_array_equal(x, X - offset)
    np.testing.assert_array_equal(y, T - offset)


def test_reconstruction_dataset_keeps_the_images_in_numpy_and_knows_their_shape():
    """No copy of the data set is made: the batches read the array itself (so a change to it
    after the pipeline was built shows), and they keep the image shape for the model."""
    X = np.arange(5 * 4, dtype="float32").reshape(5, 2, 2)
    with reconstruction_dataset(X, batch_size=2) as dataset:
        assert tuple(dataset.element_spec[0].shape) == (None, 2, 2)
        X[0, 0, 0] = -7.0
        first, _ = next(iter(dataset))
    assert first.numpy()[0, 0, 0] == -7.0


def test_reconstruction_dataset_lets_go_of_the_arrays_after_its_block():
    """TensorFlow keeps the pipeline's function after the pipeline is gone: the arrays must not
    stay with it, and reading the pipeline afterwards says why it cannot."""
    X, T = np.ones((6, 2, 2), dtype="float32"), np.zeros((6, 2, 2), dtype="float32")
    alive = [weakref.ref(X), weakref.ref(T)]
    with reconstruction_dataset(X, batch_size=3, targets=T) as dataset:
        assert len(list(dataset)) == 2
    del X, T
    gc.collect()
    assert [ref() for ref in alive] == [None, None]
    with pytest.raises(Exception, match="read after its `with` block ended"):
        list(dataset)


def test_reconstruction_dataset_refuses_targets_of_another_length():
    X = np.zeros((6, 2, 2), dtype="float32")
    with pytest.raises(ValueError, match="targets has 5 rows but X has 6"), \
            reconstruction_dataset(X, batch_size=2, targets=X[:5]):
        pass


def test_fit_reconstruction_reduces_the_error(fashion):
    model = stacked_autoencoder(30)
    X, V = fashion.X_train[:2000], fashion.X_valid[:500]
    before = reconstruction_mse(model, V)
    history = fit_reconstruction(model, X, V, FAST, epochs=2)
    assert len(history["val_loss"]) == 2 and len(history["seconds"]) == 2
    assert history["val_loss"][-1] < before
    assert reconstruction_mse(model, V) == pytest.approx(history["val_loss"][-1], rel=1e-3)


def test_warm_cache_retrains_nothing(fashion, quick_profile, private_cache):
    epochs_seen = []
    first = trained_autoencoder(5, tied=True, data=fashion,
                                on_epoch=lambda e, n, logs: epochs_seen.append(e))
    assert not first.from_cache and epochs_seen == [1, 2]
    second = trained_autoencoder(5, tied=True, data=fashion,
                                 on_epoch=lambda e, n, logs: epochs_seen.append(e))
    assert second.from_cache and epochs_seen == [1, 2]
    X = fashion.X_valid[:50]
    np.testing.assert_allclose(first.model.predict(X, verbose=0), second.model.predict(X, verbose=0),
                               atol=1e-6)


@pytest.mark.parametrize("arguments, message", [
    ({"coding_size": 0}, "coding_size must be a whole number"),
    ({"coding_size": 7.0}, "coding_size must be a whole number"),
    ({"tied": "no"}, "tied must be True or False"),
    ({"tied": "False"}, "tied must be True or False"),
    ({"tied": None}, "tied must be True or False"),
    ({"seed": -1}, "seed must be a whole number"),
])
def test_bad_arguments_fail_before_any_model_is_built_or_trained(fashion, quick_profile, private_cache,
                                                                  monkeypatch, arguments, message):
    import helpers.training as training

    calls = []
    monkeypatch.setattr(training, "stacked_autoencoder", lambda *a, **k: calls.append("build"))
    monkeypatch.setattr(training, "fit_reconstruction", lambda *a, **k: calls.append("fit"))
    monkeypatch.setattr(training, "load_or_train_model", lambda *a, **k: calls.append("cache"))
    with pytest.raises(ValueError, match=message):
        trained_autoencoder(data=fashion, **{"coding_size": 5, **arguments})
    assert calls == []
    assert not private_cache.exists() or not any(private_cache.iterdir())


def test_numpy_arguments_name_the_same_entry_as_python_ones(fashion, quick_profile, monkeypatch):
    import helpers.training as training

    specs = []
    monkeypatch.setattr(training, "load_or_train_model", lambda spec, *a, **k: specs.append(spec))
    trained_autoencoder(np.int64(7), tied=np.bool_(True), seed=np.int32(3), data=fashion)
    trained_autoencoder(7, tied=True, seed=3, data=fashion)
    assert specs[0] == specs[1]
    assert specs[0]["architecture"] == {"coding_size": 7, "hidden_units": 100, "tied": True,
                                        "activation": "relu"}
    assert specs[0]["profile"]["name"] == "quick" and specs[0]["profile"]["train_size"] == 5_000


def test_check_seed_accepts_whole_numbers_only():
    assert check_seed(np.int64(4)) == 4 and type(check_seed(np.int64(4))) is int
    for bad in (1.5, "1", True, -3):
        with pytest.raises(ValueError, match="seed"):
            check_seed(bad)


def test_cache_spec_normalises_the_seed_and_names_profile_and_data(fashion):
    from helpers.profile import PROFILES
    from helpers.training import cache_spec

    spec = cache_spec("result", seed=np.int64(1), profile=PROFILES["full"], data=fashion, budget=50)
    assert spec == {"kind": "result", "budget": 50, "seed": 1, "data": fashion.checksum,
                    "profile": {"name": "full", "train_size": None, "valid_size": None,
                                "max_epochs": None, "seeds": (0, 1, 2)}}
    with pytest.raises(ValueError, match="seed"):
        cache_spec("result", seed=0.5, profile=PROFILES["full"], data=fashion)


def test_training_spec_names_the_whole_profile_and_the_data(fashion):
    from helpers.profile import PROFILES

    spec = training_spec("demo", recipe="book", seed=np.int64(2), profile=PROFILES["quick"],
                         data=fashion, width=3)
    assert spec["kind"] == "demo" and spec["width"] == 3 and spec["seed"] == 2
    assert spec["recipe"]["batch_size"] == 32 and spec["recipe"]["name"] == "book"
    assert spec["profile"] == {"name": "quick", "train_size": 5_000, "valid_size": 1_000,
                               "max_epochs": 2, "seeds": (0,)}
    assert spec["data"] == fashion.checksum


def test_fresh_model_is_seeded_and_started_by_the_recipe():
    first = fresh_model(lambda: stacked_autoencoder(5), "fast", seed=1)
    again = fresh_model(lambda: stacked_autoencoder(5), "fast", seed=1)
    other = fresh_model(lambda: stacked_autoencoder(5), "book", seed=2)
    for a, b in zip(first.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.any(first.get_weights()[-2]) and np.any(other.get_weights()[-2])
    kept = fresh_model(lambda: stacked_autoencoder(5), "fast", seed=1, initialize=False)
    assert np.any(kept.get_weights()[-2])


GOOD_HISTORY = {"valid_mse": 0.02, "loss": [0.05, 0.03], "val_loss": [0.04, 0.02], "seconds": [1.0, 2.0]}


def test_verify_autoencoder_names_what_differs():
    verify = verify_autoencoder((28, 28), (100, 5), tied=False)
    model = stacked_autoencoder(5)
    verify(model, GOOD_HISTORY)
    with pytest.raises(ValueError, match="tied is True, expected False"):
        verify(stacked_autoencoder(5, tied=True), GOOD_HISTORY)
    with pytest.raises(ValueError, match=r"hidden units is \(100, 30\), expected \(100, 5\)"):
        verify(stacked_autoencoder(30), GOOD_HISTORY)
    for bad_mse in (None, float("nan"), "0.1", True):
        with pytest.raises(ValueError, match="valid_mse"):
            verify(model, {**GOOD_HISTORY, "valid_mse": bad_mse})
    for bad_curve in (None, [], [0.1, float("inf")], "0.1"):
        with pytest.raises(ValueError, match="val_loss"):
            verify(model, {**GOOD_HISTORY, "val_loss": bad_curve})
    with pytest.raises(ValueError, match="differ in length"):
        verify(model, {**GOOD_HISTORY, "seconds": [1.0]})
    with pytest.raises(ValueError, match="expected a dict"):
        verify(model, [GOOD_HISTORY])


def test_a_cached_model_of_another_architecture_is_retrained_not_served(fashion, quick_profile,
                                                                        private_cache, monkeypatch):
    """The issue's fault: ask for coding 7, tied, and get the stored coding-30 untied model."""
    import helpers.training as training
    from helpers.cache import load_or_train_model

    specs = []
    real = training.load_or_train_model
    monkeypatch.setattr(training, "load_or_train_model",
                        lambda spec, train, **kw: specs.append(spec) or real(spec, train, **kw))
    monkeypatch.setattr(training, "fit_reconstruction", lambda *a, **k: dict(GOOD_HISTORY))
    first = trained_autoencoder(7, tied=True, data=fashion)
    assert first.model.coding_size == 7 and first.model.tied
    # Swap in a coding-30 untied model under the right spec and a matching manifest checksum, as
    # a buggy writer could leave it: only the architecture check can tell it is the wrong model.
    wrong = load_or_train_model({**specs[0], "kind": "foreign"},
                                lambda: (stacked_autoencoder(30), dict(GOOD_HISTORY)),
                                directory=private_cache)
    model_file, manifest_file = private_cache / f"{first.key}.keras", private_cache / f"{first.key}.json"
    shutil.copyfile(private_cache / f"{wrong.key}.keras", model_file)
    manifest = json.loads(manifest_file.read_text())
    manifest["model_sha256"] = hashlib.sha256(model_file.read_bytes()).hexdigest()
    manifest_file.write_text(json.dumps(manifest))
    with pytest.warns(RuntimeWarning, match=r"verify failed: hidden units is \(100, 30\)"):
        again = trained_autoencoder(7, tied=True, data=fashion)
    assert not again.from_cache and again.model.coding_size == 7 and again.model.tied


def test_trained_autoencoder_passes_an_architecture_check_to_the_cache(fashion, quick_profile,
                                                                      monkeypatch):
    import helpers.training as training

    seen = {}
    monkeypatch.setattr(training, "load_or_train_model",
                        lambda spec, train, verify=None, **kw: seen.setdefault("verify", verify))
    trained_autoencoder(7, tied=True, data=fashion)
    verify = seen["verify"]
    verify(stacked_autoencoder(7, tied=True), GOOD_HISTORY)
    with pytest.raises(ValueError, match="hidden units is \\(100, 30\\)"):
        verify(stacked_autoencoder(30, tied=True), GOOD_HISTORY)
    with pytest.raises(ValueError, match="tied is False"):
        verify(stacked_autoencoder(7, tied=False), GOOD_HISTORY)


def test_train_cached_runs_every_step_once_on_a_miss(fashion, quick_profile, private_cache):
    from helpers.profile import PROFILES

    seen = {}
    spec = training_spec("tiny", recipe="fast", seed=0, profile=PROFILES["quick"], data=fashion)
    X = fashion.X_train[:256]
    V = fashion.X_valid[:64]

    def build():
        seen["built"] = seen.get("built", 0) + 1
        return stacked_autoencoder(4)

    first = train_cached(spec, build, recipe="fast", seed=0, data=fashion, profile=PROFILES["quick"],
                         epochs=1, arrays=lambda: (X, V),
                         valid_mse=lambda model: 0.5,
                         extras=lambda model, history: {"epochs_seen": len(history["val_loss"])})
    assert seen["built"] == 1 and not first.from_cache
    assert first.info["valid_mse"] == 0.5 and first.info["epochs_seen"] == 1
    second = train_cached(spec, build, recipe="fast", seed=0, data=fashion, profile=PROFILES["quick"])
    assert second.from_cache and seen["built"] == 1 and second.info["valid_mse"] == 0.5


def test_cached_dead_codings_counts_once(fashion, quick_profile, private_cache, monkeypatch):
    import helpers.models as models
    from helpers.cache import CachedModel
    from helpers.training import cached_dead_codings

    model = stacked_autoencoder(5)
    model.encoder.layers[-1].bias.assign(-100 * np.ones(5, "float32"))   # every coding dead
    cached = CachedModel(model, {}, key="k-dead-test", from_cache=True)
    calls = []
    real = models.dead_codings
    monkeypatch.setattr(models, "dead_codings", lambda *a, **k: calls.append(1) or real(*a, **k))
    images = fashion.X_valid[:64]
    assert cached_dead_codings(cached, images, "X_valid[:64]") == 5
    assert cached_dead_codings(cached, images, "X_valid[:64]") == 5 and calls == [1]
