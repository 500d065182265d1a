"""helpers.lesson1_checks: right answers to notebook 01's exercises pass, learner-style mistakes fail.

The right answers here are written differently from the references on purpose (a loop, other
NumPy calls, tensors), so a check that only accepted the reference's own code would fail them.
"""

import keras
import numpy as np
import pytest

from helpers import lesson1_checks as checks
from helpers.exercise_checks import sample_images

# --- Exercise 1.1: per-image error ------------------------------------------------------------



def assert_passed(capsys, n_lines):
    """The check printed exactly ``n_lines`` lines, all of them PASS lines."""
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == n_lines and all(line.startswith("PASS  ") for line in lines), lines

def error_by_loop(model, images):
    """Right, written differently: one image at a time, keras ops, a tensor returned."""
    return keras.ops.stack([keras.ops.mean(keras.ops.square(model(image[None])[0] - image))
                            for image in images])


def error_flat(model, images):
    """Right, written differently: flattened pixels, float64."""
    flat = np.asarray(model.predict(images, verbose=0), dtype=np.float64).reshape(len(images), -1)
    return ((flat - images.reshape(len(images), -1)) ** 2).mean(axis=1)


def error_over_images(model, images):
    """Wrong: averaged over axis 0, the images, which gives one value per pixel."""
    return ((model.predict(images, verbose=0) - images) ** 2).mean(axis=0)


def error_one_number(model, images):
    """Wrong: averaged over everything."""
    return ((model.predict(images, verbose=0) - images) ** 2).mean()


def error_summed(model, images):
    """Wrong: summed over the pixels instead of averaged."""
    return ((model.predict(images, verbose=0) - images) ** 2).sum(axis=(1, 2))


def error_root(model, images):
    """Wrong: the root of the mean squared error."""
    return np.sqrt(((model.predict(images, verbose=0) - images) ** 2).mean(axis=(1, 2)))


def error_absolute(model, images):
    """Wrong: mean absolute error."""
    return np.abs(model.predict(images, verbose=0) - images).mean(axis=(1, 2))


def error_one_axis(model, images):
    """Wrong: averaged over the rows of each image only."""
    return ((model.predict(images, verbose=0) - images) ** 2).mean(axis=1)


def error_stub(model, images):
    raise NotImplementedError("Write your solution here (and delete this line).")


@pytest.mark.parametrize("answer", [checks.reference_per_image_error, error_by_loop, error_flat],
                         ids=["reference", "loop of tensors", "flattened float64"])
def test_a_right_per_image_error_passes(answer, capsys):
    checks.check_per_image_error(answer)
    assert_passed(capsys, 3)


@pytest.mark.parametrize("answer, message", [
    (error_over_images, r"got shape \(28, 28\) \(one value per pixel: you averaged over the images"),
    (error_one_number, r"got shape \(\) \(one number"),
    (error_one_axis, r"got shape \(40, 28\) \(you averaged over one image axis only\)"),
    (error_summed, "784 times too large"),
    (error_root, "Square the differences"),
    (error_absolute, "Square the differences"),
])
def test_a_wrong_per_image_error_fails_saying_why(answer, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_per_image_error(answer)


# --- Exercise 1.1: the worst images -------------------------------------------------------------

def worst_by_sorting_pairs(errors, k):
    """Right, written differently: sort (error, index) pairs, largest first, as a list."""
    return [i for _, i in sorted(((e, i) for i, e in enumerate(errors)), reverse=True)[:k]]


def worst_by_partition(errors, k):
    """Right: argpartition, then the k sorted by error."""
    top = np.argpartition(errors, -k)[-k:]
    return top[np.argsort(-errors[top])]


def worst_ascending_argsort(errors, k):
    """Wrong: argsort sorts in ascending order, so these are the best images."""
    return np.argsort(errors)[:k]


def worst_last(errors, k):
    """Wrong: the k worst, but the worst last."""
    return np.argsort(errors)[-k:]


def worst_values(errors, k):
    """Wrong: the errors themselves, not the indices."""
    return np.sort(errors)[::-1][:k]


def worst_off_by_one(errors, k):
    """Wrong: one image too many."""
    return np.argsort(-errors)[:k + 1]


@pytest.mark.parametrize("answer", [checks.reference_worst_images, worst_by_sorting_pairs,
                                    worst_by_partition],
                         ids=["reference", "sorted pairs", "argpartition then sort"])
def test_a_right_worst_images_passes(answer, capsys):
    checks.check_worst_images(answer)
    assert_passed(capsys, 4)


@pytest.mark.parametrize("answer, message", [
    (worst_ascending_argsort, "Those are the 4 smallest: np.argsort sorts in ascending order"),
    (worst_last, "Yours are in ascending order: reverse them"),
    (worst_values, "Return indices of images"),
    (worst_off_by_one, r"expected 4 indices, shape \(4,\); got shape \(5,\)"),
])
def test_a_wrong_worst_images_fails_saying_why(answer, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_worst_images(answer)


def test_the_worst_images_in_a_scrambled_order_fail_on_order():
    """The right k images, not in order (as argpartition alone may leave them)."""
    def scrambled(errors, k):
        return checks.reference_worst_images(errors, k)[[1, 0, 3, 2]] if k == 4 else np.argsort(-errors)[:k]
    with pytest.raises(AssertionError, match=r"largest error down: expected \[3, 6, 10, 1\]"):
        checks.check_worst_images(scrambled)


# --- Exercise 1.3: interpolation ------------------------------------------------------------------

def path_by_loop(a, b, steps):
    """Right, written differently: a Python loop over the fractions, float32."""
    return np.stack([(1 - i / (steps - 1)) * a + (i / (steps - 1)) * b for i in range(steps)])


def path_with_tensors(a, b, steps):
    """Right: keras ops and a tensor returned."""
    t = keras.ops.reshape(keras.ops.linspace(0.0, 1.0, steps), (-1, 1))
    return keras.ops.convert_to_tensor(a)[None] * (1 - t) + keras.ops.convert_to_tensor(b)[None] * t


def path_missing_end(a, b, steps):
    """Wrong: linspace with endpoint=False never reaches b."""
    return a + np.linspace(0, 1, steps, endpoint=False)[:, None] * (b - a)


def path_missing_start(a, b, steps):
    """Wrong: fractions 1/steps .. 1, so a is missing."""
    return a + (np.arange(1, steps + 1) / steps)[:, None] * (b - a)


def path_inside_only(a, b, steps):
    """Wrong: only the points strictly between a and b."""
    return a + np.linspace(0, 1, steps + 2)[1:-1, None] * (b - a)


def path_backwards(a, b, steps):
    """Wrong: from b to a."""
    return b + np.linspace(0, 1, steps)[:, None] * (a - b)


def path_transposed(a, b, steps):
    """Wrong: one column per step."""
    return (a + np.linspace(0, 1, steps)[:, None] * (b - a)).T


def path_one_extra(a, b, steps):
    """Wrong: steps intervals, so steps + 1 points."""
    return a + np.linspace(0, 1, steps + 1)[:, None] * (b - a)


def path_uneven(a, b, steps):
    """Wrong: right endpoints, but the fractions grow quadratically."""
    return a + (np.linspace(0, 1, steps) ** 2)[:, None] * (b - a)


@pytest.mark.parametrize("answer", [checks.reference_interpolate_codings, path_by_loop, path_with_tensors],
                         ids=["reference", "loop", "keras tensors"])
def test_a_right_interpolation_passes(answer, capsys):
    checks.check_interpolate_codings(answer)
    assert_passed(capsys, 4)


@pytest.mark.parametrize("answer, message", [
    (path_missing_end, "include both endpoints: last row = b failed.*endpoint=False"),
    (path_missing_start, "include both endpoints: first row = a failed"),
    (path_inside_only, "first row = a and last row = b failed"),
    (path_backwards, "runs from b to a"),
    (path_transposed, r"shape \(5, 4\); got \(4, 5\) \(transposed"),
    (path_one_extra, r"shape \(5, 4\); got \(6, 4\)"),
    (path_uneven, "evenly spaced on the straight line"),
])
def test_a_wrong_interpolation_fails_saying_why(answer, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_interpolate_codings(answer)


# --- all checks -----------------------------------------------------------------------------------

def path_stub(a, b, steps):
    raise NotImplementedError("Write your solution here (and delete this line).")


@pytest.mark.parametrize("check, stub", [
    (checks.check_per_image_error, error_stub),
    (checks.check_worst_images, lambda errors, k: error_stub(None, None)),
    (checks.check_interpolate_codings, path_stub),
], ids=["per_image_error", "worst_images", "interpolate_codings"])
def test_an_unfinished_exercise_raises_not_implemented_not_a_failure(check, stub):
    with pytest.raises(NotImplementedError, match="Write your solution"):
        check(stub)


@pytest.mark.parametrize("check", [checks.check_per_image_error, checks.check_worst_images,
                                   checks.check_interpolate_codings])
def test_a_check_given_a_result_instead_of_a_function_names_the_argument(check):
    with pytest.raises(TypeError, match="must be your function"):
        check(np.zeros(3))


def test_checks_print_the_same_lines_every_time(capsys):
    for _ in range(2):
        checks.check_per_image_error(error_flat)
        checks.check_worst_images(worst_by_sorting_pairs)
        checks.check_interpolate_codings(path_by_loop)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 22 and lines[:11] == lines[11:]


# --- references and reports -------------------------------------------------------------------------

def test_reference_per_image_error_is_the_mean_over_pixels():
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Rescaling(0.0)])   # outputs zeros
    images = sample_images(5)
    np.testing.assert_allclose(checks.reference_per_image_error(model, images),
                               (images.astype(np.float64) ** 2).mean(axis=(1, 2)), rtol=1e-6)
    with pytest.raises(ValueError, match=r"images must be a stack.*shape \(784,\)"):
        checks.reference_per_image_error(model, images[0].reshape(-1))


def test_reference_worst_images_largest_first():
    assert checks.reference_worst_images(np.array([0.1, 0.5, 0.3, 0.9]), 3).tolist() == [3, 1, 2]


def test_reference_interpolation_has_both_endpoints_and_equal_steps():
    path = checks.reference_interpolate_codings([0.0, 10.0], [4.0, 2.0], 5)
    np.testing.assert_allclose(path, [[0, 10], [1, 8], [2, 6], [3, 4], [4, 2]])


def test_per_image_error_report_agrees_with_a_right_answer_and_flags_a_wrong_one():
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Rescaling(0.5)])
    images = sample_images(20)
    right = error_flat(model, images)
    report = checks.per_image_error_report(right, model, images)
    reference = checks.reference_per_image_error(model, images)
    assert f"yours {right.mean():.5f}, the reference solution {reference.mean():.5f}" in report
    assert "yours agrees" in report and "more than rounding" not in report
    wrong = checks.per_image_error_report(np.sqrt(right), model, images)
    assert "more than rounding" in wrong and "agrees" not in wrong
    with pytest.raises(ValueError, match=r"errors must hold one value per image, shape \(20,\)"):
        checks.per_image_error_report(right[:5], model, images)


def test_interpolation_report_agrees_with_a_right_answer_and_flags_a_wrong_one():
    a, b = np.array([0.0, 3.0, 1.0], dtype="float32"), np.array([2.0, 0.0, 5.0], dtype="float32")
    report = checks.interpolation_report(path_by_loop(a, b, 7), a, b)
    assert report.startswith("7 codings of 3 numbers") and "yours agrees" in report
    assert "more than rounding" in checks.interpolation_report(path_uneven(a, b, 7), a, b)
    with pytest.raises(ValueError, match=r"shape \(steps, 3\); got \(3, 7\)"):
        checks.interpolation_report(path_transposed(a, b, 7), a, b)
