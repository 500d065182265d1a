"""helpers.tied_layer_checks: a correct DenseTranspose passes every check, each mistake fails its own."""

import exercise_solutions as solutions
import pytest

from helpers import tied_layer_checks as checks
from helpers.layers import DenseTranspose as ReferenceLayer

DENSE_CHECKS = (checks.check_output, checks.check_parameter_count, checks.check_shared_variable,
                checks.check_save_load)


@pytest.mark.parametrize("layer_class, config", [
    (ReferenceLayer, "defines its own get_config"),
    (solutions.OwnLayer, "defines its own get_config"),
    (solutions.DefaultConfig, "keeps Keras' default get_config"),
], ids=["reference", "own", "default get_config"])
def test_a_correct_layer_passes_every_check(layer_class, config, capsys):
    for check in DENSE_CHECKS:
        check(layer_class)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 9 and all(line.startswith("PASS  ") for line in lines)
    assert ("82,414 parameters (helpers' tied model: 82,414; untied: 163,814, so tying keeps 50.3% "
            "of them)") in lines[3]
    assert lines[-1] == ("PASS  a plain Sequential(encoder, decoder) with your layer refuses to save "
                         f"(NotImplementedError; your class {config}): no file that reloads broken or "
                         "untied")


def test_checks_print_the_same_lines_every_time(capsys):
    for _ in range(2):
        for check in DENSE_CHECKS:
            check(solutions.OwnLayer)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:9] == lines[9:]


@pytest.mark.parametrize("layer_class, check, message", [
    (solutions.NoActivation, checks.check_output, "With relu, your output differs"),
    (solutions.OwnKernel, checks.check_output, "own one variable"),
    (solutions.BiasOfTheWrongSize, checks.check_output, r"a bias of shape \(7,\).*it owns \[\(5,\)\]"),
    (solutions.TracksTheDense, checks.check_parameter_count, "tracks the Dense"),
    (solutions.OwnKernel, checks.check_parameter_count, "should own only their biases"),
    (solutions.Snapshot, checks.check_shared_variable, "does not reconstruct like helpers'"),
    (solutions.DetachesTheKernel, checks.check_shared_variable, "does not reach the encoder's variable"),
    (solutions.RebuildsItsDense, checks.check_save_load,
     "(?s)cannot be loaded back.*expected 2 variables.*delete your get_config"),
    (solutions.NaiveConfig, checks.check_save_load, "(?s)cannot be loaded back.*delete your get_config"),
])
def test_each_mistake_fails_its_check_with_an_explanation(layer_class, check, message):
    with pytest.raises(AssertionError, match=message):
        check(layer_class)


def test_the_books_layer_passes_the_behaviour_checks(capsys):
    """Tracking the Dense is the one thing wrong with it; outputs, tie and saving are fine."""
    for check in (checks.check_output, checks.check_shared_variable, checks.check_save_load):
        check(solutions.TracksTheDense)
    assert capsys.readouterr().out.count("PASS") == 7


@pytest.mark.parametrize("check", DENSE_CHECKS)
def test_an_unfinished_layer_raises_not_implemented_not_a_failure(check):
    with pytest.raises(NotImplementedError, match="Write your solution"):
        check(solutions.Unfinished)
