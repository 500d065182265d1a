"""Fashion-MNIST, found offline first, verified, and split as in the book.

Search order (the first directory holding all four files wins):

1. ``data_dir`` argument, else the ``FASHION_MNIST_DIR`` environment variable;
2. Keras' cache, ``~/.keras/datasets/fashion-mnist``;
3. the Debian/Ubuntu package ``dataset-fashion-mnist``
   (``/usr/share/datasets/fashion-mnist``);
4. only then Keras' own download (``download=True``), which fills the cache.

Every file is checked against the SHA-256 of its *decompressed* IDX content,
so a truncated, corrupt or foreign file is refused by name. Nothing partial
or synthetic is ever returned.

Run ``python -m helpers.data`` to see where the data set was found.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import struct
import sys
import zlib
from pathlib import Path

import numpy as np

ENV_VAR = "FASHION_MNIST_DIR"
KERAS_CACHE_DIR = Path("~/.keras/datasets/fashion-mnist")
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
N_VALID = 5_000

# SHA-256 of the decompressed IDX files (identical for the upstream and Debian copies).
FILES = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
EXPECTED_COUNTS = {"train": 60_000, "t10k": 10_000}

HOW_TO_FIX = (
    "Fix it in one of three ways:\n"
    "  1. Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist\n"
    f"  2. Copy the four files ({', '.join(n + '.gz' for n in FILES)}) into "
    f"{KERAS_CACHE_DIR}, or into any folder and point {ENV_VAR} (or data_dir=) at it\n"
    "  3. Go online once and call load_fashion_mnist(download=True) to let Keras download them"
)


class DatasetNotFoundError(FileNotFoundError):
    """No location holds the complete data set."""


class CorruptDatasetError(ValueError):
    """A data file exists but is truncated, corrupt or not Fashion-MNIST."""


@dataclasses.dataclass(frozen=True, eq=False)
class FashionMNIST:
    """The book's split: 55,000 train / 5,000 valid / 10,000 test, floats in [0, 1]."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    source: Path
    checksum: str  # one digest over the four verified files (used in cache keys)

    def summary(self) -> str:
        """Shapes, dtype, value range and labels per class, as text."""
        lines = []
        for split in ("train", "valid", "test"):
            X, y = getattr(self, f"X_{split}"), getattr(self, f"y_{split}")
            counts = np.bincount(y, minlength=10)
            lines.append(
                f"{split:<5} X{X.shape} {X.dtype} in [{X.min():.0f}, {X.max():.0f}]  "
                f"y{y.shape}  per class: {counts.min()}..{counts.max()}"
            )
        return "\n".join(lines)


def candidate_dirs(data_dir=None) -> list[tuple[str, Path]]:
    """The (label, directory) pairs searched, in order."""
    places = []
    explicit = data_dir if data_dir is not None else os.environ.get(ENV_VAR)
    if explicit:
        label = "data_dir argument" if data_dir is not None else f"${ENV_VAR}"
        places.append((label, Path(explicit).expanduser()))
    places.append(("Keras cache", KERAS_CACHE_DIR.expanduser()))
    places.append(("system package dataset-fashion-mnist", SYSTEM_DIR))
    return places


def _find_file(directory: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        path = directory / name
        if path.is_file():
            return path
    return None


def read_verified(path: Path, stem: str) -> bytes:
    """Decompressed bytes of one IDX file, or CorruptDatasetError naming it."""
    try:
        raw = path.read_bytes()
        data = gzip.decompress(raw) if path.suffix == ".gz" else raw
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise CorruptDatasetError(
            f"{path} cannot be read ({err}); it is probably truncated or corrupt. "
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
            raise CorruptDatasetError(f"{directory}: {part} shapes {X.shape}, {y.shape}; expected ({n}, 28, 28), ({n},).")
        counts = np.bincount(y, minlength=10)
        if len(counts) != 10 or counts.min() != n // 10:
            raise CorruptDatasetError(f"{directory}: {part} labels per class {counts.tolist()}; expected {n // 10} each.")


def _keras_download() -> Path:
    import keras  # imported lazily: only this path needs it

    keras.datasets.fashion_mnist.load_data()
    return KERAS_CACHE_DIR.expanduser()


_MEMO: dict[tuple, FashionMNIST] = {}


def _fingerprint(directory: Path) -> tuple:
    stats = []
    for stem in FILES:
        path = _find_file(directory, stem)
        st = path.stat()
        stats.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(stats)


def _build(directory: Path) -> FashionMNIST:
    key = _fingerprint(directory)
    if key in _MEMO:
        return _MEMO[key]
    arrays = _load_dir(directory)
    _check(arrays, directory)

    def scaled(images):
        out = images.astype(np.float32)
        out /= 255.0  # in place: no second full-size temporary
        out.setflags(write=False)  # shared between calls: keep it immutable
        return out

    def labels(y):
        out = y.astype(np.int64)
        out.setflags(write=False)
        return out

    X_full, y_full = arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"]
    checksum = hashlib.sha256("".join(FILES.values()).encode()).hexdigest()[:16]
    dataset = FashionMNIST(
        X_train=scaled(X_full[:-N_VALID]), y_train=labels(y_full[:-N_VALID]),
        X_valid=scaled(X_full[-N_VALID:]), y_valid=labels(y_full[-N_VALID:]),
        X_test=scaled(arrays["t10k-images-idx3-ubyte"]), y_test=labels(arrays["t10k-labels-idx1-ubyte"]),
        class_names=CLASS_NAMES, source=directory, checksum=checksum,
    )
    _MEMO.clear()  # keep one parsed copy, not one per location ever used
    _MEMO[key] = dataset
    return dataset


def load_fashion_mnist(data_dir=None, download=True) -> FashionMNIST:
    """Load, verify and split Fashion-MNIST (see the module docstring for the search order)."""
    tried = []
    for label, directory in candidate_dirs(data_dir):
        present = [stem for stem in FILES if _find_file(directory, stem)]
        if len(present) == len(FILES):
            return _build(directory)
        missing = [s for s in FILES if s not in present]
        state = "does not exist" if not directory.is_dir() else f"missing {', '.join(missing)}"
        tried.append(f"  - {label}: {directory} ({state})")
    if download:
        try:
            return _build(_keras_download())
        except CorruptDatasetError:
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
    except (DatasetNotFoundError, CorruptDatasetError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"Fashion-MNIST verified (SHA-256 of all four files) in {data.source}")
    print(data.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
