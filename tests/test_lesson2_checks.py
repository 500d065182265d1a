"""helpers.lesson2_checks: right answers (the reference and ones written differently) pass; the
mistakes a learner makes fail, each with its own message."""

import keras
import numpy as np
import pytest
from keras import ops

from helpers import lesson2_checks as checks
from helpers.layers import DenseTranspose
from helpers.models import stacked_autoencoder

# --- Exercise 2.1: tie only the outer pair -------------------------------------------------------

def outer_tied_sequential(coding_size=30):
    """The expected answer: Sequential halves, DenseTranspose on the encoder's first Dense."""
    dense_1 = keras.layers.Dense(100, activation="relu")
    encoder = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), dense_1,
                                keras.layers.Dense(coding_size, activation="relu")])
    decoder = keras.Sequential([keras.Input((coding_size,)), keras.layers.Dense(100, activation="relu"),
                                DenseTranspose(dense_1), keras.layers.Reshape((28, 28))])
    return keras.Sequential([encoder, decoder])


class EinsumTranspose(keras.layers.Layer):
    """A learner's own tied layer, written with einsum and a kernel read at call time."""

    def __init__(self, dense, **kwargs):
        super().__init__(**kwargs)
        object.__setattr__(self, "source", dense)

    def build(self, input_shape):
        self.b = self.add_weight(shape=(self.source.kernel.shape[0],), initializer="zeros")

    def call(self, h):
        return ops.einsum("bu,pu->bp", h, self.source.kernel) + self.b


def outer_tied_functional(coding_size=30):
    """A right answer written differently: one functional model and the learner's own layer."""
    inputs = keras.Input((28, 28))
    dense_1 = keras.layers.Dense(100, activation="relu")
    h = dense_1(keras.layers.Flatten()(inputs))
    codings = keras.layers.Dense(coding_size, activation="relu")(h)
    h = keras.layers.Dense(100, activation="relu")(codings)
    return keras.Model(inputs, keras.layers.Reshape((28, 28))(EinsumTranspose(dense_1)(h)))


class ConstantCopy(keras.layers.Layer):
    """Wrong: a frozen copy of the encoder's kernel, taken when the layer is built."""

    def __init__(self, dense, **kwargs):
        super().__init__(**kwargs)
        object.__setattr__(self, "source", dense)

    def build(self, input_shape):
        self.copy = ops.convert_to_tensor(ops.transpose(self.source.kernel))
        self.b = self.add_weight(shape=(self.source.kernel.shape[0],), initializer="zeros")

    def call(self, h):
        return ops.matmul(h, self.copy) + self.b


class ReshapedKernel(EinsumTranspose):
    """Wrong: reshapes the (784, 100) kernel to (100, 784) instead of transposing it."""

    def call(self, h):
        return ops.matmul(h, ops.reshape(self.source.kernel, (100, 784))) + self.b


class NoTranspose(EinsumTranspose):
    """Wrong: multiplies by the kernel as it is."""

    def call(self, h):
        return ops.matmul(h, self.source.kernel) + self.b


def outer_with(layer_class, tie_to_encoder=True):
    def build(coding_size=30):
        dense_1 = keras.layers.Dense(100, activation="relu")
        encoder = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), dense_1,
                                    keras.layers.Dense(coding_size, activation="relu")])
        source = dense_1
        if not tie_to_encoder:  # a fresh Dense of the same size: tied to nothing the encoder uses
            source = keras.layers.Dense(100)
            source.build((None, 784))
        decoder = keras.Sequential([keras.Input((coding_size,)), keras.layers.Dense(100, activation="relu"),
                                    layer_class(source), keras.layers.Reshape((28, 28))])
        return keras.Sequential([encoder, decoder])
    return build


def untied_with_copied_weights(coding_size=30):
    """Wrong: the untied model, its last kernel set to a copy of W1 transposed."""
    model = stacked_autoencoder(coding_size, tied=False)
    last_kernel = next(v for v in model.decoder.weights if tuple(v.shape) == (100, 784))
    last_kernel.assign(ops.transpose(model.encoder.weights[0]))
    return model


def no_reshape(coding_size=30):
    model = outer_tied_sequential(coding_size)
    return keras.Sequential([model.layers[0], keras.Sequential(model.layers[1].layers[:-1])])


def stub(coding_size=30):
    raise NotImplementedError("Exercise 2.1")


@pytest.mark.parametrize("build", [outer_tied_sequential, outer_tied_functional],
                         ids=["sequential", "functional"])
def test_right_outer_tied_models_pass(build, capsys):
    checks.check_outer_tied(build)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and all(line.startswith("PASS  ") for line in lines)
    assert "85,414 parameters: the untied model's 163,814 minus the 784 x 100 matrix" in lines[1]


def test_the_check_restores_the_weights_it_probes():
    model = outer_tied_sequential()
    before = [w.copy() for w in model.get_weights()]
    checks._check_last_layer_uses_w1(model, model.layers[0].layers[1].kernel)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


@pytest.mark.parametrize("build, message", [
    (lambda c=30: stacked_autoencoder(c, tied=True), "fully tied model's count: untie the middle pair"),
    (untied_with_copied_weights, "untied model's count"),
    (outer_with(ConstantCopy), "does not use the encoder's first kernel"),
    (outer_with(DenseTranspose, tie_to_encoder=False), "does not use the encoder's first kernel"),
    (outer_with(ReshapedKernel), "a transpose, not a reshape"),
    (outer_with(NoTranspose), "raised"),
    (no_reshape, "the input's shape"),
], ids=["middle tied too", "copied weights", "constant copy", "tied to another Dense", "reshape",
        "no transpose", "no reshape"])
def test_wrong_outer_tied_models_fail(build, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_outer_tied(build)


def test_unfinished_outer_tied_exercise_raises_not_implemented():
    with pytest.raises(NotImplementedError):
        checks.check_outer_tied(stub)


# --- Exercise 2.3: cosine similarities of features and basis images ---------------------------------

def cosines_by_loop(encoder_kernel, decoder_kernel):
    """A right answer written differently: two loops, zero vectors handled explicitly."""
    units = encoder_kernel.shape[1]
    out = np.zeros((units, units))
    for i in range(units):
        for k in range(units):
            a, b = encoder_kernel[:, i], decoder_kernel[k]
            lengths = np.linalg.norm(a) * np.linalg.norm(b)
            out[i, k] = a @ b / lengths if lengths else 0.0
    return out


def unguarded(e, d):
    """Wrong: divides by zero for a unit that never learned (NaN)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        e, d = e / np.linalg.norm(e, axis=0), d / np.linalg.norm(d, axis=1, keepdims=True)
        return e.T @ d.T


def test_reference_gives_a_unit_diagonal_for_a_tie_and_rejects_mismatched_shapes():
    w = np.random.default_rng(1).normal(size=(8, 3))
    np.testing.assert_allclose(np.diag(checks.cosine_matrix_reference(w, w.T)), 1.0)
    np.testing.assert_allclose(np.diag(checks.cosine_matrix_reference(w, -2 * w.T)), -1.0)
    assert checks.cosine_matrix_reference(w, np.zeros((3, 8))).tolist() == np.zeros((3, 3)).tolist()
    with pytest.raises(ValueError, match="transposed shapes"):
        checks.cosine_matrix_reference(w, w)


@pytest.mark.parametrize("fn", [checks.cosine_matrix_reference, cosines_by_loop], ids=["reference", "loops"])
def test_right_cosine_matrices_pass(fn, capsys):
    checks.check_cosine_matrix(fn)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and all(line.startswith("PASS  ") for line in lines)


@pytest.mark.parametrize("fn, message", [
    (lambda e, d: e.T @ d.T, "Divide each dot product"),                                  # not normalised
    (lambda e, d: np.abs(checks.cosine_matrix_reference(e, d)), "keep the sign"),          # abs
    (lambda e, d: np.diag(checks.cosine_matrix_reference(e, d)), "expected a \\(units, units\\)"),  # diagonal
    (lambda e, d: checks.cosine_matrix_reference(e, d).T, "encoder columns on the rows"),  # transposed result
    (lambda e, d: cosines_by_loop(e, d.T), "raised"),                                      # no transpose
    (unguarded, "an all-zero vector gives 0"),                                             # NaN: dead unit
], ids=["unnormalised", "abs", "diagonal only", "transposed result", "no transpose", "zero vector NaN"])
def test_wrong_cosine_matrices_fail(fn, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_cosine_matrix(fn)


def test_unfinished_cosines_raise_not_implemented():
    def stub_fn(e, d):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        checks.check_cosine_matrix(stub_fn)
