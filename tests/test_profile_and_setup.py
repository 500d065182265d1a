import pytest

import helpers
from helpers.profile import PROFILES, active_profile


def test_full_is_the_default(monkeypatch):
    monkeypatch.delenv("AE_PROFILE", raising=False)
    assert active_profile() is PROFILES["full"]
    assert active_profile().epochs(20) == 20


def test_quick_caps_data_and_epochs(monkeypatch):
    monkeypatch.setenv("AE_PROFILE", "Quick")
    profile = active_profile()
    assert profile.is_quick and profile.epochs(20) == profile.max_epochs < 20
    assert profile.train_size < 55_000


def test_unknown_profile_is_refused(monkeypatch):
    monkeypatch.setenv("AE_PROFILE", "fast")
    with pytest.raises(ValueError, match="full, quick"):
        active_profile()


def test_setup_notebook_seeds_and_reports(monkeypatch, capsys):
    import numpy as np

    monkeypatch.setenv("AE_PROFILE", "quick")
    profile = helpers.setup_notebook(seed=7)
    first = np.random.rand()
    helpers.setup_notebook(seed=7, quiet=True)
    assert np.random.rand() == first
    out = capsys.readouterr().out
    assert profile.name == "quick" and "TensorFlow" in out and "Profile: quick" in out
