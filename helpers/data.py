"""Loading Fashion-MNIST: found offline first, verified, and split as in the book.

Search order:

1. the ``data_dir`` argument, else ``$FASHION_MNIST_DIR`` (an empty value counts as unset);
2. Keras' cache, ``~/.keras/datasets/fashion-mnist``;
3. the Debian/Ubuntu package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``);
4. only then Keras' own download (``download=True``), which fills the cache.

An explicit location (1) is used as given: a missing, corrupt or unreadable file there is an
error naming it, never a silent fall-back to another copy. Default places (2, 3) holding only
some of the files are skipped and reported. Every file is checked against the SHA-256 of its
*decompressed* IDX content, so a truncated, corrupt or foreign file is refused by name, and an
unreadable one is reported as a permission problem. Nothing partial or synthetic is returned.
``python -m helpers.data`` shows where the data set was found.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import os
import stat
import struct
import sys
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

ENV_VAR = "FASHION_MNIST_DIR"
KERAS_CACHE_DIR = Path("~/.keras/datasets/fashion-mnist")
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
N_VALID = 5_000
SPLITS = ("train", "valid", "test")
ARRAY_FIELDS = tuple(f"{kind}_{split}" for split in SPLITS for kind in ("X", "y"))

# SHA-256 of the decompressed IDX files (identical for the upstream and Debian copies).
FILES = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
FILE_NAMES = ", ".join(stem + ".gz" for stem in FILES)
EXPECTED_COUNTS = {"train": 60_000, "t10k": 10_000}

HOW_TO_FIX = (
    "Fix it in one of three ways:\n"
    "  1. Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist\n"
    f"  2. Copy the four files ({FILE_NAMES}) into "
    f"{KERAS_CACHE_DIR}, or into any folder and point {ENV_VAR} (or data_dir=) at it\n"
    "  3. Go online once and call load_fashion_mnist(download=True) to let Keras download them"
)


class DatasetNotFoundError(FileNotFoundError):
    """No location holds the complete data set, or the explicit one lacks files."""


class CorruptDatasetError(ValueError):
    """A data file exists but is truncated, corrupt or not Fashion-MNIST."""


class UnreadableDatasetError(PermissionError):
    """A data file or folder exists but this user is not allowed to read it."""


@dataclasses.dataclass(frozen=True, eq=False)
class FashionMNIST:
    """The book's split: 55,000 train / 5,000 valid / 10,000 test, floats in [0, 1].

    All six arrays are read-only, including arrays handed to ``dataclasses.replace`` (their
    own flag is cleared), because ``checksum`` is computed once from their contents: writing
    into one raises ``ValueError``. To change data, copy (``data.X_train.copy()``), edit the
    copy and make a new object: ``dataclasses.replace(data, X_train=edited)``.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    source: Path

    def __post_init__(self):
        for name in ARRAY_FIELDS:
            array = np.asarray(getattr(self, name))
            array.flags.writeable = False
            object.__setattr__(self, name, array)

    @functools.cached_property
    def checksum(self) -> str:
        """SHA-256 of each array's name, dtype, shape and bytes: the data's identity in cache keys.

        Computed on first use (~0.15 s for the full set) and kept: safe, as the arrays are read-only.
        """
        digest = hashlib.sha256()
        for name in ARRAY_FIELDS:
            array = np.ascontiguousarray(getattr(self, name))  # no copy: loaded arrays are contiguous
            digest.update(f"{name} {array.dtype.str} {array.shape};".encode())
            digest.update(array)
        return digest.hexdigest()[:16]

    def summary(self) -> str:
        """Shapes, dtype, value range and labels per class, as text."""
        lines = []
        for split in SPLITS:
            X, y = getattr(self, f"X_{split}"), getattr(self, f"y_{split}")
            counts = np.bincount(y, minlength=10)
            lines.append(
                f"{split:<5} X{X.shape} {X.dtype} in [{X.min():.0f}, {X.max():.0f}]  "
                f"y{y.shape}  per class: {counts.min()}..{counts.max()}"
            )
        return "\n".join(lines)


class Place(NamedTuple):
    """One searched location; ``how_to_unset`` is set only for explicit ones, which are never skipped."""

    label: str
    directory: Path
    how_to_unset: str | None = None


def candidate_dirs(data_dir=None) -> list[Place]:
    """The places searched, in order."""
    places = []
    if data_dir is not None:
        places.append(Place("data_dir argument", Path(data_dir).expanduser(),
                            "call load_fashion_mnist() without data_dir= to search the default places"))
    elif os.environ.get(ENV_VAR):
        places.append(Place(f"${ENV_VAR}", Path(os.environ[ENV_VAR]).expanduser(),
                            f"unset {ENV_VAR} to search the default places"))
    places.append(Place("Keras cache", KERAS_CACHE_DIR.expanduser()))
    places.append(Place("system package dataset-fashion-mnist", SYSTEM_DIR))
    return places


def _user_name(uid: int) -> str:
    try:
        import pwd  # POSIX only

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"uid {uid}"


def _permission_message(path: Path, err: OSError) -> str:
    """Explain that ``path`` exists but may not be read by this user: owner, mode, and the fix."""
    target = path.resolve()
    try:
        info = target.stat()
        owner, mode = _user_name(info.st_uid), stat.filemode(info.st_mode)
    except OSError:
        owner, mode = "an unknown owner", "unknown"
    me = _user_name(os.geteuid()) if hasattr(os, "geteuid") else "this user"
    link = f" (a link to {target})" if target != path else ""
    fixer = owner if owner == "root" else f"{owner} or root"
    return (
        f"{path}{link} exists but user {me} may not read it ({err.strerror}); it belongs to "
        f"{owner}, mode {mode}. This is a permission problem, not a damaged file. Fix: as {fixer} "
        f"run `chmod a+rX {target}` (and on the folders above it), or copy the four files "
        f"({FILE_NAMES}) into a folder you own and point {ENV_VAR} (or data_dir=) at it."
    )


def _find_file(directory: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        path = directory / name
        try:
            if path.is_file():
                return path
        except PermissionError as err:  # the folder itself may not be searched
            raise UnreadableDatasetError(_permission_message(directory, err)) from err
    return None


def read_verified(path: Path, stem: str) -> bytes:
    """Decompressed bytes of one IDX file, or CorruptDatasetError / UnreadableDatasetError naming it."""
    try:
        raw = path.read_bytes()
    except PermissionError as err:
        raise UnreadableDatasetError(_permission_message(path, err)) from err
    try:
        data = gzip.decompress(raw) if path.suffix == ".gz" else raw
    except (OSError, EOFError, zlib.error) as err:
        raise CorruptDatasetError(
            f"{path} cannot be decompressed ({err}); it is probably truncated or corrupt. "
            "Delete it and get a fresh copy.\n" + HOW_TO_FIX
        ) from err
    digest = hashlib.sha256(data).hexdigest()
    if digest != FILES[stem]:
        raise CorruptDatasetError(
            f"{path} is not the expected Fashion-MNIST file: SHA-256 of its content is "
            f"{digest[:16]}..., expected {FILES[stem][:16]}... (truncated, corrupt, or "
            "another data set such as MNIST). Delete it and get a fresh copy.\n" + HOW_TO_FIX
        )
    return data


def parse_idx(data: bytes, path: Path) -> np.ndarray:
    """Parse an IDX1 (labels) or IDX3 (images) byte string into uint8 numpy."""
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2049:
        shape, offset = (count,), 8
    elif magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        shape, offset = (count, rows, cols), 16
    else:
        raise CorruptDatasetError(f"{path} has IDX magic number {magic}, expected 2049 or 2051.")
    array = np.frombuffer(data, dtype=np.uint8, offset=offset)
    if array.size != int(np.prod(shape)):
        raise CorruptDatasetError(f"{path} holds {array.size} values, its header promises {shape}.")
    return array.reshape(shape)


def _load_dir(directory: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for stem in FILES:
        path = _find_file(directory, stem)
        arrays[stem] = parse_idx(read_verified(path, stem), path)
    return arrays


def _check(arrays: dict[str, np.ndarray], directory: Path) -> None:
    for part, n in EXPECTED_COUNTS.items():
        X, y = arrays[f"{part}-images-idx3-ubyte"], arrays[f"{part}-labels-idx1-ubyte"]
        if X.shape != (n, 28, 28) or y.shape != (n,):
            raise CorruptDatasetError(f"{directory}: {part} shapes {X.shape}, {y.shape}; "
                                      f"expected ({n}, 28, 28), ({n},).")
        counts = np.bincount(y, minlength=10)
        if len(counts) != 10 or counts.min() != n // 10:
            raise CorruptDatasetError(f"{directory}: {part} labels per class {counts.tolist()}; "
                                      f"expected {n // 10} each.")


def _keras_download() -> Path:
    import keras  # imported lazily: only this path needs it

    keras.datasets.fashion_mnist.load_data()
    return KERAS_CACHE_DIR.expanduser()


_MEMO: dict[tuple, FashionMNIST] = {}


def _fingerprint(directory: Path) -> tuple:
    stats = {path: path.stat() for path in (_find_file(directory, stem) for stem in FILES)}
    return tuple((str(path), st.st_size, st.st_mtime_ns) for path, st in stats.items())


def _build(directory: Path) -> FashionMNIST:
    key = _fingerprint(directory)
    if key in _MEMO:
        return _MEMO[key]
    arrays = _load_dir(directory)
    _check(arrays, directory)

    def scaled(images):
        out = images.astype(np.float32)
        out /= 255.0  # in place: no second full-size temporary
        return out

    X_full, y_full = arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"].astype(np.int64)
    dataset = FashionMNIST(
        X_train=scaled(X_full[:-N_VALID]), y_train=y_full[:-N_VALID],
        X_valid=scaled(X_full[-N_VALID:]), y_valid=y_full[-N_VALID:],
        X_test=scaled(arrays["t10k-images-idx3-ubyte"]),
        y_test=arrays["t10k-labels-idx1-ubyte"].astype(np.int64),
        class_names=CLASS_NAMES, source=directory,
    )
    _MEMO.clear()  # keep one parsed copy, not one per location ever used
    _MEMO[key] = dataset
    return dataset


def _what_is_missing(directory: Path) -> str | None:
    """None when all four files are there, else what is wrong, e.g. 'does not exist'."""
    missing = [stem + ".gz" for stem in FILES if _find_file(directory, stem) is None]
    if not missing:
        return None
    if not directory.is_dir():
        return "does not exist" if not directory.exists() else "is not a folder"
    return f"lacks {', '.join(missing)} (or the uncompressed files)"


def _load_explicit(place: Place) -> FashionMNIST:
    """Use an explicitly named folder or fail saying why; never fall back to another copy."""
    intro = f"{place.label} points at {place.directory}"
    missing = _what_is_missing(place.directory)
    if missing:
        raise DatasetNotFoundError(
            f"{intro}, which {missing}. An explicit location is used "
            f"as given, never skipped. Fix: put the four files ({FILE_NAMES}) there, or {place.how_to_unset}."
        )
    try:
        return _build(place.directory)
    except (CorruptDatasetError, UnreadableDatasetError) as err:
        raise type(err)(f"{intro} (used as given, never skipped), but:\n{err}\n"
                        f"Or {place.how_to_unset}.") from err


def load_fashion_mnist(data_dir=None, download=True) -> FashionMNIST:
    """Load, verify and split Fashion-MNIST (see the module docstring for the search order)."""
    tried = []
    for place in candidate_dirs(data_dir):
        if place.how_to_unset is not None:
            return _load_explicit(place)
        missing = _what_is_missing(place.directory)
        if not missing:
            return _build(place.directory)
        tried.append(f"  - {place.label}: {place.directory} ({missing})")
    if download:
        try:
            return _build(_keras_download())
        except (CorruptDatasetError, UnreadableDatasetError):
            raise
        except Exception as err:  # network errors come in many types
            tried.append(f"  - Keras download into {KERAS_CACHE_DIR}: failed ({type(err).__name__}: {err})")
    else:
        tried.append("  - Keras download: skipped (download=False)")
    raise DatasetNotFoundError("Fashion-MNIST was not found. Places tried, in order:\n"
                               + "\n".join(tried) + "\n" + HOW_TO_FIX)


def main() -> int:
    """Report where the data set is and whether it verifies (used by `make data`)."""
    try:
        data = load_fashion_mnist()
    except (DatasetNotFoundError, CorruptDatasetError, UnreadableDatasetError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"Fashion-MNIST verified (SHA-256 of all four files) in {data.source}; "
          f"data checksum {data.checksum}")
    print(data.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
