"""The names of the compared classifiers (helpers.study_methods)."""

import pytest

from helpers.study_methods import ENCODER_SOURCES, METHOD_LABELS, METHOD_RUNS, METHODS, SOURCES, check_method


def test_every_method_is_one_phase_of_one_source():
    assert METHODS == ("scratch", "frozen", "fine-tuned", "tied frozen", "tied fine-tuned")
    assert set(METHOD_RUNS) == set(METHOD_LABELS) == set(METHODS)
    assert {source for source, _ in METHOD_RUNS.values()} == set(SOURCES) == {"scratch", "untied", "tied"}
    assert ENCODER_SOURCES == ("untied", "tied")
    assert METHOD_RUNS["frozen"] == ("untied", 0) and METHOD_RUNS["tied fine-tuned"] == ("tied", 1)


def test_check_method_lists_the_choices():
    assert check_method("tied frozen") == "tied frozen"
    with pytest.raises(ValueError, match=r"Unknown method 'semi-supervised'; choose one of: scratch, frozen, "
                                         r"fine-tuned, tied frozen, tied fine-tuned\."):
        check_method("semi-supervised")
