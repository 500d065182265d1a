"""Notebook 03 builds its shallow tied autoencoders and runs two greedy phases in plain Keras.

Its own cells (tags ``shallow-tied-autoencoder`` and ``greedy-phases``) are executed here and
must keep agreeing with what the rest of the lesson uses: ``helpers.layerwise.outer_autoencoder``
and ``inner_autoencoder`` (same layers, parameter count and outputs for the same weights), and
the helpers' phase 2, which trains on the outer encoder's codings (``helpers.layerwise.encode``).
"""

from types import SimpleNamespace

import keras
import numpy as np
import pytest
from notebook_code import cell_source, run_cells
from shared_helpers import randomised

from helpers.layers import DenseTranspose
from helpers.layerwise import encode, inner_autoencoder, outer_autoencoder, stack_autoencoders

NOTEBOOK = "03_one_autoencoder_at_a_time.ipynb"
MODELS = {  # the notebook's arguments -> the helper the rest of the lesson uses
    "outer": (((28, 28), 100, None), outer_autoencoder),
    "inner": (((100,), 30, "relu"), inner_autoencoder),
}


@pytest.fixture(scope="module")
def builder():
    return run_cells(NOTEBOOK, "shallow-tied-autoencoder",
                     {"keras": keras, "DenseTranspose": DenseTranspose})["shallow_tied_autoencoder"]


def test_the_cells_are_the_notebooks_own_keras_code():
    source = cell_source(NOTEBOOK, "shallow-tied-autoencoder")
    assert "def shallow_tied_autoencoder(" in source and "DenseTranspose(dense" in source
    assert "helpers" not in source and "StackedAutoencoder" not in source
    phases = cell_source(NOTEBOOK, "greedy-phases")
    assert phases.count(".compile(") == 2 and phases.count(".fit(") == 2
    assert "helpers" not in phases and "greedy_layerwise" not in phases


@pytest.mark.parametrize("name", list(MODELS))
def test_same_architecture_and_parameters_as_the_helper(builder, name):
    arguments, helper_builder = MODELS[name]
    mine, helper = builder(*arguments, name=name), helper_builder()
    assert mine.count_params() == helper.count_params()
    assert [w.shape for w in mine.get_weights()] == [w.shape for w in helper.get_weights()]
    encoder, decoder = mine.get_layer("encoder"), mine.get_layer("decoder")
    kinds = [type(layer) for layer in [*encoder.layers, *decoder.layers]]
    assert kinds == [type(layer) for layer in [*helper.encoder.layers, *helper.decoder.layers]]
    assert kinds == [keras.layers.Flatten, keras.layers.Dense, DenseTranspose, keras.layers.Reshape]
    assert decoder.layers[0].kernel is encoder.layers[1].kernel, "the decoder reads the encoder's kernel"
    for mine_layer, helper_layer in ((encoder.layers[1], helper.encoder.layers[1]),
                                     (decoder.layers[0], helper.decoder.layers[0])):
        assert mine_layer.activation is helper_layer.activation
    assert mine.input_shape == helper.encoder.input_shape and mine.output_shape == helper.decoder.output_shape


@pytest.mark.parametrize("name", list(MODELS))
def test_same_outputs_for_the_same_weights(builder, name):
    arguments, helper_builder = MODELS[name]
    mine, helper = randomised(builder(*arguments, name=name), 1), helper_builder()
    helper.set_weights(mine.get_weights())
    x = np.random.default_rng(2).random((5, *arguments[0])).astype("float32")
    np.testing.assert_allclose(mine(x).numpy(), helper(x).numpy(), rtol=1e-6, atol=1e-6)
    if name == "inner":
        assert np.all(mine(x).numpy() >= 0), "ReLU output, like the stack's middle decoder layer"


def test_the_notebooks_phases_train_what_the_helpers_stack(builder, fashion):
    data = SimpleNamespace(X_train=fashion.X_train[:256], X_valid=fashion.X_valid[:64])
    keras.utils.set_random_seed(0)
    my_outer = builder((28, 28), 100, None, name="outer")
    my_inner = builder((100,), 30, "relu", name="inner")
    start_outer, start_inner = my_outer.get_weights(), my_inner.get_weights()
    ns = run_cells(NOTEBOOK, "greedy-phases", {"keras": keras, "data": data, "print": lambda *a: None,
                                               "my_outer": my_outer, "my_inner": my_inner})
    assert len(ns["phase_1"].history["val_loss"]) == len(ns["phase_2"].history["val_loss"]) == 2
    for model, start in ((my_outer, start_outer), (my_inner, start_inner)):
        assert any(not np.array_equal(a, b) for a, b in zip(model.get_weights(), start, strict=True))
    # phase 2 trained on exactly the codings the helpers' phase 2 would use
    outer, inner = outer_autoencoder(), inner_autoencoder()
    outer.set_weights(my_outer.get_weights())
    inner.set_weights(my_inner.get_weights())
    np.testing.assert_allclose(ns["C_few"], encode(outer, data.X_train), rtol=1e-5, atol=1e-6)
    # and the trained pair stacks, through the helpers, into the nested notebook models
    x = data.X_valid[:8]
    nested = my_outer.get_layer("decoder")(my_inner(my_outer.get_layer("encoder")(x)))
    np.testing.assert_allclose(stack_autoencoders(outer, inner)(x).numpy(), nested.numpy(),
                               rtol=1e-5, atol=1e-5)
