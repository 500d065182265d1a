"""On-disk cache of trained models and computed results.

An entry's key is a SHA-256 over everything that determines it (architecture, recipe,
seed, profile, data checksum) plus the library versions, so a change to any of them
is a miss, never a stale hit. Writes are atomic (temp file + ``os.replace``), and a
corrupt entry is rebuilt with a warning rather than crashing the notebook.

Location: ``$AE_CACHE_DIR`` if set, else ``~/.cache/stacked-ae-notebooks``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable

ENV_VAR = "AE_CACHE_DIR"
FORMAT_VERSION = 2  # bump when training code changes what a cached entry holds


def cache_dir() -> Path:
    path = Path(os.environ.get(ENV_VAR) or "~/.cache/stacked-ae-notebooks").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def library_versions() -> dict:
    import keras
    import numpy
    import tensorflow

    return {"tensorflow": tensorflow.__version__, "keras": keras.__version__, "numpy": numpy.__version__}


def cache_key(spec: dict) -> str:
    """Stable hex key for ``spec`` (must be JSON-serialisable) plus library versions."""
    payload = {"spec": spec, "versions": library_versions(), "format": FORMAT_VERSION}
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_json(path: Path, obj) -> None:
    _atomic_write(path, lambda p: p.write_text(json.dumps(obj, indent=1, default=str)))


@dataclasses.dataclass
class CachedModel:
    model: Any
    info: dict          # whatever the trainer returned (history, timings, ...)
    key: str
    from_cache: bool


def load_or_train_model(spec: dict, train: Callable[[], tuple[Any, dict]], directory=None) -> CachedModel:
    """Return the cached model for ``spec``, or call ``train()`` -> (model, info) and store it.

    The ``.keras`` file is written first and the ``.json`` last, so an entry only counts
    once both are complete.
    """
    import keras

    directory = Path(directory) if directory else cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    key = cache_key(spec)
    model_path, info_path = directory / f"{key}.keras", directory / f"{key}.json"
    if model_path.exists() and info_path.exists():
        try:
            info = json.loads(info_path.read_text())["info"]
            model = keras.models.load_model(model_path)
            return CachedModel(model, info, key, from_cache=True)
        except Exception as err:  # any damage: rebuild, but tell the reader
            warnings.warn(f"Cache entry {model_path.name} is unreadable ({type(err).__name__}: "
                          f"{str(err)[:200]}); retraining it.", RuntimeWarning, stacklevel=2)
    model, info = train()
    _atomic_write(model_path, lambda p: model.save(p))
    _write_json(info_path, {"spec": spec, "versions": library_versions(), "info": info})
    return CachedModel(model, info, key, from_cache=False)


def load_or_compute(spec: dict, compute: Callable[[], dict], directory=None) -> tuple[dict, bool]:
    """JSON results cached like models: returns (result, from_cache)."""
    directory = Path(directory) if directory else cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    key = cache_key(spec)
    path = directory / f"{key}.result.json"
    if path.exists():
        try:
            return json.loads(path.read_text())["result"], True
        except Exception as err:
            warnings.warn(f"Cache entry {path.name} is unreadable ({type(err).__name__}); "
                          "recomputing it.", RuntimeWarning, stacklevel=2)
    result = compute()
    _write_json(path, {"spec": spec, "versions": library_versions(), "result": result})
    return result, False
