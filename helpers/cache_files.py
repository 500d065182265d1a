"""Write files into a folder several users share: whole, with the umask's mode, never another user's.

The file-system side of ``helpers.cache`` (and of ``helpers.cache_archive``), which knows nothing
about cache entries: probing a folder before expensive work, writing a file atomically (temp file +
``os.replace``, optionally refused before it appears if its SHA-256 is not the expected one),
removing our own temp files left by dead processes, opening a lock file that may be another user's,
and naming the owner of a file we may not read.
"""

import contextlib
import hashlib
import os
import pwd
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STALE_TEMP_SECONDS = 60 * 60   # a temp file this old belongs to a process that died while writing
TEMP_PREFIX = ".tmp-"          # hidden, and never a cache entry's name


def new_temp_file(folder: Path, suffix: str) -> tuple[Path, int]:
    """A fresh hidden temp file in ``folder`` and its mode: 0o666 minus the umask (and default ACL)."""
    path = Path(folder) / f"{TEMP_PREFIX}{secrets.token_hex(8)}{suffix}"   # 64 random bits: no clash
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    mode = os.fstat(fd).st_mode & 0o777
    os.close(fd)
    return path, mode


def unwritable_reason(folder: Path) -> str | None:
    """Why ``folder`` cannot hold new files (None if it can): create it, write and remove a probe."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe, _ = new_temp_file(folder, ".probe")
        try:
            probe.write_bytes(b"probe")
        finally:
            probe.unlink()
    except FileExistsError:
        return "it exists but is not a folder"
    except OSError as err:
        outside = err.filename and not Path(err.filename).is_relative_to(folder)
        where = f" ({err.filename})" if outside else ""   # e.g. the parent that could not be created
        return f"{err.strerror or err}{where}"
    return None


def sha256_of_stream(file) -> str:
    """Hex SHA-256 of the rest of the binary ``file``, read in 1 MiB blocks (models can be large)."""
    digest = hashlib.sha256()
    while block := file.read(1 << 20):
        digest.update(block)
    return digest.hexdigest()


def sha256_of_file(path: Path) -> str:
    with open(path, "rb") as file:
        return sha256_of_stream(file)


def atomic_write(path: Path, write: Callable[[Path], Any], expected_sha256: str | None = None) -> str:
    """Write ``path`` via a temp file and ``os.replace``; returns the SHA-256 of what was written.

    With ``expected_sha256``, content with another hash raises ``ValueError`` and never appears.
    """
    path = Path(path)
    tmp, mode = new_temp_file(path.parent, path.suffix)
    try:
        write(tmp)
        os.chmod(tmp, mode)   # in case ``write`` recreated the file with a narrower mode
        digest = sha256_of_file(tmp)
        if expected_sha256 is not None and digest != expected_sha256:
            raise ValueError(f"SHA-256 {digest} differs from the expected {expected_sha256}")
        os.replace(tmp, path)
        return digest
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def remove_stale_temp_files(folder: Path, older_than: float = STALE_TEMP_SECONDS) -> None:
    """Remove our own temp files left by processes that died while writing (others' are not ours)."""
    for path in Path(folder).glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            status = path.lstat()
            if status.st_uid == os.geteuid() and time.time() - status.st_mtime > older_than:
                path.unlink()


def open_lock_file(path: Path) -> int:
    """A read-only descriptor of ``path`` for ``flock``, creating the file if missing (``OSError`` if
    impossible). Not ``O_CREAT`` first: ``fs.protected_regular`` refuses that on another user's file in
    a sticky folder, though opening it read-only is allowed."""
    while True:
        with contextlib.suppress(FileNotFoundError):
            return os.open(path, os.O_RDONLY)
        with contextlib.suppress(FileExistsError):
            return os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o666)


def owner_of(path: Path) -> tuple[Path, os.stat_result, str]:
    """(``path`` or its first ancestor we can stat, its status, its owner's user name or "?")."""
    for candidate in (Path(path), *Path(path).parents):
        with contextlib.suppress(OSError):
            status, owner = candidate.stat(), "?"
            break
    with contextlib.suppress(KeyError):
        owner = pwd.getpwuid(status.st_uid).pw_name
    return candidate, status, owner
