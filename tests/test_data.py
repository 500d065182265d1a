import dataclasses
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from helpers import data as data_mod
from helpers.data import (
    ARRAY_FIELDS,
    ENV_VAR,
    FILES,
    CorruptDatasetError,
    DatasetNotFoundError,
    UnreadableDatasetError,
    candidate_dirs,
    load_fashion_mnist,
    parse_idx,
    read_verified,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
# SHA-256 (first 16 hex digits) of the six arrays of the real, verified data set. It changes only
# if the split, scaling or hashing changes, which also (rightly) invalidates every cached model.
REAL_CHECKSUM = "bee0017d8ae3f0c7"


def link_files(src: Path, dst: Path, stems=tuple(FILES)) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for stem in stems:
        name = stem + ".gz"
        (dst / name).symlink_to((src / name) if (src / name).exists() else (src / stem))
    return dst


@pytest.fixture
def no_default_places(tmp_path, monkeypatch):
    """Point the cache and system locations at empty folders; no env override."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(data_mod, "KERAS_CACHE_DIR", tmp_path / "keras-cache")
    monkeypatch.setattr(data_mod, "SYSTEM_DIR", tmp_path / "system")
    data_mod._MEMO.clear()
    return tmp_path


def test_real_data_has_the_books_split(fashion):
    assert fashion.X_train.shape == (55_000, 28, 28)
    assert fashion.X_valid.shape == (5_000, 28, 28)
    assert fashion.X_test.shape == (10_000, 28, 28)
    assert fashion.X_train.dtype == np.float32
    assert fashion.X_train.min() == 0.0 and fashion.X_train.max() == 1.0
    assert np.bincount(fashion.y_test).tolist() == [1000] * 10
    assert np.bincount(np.concatenate([fashion.y_train, fashion.y_valid])).tolist() == [6000] * 10
    assert fashion.class_names[0] == "T-shirt/top" and len(fashion.class_names) == 10
    assert "per class" in fashion.summary()


# --- checksum: the identity of the arrays actually held ---------------------------------------

def test_checksum_of_the_real_data_is_pinned(fashion):
    assert fashion.checksum == REAL_CHECKSUM


def test_two_loads_from_different_places_give_the_same_checksum(fashion, real_data_dir, no_default_places):
    copy = link_files(real_data_dir, no_default_places / "copy")
    again = load_fashion_mnist(copy, download=False)
    assert again is not fashion and again.source == copy
    assert again.checksum == fashion.checksum


def test_replace_with_modified_data_changes_the_checksum(fashion):
    modified = fashion.X_train.copy()
    modified[0, 0, 0] = 0.5  # one pixel of 43 million
    assert dataclasses.replace(fashion, X_train=modified).checksum != fashion.checksum
    relabelled = fashion.y_test.copy()
    relabelled[-1] = (relabelled[-1] + 1) % 10
    assert dataclasses.replace(fashion, y_test=relabelled).checksum != fashion.checksum


def test_checksum_depends_on_content_dtype_and_shape_not_on_the_object(fashion):
    assert dataclasses.replace(fashion, X_valid=fashion.X_valid.copy()).checksum == fashion.checksum
    as_int32 = dataclasses.replace(fashion, y_valid=fashion.y_valid.astype(np.int32))
    flat = dataclasses.replace(fashion, X_test=fashion.X_test.reshape(10_000, 784))  # same bytes
    swapped = dataclasses.replace(fashion, X_valid=fashion.X_test, X_test=fashion.X_valid)
    checksums = {fashion.checksum, as_int32.checksum, flat.checksum, swapped.checksum}
    assert len(checksums) == 4


def test_checksum_is_computed_once_per_object(fashion):
    first = fashion.checksum
    assert vars(fashion)["checksum"] == first  # kept by cached_property, not recomputed
    assert "checksum" not in {f.name for f in dataclasses.fields(fashion)}  # replace() never copies it


def test_arrays_are_read_only_so_the_checksum_stays_true(fashion):
    for name in ARRAY_FIELDS:
        with pytest.raises(ValueError, match="read-only"):
            getattr(fashion, name)[0] = 0


def test_arrays_given_to_replace_are_frozen_too(fashion):
    edited = fashion.X_train.copy()
    edited[0] = 0.25
    data = dataclasses.replace(fashion, X_train=edited)
    with pytest.raises(ValueError, match="read-only"):
        edited[1] = 0.0  # would otherwise silently change data after its checksum was taken
    assert data.X_train[1].max() == fashion.X_train[1].max()


# --- search order ---------------------------------------------------------------------------

def test_candidate_dirs_order_and_which_are_explicit(no_default_places, monkeypatch):
    default_labels = ["Keras cache", "system package dataset-fashion-mnist"]
    assert [p.label for p in candidate_dirs()] == default_labels
    assert all(p.how_to_unset is None for p in candidate_dirs())
    monkeypatch.setenv(ENV_VAR, "/from/env")
    places = candidate_dirs()
    assert places[0].label == f"${ENV_VAR}" and places[0].directory == Path("/from/env")
    assert f"unset {ENV_VAR}" in places[0].how_to_unset
    places = candidate_dirs("/from/arg")  # the argument beats the variable
    assert [p.label for p in places] == ["data_dir argument", *default_labels]
    assert "without data_dir=" in places[0].how_to_unset
    monkeypatch.setenv(ENV_VAR, "")
    assert [p.label for p in candidate_dirs()] == default_labels  # empty counts as unset


def test_explicit_dir_argument_wins(real_data_dir, no_default_places):
    explicit = link_files(real_data_dir, no_default_places / "mine")
    link_files(real_data_dir, data_mod.KERAS_CACHE_DIR)
    assert load_fashion_mnist(explicit, download=False).source == explicit


def test_env_var_is_an_explicit_dir(real_data_dir, no_default_places, monkeypatch):
    explicit = link_files(real_data_dir, no_default_places / "env")
    monkeypatch.setenv(ENV_VAR, str(explicit))
    assert load_fashion_mnist(download=False).source == explicit


def test_keras_cache_before_system_dir(real_data_dir, no_default_places):
    link_files(real_data_dir, data_mod.KERAS_CACHE_DIR)
    link_files(real_data_dir, data_mod.SYSTEM_DIR)
    assert load_fashion_mnist(download=False).source == data_mod.KERAS_CACHE_DIR


def test_system_dir_when_cache_is_empty(real_data_dir, no_default_places):
    link_files(real_data_dir, data_mod.SYSTEM_DIR)
    assert load_fashion_mnist(download=False).source == data_mod.SYSTEM_DIR


def test_incomplete_default_cache_is_skipped_and_reported(real_data_dir, no_default_places, monkeypatch):
    link_files(real_data_dir, data_mod.KERAS_CACHE_DIR, stems=["train-images-idx3-ubyte"])
    link_files(real_data_dir, data_mod.SYSTEM_DIR)
    assert load_fashion_mnist(download=False).source == data_mod.SYSTEM_DIR
    monkeypatch.setattr(data_mod, "SYSTEM_DIR", no_default_places / "empty-system")
    with pytest.raises(DatasetNotFoundError, match=r"keras-cache .*lacks train-labels-idx1-ubyte\.gz"):
        load_fashion_mnist(download=False)


# --- an explicit location is used as given, or is an error ----------------------------------

def test_incomplete_data_dir_is_an_error_not_skipped(real_data_dir, no_default_places):
    explicit = link_files(real_data_dir, no_default_places / "mine",
                          stems=["train-images-idx3-ubyte", "train-labels-idx1-ubyte"])
    link_files(real_data_dir, data_mod.KERAS_CACHE_DIR)  # a complete copy that must NOT be used
    with pytest.raises(DatasetNotFoundError) as err:
        load_fashion_mnist(explicit, download=True)
    text = str(err.value)
    assert f"data_dir argument points at {explicit}" in text
    assert "lacks t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz" in text
    assert "train-images" not in text.split("lacks")[1].split("(")[0]
    assert "put the four files" in text and "without data_dir=" in text


def test_incomplete_env_dir_is_an_error_naming_the_variable(real_data_dir, no_default_places, monkeypatch):
    explicit = link_files(real_data_dir, no_default_places / "env", stems=["t10k-labels-idx1-ubyte"])
    link_files(real_data_dir, data_mod.SYSTEM_DIR)
    monkeypatch.setenv(ENV_VAR, str(explicit))
    expected = rf"\${ENV_VAR} points at .*lacks train-images.*unset {ENV_VAR}"
    with pytest.raises(DatasetNotFoundError, match=expected):
        load_fashion_mnist(download=False)


@pytest.mark.parametrize("as_file, state", [(False, "does not exist"), (True, "is not a folder")])
def test_invalid_explicit_dir_is_an_error(as_file, state, real_data_dir, no_default_places, monkeypatch):
    link_files(real_data_dir, data_mod.KERAS_CACHE_DIR)
    explicit = no_default_places / "typo"
    if as_file:
        explicit.write_text("a file, not a folder")
    monkeypatch.setenv(ENV_VAR, str(explicit))
    with pytest.raises(DatasetNotFoundError, match=f"points at {explicit}, which {state}"):
        load_fashion_mnist(download=False)


def test_corrupt_file_in_explicit_dir_names_file_and_variable(real_data_dir, no_default_places, monkeypatch):
    explicit = link_files(real_data_dir, no_default_places / "env")
    target = explicit / "t10k-labels-idx1-ubyte.gz"
    target.unlink()
    target.write_bytes(b"\x1f\x8b garbage")
    link_files(real_data_dir, data_mod.KERAS_CACHE_DIR)
    monkeypatch.setenv(ENV_VAR, str(explicit))
    with pytest.raises(CorruptDatasetError) as err:
        load_fashion_mnist(download=False)
    assert f"${ENV_VAR} points at {explicit}" in str(err.value)
    assert str(target) in str(err.value) and f"unset {ENV_VAR}" in str(err.value)


def test_all_missing_lists_every_place_and_three_fixes(no_default_places):
    with pytest.raises(DatasetNotFoundError) as err:
        load_fashion_mnist(download=False)
    text = str(err.value)
    for place in ("keras-cache", "system", "does not exist", "download"):
        assert place in text
    assert "apt-get install dataset-fashion-mnist" in text
    assert "FASHION_MNIST_DIR" in text and "download=True" in text


def test_failed_download_is_reported(no_default_places, monkeypatch):
    def offline():
        raise OSError("network unreachable")

    monkeypatch.setattr(data_mod, "_keras_download", offline)
    with pytest.raises(DatasetNotFoundError, match="network unreachable"):
        load_fashion_mnist(download=True)


def test_download_is_the_last_resort(real_data_dir, no_default_places, monkeypatch):
    def fake_keras_download():  # what Keras does: fill the cache, then we read it
        return link_files(real_data_dir, data_mod.KERAS_CACHE_DIR)

    monkeypatch.setattr(data_mod, "_keras_download", fake_keras_download)
    assert load_fashion_mnist(download=True).source == data_mod.KERAS_CACHE_DIR


# --- damaged and unreadable files -----------------------------------------------------------

def test_truncated_file_is_named(real_data_dir, no_default_places):
    bad = link_files(real_data_dir, no_default_places / "bad")
    target = bad / "train-labels-idx1-ubyte.gz"
    raw = target.read_bytes()
    target.unlink()
    target.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CorruptDatasetError, match=r"train-labels-idx1-ubyte\.gz.*truncated"):
        load_fashion_mnist(bad, download=False)


def test_wrong_checksum_is_named(real_data_dir, no_default_places):
    bad = link_files(real_data_dir, no_default_places / "bad")
    target = bad / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(target.read_bytes()))
    content[-1] = (content[-1] + 1) % 10  # one label changed: still a valid IDX file
    target.unlink()
    target.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(CorruptDatasetError, match=r"t10k-labels-idx1-ubyte\.gz.*SHA-256"):
        load_fashion_mnist(bad, download=False)


def test_read_verified_and_parse_idx_on_a_real_file(real_data_dir):
    stem = "t10k-labels-idx1-ubyte"
    path = real_data_dir / (stem + ".gz")
    labels = parse_idx(read_verified(path, stem), path)
    assert labels.shape == (10_000,) and labels[:3].tolist() == [9, 2, 1]  # ankle boot, pullover, trouser
    with pytest.raises(CorruptDatasetError, match="magic number 0"):
        parse_idx(bytes(8), path)


@pytest.fixture
def shared_tmp():
    """A temporary folder other users may enter (pytest's own tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="fashion-mnist-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def load_error_as_unprivileged(directory: Path, as_nobody: list[str]) -> str:
    """The UnreadableDatasetError message from loading ``directory`` as a user without root's rights."""
    if os.geteuid() != 0:
        with pytest.raises(UnreadableDatasetError) as err:
            load_fashion_mnist(directory, download=False)
        return str(err.value)
    code = ("import sys\nfrom helpers.data import UnreadableDatasetError, load_fashion_mnist\n"
            "try:\n    load_fashion_mnist(sys.argv[1], download=False)\n"
            "except UnreadableDatasetError as err:\n    print(err)\n    sys.exit(3)\n")
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR} | {"PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [*as_nobody, sys.executable, "-c", code, str(directory)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 3, f"expected UnreadableDatasetError, got:\n{result.stdout}{result.stderr}"
    return result.stdout


@pytest.fixture
def unprivileged_prefix(request):
    """``as_nobody``'s command prefix when running as root; unused (empty) otherwise."""
    return request.getfixturevalue("as_nobody") if os.geteuid() == 0 else []


def test_unreadable_file_is_a_permission_problem_not_corruption(real_data_dir, shared_tmp,
                                                                 unprivileged_prefix):
    locked_stem = "train-labels-idx1-ubyte"
    folder = link_files(real_data_dir, shared_tmp / "data", stems=[s for s in FILES if s != locked_stem])
    locked = folder / (locked_stem + ".gz")
    shutil.copyfile(real_data_dir / locked.name, locked)
    locked.chmod(0o000)
    text = load_error_as_unprivileged(folder, unprivileged_prefix)
    assert str(locked) in text and "permission problem" in text
    assert "belongs to root" in text and "mode ----------" in text and "as root run" in text
    assert f"chmod a+rX {locked}" in text and ENV_VAR in text
    assert "truncated" not in text and "corrupt" not in text


def test_unreadable_folder_is_a_permission_problem(real_data_dir, shared_tmp, unprivileged_prefix):
    folder = link_files(real_data_dir, shared_tmp / "data")
    folder.chmod(0o000)
    text = load_error_as_unprivileged(folder, unprivileged_prefix)
    assert str(folder) in text and "permission problem" in text and "belongs to root" in text
    assert f"chmod a+rX {folder}" in text


def test_second_call_reuses_the_parsed_arrays():
    first = load_fashion_mnist(download=False)
    assert load_fashion_mnist(download=False) is first
    assert not first.X_train.flags.writeable


def test_main_reports_location_and_checksum(capsys):
    assert data_mod.main() == 0
    out = capsys.readouterr().out
    assert "verified" in out and REAL_CHECKSUM in out


def test_cli_exits_non_zero_with_the_reason(no_default_places):
    env = os.environ | {ENV_VAR: str(no_default_places / "nowhere")}
    result = subprocess.run([sys.executable, "-m", "helpers.data"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert f"${ENV_VAR} points at" in result.stderr and "does not exist" in result.stderr
