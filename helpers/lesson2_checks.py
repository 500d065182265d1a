"""Checks of notebook 02's exercises (tying only the outer pair; matched-column similarity).

Each ``check_*`` function takes the learner's code, prints one ``PASS`` line per property it
verified (the same lines in both profiles: nothing here trains) and raises ``AssertionError``
saying what is wrong and what to try otherwise. ``NotImplementedError`` from an unfinished
exercise is never caught.
"""

from __future__ import annotations

import keras
import numpy as np
from keras.ops import convert_to_numpy

from helpers.exercise_checks import call_learner, fail, passed, sample_images
from helpers.models import IMAGE_SHAPE, autoencoder_parameter_count
from helpers.training import HIDDEN_UNITS

N_PIXELS = int(np.prod(IMAGE_SHAPE))


def cosine_matrix_reference(encoder_kernel, decoder_kernel) -> np.ndarray:
    """(units, units) cosine similarities: entry [i, k] compares column i of ``encoder_kernel``
    (pixels, units), unit i's encoder feature, with row k of ``decoder_kernel`` (units, pixels), unit
    k's decoder basis image. A tie makes the diagonal 1. An all-zero vector (a unit that never
    learned) has similarity 0 with everything."""
    enc = np.asarray(encoder_kernel, dtype=np.float64)
    dec = np.asarray(decoder_kernel, dtype=np.float64)
    if enc.ndim != 2 or enc.shape != dec.T.shape:
        raise ValueError(f"encoder_kernel (pixels, units) and decoder_kernel (units, pixels) must be "
                         f"transposed shapes; got {enc.shape} and {dec.shape}.")

    def unit(v, axis):
        norm = np.linalg.norm(v, axis=axis, keepdims=True)
        return v / np.where(norm > 0, norm, 1.0)

    return unit(enc, 0).T @ unit(dec, 1).T


def _matrices(model) -> list:
    """The model's trainable 2-D variables, each once (a tracked shared layer may list one twice)."""
    unique = {id(v): v for v in model.trainable_variables if len(v.shape) == 2}
    return list(unique.values())


def check_outer_tied(build, coding_size=30) -> None:
    """``build(coding_size)`` -> 784-100-coding-100-784 autoencoder with only the outer pair tied.

    Verified: images in, same-shaped reconstructions out; the parameter count (the untied model's
    minus one 784 x 100 matrix); three matrices, the middle decoder layer keeping its own; and,
    by behaviour, that the last layer computes ``h @ W1.T + b`` with the encoder's own ``W1``.
    """
    keras.utils.set_random_seed(0)
    name = getattr(build, "__name__", "build")
    model = call_learner(build, coding_size, what=f"Building your model ({name}({coding_size}))")
    x = sample_images(8)
    out = call_learner(lambda: convert_to_numpy(model(x)), what="Calling your model on 8 images")
    if out.shape != x.shape:
        fail(f"Your model maps images of shape {x.shape} to {out.shape}; a reconstruction has the "
             "input's shape (end the decoder with a Reshape to 28 x 28).")
    passed(f"images {x.shape} in, reconstructions of the same shape out")

    untied, both = (autoencoder_parameter_count(N_PIXELS, (HIDDEN_UNITS, coding_size), tied)
                    for tied in (False, True))
    expected, got = untied - N_PIXELS * HIDDEN_UNITS, model.count_params()
    if got != expected:
        hint = {both: " That is the fully tied model's count: untie the middle pair (a plain Dense there).",
                untied: " That is the untied model's count: the last layer still has a matrix of its own "
                        "(a copy is not a tie)."}.get(got, "")
        fail(f"Your model has {got:,} parameters; tying only the outer pair should leave {expected:,} "
             f"(the untied {untied:,} minus one {N_PIXELS} x {HIDDEN_UNITS} matrix).{hint}")
    passed(f"{expected:,} parameters: the untied model's {untied:,} minus the {N_PIXELS} x "
           f"{HIDDEN_UNITS} matrix the outer pair shares")

    matrices = _matrices(model)
    shapes = sorted(tuple(v.shape) for v in matrices)
    wanted = sorted([(N_PIXELS, HIDDEN_UNITS), (HIDDEN_UNITS, coding_size), (coding_size, HIDDEN_UNITS)])
    if shapes != wanted:
        fail(f"Expected three weight matrices, {wanted} (the encoder's two and the middle decoder "
             f"layer's own); your model trains {shapes}. Only the outer pair shares a matrix.")
    passed(f"middle pair untied: the decoder's {coding_size} -> {HIDDEN_UNITS} layer has its own matrix")

    _check_last_layer_uses_w1(model, next(v for v in matrices if tuple(v.shape) == (N_PIXELS, HIDDEN_UNITS)))


def _check_last_layer_uses_w1(model, w1) -> None:
    """With a zero image the encoder's first layer outputs relu(b1) whatever W1 holds, so any
    change of the output with W1 comes from the decoder. With W1 = u v^T, a last layer computing
    h @ W1.T + b changes the output by (h . v) u: along u, the pixels' direction."""
    saved = {id(v): convert_to_numpy(v) for v in model.trainable_variables}
    rng = np.random.default_rng(0)
    try:
        for v in model.trainable_variables:
            if len(v.shape) == 1:  # positive biases: every ReLU passes something on
                v.assign(rng.uniform(0.1, 0.3, v.shape).astype("float32"))
        zero = np.zeros((1, *IMAGE_SHAPE), dtype="float32")
        w1.assign(np.zeros(w1.shape, dtype="float32"))
        before = convert_to_numpy(model(zero)).ravel()
        u, v = rng.normal(size=N_PIXELS), rng.normal(size=HIDDEN_UNITS)
        w1.assign(np.outer(u, v).astype("float32"))
        change = convert_to_numpy(model(zero)).ravel() - before
    finally:
        for var in model.trainable_variables:
            var.assign(saved[id(var)])
    if np.linalg.norm(change) < 1e-6 * np.linalg.norm(u):
        fail("The decoder's last layer does not use the encoder's first kernel: changing that variable "
             "leaves the reconstruction of a blank image unchanged. Give DenseTranspose the encoder's "
             "first Dense layer itself, not a copy of it or of its weights.")
    cosine = abs(change @ u) / (np.linalg.norm(change) * np.linalg.norm(u))
    if cosine < 0.999:
        fail(f"The decoder's last layer uses the encoder's first kernel, but its output does not move "
             f"along the kernel's columns (cosine {cosine:.2f}, expected 1): it should compute "
             "h @ W1.T + b with no activation (a transpose, not a reshape).")
    passed("outer pair tied: the last layer computes h @ W1.T + b with the encoder's own W1 variable")


def check_cosine_matrix(cosine_matrix) -> None:
    """``cosine_matrix(encoder_kernel, decoder_kernel)`` -> (units, units) cosine similarities."""
    rng = np.random.default_rng(0)
    enc = rng.normal(size=(6, 4))
    dead = rng.normal(size=(4, 6))
    dead[2] = 0.0
    cases = [
        ("a decoder that is the encoder transposed, each unit rescaled", enc, (enc * [2.0, 0.5, 3.0, 1.0]).T),
        ("the encoder transposed with its sign flipped", enc, -enc.T),
        ("unrelated random matrices", enc, rng.normal(size=(4, 6))),
        ("a decoder unit whose row is all zeros (similarity 0, not NaN)", enc, dead),
    ]
    for label, a, b in cases:
        what = f"cosine_matrix on a (6, 4) and a (4, 6) kernel ({label})"
        got = np.asarray(call_learner(cosine_matrix, a, b, what=what), dtype=float)
        expected = cosine_matrix_reference(a, b)
        if got.shape != expected.shape:
            fail(f"For a (6 pixels, 4 units) encoder kernel and a (4 units, 6 pixels) decoder kernel, "
                 f"expected a (units, units) = {expected.shape} matrix; got shape {got.shape}. Entry "
                 "[i, k] compares column i of the encoder kernel with row k of the decoder kernel.")
        if not np.allclose(got, expected, atol=1e-6):
            fail(f"{label}: expected\n{np.round(expected, 3)}\ngot\n{np.round(got, 3)}\nDivide each dot "
                 "product by both vectors' lengths (an all-zero vector gives 0), keep the sign, and put "
                 "encoder columns on the rows of the result, decoder rows on its columns.")
        passed(f"{label}: diagonal {np.round(np.diag(expected), 2).tolist()}")
