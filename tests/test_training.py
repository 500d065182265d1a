import dataclasses

import keras
import numpy as np
import pytest

from helpers.models import stacked_autoencoder
from helpers.training import (BOOK, FAST, Recipe, fit_reconstruction, get_recipe,
                              initialize_for_recipe, reconstruction_dataset, reconstruction_mse,
                              trained_autoencoder)


def test_recipes_are_named_and_described():
    assert get_recipe("book") is BOOK and get_recipe(FAST) is FAST
    assert BOOK.batch_size == 32 and BOOK.epochs == 20 and BOOK.learning_rate == 1e-3
    assert "batch 32" in BOOK.describe()
    with pytest.raises(ValueError, match="book, fast"):
        get_recipe("turbo")


def test_fast_recipe_starts_an_untied_decoder_output_at_zero(fashion):
    model = stacked_autoencoder(30)
    before = [w.copy() for w in model.get_weights()]
    assert initialize_for_recipe(model, "fast") is model
    after = model.get_weights()
    assert not np.any(after[-2]) and np.any(before[-2])          # output kernel now all zero
    for old, new in zip(before[:-2], after[:-2]):                 # every other weight untouched
        np.testing.assert_array_equal(old, new)
    assert not np.any(model.predict(fashion.X_valid[:8], verbose=0))  # starts by predicting 0
    assert "an untied decoder's output layer starts at zero" in FAST.describe()
    assert "zero" not in BOOK.describe()


def test_book_recipe_and_tied_models_keep_their_initial_weights():
    untied, tied = stacked_autoencoder(30), stacked_autoencoder(30, tied=True)
    w_untied, w_tied = untied.get_weights(), tied.get_weights()
    initialize_for_recipe(untied, "book")
    initialize_for_recipe(tied, "fast")          # the tied output layer borrows the encoder's kernel
    for old, new in zip(w_untied + w_tied, untied.get_weights() + tied.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_unknown_output_init_is_refused():
    with pytest.raises(ValueError, match="output_init"):
        Recipe("odd", 32, 1, 1e-3, output_init="ones")


def test_fast_random_start_is_fast_with_the_books_start():
    random_start = get_recipe("fast-random-start")
    assert random_start.output_init == "glorot_uniform" and FAST.output_init == "zeros"
    assert dataclasses.replace(random_start, name="fast", output_init="zeros") == FAST


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


def test_the_denoising_autoencoder_trains_from_the_zero_start(fashion, quick_profile, private_cache,
                                                              monkeypatch):
    import helpers.exercises as exercises

    seen = {}

    def record_start(model, *args, **kwargs):
        seen["kernel"] = keras.ops.convert_to_numpy(model.layers[-1].decoder.layers[-2].kernel)
        return {"loss": [1.0], "val_loss": [1.0], "seconds": [0.0]}

    def add_noise(model, std):
        return keras.Sequential([keras.Input((28, 28)), keras.layers.GaussianNoise(std), model])

    monkeypatch.setattr(exercises, "fit_reconstruction", record_start)
    exercises.pretrained_denoising_autoencoder(add_noise, data=fashion)
    assert not np.any(seen["kernel"])


def _batches(dataset):
    return [(x.numpy(), y.numpy()) for x, y in dataset]


def test_reconstruction_dataset_targets_are_the_inputs_in_order_unless_shuffled():
    X = np.arange(10 * 4, dtype="float32").reshape(10, 2, 2)
    plain = _batches(reconstruction_dataset(X, batch_size=4))
    assert [len(x) for x, _ in plain] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in plain]), X)
    for x, y in plain:
        np.testing.assert_array_equal(x, y)
    shuffled = _batches(reconstruction_dataset(X, batch_size=4, shuffle=True, seed=1))
    rows = np.concatenate([x for x, _ in shuffled])
    assert not np.array_equal(rows, X)                               # a new order ...
    np.testing.assert_array_equal(np.sort(rows[:, 0, 0]), X[:, 0, 0])  # ... of every row, once


def test_reconstruction_dataset_explicit_targets_and_offset():
    X = np.arange(6 * 4, dtype="float32").reshape(6, 2, 2)
    T = -X
    offset = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
    (x, y), = _batches(reconstruction_dataset(X, batch_size=6, targets=T, offset=offset))
    np.testing.assert_array_equal(x, X - offset)
    np.testing.assert_array_equal(y, T - offset)


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
    np.testing.assert_allclose(first.model.predict(X, verbose=0), second.model.predict(X, verbose=0), atol=1e-6)


def test_bad_coding_size_fails_before_any_training(fashion, private_cache):
    with pytest.raises(ValueError, match="whole number"):
        trained_autoencoder(0, data=fashion)
    assert not list(private_cache.glob("*")) if private_cache.exists() else True
