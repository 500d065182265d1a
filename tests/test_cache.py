"""In-process tests of helpers.cache: hits, damage, unwritable folders, modes, temp files, locks, and
the two layers (a shared folder only read, a personal one written); tests/test_cache_sharing.py makes
the shared layer read-only for real."""

import errno
import fcntl
import hashlib
import json
import os
import re
import threading
import time
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest

from helpers import cache
from helpers.cache import (
    CachedModel,
    CacheLockTimeout,
    cache_dir,
    cache_key,
    load_or_compute,
    load_or_train_model,
)

SPEC = {"kind": "tiny", "seed": 1}


def tiny_trainer(calls, units=2):
    def train():
        calls.append(units)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units)])
        return model, {"val_loss": [0.5], "units": units}
    return train


def output_units_are(units):
    def verify(model, info):
        if model.output_shape[-1] != units:
            raise ValueError(f"model has {model.output_shape[-1]} outputs, expected {units}")
    return verify


def entry_files(folder):
    return sorted(p.name for p in Path(folder).iterdir() if not p.name.endswith(".lock"))


@pytest.fixture(autouse=True)
def no_shared_layer(monkeypatch):
    """No test sees a shared layer from the environment it runs in; the two-layer tests set one."""
    monkeypatch.delenv("AE_SHARED_CACHE_DIR", raising=False)


def listing(folder):
    """Every file in ``folder`` with its modification time and content, and the folder's own mtime."""
    files = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in Path(folder).iterdir()}
    return Path(folder).stat().st_mtime_ns, files


@pytest.fixture
def layers(tmp_path, monkeypatch):
    """(shared, personal): a shared layer named by AE_SHARED_CACHE_DIR holding SPEC's model and
    result (trained by "the instructor"), and an empty personal folder that does not exist yet."""
    shared, personal = tmp_path / "shared", tmp_path / "personal"
    load_or_train_model(SPEC, tiny_trainer([], units=4), directory=shared)
    load_or_compute(SPEC, lambda: {"accuracy": 0.75}, directory=shared)
    monkeypatch.setenv("AE_SHARED_CACHE_DIR", str(shared))
    return shared, personal


@pytest.fixture
def umask():
    """Set the process umask for one test and restore it afterwards."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


def test_miss_then_hit_gives_the_same_model_and_info(tmp_path):
    calls = []
    first = load_or_train_model(SPEC, tiny_trainer(calls), directory=tmp_path)
    second = load_or_train_model(SPEC, tiny_trainer(calls), directory=tmp_path)
    assert (first.from_cache, first.stored, second.from_cache, second.stored) == (False, True, True, True)
    assert len(calls) == 1 and second.info == {"val_loss": [0.5], "units": 2}
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(first.model(x), second.model(x), atol=1e-6)
    assert entry_files(tmp_path) == [f"{first.key}.json", f"{first.key}.keras"]


def test_manifest_names_the_model_file_and_its_sha256(tmp_path):
    entry = load_or_train_model(SPEC, tiny_trainer([]), directory=tmp_path)
    manifest = json.loads((tmp_path / f"{entry.key}.json").read_text())
    digest = hashlib.sha256((tmp_path / f"{entry.key}.keras").read_bytes()).hexdigest()
    assert (manifest["model_file"], manifest["model_sha256"]) == (f"{entry.key}.keras", digest)
    assert (manifest["spec"], manifest["format"], manifest["info"]["units"]) == (SPEC, 3, 2)


def test_cache_key_depends_on_spec_and_format_not_on_key_order(monkeypatch):
    key = cache_key(SPEC)
    assert len(key) == 24 and int(key, 16) >= 0
    assert key == cache_key(dict(reversed(list(SPEC.items()))))
    assert key != cache_key({**SPEC, "seed": 2})
    assert cache.FORMAT_VERSION == 3
    monkeypatch.setattr(cache, "FORMAT_VERSION", 4)
    assert cache_key(SPEC) != key


def test_any_change_in_the_spec_is_a_miss(tmp_path):
    calls = []
    load_or_train_model(SPEC, tiny_trainer(calls), directory=tmp_path)
    load_or_train_model({**SPEC, "seed": 2}, tiny_trainer(calls), directory=tmp_path)
    assert len(calls) == 2


def test_cache_dir_honours_the_environment_and_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("AE_CACHE_DIR", str(tmp_path / "here"))
    assert cache_dir() == tmp_path / "here" and not (tmp_path / "here").exists()
    monkeypatch.setenv("AE_CACHE_DIR", "")
    assert cache_dir() == Path.home() / ".cache" / "stacked-ae-notebooks"
    monkeypatch.setenv("AE_CACHE_DIR", str(tmp_path / "env"))
    load_or_compute(SPEC, lambda: 1)
    assert len(list((tmp_path / "env").glob("*.result.json"))) == 1


def test_wrong_spec_in_the_manifest_is_damage_rebuilt_and_overwritten(tmp_path):
    calls = []
    entry = load_or_train_model(SPEC, tiny_trainer(calls), directory=tmp_path)
    manifest_path = tmp_path / f"{entry.key}.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "spec": {**SPEC, "seed": 99}}))
    with pytest.warns(RuntimeWarning, match=f"{re.escape(str(manifest_path))}.*stored spec.*seed.*99"):
        again = load_or_train_model(SPEC, tiny_trainer(calls), directory=tmp_path)
    assert (again.from_cache, again.stored, len(calls)) == (False, True, 2)
    assert json.loads(manifest_path.read_text())["spec"] == SPEC
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert load_or_train_model(SPEC, tiny_trainer(calls), directory=tmp_path).from_cache


@pytest.mark.parametrize("damage, reason", [
    ("garbage model", "SHA-256"), ("garbage manifest", "JSONDecodeError"),
    ("info not a dict", "info is list"), ("model missing", "FileNotFoundError"),
    ("old format", "stored format"), ("other versions", "stored versions"),
    ("manifest is a list", "expected a JSON object"),
])
def test_damaged_model_entry_is_retrained_with_a_warning_naming_path_and_reason(tmp_path, damage, reason):
    calls = []
    entry = load_or_train_model(SPEC, tiny_trainer(calls), directory=tmp_path)
    model_path, manifest_path = tmp_path / f"{entry.key}.keras", tmp_path / f"{entry.key}.json"
    manifest = json.loads(manifest_path.read_text())
    edits = {"info not a dict": {"info": [1]}, "old format": {"format": 2},
             "other versions": {"versions": {"keras": "2.0"}}}
    if damage == "garbage model":
        model_path.write_bytes(b"not a model")
    elif damage == "garbage manifest":
        manifest_path.write_text("{truncated")
    elif damage == "model missing":
        model_path.unlink()
    elif damage == "manifest is a list":
        manifest_path.write_text("[]")
    else:
        manifest_path.write_text(json.dumps({**manifest, **edits[damage]}))
    damaged_path = model_path if damage in ("garbage model", "model missing") else manifest_path
    with pytest.warns(RuntimeWarning, match=f"{re.escape(str(damaged_path))}.*damaged.*{reason}") as record:
        again = load_or_train_model(SPEC, tiny_trainer(calls), directory=tmp_path)
    ours = [w for w in record if w.category is RuntimeWarning]
    assert len(ours) == 1, "damage is reported once, not again on the re-check under the lock"
    assert (again.from_cache, again.stored, len(calls)) == (False, True, 2)
    assert load_or_train_model(SPEC, tiny_trainer(calls), directory=tmp_path).from_cache


def test_a_model_file_without_its_manifest_is_a_silent_miss(tmp_path):
    calls = []
    entry = load_or_train_model(SPEC, tiny_trainer(calls), directory=tmp_path)
    (tmp_path / f"{entry.key}.json").unlink()   # a writer died between the two files
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        again = load_or_train_model(SPEC, tiny_trainer(calls), directory=tmp_path)
    assert not again.from_cache and len(calls) == 2


def test_failed_verify_is_damage_and_the_rebuilt_entry_passes_it(tmp_path):
    calls = []
    load_or_train_model(SPEC, tiny_trainer(calls, units=2), directory=tmp_path)
    with pytest.warns(RuntimeWarning, match="verify failed: model has 2 outputs, expected 3"):
        again = load_or_train_model(SPEC, tiny_trainer(calls, units=3), verify=output_units_are(3),
                                    directory=tmp_path)
    assert not again.from_cache and calls == [2, 3]
    hit = load_or_train_model(SPEC, tiny_trainer(calls), verify=output_units_are(3), directory=tmp_path)
    assert hit.from_cache and hit.model.output_shape == (None, 3) and hit.info["units"] == 3


def test_a_verify_that_crashes_is_a_bug_not_damage(tmp_path):
    load_or_train_model(SPEC, tiny_trainer([]), directory=tmp_path)

    def broken_verify(model, info):
        raise KeyError("coding_size")

    with pytest.raises(KeyError, match="coding_size"):
        load_or_train_model(SPEC, tiny_trainer([]), verify=broken_verify, directory=tmp_path)


def test_results_cache_hit_miss_and_damage(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"accuracy": 0.5}

    assert load_or_compute(SPEC, compute, directory=tmp_path) == ({"accuracy": 0.5}, False)
    assert load_or_compute(SPEC, compute, directory=tmp_path) == ({"accuracy": 0.5}, True)
    path = next(tmp_path.glob("*.result.json"))
    path.write_text("{truncated")
    with pytest.warns(RuntimeWarning, match=f"{re.escape(str(path))}.*damaged.*JSONDecodeError"):
        assert load_or_compute(SPEC, compute, directory=tmp_path) == ({"accuracy": 0.5}, False)
    stored = json.loads(path.read_text())
    path.write_text(json.dumps({**stored, "spec": {"kind": "other"}}))
    with pytest.warns(RuntimeWarning, match=f"{re.escape(str(path))}.*stored spec.*other"):
        assert load_or_compute(SPEC, compute, directory=tmp_path) == ({"accuracy": 0.5}, False)
    assert len(calls) == 3 and json.loads(path.read_text())["result"] == {"accuracy": 0.5}


def test_results_verify_failure_recomputes(tmp_path):
    load_or_compute(SPEC, lambda: {"rows": [1, 2]}, directory=tmp_path)

    def three_rows(result):
        if len(result["rows"]) != 3:
            raise ValueError(f"{len(result['rows'])} rows, expected 3")

    with pytest.warns(RuntimeWarning, match="verify failed: 2 rows, expected 3"):
        result = load_or_compute(SPEC, lambda: {"rows": [1, 2, 3]}, verify=three_rows, directory=tmp_path)
    assert result == ({"rows": [1, 2, 3]}, False)
    assert load_or_compute(SPEC, lambda: None, verify=three_rows, directory=tmp_path) == (result[0], True)


def test_numpy_values_are_stored_as_numbers_not_strings(tmp_path):
    load_or_compute(SPEC, lambda: {"acc": np.float32(0.25), "counts": np.arange(3)}, directory=tmp_path)
    assert load_or_compute(SPEC, lambda: None, directory=tmp_path)[0] == {"acc": 0.25, "counts": [0, 1, 2]}


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_get_the_mode_the_umask_allows(tmp_path, umask, mask, mode):
    umask(mask)
    entry = load_or_train_model(SPEC, tiny_trainer([]), directory=tmp_path)
    load_or_compute(SPEC, lambda: 1, directory=tmp_path)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == {f"{entry.key}{suffix}": mode
                     for suffix in (".keras", ".json", ".lock", ".result.json", ".result.lock")}


@pytest.mark.parametrize("problem", ["file", "parent is a file"])
def test_unusable_cache_folder_warns_once_and_still_returns_the_model(tmp_path, monkeypatch, problem):
    (tmp_path / "blocker").write_text("not a folder")
    folder = tmp_path / "blocker" if problem == "file" else tmp_path / "blocker" / "cache"
    monkeypatch.setenv("AE_CACHE_DIR", str(folder))
    calls = []
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")
        first = load_or_train_model(SPEC, tiny_trainer(calls))
        second = load_or_train_model(SPEC, tiny_trainer(calls))
        assert load_or_compute(SPEC, lambda: 7) == (7, False)
    messages = [str(w.message) for w in record if w.category is RuntimeWarning]
    assert len(messages) == 1, messages
    assert str(folder) in messages[0] and "AE_CACHE_DIR" in messages[0]
    assert ("not a folder" if problem == "file" else "Not a directory") in messages[0]
    assert (first.stored, second.stored, first.from_cache, len(calls)) == (False, False, False, 2)
    assert isinstance(first, CachedModel) and first.model.output_shape == (None, 2)


def test_info_that_is_not_a_dict_is_returned_but_not_stored(tmp_path):
    def train():
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]), ["history"]

    with pytest.warns(RuntimeWarning, match="info of type list"):
        entry = load_or_train_model(SPEC, train, directory=tmp_path)
    assert (entry.info, entry.stored) == (["history"], False) and entry_files(tmp_path) == []


class DiskFullModel:
    """Stands in for a model whose save runs out of space half-way."""

    def save(self, path):
        Path(path).write_bytes(b"half a model")
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failed_write_after_training_warns_returns_the_model_and_leaves_no_temp_files(tmp_path):
    model = DiskFullModel()
    with pytest.warns(RuntimeWarning, match=f"{re.escape(str(tmp_path))}.*No space left.*AE_CACHE_DIR"):
        entry = load_or_train_model(SPEC, lambda: (model, {}), directory=tmp_path)
    assert (entry.model, entry.stored, entry.from_cache) == (model, False, False)
    assert entry_files(tmp_path) == []


def test_cache_folder_deleted_during_training_still_returns_the_result(tmp_path):
    folder = tmp_path / "cache"

    def compute():
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
        return {"done": True}

    with pytest.warns(RuntimeWarning, match="Could not store"):
        assert load_or_compute(SPEC, compute, directory=folder) == ({"done": True}, False)


def test_stale_temp_files_of_ours_are_removed_when_writing(tmp_path):
    old, fresh, others = (tmp_path / name for name in (".tmp-old.keras", ".tmp-fresh.keras", ".tmp-x.json"))
    for path in (old, fresh, others):
        path.write_bytes(b"left by a killed process")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(old, (two_hours_ago, two_hours_ago))
    os.utime(others, (two_hours_ago, two_hours_ago))
    if os.geteuid() == 0:
        os.chown(others, 65534, 65534)   # another user's: not ours to delete
    load_or_compute(SPEC, lambda: 1, directory=tmp_path)
    expected = {fresh.name, others.name} if os.geteuid() == 0 else {fresh.name}
    assert {p.name for p in tmp_path.glob(".tmp-*")} == expected


def hold_lock(path):
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


@pytest.mark.parametrize("via", ["argument", "environment"])
def test_lock_timeout_is_a_clear_error_and_nothing_is_built(tmp_path, monkeypatch, via):
    fd = hold_lock(tmp_path / f"{cache_key(SPEC)}.result.lock")   # another "process" is building it
    calls = []
    if via == "environment":
        monkeypatch.setenv("AE_CACHE_LOCK_TIMEOUT", "0.3")
    kwargs = {"lock_timeout": 0.3} if via == "argument" else {}
    try:
        started = time.monotonic()
        with pytest.raises(CacheLockTimeout, match=r"Waited 0\.3 s.*AE_CACHE_LOCK_TIMEOUT.*lock_timeout="):
            load_or_compute(SPEC, lambda: calls.append(1), directory=tmp_path, **kwargs)
        assert 0.3 <= time.monotonic() - started < 5 and calls == []
    finally:
        os.close(fd)


def test_bad_lock_timeout_environment_variable_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("AE_CACHE_LOCK_TIMEOUT", "half an hour")
    with pytest.raises(ValueError, match="AE_CACHE_LOCK_TIMEOUT='half an hour'"):
        load_or_compute(SPEC, lambda: 1, directory=tmp_path)


def test_after_waiting_for_the_lock_an_entry_stored_meanwhile_is_a_hit(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    load_or_compute(SPEC, lambda: "built by the other process", directory=elsewhere)
    folder = tmp_path / "cache"
    folder.mkdir()
    fd = hold_lock(folder / f"{cache_key(SPEC)}.result.lock")

    def other_process_finishes():
        time.sleep(0.5)
        for path in elsewhere.glob("*.result.json"):
            os.replace(path, folder / path.name)
        os.close(fd)

    finisher = threading.Thread(target=other_process_finishes)
    finisher.start()
    try:
        assert load_or_compute(SPEC, lambda: "built twice", directory=folder) == (
            "built by the other process", True)
    finally:
        finisher.join()


def test_cached_result_looks_up_without_lock_write_or_wait(tmp_path):
    from helpers.cache import cached_result

    folder = tmp_path / "cache"
    spec = {"kind": "peek", "n": 1}
    assert cached_result(spec, directory=folder) is None
    assert not folder.exists()                       # a look-up creates nothing, not even the folder
    load_or_compute(spec, lambda: {"value": 7}, directory=folder)
    before = sorted(p.name for p in folder.iterdir())
    lock = next(p for p in folder.iterdir() if p.name.endswith(".lock"))
    with open(lock) as held:                         # another process "is computing" the entry
        fcntl.flock(held, fcntl.LOCK_EX)
        assert cached_result(spec, directory=folder) == {"value": 7}   # served at once anyway
        assert cached_result({"kind": "peek", "n": 2}, directory=folder) is None
    assert sorted(p.name for p in folder.iterdir()) == before


def test_cached_result_reports_a_damaged_or_unverified_entry_as_missing(tmp_path):
    from helpers.cache import cached_result

    spec = {"kind": "peek", "n": 3}
    load_or_compute(spec, lambda: {"value": 1}, directory=tmp_path)

    def refuse(result):
        raise ValueError("not the run asked for")

    with pytest.warns(RuntimeWarning, match="not the run asked for"):
        assert cached_result(spec, verify=refuse, directory=tmp_path) is None


def test_a_process_waiting_for_the_lock_says_why(tmp_path):
    from helpers.cache import CacheLockTimeout

    spec = {"kind": "busy"}
    lock = tmp_path / f"{cache.cache_key(spec)}.result.lock"
    lock.touch()
    with open(lock) as held:                         # another process is computing this entry
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.warns(RuntimeWarning, match="Another process is building this cache entry"), \
                pytest.raises(CacheLockTimeout, match="AE_CACHE_LOCK_TIMEOUT"):
            load_or_compute(spec, lambda: {"value": 1}, directory=tmp_path, lock_timeout=0.5)


def test_shared_layer_serves_hits_and_is_never_written(layers):
    shared, personal = layers
    before, calls = listing(shared), []
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        hit = load_or_train_model(SPEC, tiny_trainer(calls), directory=personal)
        assert load_or_compute(SPEC, lambda: "recomputed", directory=personal) == ({"accuracy": 0.75}, True)
        assert cache.cached_result(SPEC, directory=personal) == {"accuracy": 0.75}
    assert (hit.from_cache, hit.model.output_shape, hit.info["units"], calls) == (True, (None, 4), 4, [])
    assert not personal.exists(), "a hit in the shared layer creates nothing, not even the personal folder"
    missed = load_or_train_model({**SPEC, "seed": 2}, tiny_trainer(calls), directory=personal)
    assert (missed.from_cache, missed.stored, calls) == (False, True, [2])
    assert entry_files(personal) == [f"{missed.key}.json", f"{missed.key}.keras"]
    assert {p.name for p in personal.iterdir()} - set(entry_files(personal)) == {f"{missed.key}.lock"}
    assert listing(shared) == before, "no entry, lock, probe or temp file in the shared layer"


def test_personal_layer_serves_what_the_shared_one_lacks(layers, monkeypatch):
    shared, personal = layers
    other = {**SPEC, "seed": 3}
    load_or_compute(other, lambda: {"accuracy": 0.5}, directory=personal)
    before = listing(shared)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert load_or_compute(other, lambda: "recomputed", directory=personal) == ({"accuracy": 0.5}, True)
        assert cache.cached_result(other, directory=personal) == {"accuracy": 0.5}
    monkeypatch.setenv("AE_CACHE_DIR", str(personal))    # the personal layer from the environment too
    assert load_or_compute(other, lambda: "recomputed") == ({"accuracy": 0.5}, True)
    assert load_or_compute(SPEC, lambda: "recomputed") == ({"accuracy": 0.75}, True)
    assert listing(shared) == before


@pytest.mark.parametrize("kind", ["model", "result"])
def test_a_damaged_shared_entry_is_warned_about_left_alone_and_rebuilt_in_the_personal_layer(layers, kind):
    shared, personal = layers
    key = cache_key(SPEC)
    damaged = shared / (f"{key}.keras" if kind == "model" else f"{key}.result.json")
    damaged.write_bytes(b"tampered")
    before, calls = listing(shared), []
    load = (lambda: load_or_train_model(SPEC, tiny_trainer(calls), directory=personal)) if kind == "model" \
        else (lambda: load_or_compute(SPEC, lambda: calls.append(2) or {"accuracy": 0.5}, directory=personal))
    with pytest.warns(RuntimeWarning) as record:
        built = load()
    messages = [str(w.message) for w in record if w.category is RuntimeWarning]
    assert len(messages) == 1, messages
    for part in (f"Shared cache entry {damaged} is damaged", "left untouched", "AE_SHARED_CACHE_DIR",
                 "AE_CACHE_DIR", str(shared), str(personal)):
        assert part in messages[0], (part, messages[0])
    assert not (built.from_cache if kind == "model" else built[1]) and calls == [2]
    assert listing(shared) == before, "the damaged shared entry is not overwritten"
    rebuilt = f"{key}.json" if kind == "model" else f"{key}.result.json"
    assert rebuilt in entry_files(personal)
    with pytest.warns(RuntimeWarning, match="Shared cache entry .* damaged .*personal copy is used"):
        again = load()   # the shared entry is still damaged; the personal copy is served
    assert calls == [2] and (again.from_cache if kind == "model" else again[1])


def test_cached_result_warns_about_a_damaged_shared_entry_and_falls_back(layers):
    shared, personal = layers
    (shared / f"{cache_key(SPEC)}.result.json").write_text("{truncated")
    with pytest.warns(RuntimeWarning, match="Shared cache entry .*damaged.*JSONDecodeError.*next computed"):
        assert cache.cached_result(SPEC, directory=personal) is None
    assert not personal.exists()


def test_a_shared_layer_that_is_the_personal_folder_is_the_personal_layer(layers):
    shared, _ = layers
    (shared / f"{cache_key(SPEC)}.result.json").write_text("{truncated")
    with pytest.warns(RuntimeWarning, match="rebuilding and overwriting it") as record:
        rebuilt = load_or_compute(SPEC, lambda: {"accuracy": 0.5}, directory=shared)
    assert rebuilt == ({"accuracy": 0.5}, False)
    assert len([w for w in record if w.category is RuntimeWarning]) == 1
    assert load_or_compute(SPEC, lambda: None, directory=shared) == ({"accuracy": 0.5}, True)


def test_a_shared_layer_that_is_not_a_folder_is_named_and_the_personal_one_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv("AE_SHARED_CACHE_DIR", str(tmp_path / "no-such-folder"))
    with pytest.warns(RuntimeWarning, match=f"AE_SHARED_CACHE_DIR names {re.escape(str(tmp_path))}/no-such"
                                            ".*not a folder.*unset AE_SHARED_CACHE_DIR"):
        assert load_or_compute(SPEC, lambda: 5, directory=tmp_path / "mine") == (5, False)
    assert cache.shared_cache_dir() == tmp_path / "no-such-folder"
    monkeypatch.setenv("AE_SHARED_CACHE_DIR", " ")
    assert cache.shared_cache_dir() is None


def test_every_cache_message_names_both_layers_and_their_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("AE_SHARED_CACHE_DIR", str(tmp_path))
    (tmp_path / "blocker").write_text("not a folder")
    with pytest.warns(RuntimeWarning) as record:
        load_or_compute(SPEC, lambda: 1, directory=tmp_path / "blocker")
    monkeypatch.setenv("AE_CACHE_LOCK_TIMEOUT", "soon")
    with pytest.raises(ValueError) as bad_timeout:
        load_or_compute(SPEC, lambda: 1, directory=tmp_path / "mine")
    for message in (str(record[0].message), str(bad_timeout.value)):
        assert re.search(f"shared, read-only {re.escape(str(tmp_path))} \\(AE_SHARED_CACHE_DIR\\); personal, "
                         "writable .* \\(AE_CACHE_DIR or directory=\\)", message), message
