"""helpers.exercise_checks: the checks pass right learner code and fail (clearly) on wrong code."""

import exercise_solutions as solutions
import numpy as np
import pytest

from helpers import exercise_checks as checks


def test_require():
    assert checks.require(3, "x", "exercise 9") == 3
    assert checks.require(0, "x", "exercise 9") == 0  # only None means "not done yet"
    with pytest.raises(NotImplementedError, match=r"`dae` is not set yet: finish Exercise 5\.7 first"):
        checks.require(None, "dae", "Exercise 5.7")


def test_passed_prints_one_pass_line(capsys):
    checks.passed("shape (4, 7)")
    assert capsys.readouterr().out == "PASS  shape (4, 7)\n"


def test_fail_raises_assertion_error_with_the_message():
    with pytest.raises(AssertionError, match=r"^Expected \(4, 7\)\.$"):
        checks.fail("Expected (4, 7).")


def test_sample_images_are_the_first_validation_images(fashion):
    images = checks.sample_images(5)
    assert images.shape == (5, 28, 28)
    np.testing.assert_array_equal(images, fashion.X_valid[:5])


# --- Hands-on 2 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("wrapper", [solutions.gaussian_wrapper, solutions.dropout_wrapper])
def test_check_input_noise_passes_valid_corruptions(wrapper, capsys):
    checks.check_input_noise(wrapper, 0.2)
    assert capsys.readouterr().out.count("PASS") == 4


@pytest.mark.parametrize("wrapper, message", [
    (solutions.always_noisy, "At inference"),
    (solutions.no_noise, "In training"),
    (solutions.cloned_model, "At inference|own variables"),
    (solutions.fixed_scale, r"noise_std=0\.2 should set its scale"),
])
def test_check_input_noise_catches_mistakes(wrapper, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_input_noise(wrapper, 0.2)


def test_check_top_activating(capsys):
    checks.check_top_activating(solutions.top_right)
    assert capsys.readouterr().out.count("PASS") == 3
    with pytest.raises(AssertionError, match="strongest first"):
        checks.check_top_activating(lambda c, k: np.argsort(c, axis=0)[:k].T)
    with pytest.raises(AssertionError, match="shape"):
        checks.check_top_activating(lambda c, k: np.argsort(-c, axis=0)[:k])


def test_check_classifier_factory(capsys):
    checks.check_classifier_factory(solutions.good_classifier)
    out = capsys.readouterr().out
    assert out.count("PASS") == 4
    assert out.splitlines()[-1] == ("PASS  seed: the same seed rebuilds the same initial weights, another "
                                    "seed gives others")
    for factory, message in ((solutions.clone_only, "does not start from the encoder's weights"),
                             (solutions.shares_encoder, "shares variables"),
                             (solutions.unnamed_body, "named 'encoder'"),
                             (solutions.linear_head, r"last layer should be the head, Dense\(10, softmax\)"),
                             (solutions.always_copies, "from-scratch classifier should start from a fresh"),
                             (solutions.fixed_seed, "make_classifier ignores `seed`"),
                             (solutions.unseeded, "Built twice with seed=1, the pretrained classifier "
                                                  "starts from different weights")):
        with pytest.raises(AssertionError, match=message):
            checks.check_classifier_factory(factory)


# --- Hands-on 3 ---------------------------------------------------------------------------------

def test_check_principal_angles(capsys):
    checks.check_principal_angles(solutions.angles_right)
    assert capsys.readouterr().out.count("PASS") == 3
    with pytest.raises(AssertionError, match="expected angles"):
        checks.check_principal_angles(lambda a, b: np.radians(solutions.angles_right(a, b)))
    with pytest.raises(AssertionError, match="ascending"):
        checks.check_principal_angles(lambda a, b: solutions.angles_right(a, b)[::-1])
    with pytest.raises(AssertionError, match="a plane against itself, other basis: expected"):
        checks.check_principal_angles(solutions.angles_without_qr)   # bases not orthonormalised


def test_check_pca(capsys):
    checks.check_pca(solutions.pca_right)
    assert capsys.readouterr().out.count("PASS") == 4
    with pytest.raises(AssertionError, match="span"):
        checks.check_pca(lambda X, k: (X.mean(axis=0), np.linalg.svd(X, full_matrices=False)[2][:k].T))
    with pytest.raises(AssertionError, match=r"\(n_features, k\) = \(6, 2\)"):
        checks.check_pca(solutions.pca_rows)
    with pytest.raises(AssertionError, match="decreasing"):
        checks.check_pca(lambda X, k: (lambda m, c: (m, c[:, ::-1]))(*solutions.pca_right(X, k)))


def test_call_learner_passes_stubs_through_and_reports_other_errors_in_one_line():
    def stub():
        raise NotImplementedError("Write your solution here")

    def broken(x):
        raise ValueError(f"Invalid input shape {x}\n" + "0.0 " * 500)

    assert checks.call_learner(lambda a, b: a + b, 2, 3, what="add") == 5
    with pytest.raises(NotImplementedError):
        checks.call_learner(stub, what="stub")
    with pytest.raises(AssertionError) as err:
        checks.call_learner(broken, 7, what="your function", hint=" Check the order.")
    assert str(err.value) == "your function raised ValueError: Invalid input shape 7 Check the order."
    with pytest.raises(AssertionError, match=r"^f raised KeyError: 'x'$"):
        checks.call_learner(lambda: {}["x"], what="f", hint=" not about shapes")


def test_is_softmax_head_and_encoder_copy():
    import keras

    assert checks.is_softmax_head(keras.layers.Dense(10, activation="softmax"))
    assert not checks.is_softmax_head(keras.layers.Dense(10))
    assert not checks.is_softmax_head(keras.layers.Dense(9, activation="softmax"))
    encoder = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)], name="encoder")
    copy = keras.models.clone_model(encoder)
    head = keras.layers.Dense(10, activation="softmax")
    good = keras.Sequential([keras.Input((4,)), copy, head])
    assert checks.encoder_copy(good, encoder, "test") is copy
    with pytest.raises(AssertionError, match="shares variables"):
        checks.encoder_copy(keras.Sequential([keras.Input((4,)), encoder, head]), encoder, "test")
    unnamed = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="body"), head])
    with pytest.raises(AssertionError, match="named 'encoder'"):
        checks.encoder_copy(unnamed, encoder, "test")
