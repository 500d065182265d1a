"""helpers.cache_files: temp files, probes, whole writes, stale temp files, lock files, owners."""

import io
import os
import pwd
import time

import pytest

from helpers import cache_files

HELLO_SHA256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"   # sha256(b"hello")


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_new_temp_file_is_hidden_fresh_and_gets_the_umask_mode(tmp_path, umask_022):
    first, mode = cache_files.new_temp_file(tmp_path, ".keras")
    second, _ = cache_files.new_temp_file(tmp_path, ".keras")
    assert first != second and first.name.startswith(".tmp-") and first.suffix == ".keras"
    assert mode == 0o644 and first.stat().st_size == 0


def test_unwritable_reason_creates_the_folder_and_leaves_no_probe(tmp_path):
    folder = tmp_path / "a" / "b"
    assert cache_files.unwritable_reason(folder) is None and os.listdir(folder) == []
    (tmp_path / "file").write_text("x")
    assert cache_files.unwritable_reason(tmp_path / "file") == "it exists but is not a folder"
    assert cache_files.unwritable_reason(tmp_path / "file" / "sub") == "Not a directory"


def test_sha256_of_file_and_of_the_rest_of_a_stream_are_the_known_digests(tmp_path):
    (tmp_path / "hello").write_bytes(b"hello")
    assert cache_files.sha256_of_file(tmp_path / "hello") == HELLO_SHA256
    stream = io.BytesIO(b"say hello")
    stream.seek(4)
    assert cache_files.sha256_of_stream(stream) == HELLO_SHA256


def test_atomic_write_returns_the_digest_and_refuses_unexpected_content(tmp_path, umask_022):
    target = tmp_path / "entry.json"
    assert cache_files.atomic_write(target, lambda path: path.write_bytes(b"hello")) == HELLO_SHA256
    assert target.read_bytes() == b"hello" and target.stat().st_mode & 0o777 == 0o644
    with pytest.raises(ValueError, match=f"SHA-256 {HELLO_SHA256} differs from the expected 00"):
        cache_files.atomic_write(tmp_path / "other.json", lambda path: path.write_bytes(b"hello"), "00")
    assert sorted(os.listdir(tmp_path)) == ["entry.json"], "refused content never appears; no temp file"
    cache_files.atomic_write(target, lambda path: path.write_bytes(b"hello"), HELLO_SHA256)


def test_remove_stale_temp_files_removes_only_old_ones(tmp_path):
    old, fresh, entry = tmp_path / ".tmp-old.keras", tmp_path / ".tmp-new.keras", tmp_path / "old.keras"
    for path in (old, fresh, entry):
        path.write_bytes(b"x")
    for path in (old, entry):
        os.utime(path, (time.time() - 7200, time.time() - 7200))
    cache_files.remove_stale_temp_files(tmp_path)
    assert sorted(os.listdir(tmp_path)) == [".tmp-new.keras", "old.keras"]
    cache_files.remove_stale_temp_files(tmp_path, older_than=-1)
    assert sorted(os.listdir(tmp_path)) == ["old.keras"]


def test_open_lock_file_creates_or_opens_read_only(tmp_path):
    path = tmp_path / "entry.lock"
    fd = cache_files.open_lock_file(path)
    again = cache_files.open_lock_file(path)
    try:
        assert path.exists() and os.read(fd, 1) == b""
        with pytest.raises(OSError):
            os.write(again, b"x")
    finally:
        os.close(fd)
        os.close(again)
    with pytest.raises(OSError):
        cache_files.open_lock_file(tmp_path / "missing-folder" / "entry.lock")


def test_owner_of_names_the_first_ancestor_that_exists(tmp_path):
    folder, status, owner = cache_files.owner_of(tmp_path / "missing" / "file")
    assert folder == tmp_path and status.st_uid == os.geteuid()
    assert owner == pwd.getpwuid(os.geteuid()).pw_name
