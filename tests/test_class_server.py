"""benchmarks/class_server.py: the class-server load test, once for real (2 kernels, a tiny notebook, quick
profile, both cases), once with a kernel that fails, and its parts (inotify counts, checks, report)."""

import collections
import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from benchmarks import class_server as cs
from helpers.cache_files import atomic_write

REPO = Path(__file__).resolve().parents[1]
KEY = "0123456789abcdef01234567"   # an entry key has 24 hex digits


def tiny_notebook(path: Path, *extra_cells: str) -> Path:
    """One model entry and one result entry; the shared layer, when set, must refuse a write."""
    cells = [
        "import os\nimport keras\nfrom helpers.cache import load_or_compute, load_or_train_model",
        "shared = os.environ.get('AE_SHARED_CACHE_DIR')\n"
        "if shared:\n"
        "    try:\n"
        "        open(os.path.join(shared, 'probe'), 'w').close()\n"
        "    except OSError:\n"
        "        pass\n"
        "    else:\n"
        "        raise AssertionError('the shared layer is writable')",
        "def train():\n"
        "    return keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)]), {'epochs': 0}\n"
        "entry = load_or_train_model({'kind': 'class-server-test-model'}, train)",
        "load_or_compute({'kind': 'class-server-test-result'}, lambda: 42)",
        *extra_cells,
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    return path


def load_test(tmp_path, notebook, *flags):
    """Run the script as `make load-test` does (a subprocess: as root it enters a mount namespace)."""
    report = tmp_path / "report.json"
    env = {**os.environ, "AE_PROFILE": "quick"}
    env.pop("AE_SHARED_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-m", "benchmarks.class_server", "--profile", "quick",
                           "--notebook", str(notebook), "--load-wait", "0", "--json", str(report), *flags],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    return done, json.loads(report.read_text()) if report.exists() else None


def test_two_kernels_in_both_cases_train_each_entry_once_and_report_it(tmp_path):
    done, report = load_test(tmp_path, tiny_notebook(tmp_path / "01_tiny.ipynb"), "--kernels", "2")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert len(report["reference_entries"]) == 2, "one model manifest and one result"
    shared, cold = report["cases"]["shared"], report["cases"]["cold"]
    for case in (shared, cold):
        assert [run["number"] for run in case["kernels"]] == [1, 2]
        assert all(run["error"] is None and run["cells_done"] == run["cells_total"] == 4
                   for run in case["kernels"])
        assert all(0 < run["ready"] < run["finished"] <= case["seconds"] for run in case["kernels"])
        assert all(run["cell_times"] == sorted(run["cell_times"]) and len(run["cell_times"]) == 4
                   and run["cell_times"][-1] == round(run["finished"], 2) for run in case["kernels"])
        assert all(run["peak_kib"] > 50_000 for run in case["kernels"]), "a kernel with keras takes > 50 MB"
        assert case["peak_sum_kib"] > 50_000 and case["problems"] == []
    assert (shared["trainings"]["models"], shared["trainings"]["results"]) == (0, 0)
    trainings = cold["trainings"]
    assert (trainings["models"], trainings["results"], trainings["duplicates"]) == (1, 1, 0)
    assert shared["read_only"] in ("read-only bind mount", "chmod -R a-w")
    out = done.stdout
    assert "### Case (a) pre-warmed, read-only shared cache" in out and "### Case (b) cold cache" in out
    assert out.count("| kernel | ready (s) | finished (s) | cells | result | peak memory (VmHWM) |") == 2
    assert "| trainings ran (entries written) | 2 (models: 1, results: 1): 2 entries in the folder, 2 " \
           "distinct keys in a single-kernel run, 0 built twice |" in out
    assert "Load average at the start (1, 5, 15 min): " in out
    assert report["verdict"].startswith("Verdict: not the goal's setting (kernels 2, notebook 01_tiny.ipynb, "
                                        "profile quick")


def test_a_failing_kernel_is_reported_and_the_exit_status_is_1(tmp_path):
    notebook = tiny_notebook(tmp_path / "02_fails.ipynb", "assert 'AE_SHARED_CACHE_DIR' not in os.environ, "
                             "'only case (a) fails'")   # the pre-warm run, without a shared layer, passes
    done, report = load_test(tmp_path, notebook, "--kernels", "1", "--cases", "shared")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    (run,) = report["cases"]["shared"]["kernels"]
    failure = "cell 5: AssertionError: only case (a) fails"
    assert (run["cells_done"], run["cells_total"], run["error"]) == (4, 5, failure)
    assert report["cases"]["shared"]["problems"] == [f"kernel 1 failed: {failure}"]
    assert f"| - | 4/5 | failed: {failure} |" in done.stdout and "\n1 kernel, 02_fails.ipynb, " in done.stdout
    assert "NOT" not in report["verdict"] and "within 60 s: no" in report["verdict"]


def test_parse_events_reads_inotify_records():
    data = struct.pack("iIII", 3, cs.IN_MOVED_TO, 0, 16) + b"a.json".ljust(16, b"\0")
    data += struct.pack("iIII", 4, cs.IN_OPEN, 0, 0)
    assert cs.parse_events(data) == [(3, cs.IN_MOVED_TO, "a.json"), (4, cs.IN_OPEN, "")]


def test_entry_watch_counts_manifests_written_and_opened_not_other_files(tmp_path):
    watch = cs.EntryWatch([tmp_path])
    manifest = tmp_path / f"{KEY}.result.json"
    atomic_write(manifest, lambda path: path.write_text("{}"))   # a temp file, then a rename
    atomic_write(manifest, lambda path: path.write_text("{}"))
    (tmp_path / f"{KEY}.keras").write_bytes(b"model")             # not a manifest
    (tmp_path / f"{KEY}.lock").write_bytes(b"")
    manifest.read_text()
    watch.close()
    assert watch.written == collections.Counter({str(manifest): 2})
    assert watch.opened == collections.Counter({str(manifest): 1}) and not watch.overflowed


def test_manifest_name_and_entry_counts():
    assert cs.manifest_name(f"{KEY}.json") == f"{KEY}.json"
    assert cs.manifest_name(f"{KEY}.result.json") == f"{KEY}.result.json"
    assert [cs.manifest_name(name) for name in (f"{KEY}.keras", f"{KEY}.lock", ".tmp-1.json")] == [None] * 3
    assert cs.entry_counts(["d/a.json", "d/b.result.json", "d/c.result.json"]) == {"models": 1, "results": 2}


def test_kib_in_status_reads_this_process_and_gives_0_for_a_gone_one():
    assert cs.kib_in_status(os.getpid(), "VmRSS") > 1000
    child = subprocess.Popen(["true"])
    child.wait()
    assert cs.kib_in_status(child.pid, "VmHWM") == 0


def test_the_shared_case_passes_only_when_nothing_is_written_anywhere():
    names = {"a.json", "b.result.json"}
    trainings, problems = cs.check_shared_case(names, names, 0, collections.Counter(), names, names)
    assert problems == [] and (trainings["models"], trainings["results"]) == (0, 0)
    assert trainings["text"] == ("0: 2 shared entries read, shared layer unchanged (2 entries), 0 entries in "
                                 "the personal folders, 0 entry files written anywhere")
    written = collections.Counter({"p1/a.json": 1})
    trainings, problems = cs.check_shared_case(names, names, 1, written, {"b.result.json"}, names)
    assert trainings["models"] == 1 and len(problems) == 3
    assert problems[0] == ("the entries read differ from the single-kernel run's: not read ['a.json'], "
                           "extra []")
    assert problems[1:] == ["1 entries in the personal folders: the shared layer missed them",
                            "1 entry files written: p1/a.json"]


def test_the_cold_case_needs_each_entry_of_the_reference_built_exactly_once():
    names = {"a.json", "b.result.json"}
    once = collections.Counter({"c/a.json": 1, "c/b.result.json": 1})
    trainings, problems = cs.check_cold_case(names, names, once)
    assert problems == []
    assert (trainings["models"], trainings["results"], trainings["duplicates"]) == (1, 1, 0)
    trainings, problems = cs.check_cold_case({"a.json"}, names, collections.Counter({"c/a.json": 2}))
    assert (trainings["models"], trainings["duplicates"]) == (2, 1)
    assert problems == ["built more than once: c/a.json", "the folder's entries differ from the "
                        "single-kernel run's: missing ['b.result.json'], extra []"]


def test_wait_for_quiet_machine_polls_until_the_load_falls_or_the_limit(capsys):
    loads, now = iter([(2.0, 1, 1), (1.7, 1, 1), (1.2, 1, 1)]), [100.0]

    def sleep(seconds):
        now[0] += seconds

    load, waited = cs.wait_for_quiet_machine(1.5, 1200, load=lambda: next(loads), sleep=sleep,
                                             clock=lambda: now[0])
    assert (load, waited) == ((1.2, 1, 1), 30.0), "polled every 15 s"
    assert capsys.readouterr().out.count("1-minute load") == 2
    load, waited = cs.wait_for_quiet_machine(1.5, 20, load=lambda: (3.0, 1, 1), sleep=sleep,
                                             clock=lambda: now[0])
    assert (load[0], waited) == (3.0, 30.0), "gives up once the limit has passed"


def test_read_only_with_chmod_stops_a_normal_user_and_is_refused_where_it_stops_nothing(tmp_path):
    (tmp_path / "entry.json").write_text("{}")
    mode = (tmp_path / "entry.json").stat().st_mode
    if os.geteuid() == 0:
        with pytest.raises(RuntimeError, match="still writable after chmod"), cs.read_only(tmp_path, "chmod"):
            pass
    else:
        with cs.read_only(tmp_path, "chmod") as how:
            assert how == "chmod -R a-w"
            with pytest.raises(PermissionError):
                (tmp_path / "new").write_text("x")
    assert (tmp_path / "entry.json").stat().st_mode == mode, "modes are restored"


def test_read_only_mounts_only_in_a_private_namespace(tmp_path, monkeypatch):
    monkeypatch.delenv(cs.NAMESPACE_VAR, raising=False)
    with pytest.raises(RuntimeError, match="private mount namespace"), cs.read_only(tmp_path, "mount"):
        pass


def test_markdown_table_and_kernels_text():
    assert cs.markdown_table(["a", "b"], [[1, "x"]]) == "| a | b |\n| --- | --- |\n| 1 | x |"
    assert (cs.kernels_text(1), cs.kernels_text(8)) == ("1 kernel", "8 kernels")


def result(finished, error=None, kernels=8):
    runs = [cs.KernelRun(n, 25, 2.0, finished, 25, 1024 * 1500) for n in range(1, kernels + 1)]
    runs[-1].error = error
    return cs.CaseResult("shared", runs, (1.2, 1.0, 0.9), 0, finished + 1, 1024 * 9000, 30.0,
                         {"models": 0, "results": 0, "duplicates": 0, "text": "0"}, [], "chmod -R a-w")


def test_verdict_on_the_goals_setting():
    args = SimpleNamespace(notebook=cs.DEFAULT_NOTEBOOK, profile="full")
    goal = "case (a), 8 kernels, 2 cores: every kernel finishes 01_stacked_autoencoder.ipynb within 60 s"
    assert cs.verdict(result(55.0), args, 2) == (f"Verdict: goal MET: {goal} of the start "
                                                 "(slowest kernel 55.0 s).")
    assert cs.verdict(result(61.0), args, 2).startswith("Verdict: goal NOT MET: ")
    assert "1 of 8 kernels late or failed" in cs.verdict(result(30.0, error="cell 3: ValueError: x"), args, 2)
    assert cs.verdict(result(30.0, kernels=4), args, 4).startswith(
        "Verdict: not the goal's setting (kernels 4, cores 4); within 60 s: yes")
    assert cs.verdict(None, args, 2).startswith("Verdict: not measured")


def test_case_report_lists_every_kernel_and_the_totals():
    args = SimpleNamespace(notebook=cs.DEFAULT_NOTEBOOK, profile="full", interval=0.5)
    text = cs.case_report(result(40.0, kernels=2), args)
    assert text.startswith("### Case (a) pre-warmed, read-only shared cache\n\n2 kernels, "
                           "01_stacked_autoencoder.ipynb, full profile, chmod -R a-w. Load average at the "
                           "start (1, 5, 15 min): 1.20, 1.00, 0.90.")
    assert "| 1 | 2.0 | 40.0 | 25/25 | ok | 1,500 MiB |" in text
    assert "| memory: sum of the kernels' peaks (VmHWM) | 3,000 MiB |" in text
    assert "| memory: simultaneous peak (sum of RSS, sampled every 0.5 s) | 9,000 MiB at 30 s |" in text
    assert "| checks | all passed |" in text and "| kernels that succeeded | 2 of 2 |" in text


def test_machine_names_the_cpu_cores_and_versions():
    text = cs.machine()
    assert f"{os.cpu_count()} cores" in text and "GiB RAM" in text and "tensorflow " in text
