"""helpers.exercise_models: the reference models and the cached trainers around the learner's code."""

import json

import exercise_solutions as solutions
import keras
import numpy as np
import pytest

from helpers import exercise_models as models
from helpers.classifier_training import ClassifierPlan
from helpers.layers import DenseTranspose as ReferenceLayer
from helpers.models import StackedAutoencoder, shared_variable_count


def test_tied_owner_round_trip_keeps_the_tie(tmp_path):
    model = models.TiedOwner(ReferenceLayer, (100, 30))
    assert model.count_params() == 82_414
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects={"DenseTranspose": ReferenceLayer})
    assert loaded.count_params() == 82_414
    assert loaded.decoder.layers[0].kernel is loaded.encoder.layers[-1].kernel


def test_tied_owner_names_the_missing_class():
    with pytest.raises(ValueError, match="custom_objects"):
        models.TiedOwner("NoSuchLayerAnywhere")


def test_signature_ignores_layer_names_but_not_configs_or_weights():
    def wrapped(seed, noise_std):
        keras.utils.set_random_seed(seed)
        return solutions.gaussian_wrapper(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)]),
                                          noise_std)

    a, b, other_noise, other_weights = wrapped(0, 0.2), wrapped(0, 0.2), wrapped(0, 0.3), wrapped(1, 0.2)
    sig = models._signature
    assert a.layers[0].name != b.layers[0].name
    assert sig(a) == sig(b) and sig(a) != sig(other_noise) and sig(a) != sig(other_weights)


# --- Hands-on 2 ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def quick_dae(tmp_path_factory, fashion):
    """One quick-profile denoising autoencoder shared by the tests below (private cache)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("AE_PROFILE", "quick")
    mp.setenv("AE_CACHE_DIR", str(tmp_path_factory.mktemp("dae-cache")))
    calls = []

    def counted(model, noise_std):
        calls.append(noise_std)
        return solutions.gaussian_wrapper(model, noise_std)

    first = models.pretrained_denoising_autoencoder(counted, 0.2, data=fashion)
    calls_when_trained = len(calls)
    second = models.pretrained_denoising_autoencoder(counted, 0.2, data=fashion)
    yield first, second, calls_when_trained, len(calls)
    mp.undo()


def test_denoising_autoencoder_is_trained_once_then_cached(quick_dae):
    first, second, calls_when_trained, calls = quick_dae
    assert not first.from_cache and second.from_cache and first.key == second.key
    assert isinstance(second.model, StackedAutoencoder) and second.model.coding_size == 30
    assert first.info["epochs"] == 2 and 0 < first.info["valid_mse"] < 0.1
    assert calls_when_trained == 2   # once for the cache key, once to train
    assert calls == 3                # a cache hit still runs the learner's function


def test_the_denoising_autoencoder_trains_from_the_zero_start(fashion, quick_profile, private_cache,
                                                              monkeypatch):
    import helpers.training as training

    seen = {}

    def record_start(model, *args, **kwargs):
        seen["fitted"] = model
        seen["kernel"] = keras.ops.convert_to_numpy(model.layers[-1].decoder.layers[-2].kernel)
        return {"loss": [1.0], "val_loss": [1.0], "seconds": [0.0]}

    monkeypatch.setattr(training, "fit_reconstruction", record_start)
    models.pretrained_denoising_autoencoder(solutions.gaussian_wrapper, data=fashion)
    assert isinstance(seen["fitted"].layers[0], keras.layers.GaussianNoise)   # the learner's wrapper
    assert not np.any(seen["kernel"])


def test_denoising_examples_and_codings(quick_dae, fashion):
    dae = quick_dae[1]
    images = fashion.X_valid[:50]
    ex = models.denoising_examples(solutions.gaussian_wrapper, dae, images, 0.2)
    assert ex["noisy"].shape == ex["denoised"].shape == images.shape
    assert 0.03 < ex["mse_noisy"] < 0.05          # Gaussian noise of std 0.2: MSE about 0.04
    assert ex["mse_denoised"] < ex["mse_noisy"]
    codings = models.codings_of(dae, images)
    assert codings.shape == (50, 30) and codings.min() >= 0
    with pytest.raises(NotImplementedError, match=r"Exercise 5\.7"):
        models.denoising_examples(solutions.gaussian_wrapper, None, images)
    with pytest.raises(NotImplementedError, match=r"Exercise 5\.7"):
        models.codings_of(None, images)


def test_compare_pretraining_runs_both_caches_and_rejects_a_wrong_row(quick_dae, fashion, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("AE_PROFILE", "quick")
    monkeypatch.setenv("AE_CACHE_DIR", str(tmp_path))
    runs, built, plan = [], [], ClassifierPlan(steps=50, chunk=50)

    def factory(encoder, pretrained, seed):
        built.append(pretrained)
        return solutions.good_classifier(encoder, pretrained, seed)

    def compare():
        return models.compare_pretraining(factory, quick_dae[1], 500, seeds=(0,), plan=plan, data=fashion,
                                          on_run=lambda s, k: runs.append((s, k)))

    first = compare()
    assert runs == [(0, "pretrained"), (0, "scratch")]
    (row,) = first["rows"]
    assert set(row) == {"seed", "frozen", "pretrained", "scratch"}
    assert all(0.1 < row[k] <= 1 for k in ("frozen", "pretrained", "scratch"))
    again = compare()
    assert again["rows"] == first["rows"] and len(runs) == 2 and built == [True, False] * 2

    (entry,) = tmp_path.glob("*.result.json")
    stored = json.loads(entry.read_text())
    stored["result"]["scratch"] = 1.5          # not an accuracy: the cache must not serve it
    entry.write_text(json.dumps(stored))
    with pytest.warns(RuntimeWarning, match="scratch"):
        recomputed = compare()
    assert len(runs) == 4 and 0.1 < recomputed["rows"][0]["scratch"] <= 1
    with pytest.raises(NotImplementedError, match=r"Exercise 5\.7"):
        models.compare_pretraining(factory, None)


def test_compare_pretraining_specs_name_seed_profile_and_data_like_every_cache_entry(quick_dae, fashion,
                                                                                    monkeypatch):
    import dataclasses

    from helpers.profile import active_profile
    from helpers.training import cache_spec

    monkeypatch.setenv("AE_PROFILE", "quick")
    specs, plan = [], ClassifierPlan(steps=50, chunk=50)

    def fake_cache(spec, compute, verify):
        specs.append(spec)
        return {"seed": spec["seed"], "pretrained": 0.5, "scratch": 0.5, "frozen": 0.5}, False

    monkeypatch.setattr(models, "load_or_compute", fake_cache)
    result = models.compare_pretraining(solutions.good_classifier, quick_dae[1], 100, seeds=(np.int64(3),),
                                        plan=plan, data=fashion)
    (spec,) = specs
    expected = cache_spec("exercise_pretraining_comparison", dae=quick_dae[1].key, n_labels=100,
                          classifiers=spec["classifiers"], plan=dataclasses.asdict(plan), seed=3,
                          profile=active_profile(), data=fashion)
    assert spec == expected and type(spec["seed"]) is int and set(spec["classifiers"]) == {"True", "False"}
    assert [row["seed"] for row in result["rows"]] == [3]
    with pytest.raises(ValueError, match="seed must be a whole number"):
        models.compare_pretraining(solutions.good_classifier, quick_dae[1], 100, seeds=(-1,), plan=plan,
                                   data=fashion)


@pytest.mark.parametrize("row, reason", [
    ({"seed": 1, "pretrained": 0.8, "scratch": 0.7, "frozen": 0.6}, "seed 1, expected 0"),
    ({"seed": 0, "pretrained": 0.8, "scratch": 0.7}, "'frozen' is None"),
    ({"seed": 0, "pretrained": float("nan"), "scratch": 0.7, "frozen": 0.6}, "'pretrained' is nan"),
    ([0.8, 0.7, 0.6], "is a list, expected a dict"),
])
def test_a_comparison_row_that_does_not_answer_the_request_is_rejected(row, reason):
    verify = models._verify_comparison_row(0)
    verify({"seed": 0, "pretrained": 0.8, "scratch": 0.7, "frozen": 0.6})
    with pytest.raises(ValueError, match=reason):
        verify(row)


# --- Hands-on 3 ---------------------------------------------------------------------------------

def test_pca_reconstruction_known_values():
    # Centred on (2, 2) the points are (-1, 1) and (1, -1); projected onto the x axis they become
    # (-1, 0) and (1, 0), i.e. (1, 2) and (3, 2): each point is off by 1 in y, so MSE = 2 / 4.
    X = np.array([[1.0, 3.0], [3.0, 1.0]])
    mean, x_axis = np.array([2.0, 2.0]), np.array([[1.0], [0.0]])
    np.testing.assert_allclose(models.pca_reconstruction(X, mean, x_axis), [[1.0, 2.0], [3.0, 2.0]])
    assert models.pca_reconstruction_mse(X, mean, x_axis) == pytest.approx(0.5)
    assert models.pca_reconstruction_mse(X, mean, np.eye(2)) == pytest.approx(0.0)   # the whole space
    with pytest.raises(NotImplementedError, match=r"Exercise 5\.11"):
        models.pca_reconstruction(X, mean, None)


def test_linear_autoencoder_is_tied_linear_and_cached(fashion, quick_profile, private_cache):
    mean_image = fashion.X_train[:5000].mean(axis=0)
    first = models.trained_linear_autoencoder(4, mean_image, data=fashion)
    second = models.trained_linear_autoencoder(4, mean_image, data=fashion)
    assert not first.from_cache and second.from_cache
    model = second.model
    assert model.encoder.layers[-1].kernel.shape == (784, 4) and shared_variable_count(model) == 1
    assert model.activation is None and model.output_activation is None
    assert first.info["val_loss"][-1] < first.info["val_loss"][0]
    # valid_mse is the centred error on all validation images: below rebuilding every image as the mean
    mean_only = float(np.mean((fashion.X_valid - mean_image) ** 2))
    assert 0 < second.info["valid_mse"] < mean_only
    other = models.trained_linear_autoencoder(4, mean_image + 0.01, data=fashion)
    assert other.key != first.key
