"""Notebook 02's own layers: its DenseTranspose must agree with helpers.layers', and its
book-era (Keras 2 style) layer must fail on Keras 3 the way the notebook says.

The cells are found by their tags and executed on their own (``tests/notebook_code.py``).
"""

import keras
import nbformat
import numpy as np
import pytest
import tensorflow as tf
from notebook_code import NOTEBOOKS, cell_source, run_cells

from helpers.layers import DenseTranspose

NOTEBOOK = "02_tied_weights.ipynb"
TAG = "dense-transpose-class"


@pytest.fixture(scope="module")
def notebook_layer():
    return run_cells(NOTEBOOK, TAG, {"keras": keras, "ops": keras.ops, "np": np})["MyDenseTranspose"]


def test_the_cell_is_the_notebooks_own_code():
    source = cell_source(NOTEBOOK, TAG)
    assert "class MyDenseTranspose(keras.layers.Layer)" in source
    assert "helpers" not in source  # not a re-export of the helper


def test_the_book_era_layer_fails_on_keras_3_for_the_reason_the_notebook_gives():
    namespace = {"keras": keras, "ops": keras.ops, "np": np}
    run_cells(NOTEBOOK, "book-era-layer", namespace)
    run_cells(NOTEBOOK, "book-era-encoder", namespace)
    assert namespace["book_encoder"].built  # the encoder was built and called: Keras 2 had input_shape
    with pytest.raises(AttributeError, match="has no attribute 'input_shape'"):
        run_cells(NOTEBOOK, "book-era-failure", namespace)


def test_the_failing_cell_is_marked_as_expected_to_fail():
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    failing = [c for c in nb.cells if "book-era-failure" in c.metadata.get("tags", [])]
    assert len(failing) == 1 and "raises-exception" in failing[0].metadata["tags"]


def test_the_book_era_layer_needs_only_the_two_fixes_the_notebook_names():
    """With input_shape read off the kernel and the shape given as a tuple, it builds and ties."""
    namespace = run_cells(NOTEBOOK, "book-era-layer", {"keras": keras, "ops": keras.ops, "np": np})
    book_era = namespace["BookEraTranspose"]

    class Fixed(book_era):
        def build(self, batch_input_shape):
            self.bias = self.add_weight(name="bias", shape=(self.dense.kernel.shape[0],),
                                        initializer="zeros")

    dense = keras.layers.Dense(4)
    dense.build((None, 9))
    layer = Fixed(dense)
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(layer(x).numpy(), x @ dense.kernel.numpy().T, rtol=1e-5, atol=1e-6)


def pair(notebook_layer, activation, n_in=9, n_out=4, seed=0):
    keras.utils.set_random_seed(seed)
    dense = keras.layers.Dense(n_out)
    dense.build((None, n_in))
    mine, helper = notebook_layer(dense, activation=activation), DenseTranspose(dense, activation=activation)
    mine.build((None, n_out))
    helper.build((None, n_out))
    bias = np.random.default_rng(seed).normal(size=n_in).astype("float32")
    mine.bias.assign(bias)
    helper.bias.assign(bias)
    return dense, mine, helper


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid"])
def test_same_outputs_as_the_helper_layer(notebook_layer, activation):
    _, mine, helper = pair(notebook_layer, activation)
    for shape in [(5, 4), (2, 3, 4)]:
        x = np.random.default_rng(1).normal(size=shape).astype("float32")
        np.testing.assert_allclose(mine(x).numpy(), helper(x).numpy(), rtol=1e-6, atol=1e-6)
        assert tuple(mine(x).shape) == tuple(helper.compute_output_shape(shape)) == (*shape[:-1], 9)


def test_same_kernel_and_only_a_bias_of_its_own(notebook_layer):
    dense, mine, helper = pair(notebook_layer, "relu")
    assert mine.kernel is helper.kernel is dense.kernel
    assert [tuple(v.shape) for v in mine.weights] == [(9,)]
    assert mine.count_params() == helper.count_params() == 9


def test_same_gradient_for_the_shared_kernel(notebook_layer):
    dense, mine, helper = pair(notebook_layer, "relu")
    x = tf.constant(np.random.default_rng(2).normal(size=(6, 4)).astype("float32"))

    def grad(layer):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x) ** 2)
        return tape.gradient(loss, dense.kernel).numpy()

    g_mine, g_helper = grad(mine), grad(helper)
    assert np.abs(g_mine).sum() > 0
    np.testing.assert_allclose(g_mine, g_helper, rtol=1e-5, atol=1e-7)


def test_follows_later_changes_to_the_encoder_kernel(notebook_layer):
    dense, mine, helper = pair(notebook_layer, None)
    x = np.ones((2, 4), dtype="float32")
    before = mine(x).numpy()
    dense.kernel.assign(dense.kernel.numpy() + 1.0)
    assert not np.allclose(mine(x).numpy(), before)
    np.testing.assert_allclose(mine(x).numpy(), helper(x).numpy(), rtol=1e-6)
