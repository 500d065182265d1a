"""helpers.cache_archive with tiny Keras models: export and import round trip, and every refusal."""

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import keras
import numpy as np
import pytest

from helpers.cache import cache_key, load_or_compute, load_or_train_model
from helpers.cache_archive import SUMS_NAME, cache_entries, export_archive, import_archive

SPEC, OTHER_SPEC = {"kind": "archive-test", "seed": 1}, {"kind": "archive-test", "seed": 2}
MODEL, OTHER_MODEL = f"{cache_key(SPEC)}.json", f"{cache_key(OTHER_SPEC)}.json"
RESULT = f"{cache_key(SPEC)}.result.json"


@pytest.fixture(autouse=True)
def no_shared_layer(monkeypatch):
    monkeypatch.delenv("AE_SHARED_CACHE_DIR", raising=False)


def tiny_train(units=2):
    def train():
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(units)]), {"units": units}
    return train


def must_not_train():
    raise AssertionError("the imported entry should have been a hit")


@pytest.fixture
def source(tmp_path):
    """A cache folder with two models and a result, plus a lock and a temp file (not entries)."""
    folder = tmp_path / "source"
    load_or_train_model(SPEC, tiny_train(2), directory=folder)
    load_or_train_model(OTHER_SPEC, tiny_train(3), directory=folder)
    load_or_compute(SPEC, lambda: {"accuracy": 0.75}, directory=folder)
    (folder / ".tmp-0123.keras").write_bytes(b"half written")
    return folder


def members(archive):
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}


def write_tar(path, files, links=()):
    """A .tar.gz with ``files`` (name -> bytes) and symbolic ``links`` (name, target)."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return path


def sums_of(files):
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files.items()).encode()


def test_cache_entries_lists_complete_entries_only(source):
    (source / "0123456789abcdef01234567.keras").write_bytes(b"a model whose manifest was never written")
    (source / "notes.txt").write_text("not an entry")
    key, other = cache_key(SPEC), cache_key(OTHER_SPEC)
    assert cache_entries(source) == {MODEL: (f"{key}.keras", MODEL), RESULT: (RESULT,),
                                     OTHER_MODEL: (f"{other}.keras", OTHER_MODEL)}
    assert cache_entries(source / "missing") == {}


def test_export_then_import_round_trip_serves_the_same_models(source, tmp_path):
    archive = tmp_path / "artifacts" / "cache.tar.gz"
    exported = export_archive(source, archive)
    assert sorted(exported.added) == sorted([MODEL, OTHER_MODEL, RESULT]) and exported.skipped == {}
    files = members(archive)
    entry_files = sorted(name for entry in cache_entries(source).values() for name in entry)
    assert sorted(files) == sorted([*entry_files, SUMS_NAME])
    assert exported.bytes == sum((source / name).stat().st_size for name in entry_files)
    sums = dict(reversed(line.split("  ")) for line in files[SUMS_NAME].decode().splitlines())
    assert sums == {name: hashlib.sha256((source / name).read_bytes()).hexdigest() for name in entry_files}

    target = tmp_path / "target"
    imported = import_archive(archive, target)
    assert sorted(imported.added) == sorted(exported.added) and imported.skipped == {}
    assert imported.bytes == exported.bytes
    assert sorted(os.listdir(target)) == entry_files, "no temp files, locks or SHA256SUMS left behind"
    for name in entry_files:
        assert (target / name).read_bytes() == (source / name).read_bytes()
    hit = load_or_train_model(OTHER_SPEC, must_not_train, directory=target)
    x = np.ones((1, 3), "float32")
    assert hit.from_cache and hit.info == {"units": 3} and hit.model(x).shape == (1, 3)
    assert load_or_compute(SPEC, must_not_train, directory=target) == ({"accuracy": 0.75}, True)


def test_export_leaves_out_a_damaged_entry_with_the_reason(source, tmp_path):
    (source / f"{cache_key(SPEC)}.keras").write_bytes(b"bit rot")
    report = export_archive(source, tmp_path / "cache.tar.gz")
    assert sorted(report.added) == sorted([OTHER_MODEL, RESULT])
    assert list(report.skipped) == [MODEL] and report.skipped[MODEL].startswith("damaged: the manifest names")
    assert f"{cache_key(SPEC)}.keras" not in members(tmp_path / "cache.tar.gz")


def test_export_of_a_missing_folder_says_which_and_how_to_fix_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"no cache folder {tmp_path}/nothing.*CACHE_DIR"):
        export_archive(tmp_path / "nothing", tmp_path / "cache.tar.gz")
    assert not (tmp_path / "cache.tar.gz").exists()


def test_a_tampered_file_is_skipped_with_the_reason_and_the_rest_is_added(source, tmp_path):
    files = members(export_archive(source, tmp_path / "good.tar.gz") and tmp_path / "good.tar.gz")
    model_file = f"{cache_key(SPEC)}.keras"
    files[model_file] = files[model_file][:-1] + bytes([files[model_file][-1] ^ 1])   # one bit flipped
    report = import_archive(write_tar(tmp_path / "tampered.tar.gz", files), tmp_path / "target")
    assert sorted(report.added) == sorted([OTHER_MODEL, RESULT])
    assert report.skipped[MODEL].startswith("damaged: SHA-256") and SUMS_NAME in report.skipped[MODEL]
    names = os.listdir(tmp_path / "target")
    assert model_file not in names and MODEL not in names and not [n for n in names if n.startswith(".tmp-")]


def test_a_manifest_that_does_not_match_its_model_is_damaged_even_with_matching_sums(source, tmp_path):
    export_archive(source, tmp_path / "good.tar.gz")
    files = members(tmp_path / "good.tar.gz")
    manifest = json.loads(files[MODEL])
    files[MODEL] = json.dumps({**manifest, "model_sha256": "0" * 64}).encode()
    files[RESULT] = b"{truncated"
    del files[SUMS_NAME]
    files[SUMS_NAME] = sums_of(files)          # re-hashed, so only the cross-check can catch it
    report = import_archive(write_tar(tmp_path / "forged.tar.gz", files), tmp_path / "target")
    assert report.added == [OTHER_MODEL]
    assert report.skipped[MODEL].startswith("damaged: the manifest names") and "0000" in report.skipped[MODEL]
    assert report.skipped[RESULT].startswith(f"damaged: {RESULT} is not JSON")


def test_path_traversal_absolute_paths_and_links_are_refused(tmp_path):
    key = "0" * 24
    files = {f"../{key}.result.json": b"{}", f"/tmp/{key}.json": b"{}", f"sub/{key}.result.json": b"{}"}
    files[SUMS_NAME] = sums_of(files)
    archive = write_tar(tmp_path / "evil.tar.gz", files,
                        links=[(f"{'1' * 24}.result.json", "/etc/passwd"), (f"{'2' * 24}.keras", "x.keras")])
    target = tmp_path / "deep" / "target"
    report = import_archive(archive, target)
    assert report.added == []
    for name in (f"../{key}.result.json", f"/tmp/{key}.json", f"{'1' * 24}.result.json"):
        assert report.skipped[name].startswith("path traversal attempt"), (name, report.skipped)
    assert report.skipped[f"sub/{key}.result.json"].startswith("unknown format")
    assert report.skipped[f"{'2' * 24}.keras"].startswith("unknown format: ") and "link" in report.skipped[
        f"{'2' * 24}.keras"]
    assert os.listdir(target) == [] and not (tmp_path / "deep" / f"{key}.result.json").exists()
    assert not Path(f"/tmp/{key}.json").exists()


def test_an_entry_already_present_is_skipped_and_left_as_it_is(source, tmp_path):
    archive, target = tmp_path / "cache.tar.gz", tmp_path / "target"
    export_archive(source, archive)
    import_archive(archive, target)
    (target / RESULT).write_text("an entry the cache will check itself")
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in target.iterdir()}
    again = import_archive(archive, target)
    assert again.added == [] and again.bytes == 0
    assert set(again.skipped) == {MODEL, OTHER_MODEL, RESULT}
    assert all(reason.startswith("already present") for reason in again.skipped.values())
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in target.iterdir()} == before


def test_entries_of_another_cache_format_and_stray_files_are_unknown_format(source, tmp_path):
    export_archive(source, tmp_path / "good.tar.gz")
    files = members(tmp_path / "good.tar.gz")
    files[RESULT] = json.dumps({**json.loads(files[RESULT]), "format": 2}).encode()
    files["README.txt"] = b"hello"
    del files[SUMS_NAME]
    files[SUMS_NAME] = sums_of(files)
    report = import_archive(write_tar(tmp_path / "old.tar.gz", files), tmp_path / "target")
    assert sorted(report.added) == sorted([MODEL, OTHER_MODEL])
    assert report.skipped[RESULT] == "unknown format: cache format 2; this version reads 3"
    assert report.skipped["README.txt"].startswith("unknown format")


def test_a_file_missing_from_the_archive_or_from_its_sums_is_damage(source, tmp_path):
    export_archive(source, tmp_path / "good.tar.gz")
    files = members(tmp_path / "good.tar.gz")
    del files[f"{cache_key(SPEC)}.keras"]
    sums = files.pop(SUMS_NAME).decode().splitlines()
    files[SUMS_NAME] = "".join(f"{line}\n" for line in sums if not line.endswith(RESULT)).encode()
    report = import_archive(write_tar(tmp_path / "partial.tar.gz", files), tmp_path / "target")
    assert report.added == [OTHER_MODEL]
    assert report.skipped[MODEL] == f"damaged: {cache_key(SPEC)}.keras is missing from the archive"
    assert report.skipped[RESULT] == f"damaged: {RESULT} is not listed in {SUMS_NAME}"


@pytest.mark.parametrize("problem, message", [
    ("not a tar", "is not a cache archive"), ("no sums", "has no SHA256SUMS"),
    ("truncated", "is damaged"), ("bad sums line", "is not `<sha256>  <file>`"),
])
def test_an_archive_that_cannot_be_verified_at_all_is_one_clear_error(source, tmp_path, problem, message):
    archive = tmp_path / "cache.tar.gz"
    export_archive(source, archive)
    if problem == "not a tar":
        archive.write_bytes(b"hello")
    elif problem == "no sums":
        write_tar(archive, {RESULT: (source / RESULT).read_bytes()})
    elif problem == "truncated":
        archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    else:
        write_tar(archive, {SUMS_NAME: b"not a checksum line\n"})
    with pytest.raises(ValueError, match=message):
        import_archive(archive, tmp_path / "target")


def test_import_into_a_folder_that_cannot_be_written_names_the_option(source, tmp_path):
    export_archive(source, tmp_path / "cache.tar.gz")
    (tmp_path / "blocker").write_text("a file, not a folder")
    with pytest.raises(OSError, match=r"Cannot import into .*blocker.*--into.*AE_CACHE_DIR"):
        import_archive(tmp_path / "cache.tar.gz", tmp_path / "blocker")
