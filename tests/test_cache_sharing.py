"""helpers.cache across real processes, users and file systems.

Each scenario runs as its own Python process: four at once (train once), inside ``unshare -m`` on a
read-only bind mount or a 64 KiB tmpfs (read-only and full disks, a read-only shared layer named by
``AE_SHARED_CACHE_DIR``), and as user ``nobody`` via
``setpriv`` (another user reading a shared entry, or being refused a private one). The mount and user
scenarios need root plus ``unshare``/``setpriv``; without them they are skipped with the reason.
Running as nobody is the ``as_nobody`` fixture of conftest.py (tests/run_as_user.py).
"""

import hashlib
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import keras
import pytest
from run_as_user import NOBODY, in_namespace, require_root_tools

from helpers.cache import cache_key, load_or_compute, load_or_train_model

REPO = Path(__file__).resolve().parents[1]
SPEC = {"kind": "sharing-test", "seed": 1}
OTHER_SPEC = {"kind": "sharing-test", "seed": 2}

PRELUDE = """
import json, os, sys, time, warnings
from pathlib import Path
os.umask(0o022)
sys.path.insert(0, {repo!r})
import keras
from helpers.cache import CachePermissionError, cached_result, load_or_compute, load_or_train_model
ARGS = json.loads(sys.argv[1])
CACHE = Path(ARGS["cache"])

def tiny_model(units=2):
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(units)])

def counted_train(units=2, seconds=0.0):
    def train():
        (Path(ARGS["counter"]) / f"trained-{{os.getpid()}}-{{time.time_ns()}}").touch()
        time.sleep(seconds)
        return tiny_model(units), {{"pid": os.getpid()}}
    return train

def ours(record):
    return [str(w.message) for w in record if w.category is RuntimeWarning]

def report(**values):
    print("RESULT " + json.dumps(values))
"""


def tiny_train():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]), {"by": "root"}


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def snapshot(folder):
    """Every file of ``folder`` with its owner, mode and content hash."""
    return {p.name: (p.stat().st_uid, stat.S_IMODE(p.stat().st_mode), sha256(p))
            for p in sorted(Path(folder).iterdir())}


@pytest.fixture
def base():
    """A world-traversable scratch folder (pytest's tmp_path is 0700, closed to other users)."""
    path = Path(tempfile.mkdtemp(prefix="cache-sharing-", dir="/tmp"))
    path.chmod(0o755)
    for name in ("counter", "home"):
        (path / name).mkdir()
        (path / name).chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run_scenario(base, body, args, prefix=(), timeout=300, shared=None):
    """Run PRELUDE + ``body`` as ``[*prefix, python, script, args]``; return what it reported.

    ``shared`` is the scenario's ``AE_SHARED_CACHE_DIR`` (by default it has none)."""
    script = base / f"scenario-{time.time_ns()}.py"
    script.write_text(PRELUDE.format(repo=str(REPO)) + body)
    script.chmod(0o644)
    env = {**os.environ, "HOME": str(base / "home"), "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("AE_CACHE_DIR", None)
    env.pop("AE_SHARED_CACHE_DIR", None)
    if shared is not None:
        env["AE_SHARED_CACHE_DIR"] = str(shared)
    argv = [*prefix, sys.executable, str(script), json.dumps({"counter": str(base / "counter"), **args})]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, f"{argv}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    reported = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    return json.loads(reported[-1].removeprefix("RESULT "))


def trainings(base):
    return len(list((base / "counter").iterdir()))


def test_four_processes_missing_one_entry_train_it_once(base):
    cache, ready = base / "cache", base / "ready"
    ready.mkdir()
    body = """
(Path(ARGS["ready"]) / str(os.getpid())).touch()
deadline = time.time() + 180
while len(list(Path(ARGS["ready"]).iterdir())) < 4 and time.time() < deadline:
    time.sleep(0.02)
entry = load_or_train_model(ARGS["spec"], counted_train(seconds=1.0), directory=CACHE)
report(from_cache=entry.from_cache, stored=entry.stored, trained_by=entry.info["pid"])
"""
    args = json.dumps({"counter": str(base / "counter"), "cache": str(cache), "ready": str(ready),
                       "spec": SPEC})
    script = base / "race.py"
    script.write_text(PRELUDE.format(repo=str(REPO)) + body)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("AE_SHARED_CACHE_DIR", None)
    racers = [subprocess.Popen([sys.executable, str(script), args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env) for _ in range(4)]
    outputs = [racer.communicate(timeout=300) for racer in racers]
    assert all(racer.returncode == 0 for racer in racers), [err[-2000:] for _, err in outputs]
    reports = [json.loads(out.splitlines()[-1][7:]) for out, _ in outputs]
    assert trainings(base) == 1
    assert sorted(r["from_cache"] for r in reports) == [False, True, True, True]
    assert len({r["trained_by"] for r in reports}) == 1 and all(r["stored"] for r in reports)
    assert not list(cache.glob(".tmp-*"))


def test_read_only_cache_serves_hits_and_still_trains_a_miss_uncached(base):
    require_root_tools()
    cache = base / "cache"
    load_or_train_model(SPEC, tiny_train, directory=cache)
    load_or_compute(SPEC, lambda: {"accuracy": 0.75}, directory=cache)
    before = snapshot(cache)
    body = """
with warnings.catch_warnings(record=True) as record:
    warnings.simplefilter("always")
    hit = load_or_train_model(ARGS["spec"], counted_train(), directory=CACHE)
    result = load_or_compute(ARGS["spec"], lambda: "recomputed", directory=CACHE)
    hit_warnings = ours(record)
    miss = load_or_train_model(ARGS["other_spec"], counted_train(), directory=CACHE)
report(hit=[hit.from_cache, hit.info], result=result, hit_warnings=hit_warnings,
       miss=[miss.from_cache, miss.stored, miss.model.output_shape[-1]],
       warnings=ours(record)[len(hit_warnings):])
"""
    folder = shlex.quote(str(cache))
    seen = run_scenario(base, body, {"cache": str(cache), "spec": SPEC, "other_spec": OTHER_SPEC},
                        in_namespace(f"mount --bind {folder} {folder}", f"mount -o remount,bind,ro {folder}"))
    assert seen["hit"] == [True, {"by": "root"}] and seen["result"] == [{"accuracy": 0.75}, True]
    assert seen["hit_warnings"] == [] and seen["miss"] == [False, False, 2] and trainings(base) == 1
    assert len(seen["warnings"]) == 1
    assert all(part in seen["warnings"][0] for part in (str(cache), "Read-only file system", "AE_CACHE_DIR"))
    assert snapshot(cache) == before, "a read-only cache is not written (no lock or temp files either)"


def test_a_read_only_shared_layer_serves_hits_is_never_written_and_damage_is_rebuilt_in_personal(base):
    require_root_tools()
    shared, personal = base / "shared", base / "personal"
    load_or_train_model(SPEC, tiny_train, directory=shared)
    load_or_compute(SPEC, lambda: {"accuracy": 0.75}, directory=shared)
    load_or_compute(OTHER_SPEC, lambda: {"accuracy": 0.5}, directory=shared)
    damaged = shared / f"{cache_key(OTHER_SPEC)}.result.json"
    damaged.write_text("{truncated")                     # e.g. a disk error on the class server
    before, folder_mtime = snapshot(shared), shared.stat().st_mtime_ns
    body = """
with warnings.catch_warnings(record=True) as record:
    warnings.simplefilter("always")
    hit = load_or_train_model(ARGS["spec"], counted_train(), directory=CACHE)
    result = load_or_compute(ARGS["spec"], lambda: "recomputed", directory=CACHE)
    peek = cached_result(ARGS["spec"], directory=CACHE)
    hit_warnings = ours(record)
    personal_existed = CACHE.exists()
    rebuilt = load_or_compute(ARGS["other_spec"], lambda: {"accuracy": 0.25}, directory=CACHE)
    damage_warnings = ours(record)[len(hit_warnings):]
    miss = load_or_train_model(ARGS["other_spec"], counted_train(), directory=CACHE)
report(hit=[hit.from_cache, hit.info], result=result, peek=peek, hit_warnings=hit_warnings,
       personal_existed=personal_existed, rebuilt=rebuilt, damage_warnings=damage_warnings,
       miss=[miss.from_cache, miss.stored], files=sorted(os.listdir(CACHE)))
"""
    folder = shlex.quote(str(shared))
    seen = run_scenario(base, body, {"cache": str(personal), "spec": SPEC, "other_spec": OTHER_SPEC},
                        in_namespace(f"mount --bind {folder} {folder}", f"mount -o remount,bind,ro {folder}"),
                        shared=shared)
    assert seen["hit"] == [True, {"by": "root"}] and seen["result"] == [{"accuracy": 0.75}, True]
    assert seen["peek"] == {"accuracy": 0.75} and seen["hit_warnings"] == []
    assert not seen["personal_existed"], "hits from the shared layer create nothing"
    assert seen["rebuilt"] == [{"accuracy": 0.25}, False] and len(seen["damage_warnings"]) == 1
    for part in (str(damaged), "JSONDecodeError", "left untouched", "AE_SHARED_CACHE_DIR", "AE_CACHE_DIR"):
        assert part in seen["damage_warnings"][0], (part, seen["damage_warnings"])
    assert seen["miss"] == [False, True] and trainings(base) == 1
    other_key = cache_key(OTHER_SPEC)
    assert seen["files"] == sorted(f"{other_key}{suffix}" for suffix in
                                   (".result.json", ".result.lock", ".json", ".keras", ".lock"))
    assert snapshot(shared) == before and shared.stat().st_mtime_ns == folder_mtime, \
        "the shared layer is not written: no entry, lock, probe or temp file"


def test_full_disk_before_and_after_training_loses_nothing_and_leaves_no_temp_files(base):
    require_root_tools()
    cache = base / "small-disk"
    cache.mkdir()
    body = """
with warnings.catch_warnings(record=True) as record:
    warnings.simplefilter("always")
    big = load_or_train_model(ARGS["spec"], counted_train(units=20000), directory=CACHE)  # 320 KB > 64 KiB
    after_training = ours(record)
    with open(CACHE / "filler", "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"x" * 1024)
        except OSError:
            pass
    result = load_or_compute(ARGS["spec"], lambda: "computed anyway", directory=CACHE)
report(big=[big.from_cache, big.stored, big.model.output_shape[-1]], after_training=after_training,
       result=result, before_computing=ours(record)[len(after_training):], files=sorted(os.listdir(CACHE)))
"""
    seen = run_scenario(base, body, {"cache": str(cache), "spec": SPEC},
                        in_namespace(f"mount -t tmpfs -o size=64k tmpfs {shlex.quote(str(cache))}"))
    assert seen["big"] == [False, False, 20000] and seen["result"] == ["computed anyway", False]
    assert len(seen["after_training"]) == 1 and "No space left on device" in seen["after_training"][0]
    assert len(seen["before_computing"]) == 1
    assert all(part in seen["before_computing"][0]
               for part in (str(cache), "cannot be written", "No space left on device", "AE_CACHE_DIR"))
    assert seen["files"] == sorted(["filler", f"{cache_key(SPEC)}.lock"]), "no temp files, no half entry"


def test_another_user_reads_and_adds_entries_in_a_sticky_shared_folder(base, as_nobody):
    shared = base / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    previous = os.umask(0o022)
    try:
        load_or_train_model(SPEC, tiny_train, directory=shared)
        load_or_compute(SPEC, lambda: {"accuracy": 0.75}, directory=shared)
        other_key = cache_key(OTHER_SPEC)
        (shared / f"{other_key}.lock").touch()              # root's lock file for the entry nobody adds
        stale = shared / ".tmp-left-by-root.keras"
        stale.write_bytes(b"root's")
        os.utime(stale, (time.time() - 7200, time.time() - 7200))
    finally:
        os.umask(previous)
    roots = snapshot(shared)
    assert {mode for _, mode, _ in roots.values()} == {0o644}
    body = """
with warnings.catch_warnings(record=True) as record:
    warnings.simplefilter("always")
    hit = load_or_train_model(ARGS["spec"], counted_train(), directory=CACHE)
    result = load_or_compute(ARGS["spec"], lambda: "recomputed", directory=CACHE)
    added = load_or_train_model(ARGS["other_spec"], counted_train(), directory=CACHE)
report(uid=os.geteuid(), hit=[hit.from_cache, hit.info], result=result,
       added=[added.from_cache, added.stored], warnings=ours(record))
"""
    seen = run_scenario(base, body, {"cache": str(shared), "spec": SPEC, "other_spec": OTHER_SPEC}, as_nobody)
    assert seen["uid"] == NOBODY and seen["warnings"] == []
    assert seen["hit"] == [True, {"by": "root"}] and seen["result"] == [{"accuracy": 0.75}, True]
    assert seen["added"] == [False, True] and trainings(base) == 1
    after = snapshot(shared)
    assert {name: after[name] for name in roots} == roots, "root's files (lock, stale temp) untouched"
    assert {after[f"{other_key}{suffix}"][:2] for suffix in (".keras", ".json")} == {(NOBODY, 0o644)}
    assert load_or_train_model(OTHER_SPEC, tiny_train, directory=shared).from_cache


def test_another_users_private_entry_is_a_permission_error_and_is_not_overwritten(base, as_nobody):
    cache = base / "open-folder"
    cache.mkdir()
    cache.chmod(0o777)   # nobody could replace root's files here, so not doing so is the cache's choice
    load_or_train_model(SPEC, tiny_train, directory=cache)
    load_or_compute(SPEC, lambda: {"accuracy": 0.75}, directory=cache)
    for path in cache.iterdir():
        path.chmod(0o600)
    before = snapshot(cache)
    body = """
errors = []
for load in (lambda: load_or_train_model(ARGS["spec"], counted_train(), directory=CACHE),
             lambda: load_or_compute(ARGS["spec"], lambda: "recomputed", directory=CACHE)):
    try:
        load()
        errors.append(None)
    except CachePermissionError as err:
        errors.append([str(err), isinstance(err, PermissionError)])
report(errors=errors)
"""
    seen = run_scenario(base, body, {"cache": str(cache), "spec": SPEC}, as_nobody)
    key = cache_key(SPEC)
    for (message, is_permission_error), name in zip(seen["errors"], (f"{key}.json", f"{key}.result.json"),
                                                    strict=True):
        assert is_permission_error
        for part in (str(cache / name), "permission denied", "user root (uid 0", "mode 600",
                     f"chmod a+r {cache / name}", "AE_CACHE_DIR"):
            assert part in message, (part, message)
    assert trainings(base) == 0 and snapshot(cache) == before
