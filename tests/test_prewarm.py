"""tools/prewarm.py: the pre-warm run (with a fake runner, and once with a real kernel on a tiny
notebook in the quick profile), its progress bar and summary, and the archive commands."""

import io
import itertools
import os
from pathlib import Path

import nbformat
import pytest

from helpers.cache import load_or_compute
from tools import prewarm


@pytest.fixture(autouse=True)
def no_shared_layer(monkeypatch):
    monkeypatch.delenv("AE_SHARED_CACHE_DIR", raising=False)


def fake_runner(seen, cells=4, fail=()):
    """A runner that stores one result per notebook in the kernel's cache, as a notebook would."""
    def run(path, env, on_cell):
        seen.append((path.name, env["AE_CACHE_DIR"], env["AE_PROFILE"], "AE_SHARED_CACHE_DIR" in env))
        for done in range(cells + 1):
            on_cell(done, cells)
        if path.name in fail:
            raise RuntimeError("cell 3 raised ValueError")
        load_or_compute({"kind": "prewarm-test", "notebook": path.name}, lambda: [1, 2, 3],
                        directory=env["AE_CACHE_DIR"])
    return run


def ticking_clock(step=7.0):
    ticks = itertools.count()
    return lambda: next(ticks) * step


def test_prewarm_runs_each_notebook_against_the_cache_and_prints_the_summary(tmp_path, monkeypatch):
    (tmp_path / "shared").mkdir()
    monkeypatch.setenv("AE_SHARED_CACHE_DIR", str(tmp_path / "shared"))   # not used while pre-warming
    cache, seen, out = tmp_path / "cache", [], io.StringIO()
    load_or_compute({"kind": "already there"}, lambda: 0, directory=cache)
    ok = prewarm.prewarm([Path("01_a.ipynb"), Path("02_b.ipynb")], cache, run=fake_runner(seen), out=out,
                         clock=ticking_clock())
    assert ok
    assert seen == [(name, str(cache.resolve()), "full", False) for name in ("01_a.ipynb", "02_b.ipynb")]
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and len(lines) == 3, "not a terminal: one line per notebook"
    assert lines[0].startswith(f"1/2 01_a.ipynb [{'#' * 30}]   4/4 cells")
    size = prewarm.human_size(prewarm.disk_usage(cache))
    # 14 clock readings 7 s apart: the start, per notebook its start and 5 cell updates, the end
    assert lines[-1] == (f"Cache {cache}: 3 entries (2 new), {size} on disk, 1 min 31 s for 2 notebooks "
                         "(full profile).")


def test_on_a_terminal_the_bar_is_redrawn_in_place(tmp_path):
    out = io.StringIO()
    prewarm.prewarm([Path("01_a.ipynb")], tmp_path / "cache", "quick", run=fake_runner([], cells=2), out=out,
                    live=True, clock=ticking_clock(1.0))
    text = out.getvalue()
    assert text.startswith(f"\r1/1 01_a.ipynb [{'.' * 30}]   0/2 cells  1 s\r1/1 01_a.ipynb [{'#' * 15}")
    assert f"[{'#' * 30}]   2/2 cells" in text and text.endswith("for 1 notebooks (quick profile).\n")


def test_a_failing_notebook_is_reported_the_others_still_run_and_the_result_is_false(tmp_path):
    seen, out = [], io.StringIO()
    ok = prewarm.prewarm([Path("01_a.ipynb"), Path("02_b.ipynb")], tmp_path / "cache",
                         run=fake_runner(seen, fail=("01_a.ipynb",)), out=out, clock=ticking_clock())
    assert not ok and [name for name, *_ in seen] == ["01_a.ipynb", "02_b.ipynb"]
    assert "FAILED 1/2 01_a.ipynb: RuntimeError: cell 3 raised ValueError" in out.getvalue()
    assert out.getvalue().splitlines()[-1].endswith("1 entry (1 new), " + prewarm.human_size(
        prewarm.disk_usage(tmp_path / "cache")) + " on disk, 1 min 31 s for 2 notebooks (full profile); "
        "FAILED: 01_a.ipynb")


def test_a_real_kernel_fills_the_cache_from_a_small_notebook(tmp_path, capsys):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("A notebook that caches one result."),
        nbformat.v4.new_code_cell("import os\nassert os.environ['AE_PROFILE'] == 'quick'\n"
                                  "assert 'AE_SHARED_CACHE_DIR' not in os.environ"),
        nbformat.v4.new_code_cell("from helpers.cache import load_or_compute\n"
                                  "load_or_compute({'kind': 'prewarm-kernel-test'}, lambda: 42)"),
    ])
    path = tmp_path / "01_small.ipynb"
    nbformat.write(notebook, path)
    cache = tmp_path / "cache"
    status = prewarm.main(["--cache-dir", str(cache), "--profile", "quick", "--notebooks", str(path)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert f"1/1 01_small.ipynb [{'#' * 30}]   2/2 cells" in out
    assert f"Cache {cache}: 1 entry (1 new), " in out and "for 1 notebooks (quick profile)." in out
    assert load_or_compute({"kind": "prewarm-kernel-test"}, lambda: None, directory=cache) == (42, True)
    assert nbformat.read(path, as_version=4).cells[2].outputs == [], "outputs are not written back"


def test_archive_and_import_commands_report_what_they_did(tmp_path, capsys):
    cache, archive, target = tmp_path / "cache", tmp_path / "cache.tar.gz", tmp_path / "target"
    load_or_compute({"kind": "prewarm-archive"}, lambda: {"accuracy": 0.5}, directory=cache)
    assert prewarm.main(["--cache-dir", str(cache), "--archive", str(archive)]) == 0
    assert capsys.readouterr().out.startswith(f"Wrote {archive} from {cache}: 1 entry (")
    assert prewarm.main(["--import", str(archive), "--into", str(target)]) == 0
    assert capsys.readouterr().out.startswith(f"Added to {target} from {archive}: 1 entry (")
    assert prewarm.main(["--import", str(archive), "--cache-dir", str(target)]) == 0
    out = capsys.readouterr().out
    assert "0 entries (0 B); skipped 1." in out and "already present" in out
    archive.write_bytes(b"not an archive")
    assert prewarm.main(["--import", str(archive), "--into", str(target)]) == 1
    assert "is not a cache archive" in capsys.readouterr().err


def test_an_import_that_skips_damage_exits_with_status_1(tmp_path, capsys):
    cache = tmp_path / "cache"
    load_or_compute({"kind": "prewarm-archive"}, lambda: 1, directory=cache)
    entry = next(cache.glob("*.result.json"))
    entry.write_text("{damaged")
    assert prewarm.main(["--cache-dir", str(cache), "--archive", str(tmp_path / "a.tar.gz")]) == 1
    assert f"skipped {entry.name}: damaged: {entry.name} is not JSON" in capsys.readouterr().out


def test_missing_notebooks_are_named(tmp_path, capsys):
    assert prewarm.main(["--cache-dir", str(tmp_path), "--notebooks", str(tmp_path / "nope.ipynb")]) == 2
    err = capsys.readouterr().err
    assert "no such notebook" in err and str(tmp_path / "nope.ipynb") in err and "--notebooks" in err


def test_lesson_notebooks_are_the_numbered_lessons_in_order():
    names = [path.name for path in prewarm.lesson_notebooks()]
    assert names[:2] == ["01_stacked_autoencoder.ipynb", "02_tied_weights.ipynb"] and names == sorted(names)
    assert "05_exercises.ipynb" in names and names.count("05_exercises.ipynb") == 1, "not the student edition"
    assert all(name[:2].isdigit() for name in names)


def test_kernel_environment_has_the_target_cache_alone_and_the_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("AE_SHARED_CACHE_DIR", "/srv/shared")
    monkeypatch.setenv("AE_CACHE_DIR", "/elsewhere")
    monkeypatch.chdir(tmp_path)
    env = prewarm.kernel_environment(Path("relative"), "full")
    assert env["AE_CACHE_DIR"] == str(tmp_path.resolve() / "relative") and env["AE_PROFILE"] == "full"
    assert "AE_SHARED_CACHE_DIR" not in env and env["PATH"] == os.environ["PATH"]


@pytest.mark.parametrize("size, text", [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"),
                                        (5 * 2**20, "5.0 MiB"), (3 * 2**40, "3072.0 GiB")])
def test_human_size(size, text):
    assert prewarm.human_size(size) == text


def test_human_time_and_progress_bar():
    assert (prewarm.human_time(4.4), prewarm.human_time(77), prewarm.human_time(600)) == ("4 s", "1 min 17 s",
                                                                                       "10 min 0 s")
    assert prewarm.progress_bar(1, 4, width=8) == "[##......]   1/4"
    assert prewarm.progress_bar(0, 0, width=4) == "[####]   0/0"
    assert prewarm.entries_text(1) == "1 entry" and prewarm.entries_text(0) == "0 entries"


def test_disk_usage_counts_allocated_blocks(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 10_000)
    (tmp_path / "sub").mkdir()
    assert 10_000 <= prewarm.disk_usage(tmp_path) < 10_000 + 65_536
