"""Checks of the learner's code in notebook 01's exercises, and the worked results to compare with.

Each ``check_*`` function takes the learner's function, runs it on small fixed inputs (the same
in every profile, so the printed ``PASS`` lines are too), prints one ``PASS`` line per property
that holds and raises ``AssertionError`` saying what is wrong and what to try otherwise (see
:mod:`helpers.exercise_checks`). ``NotImplementedError`` from an unfinished exercise is never
caught. The ``reference_*`` functions are the worked solutions the checks compare with; the
``*_report`` functions put a learner's result beside the worked one on the notebook's own model,
so a learner can tell whether theirs is ordinary.
"""

from __future__ import annotations

import keras
import numpy as np

from helpers.exercise_checks import fail, passed, sample_images


def _require_callable(function, name: str):
    if not callable(function):
        raise TypeError(f"`{name}` must be your function (pass it without calling it); "
                        f"got {type(function).__name__}.")
    return function


def _as_array(value, what: str) -> np.ndarray:
    try:
        return np.asarray(keras.ops.convert_to_numpy(value))
    except (TypeError, ValueError) as error:
        fail(f"{what} should return an array (NumPy or a tensor); got {type(value).__name__} ({error}).")


# --- Exercise 1.1: the error of each image, and the worst ones -----------------------------------

def reference_per_image_error(model, images, batch_size=2048) -> np.ndarray:
    """Worked solution: the squared error of each image, averaged over its pixels, shape (n,).

    Calls the model directly on large chunks: for one pass that is faster than ``predict``,
    which adds a per-step overhead and builds its prediction function first.
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must be a stack of 2-D images, shape (n, height, width); "
                         f"got shape {images.shape}.")
    chunks = (images[start:start + batch_size] for start in range(0, len(images), batch_size))
    rebuilt = np.concatenate([keras.ops.convert_to_numpy(model(chunk, training=False)) for chunk in chunks])
    return ((rebuilt - images) ** 2).mean(axis=(1, 2))


def reference_worst_images(errors, k) -> np.ndarray:
    """Worked solution: indices of the ``k`` largest ``errors``, largest first."""
    return np.argsort(-np.asarray(errors), kind="stable")[:k]


def _probe_model():
    """A fixed, weight-free image-to-image model: output 0.6 x + 0.15, so each image's error differs."""
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Rescaling(0.6, offset=0.15)])


def check_per_image_error(per_image_error) -> None:
    """``per_image_error(model, images)`` -> (n,) mean squared error of each image, in order."""
    _require_callable(per_image_error, "per_image_error")
    model, images = _probe_model(), sample_images(40)
    expected = reference_per_image_error(model, images)
    got = _as_array(per_image_error(model, images), "per_image_error")
    if got.shape != (len(images),):
        hint = {(): " (one number: you averaged over the images too)",
                images.shape[1:]: " (one value per pixel: you averaged over the images, axis 0)",
                images.shape[:2]: " (you averaged over one image axis only)"}.get(got.shape, "")
        fail(f"For {len(images)} images of 28 x 28 pixels expected one error per image, shape "
             f"({len(images)},); got shape {got.shape}{hint}. Average over the pixel axes, (1, 2).")
    passed("shape: one error per image, (n,)")
    if not np.allclose(got, expected, rtol=1e-4, atol=1e-7):
        ratio = float(np.median(got / expected))
        hint = (" Yours are 784 times too large: take the mean over the pixels, not the sum."
                if abs(ratio - 784) < 1 else
                " Square the differences before averaging (no square root, no absolute value)."
                if not np.allclose(got, expected, rtol=0.2) else "")
        fail(f"Each value should be the mean over the 784 pixels of (reconstruction - image)**2; "
             f"image 0: expected {expected[0]:.5f}, got {got[0]:.5f}.{hint}")
    passed("each value is the image's mean squared error over its pixels, in the images' order")
    one = _as_array(per_image_error(model, images[:1]), "per_image_error")
    if one.shape != (1,) or not np.allclose(one, expected[:1], rtol=1e-4):
        fail(f"For a single image (shape (1, 28, 28)) expected shape (1,) and {expected[0]:.5f}; "
             f"got shape {one.shape}.")
    passed("a single image gives shape (1,)")


def check_worst_images(worst_images) -> None:
    """``worst_images(errors, k)`` -> the indices of the k largest errors, largest first."""
    _require_callable(worst_images, "worst_images")
    errors = np.array([0.012, 0.031, 0.004, 0.058, 0.019, 0.007, 0.044, 0.026, 0.002, 0.015, 0.037, 0.010])
    expected = reference_worst_images(errors, 4)    # [3, 6, 10, 1]
    got = _as_array(worst_images(errors, 4), "worst_images")
    if got.shape != (4,):
        fail(f"With k=4 expected 4 indices, shape (4,); got shape {got.shape}.")
    if not np.issubdtype(got.dtype, np.integer):
        fail(f"Return indices of images (integers), not error values; got dtype {got.dtype}. "
             "np.argsort gives indices.")
    passed("k integer indices")
    if not np.array_equal(np.sort(got), np.sort(expected)):
        best = np.array_equal(np.sort(got), np.sort(np.argsort(errors)[:4]))
        fail(f"Expected the indices of the 4 largest errors, {sorted(expected.tolist())} in some order; got "
             f"{got.tolist()}." + (" Those are the 4 smallest: np.argsort sorts in ascending order."
                                   if best else ""))
    passed("they are the k images with the largest errors")
    if not np.array_equal(got, expected):
        reversed_ = np.array_equal(got, expected[::-1])
        fail(f"Order them from the largest error down: expected {expected.tolist()}, got {got.tolist()}."
             + (" Yours are in ascending order: reverse them." if reversed_ else ""))
    passed("largest error first")
    one = _as_array(worst_images(errors, 1), "worst_images")
    if one.shape != (1,) or int(one[0]) != int(np.argmax(errors)):
        fail(f"With k=1 expected [{int(np.argmax(errors))}] (the largest error); got {one.tolist()}.")
    passed("k=1 gives the single worst image")


def per_image_error_report(errors, model, images) -> str:
    """The learner's per-image errors of ``images`` beside the worked solution's, on the same model."""
    errors = np.asarray(errors, dtype=np.float64)
    reference = reference_per_image_error(model, images).astype(np.float64)
    if errors.shape != reference.shape:
        raise ValueError(f"errors must hold one value per image, shape {reference.shape}; "
                         f"got shape {errors.shape}.")
    difference = float(np.max(np.abs(errors - reference)))
    agree = difference <= 1e-6 + 1e-4 * float(reference.max())
    return (f"mean per-image error over the {len(images):,} test images: yours {errors.mean():.5f}, "
            f"the reference solution {reference.mean():.5f}; worst image: yours {errors.max():.5f}, "
            f"reference {reference.max():.5f}.\n"
            f"Largest difference for one image: {difference:.1e}. "
            + ("The model and the images are fixed, so only floating-point rounding (a different batch "
               "size or order of operations) can make a right answer differ, and yours agrees."
               if agree else
               "That is more than rounding: check that you average squared differences over the pixels."))


# --- Exercise 1.3: a straight path between two codings --------------------------------------------

def reference_interpolate_codings(a, b, steps) -> np.ndarray:
    """Worked solution: ``steps`` evenly spaced points from coding ``a`` to ``b``, both included."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return (1 - t) * a + t * b


def check_interpolate_codings(interpolate_codings) -> None:
    """``interpolate_codings(a, b, steps)`` -> (steps, d): a, evenly spaced points on the line, b."""
    _require_callable(interpolate_codings, "interpolate_codings")
    a = np.array([0.0, 2.0, -1.0, 4.0], dtype="float32")   # 4 numbers, 5 steps: a transposed
    b = np.array([3.0, 2.0, 5.0, 0.0], dtype="float32")    # result cannot pass for the right one
    expected = reference_interpolate_codings(a, b, 5)
    got = _as_array(interpolate_codings(a, b, 5), "interpolate_codings").astype(np.float64)
    if got.shape != expected.shape:
        hint = " (transposed: one row per step, please)" if got.shape == expected.shape[::-1] else ""
        fail(f"For two codings of {len(a)} numbers and steps=5 expected one row per step, shape "
             f"{expected.shape}; got {got.shape}{hint}.")
    passed("shape: (steps, coding size)")
    starts, ends = np.allclose(got[0], a, atol=1e-5), np.allclose(got[-1], b, atol=1e-5)
    if not (starts and ends):
        if np.allclose(got[0], b, atol=1e-5) and np.allclose(got[-1], a, atol=1e-5):
            fail("Your path runs from b to a: the first row should be a and the last b.")
        missing = [name for name, ok in (("first row = a", starts), ("last row = b", ends)) if not ok]
        fail(f"The path must include both endpoints: {' and '.join(missing)} failed. With "
             "np.linspace(0, 1, steps) the fractions include 0 and 1 (do not pass endpoint=False).")
    passed("both endpoints included: the first row is a, the last is b")
    if not np.allclose(got, expected, atol=1e-5):
        fail("The rows between the endpoints should be evenly spaced on the straight line from a to b, "
             f"a + t (b - a) for t = 0, 1/4, 1/2, 3/4, 1; row 1: expected {expected[1].round(3).tolist()}, "
             f"got {got[1].round(3).tolist()}.")
    passed("evenly spaced points on the straight line from a to b")
    two = _as_array(interpolate_codings(a, b, 2), "interpolate_codings")
    if two.shape != (2, len(a)) or not np.allclose(two, np.stack([a, b]), atol=1e-5):
        fail(f"With steps=2 the path should be just [a, b], shape (2, {len(a)}); got shape {two.shape}.")
    passed("steps=2 gives just the two endpoints")


def interpolation_report(path, a, b) -> str:
    """The learner's path beside the worked solution's, with the tolerance a right answer falls in."""
    path = np.asarray(path, dtype=np.float64)
    if path.ndim != 2 or path.shape[1] != np.size(a):
        raise ValueError(f"path must have one row per step and {np.size(a)} columns (the coding size), "
                         f"shape (steps, {np.size(a)}); got {path.shape}.")
    reference = reference_interpolate_codings(a, b, len(path))
    difference = float(np.max(np.abs(path - reference)))
    scale = float(np.max(np.abs(reference)))
    agree = difference <= 1e-5 * max(scale, 1.0)
    return (f"{len(path)} codings of {path.shape[1]} numbers; largest difference from the reference "
            f"solution's path: {difference:.1e} (coding values reach {scale:.2f}). "
            + ("Another right formula, (1 - t) a + t b or a + t (b - a), in float32 or float64, differs "
               "only by rounding, and yours agrees." if agree else
               "That is more than rounding: rerun the check above."))
