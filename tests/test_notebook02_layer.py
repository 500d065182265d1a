"""Notebook 02 builds its own DenseTranspose; it must keep agreeing with helpers.layers'.

The class cell is found by its tag ``dense-transpose-class`` and executed on its own.
"""

from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest
import tensorflow as tf

from helpers.layers import DenseTranspose

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "02_tied_weights.ipynb"
TAG = "dense-transpose-class"


def class_cell_source() -> str:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = [c for c in nb.cells if TAG in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected exactly one cell tagged {TAG!r} in {NOTEBOOK.name}"
    return cells[0].source


@pytest.fixture(scope="module")
def notebook_layer():
    source = class_cell_source()
    namespace = {"keras": keras, "ops": keras.ops, "np": np}
    exec(compile(source, f"{NOTEBOOK.name}[{TAG}]", "exec"), namespace)
    return namespace["MyDenseTranspose"]


def test_the_cell_is_the_notebooks_own_code():
    source = class_cell_source()
    assert "class MyDenseTranspose(keras.layers.Layer)" in source
    assert "helpers" not in source  # not a re-export of the helper


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
