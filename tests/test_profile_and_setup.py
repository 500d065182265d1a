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


def _module_writing_to_fd2(tmp_path, monkeypatch, name, then_fail):
    body = "import os\nos.write(2, b'C-LEVEL NOTICE\\n')\n"
    if then_fail:
        body += "raise ImportError('broken build')\n"
    (tmp_path / f"{name}.py").write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path))


def test_import_quietly_holds_back_c_level_stderr(tmp_path, monkeypatch, capfd):
    from helpers.notebook import import_quietly

    _module_writing_to_fd2(tmp_path, monkeypatch, "noisy_ok_module", then_fail=False)
    module = import_quietly("noisy_ok_module")
    assert module.__name__ == "noisy_ok_module"
    assert "C-LEVEL NOTICE" not in capfd.readouterr().err
    assert import_quietly("noisy_ok_module") is module          # already imported: no reload


def test_import_quietly_shows_what_it_held_back_when_the_import_fails(tmp_path, monkeypatch, capfd):
    from helpers.notebook import import_quietly

    _module_writing_to_fd2(tmp_path, monkeypatch, "noisy_broken_module", then_fail=True)
    with pytest.raises(ImportError, match="broken build"):
        import_quietly("noisy_broken_module")
    assert "C-LEVEL NOTICE" in capfd.readouterr().err


def test_import_quietly_gives_fd2_back_afterwards(tmp_path, monkeypatch, capfd):
    import os

    from helpers.notebook import import_quietly

    _module_writing_to_fd2(tmp_path, monkeypatch, "noisy_then_restored", then_fail=False)
    import_quietly("noisy_then_restored")
    os.write(2, b"AFTER THE IMPORT\n")
    assert "AFTER THE IMPORT" in capfd.readouterr().err

