"""Cache trained models and computed results on disk, so each is built once and never served wrong.

Two layers: hits come first from the read-only shared layer ``$AE_SHARED_CACHE_DIR`` (one folder, that
an instructor pre-warms with ``make cache``), then from the personal writable one: ``directory=``, else
``$AE_CACHE_DIR``, else ``~/.cache/stacked-ae-notebooks``. All writing (entries, locks, probes, temp
files) is in the personal layer; the shared one is only read (if both are one folder, it is personal).

Guarantees: (1) A hit is what was asked for: its stored spec, library versions and ``FORMAT_VERSION``
equal the request, a model's ``info`` is a dict, its ``<key>.keras`` matches the SHA-256 in the
manifest ``<key>.json`` (written last) and the caller's ``verify`` passes. Anything else is damage:
a ``RuntimeWarning`` names the path and reason, and the entry is rebuilt into the personal layer (a
damaged shared entry is left as it is). (2) An entry this user may not read is left alone:
``CachePermissionError`` says whose it is and how to fix that. (3) No work is lost: the personal
folder is probed before building; if it, or storing, fails, a warning says so and the value is
returned uncached (``CachedModel.stored`` False). (4) Files appear whole, with mode 0o666 minus the
umask (``helpers.cache_files``). (5) Concurrent misses of one entry build it once: they take turns on
``fcntl.flock`` of ``<key>.lock`` (up to ``AE_CACHE_LOCK_TIMEOUT`` s, default 1800). Every warning and
error names both layers and their variables.
"""

import contextlib
import dataclasses
import fcntl
import hashlib
import importlib
import json
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers.cache_files import (
    atomic_write,
    open_lock_file,
    owner_of,
    remove_stale_temp_files,
    unwritable_reason,
)

ENV_VAR = "AE_CACHE_DIR"
SHARED_ENV_VAR = "AE_SHARED_CACHE_DIR"
LOCK_TIMEOUT_ENV_VAR = "AE_CACHE_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 30 * 60.0   # seconds to wait for another process building the same entry
FORMAT_VERSION = 3                 # bump when training code changes what a cached entry holds


class CachePermissionError(PermissionError):
    """A cache entry exists but this user may not read it (it is left untouched)."""


class CacheLockTimeout(TimeoutError):
    """Another process held an entry's lock for longer than the lock timeout."""


class _Damage(Exception):
    """An entry is present but unreadable or not what was requested: ``args`` are (path, reason)."""


@dataclasses.dataclass
class CachedModel:
    model: Any
    info: dict          # whatever the trainer returned (history, timings, ...)
    key: str
    from_cache: bool
    stored: bool = True  # False when the model could not be written to the cache (warned)


def cache_dir() -> Path:
    """The writable cache folder (not created here: creating it is part of the pre-training probe)."""
    return Path(os.environ.get(ENV_VAR) or "~/.cache/stacked-ae-notebooks").expanduser()


def shared_cache_dir() -> Path | None:
    """The read-only shared folder named by ``$AE_SHARED_CACHE_DIR`` (one path, not a list), or None."""
    text = os.environ.get(SHARED_ENV_VAR, "").strip()
    return Path(text).expanduser() if text else None


def _layers(folder: Path | None = None) -> str:
    """The sentence every cache message ends with: which folders are the two layers, set by what."""
    shared = shared_cache_dir()
    return (f"[Cache layers: shared, read-only {shared or '(none)'} ({SHARED_ENV_VAR}); personal, "
            f"writable {folder or cache_dir()} ({ENV_VAR} or directory=).]")


def _read_layers(folder: Path) -> tuple[Path, ...]:
    """Folders searched for a hit, in order: the shared layer (unless unset or ``folder``), ``folder``."""
    shared = shared_cache_dir()
    if shared is None or os.path.realpath(shared) == os.path.realpath(folder):
        return (folder,)
    if not os.path.isdir(shared):
        _warn(f"{SHARED_ENV_VAR} names {shared}, which is not a folder this user can reach, so no "
              f"shared entry is served. Fix the path, or unset {SHARED_ENV_VAR}. {_layers(folder)}")
    return (shared, folder)


def library_versions() -> dict:
    return {name: importlib.import_module(name).__version__ for name in ("tensorflow", "keras", "numpy")}


def _to_json(value) -> str:
    """JSON text of ``value``; numpy scalars and arrays become numbers and lists, not strings."""
    return json.dumps(value, sort_keys=True, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v))


def _request(spec: dict) -> dict:
    """What a stored entry must say it holds: the spec as JSON would store it, versions and format."""
    return {"format": FORMAT_VERSION, "spec": json.loads(_to_json(spec)), "versions": library_versions()}


def cache_key(spec: dict) -> str:
    """Stable hex key for ``spec`` (JSON-serialisable) plus library versions and ``FORMAT_VERSION``."""
    return hashlib.sha256(_to_json(_request(spec)).encode()).hexdigest()[:24]


def _lock_timeout(seconds: float | None) -> float:
    text = os.environ.get(LOCK_TIMEOUT_ENV_VAR, "").strip()
    try:
        return float(seconds if seconds is not None else text or DEFAULT_LOCK_TIMEOUT)
    except ValueError:
        raise ValueError(f"{LOCK_TIMEOUT_ENV_VAR}={text!r} is not a number of seconds; "
                         f"set it to e.g. {DEFAULT_LOCK_TIMEOUT:.0f} or unset it. {_layers()}") from None


def _warn(message: str) -> None:
    warnings.warn(message, RuntimeWarning, stacklevel=2)   # same text, same line: shown once


def _permission_error(path: Path) -> CachePermissionError:
    """Whose file ``path`` (or the first ancestor we can stat) is, and how to get access."""
    candidate, status, owner = owner_of(path)
    access = "a+rx" if candidate.is_dir() else "a+r"
    return CachePermissionError(
        f"Cannot read the cache entry {path}: permission denied. {candidate} belongs to user "
        f"{owner} (uid {status.st_uid}, mode {status.st_mode & 0o7777:o}); it is left untouched. "
        f"Ask {owner} to run `chmod {access} {candidate}`, or point {ENV_VAR} (or, for the shared "
        f"layer, {SHARED_ENV_VAR}) at another folder. {_layers()}")


@contextlib.contextmanager
def _reading(path: Path):
    """Failures while reading ``path`` are damage, except a permission problem (never damage)."""
    try:
        yield
    except (_Damage, CachePermissionError):
        raise
    except PermissionError as err:
        raise _permission_error(Path(err.filename or path)) from err
    except Exception as err:
        raise _Damage(path, f"{type(err).__name__}: {str(err)[:300]}") from err


def _read_entry(path: Path, request: dict) -> dict | None:
    """The JSON object in ``path`` if it holds what ``request`` asks for; None if there is no file."""
    try:
        stored = json.loads(path.read_text())
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not isinstance(stored, dict):
        raise ValueError(f"expected a JSON object, found {type(stored).__name__}")
    for field, wanted in request.items():
        if stored.get(field) != wanted:
            raise ValueError(f"stored {field} {stored.get(field)!r:.300} differs from the requested "
                             f"{wanted!r:.300}")
    return stored


def _verified(verify: Callable | None, path: Path, *value) -> None:
    """Run the caller's check; its ``ValueError`` is damage, any other error is a bug and propagates."""
    if verify is not None:
        try:
            verify(*value)
        except ValueError as err:
            raise _Damage(path, f"verify failed: {err}") from err


def _lookup_model(folder: Path, key: str, request: dict, verify: Callable | None):
    """(model, info) stored under ``key`` in ``folder``; None on a miss; raises on damage."""
    import keras

    model_path, manifest_path = folder / f"{key}.keras", folder / f"{key}.json"
    with _reading(manifest_path):
        manifest = _read_entry(manifest_path, request)   # written last: without it there is no entry
        if manifest is None:
            return None
        info = manifest.get("info")
        if not isinstance(info, dict):
            raise ValueError(f"info is {type(info).__name__}, not a dict")
    with _reading(model_path):
        with open(model_path, "rb") as file:
            digest, inode = hashlib.sha256(file.read()).hexdigest(), os.fstat(file.fileno()).st_ino
        if digest != manifest.get("model_sha256"):
            raise ValueError(f"SHA-256 {digest} differs from the manifest's {manifest.get('model_sha256')}")
        model = keras.models.load_model(model_path)
        if os.stat(model_path).st_ino != inode:
            raise ValueError("the file was replaced while it was being loaded")
    _verified(verify, model_path, model, info)
    return model, info


def _lookup_result(folder: Path, key: str, request: dict, verify: Callable | None):
    """(result,) stored under ``key`` in ``folder``; None on a miss; raises on damage."""
    path = folder / f"{key}.result.json"
    with _reading(path):
        stored = _read_entry(path, request)
        if stored is None:
            return None
        result = stored["result"]
    _verified(verify, path, result)
    return (result,)


def _first_hit(folder: Path, lookup: Callable[[Path], Any], warn: bool, when: str = "now"):
    """(value, damaged) from the first layer that has it; damage is warned about (rebuilt ``when``)."""
    damaged = False
    for layer in _read_layers(folder):
        try:
            value = lookup(layer)
            if value is not None:
                return value, damaged
        except _Damage as damage:
            damaged = True
            path, reason = damage.args
            if not warn:
                continue
            if layer != folder:
                _warn(f"Shared cache entry {path} is damaged ({reason}); it is left untouched (the shared "
                      f"layer is never written); a personal copy is used or built {when}. "
                      f"{_layers(folder)}")
            else:
                fix = "rebuilding and overwriting it" if when == "now" else f"it will be rebuilt {when}"
                _warn(f"Cache entry {path} is damaged ({reason}); {fix}. {_layers(folder)}")
    return None, damaged


@contextlib.contextmanager
def _key_lock(path: Path, timeout: float):
    """Hold an exclusive ``flock`` on ``path`` (closing the descriptor, or dying, releases it)."""
    try:
        fd = open_lock_file(path)
    except OSError as err:
        fd = None
        _warn(f"Cannot open the lock file {path} ({err.strerror or err}); building without the lock, "
              f"so another process may build the same entry at the same time. {_layers(path.parent)}")
    try:
        deadline, told = time.monotonic() + timeout, False
        while fd is not None:
            with contextlib.suppress(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            if not told:   # say why the cell seems to hang
                _warn(f"Another process is building this cache entry ({path}); waiting for it (up to "
                      f"{timeout:g} s, {LOCK_TIMEOUT_ENV_VAR}) rather than building it a second time. "
                      f"{_layers(path.parent)}")
                told = True
            if time.monotonic() >= deadline:
                raise CacheLockTimeout(
                    f"Waited {timeout:g} s for the lock {path}: another process is still building this "
                    f"cache entry. Let it finish, or wait longer: set {LOCK_TIMEOUT_ENV_VAR} (seconds) or "
                    f"pass lock_timeout=. {_layers(path.parent)}")
            time.sleep(0.2)
        yield
    finally:
        if fd is not None:
            os.close(fd)


def _serve_or_build(folder: Path, lock_name: str, lookup, build, store, lock_timeout) -> tuple:
    """The sequence both public functions share: hit, else probe, lock, re-check, build, store.

    ``lookup(folder)`` returns the stored value or None; ``build()`` makes it; ``store(value)`` writes
    it. Returns (value, from_cache, stored).
    """
    value, damaged = _first_hit(folder, lookup, warn=True)
    if value is not None:
        return value, True, True
    problem = unwritable_reason(folder)
    if problem:
        _warn(f"The cache folder {folder} cannot be written ({problem}), so what is built now is not "
              f"cached and will be rebuilt next time. Set {ENV_VAR} to a writable folder, or fix this one "
              f"({SHARED_ENV_VAR} is only read). {_layers(folder)}")
        return build(), False, False
    with _key_lock(folder / lock_name, _lock_timeout(lock_timeout)):
        value, _ = _first_hit(folder, lookup, warn=not damaged)   # another process may have stored it
        if value is not None:
            return value, True, True
        value = build()
        try:
            remove_stale_temp_files(folder)
            store(value)
        except Exception as err:
            _warn(f"Could not store a cache entry in {folder} ({type(err).__name__}: {err}); it is "
                  f"returned uncached. Free some space, or set {ENV_VAR} to a writable folder. "
                  f"{_layers(folder)}")
            return value, False, False
    return value, False, True


def load_or_train_model(spec: dict, train: Callable[[], tuple[Any, dict]], *,
                        verify: Callable[[Any, dict], None] | None = None, directory=None,
                        lock_timeout: float | None = None) -> CachedModel:
    """The cached model for ``spec``, else ``train()`` -> (model, info), stored and returned.

    ``verify(model, info)`` may raise ``ValueError("reason")`` when a hit does not fit the request
    (coding size, tied flag, parameter count, ...): the entry is then treated as damaged.
    """
    folder = Path(directory) if directory else cache_dir()
    key, request = cache_key(spec), _request(spec)

    def store(trained):
        model, info = trained
        if not isinstance(info, dict):
            raise TypeError(f"train() returned info of type {type(info).__name__}; it must be a dict")
        digest = atomic_write(folder / f"{key}.keras", model.save)
        manifest = {**request, "info": info, "model_file": f"{key}.keras", "model_sha256": digest}
        atomic_write(folder / f"{key}.json", lambda path: path.write_text(_to_json(manifest)))

    (model, info), from_cache, stored = _serve_or_build(
        folder, f"{key}.lock", lambda layer: _lookup_model(layer, key, request, verify), train, store,
        lock_timeout)
    return CachedModel(model, info, key, from_cache=from_cache, stored=stored)


def load_or_compute(spec: dict, compute: Callable[[], Any], *, verify: Callable[[Any], None] | None = None,
                    directory=None, lock_timeout: float | None = None) -> tuple[Any, bool]:
    """JSON results cached like models: returns (result, from_cache); ``verify(result)`` as above."""
    folder = Path(directory) if directory else cache_dir()
    key, request = cache_key(spec), _request(spec)

    def store(computed):
        entry = {**request, "result": computed[0]}
        atomic_write(folder / f"{key}.result.json", lambda path: path.write_text(_to_json(entry)))

    (result,), from_cache, _ = _serve_or_build(
        folder, f"{key}.result.lock", lambda layer: _lookup_result(layer, key, request, verify),
        lambda: (compute(),), store, lock_timeout)
    return result, from_cache


def cached_result(spec: dict, *, verify: Callable[[Any], None] | None = None, directory=None):
    """The stored result for ``spec`` if there is a good one, else None: a look-up only.

    It takes no lock, writes nothing and never waits, so asking "is this cached?" (an explorer
    redrawing) cannot block behind another process that is computing the entry. Both layers are
    searched; a damaged entry is warned about and skipped; the next ``load_or_compute`` rebuilds it.
    """
    folder = Path(directory) if directory else cache_dir()
    key, request = cache_key(spec), _request(spec)
    hit, _ = _first_hit(folder, lambda layer: _lookup_result(layer, key, request, verify), warn=True,
                        when="when it is next computed")
    return None if hit is None else hit[0]

