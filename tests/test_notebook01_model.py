"""Notebook 01 writes its autoencoder and training recipe in plain Keras; they must match the helpers.

The cells are found by their tags (``keras-model``, ``keras-training``) and run as they are, so a
change to the lesson's code that makes it differ from ``helpers.models.stacked_autoencoder`` or
the FAST recipe fails here.
"""

import math
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from notebook_code import cell_source, run_cells

from helpers.models import stacked_autoencoder
from helpers.recipes import FAST, initialize_for_recipe, make_optimizer

NOTEBOOK = "01_stacked_autoencoder.ipynb"


@pytest.fixture(scope="module")
def build_autoencoder():
    return run_cells(NOTEBOOK, "keras-model", {"keras": keras})["build_autoencoder"]


def layer_table(model):
    """(layer type, output shape, activation, parameters) of every layer, encoder then decoder."""
    encoder, decoder = (model.encoder, model.decoder) if hasattr(model, "encoder") else model.layers
    return [(type(layer).__name__, tuple(layer.output.shape),
             getattr(getattr(layer, "activation", None), "__name__", None), layer.count_params())
            for part in (encoder, decoder) for layer in part.layers]


def test_the_cells_are_the_notebooks_own_keras_code():
    model_code, training_code = cell_source(NOTEBOOK, "keras-model"), cell_source(NOTEBOOK, "keras-training")
    assert "keras.Sequential" in model_code and "helpers" not in model_code
    assert "model.compile(" in training_code and "helpers" not in training_code


@pytest.mark.parametrize("coding_size", [30, 5])
def test_same_layers_sizes_and_activations_as_the_helper(build_autoencoder, coding_size):
    mine, helper = build_autoencoder(coding_size=coding_size), stacked_autoencoder(coding_size=coding_size)
    assert layer_table(mine) == layer_table(helper)
    assert layer_table(mine)[2][1:3] == ((None, coding_size), "relu")   # the coding layer
    assert layer_table(mine)[4][1:3] == ((None, 784), "linear")         # the linear output layer
    assert mine.count_params() == helper.count_params()


def test_the_book_architecture_has_163814_parameters(build_autoencoder):
    assert build_autoencoder().count_params() == stacked_autoencoder().count_params() == 163_814


def test_same_outputs_for_the_same_weights(build_autoencoder):
    keras.utils.set_random_seed(3)
    mine, helper = build_autoencoder(coding_size=30), stacked_autoencoder(coding_size=30)
    assert [w.shape for w in mine.get_weights()] == [w.shape for w in helper.get_weights()]
    mine.set_weights(helper.get_weights())
    images = np.random.default_rng(0).random((6, 28, 28)).astype("float32")
    out_mine, out_helper = mine.predict(images, verbose=0), helper.predict(images, verbose=0)
    assert out_mine.shape == (6, 28, 28) and np.abs(out_helper).sum() > 0
    np.testing.assert_allclose(out_mine, out_helper, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(mine.layers[0].predict(images, verbose=0),
                               helper.encoder.predict(images, verbose=0), rtol=1e-6, atol=1e-6)


@pytest.fixture(scope="module")
def training_cell(build_autoencoder):
    """The notebook's training cell run on a fresh model and a stand-in data set of 5,000 images."""
    keras.utils.set_random_seed(4)
    model = build_autoencoder()
    data = SimpleNamespace(X_train=np.zeros((6_000, 28, 28), dtype="float32"))
    namespace = {"keras": keras, "math": math, "data": data, "model": model,
                 "encoder": model.layers[0], "decoder": model.layers[1]}
    return run_cells(NOTEBOOK, "keras-training", namespace)


def test_the_training_cell_uses_the_fast_recipes_batch_and_schedule(training_cell):
    steps, epochs = training_cell["steps_per_epoch"], training_cell["epochs"]
    assert training_cell["batch_size"] == FAST.batch_size and steps == 40   # 5,000 images / 128
    expected = make_optimizer(FAST, steps, epochs)
    optimizer = training_cell["model"].optimizer
    assert isinstance(optimizer, type(expected)) and optimizer.epsilon == expected.epsilon
    mine, theirs = (o.get_config()["learning_rate"] for o in (optimizer, expected))
    assert mine == theirs   # the same schedule class with the same warm-up, peak and decay
    schedule = keras.optimizers.schedules.deserialize(theirs)
    for step in (0, steps // 2, steps, steps + steps // 2, 2 * steps - 1):
        assert float(training_cell["learning_rate"](step)) == pytest.approx(float(schedule(step)), rel=1e-6)
    assert float(training_cell["learning_rate"](steps)) == pytest.approx(FAST.learning_rate)


def test_the_training_cell_gives_the_fast_recipes_zero_start(training_cell, build_autoencoder):
    model = training_cell["model"]
    keras.utils.set_random_seed(4)
    helper = initialize_for_recipe(stacked_autoencoder(), FAST)
    for mine, theirs in zip(model.get_weights(), helper.get_weights(), strict=True):
        assert np.array_equal(mine == 0, theirs == 0)   # zeros exactly where the helper has them
    output_kernel = model.layers[1].layers[-2].kernel
    assert tuple(output_kernel.shape) == (100, 784) and not np.any(output_kernel.numpy())
    assert training_cell["model"].loss == "mse"
