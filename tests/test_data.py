import gzip
from pathlib import Path

import numpy as np
import pytest

from helpers import data as data_mod
from helpers.data import (CorruptDatasetError, DatasetNotFoundError, FILES,
                          load_fashion_mnist)


def link_files(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for stem in FILES:
        name = stem + ".gz"
        (dst / name).symlink_to((src / name) if (src / name).exists() else (src / stem))
    return dst


@pytest.fixture
def no_default_places(tmp_path, monkeypatch):
    """Point the cache and system locations at empty folders; no env override."""
    monkeypatch.delenv(data_mod.ENV_VAR, raising=False)
    monkeypatch.setattr(data_mod, "KERAS_CACHE_DIR", tmp_path / "keras-cache")
    monkeypatch.setattr(data_mod, "SYSTEM_DIR", tmp_path / "system")
    data_mod._MEMO.clear()
    return tmp_path


def test_real_data_has_the_books_split(fashion):
    assert fashion.X_train.shape == (55_000, 28, 28)
    assert fashion.X_valid.shape == (5_000, 28, 28)
    assert fashion.X_test.shape == (10_000, 28, 28)
    assert fashion.X_train.dtype == np.float32
    assert 0.0 == fashion.X_train.min() and fashion.X_train.max() == 1.0
    assert np.bincount(fashion.y_test).tolist() == [1000] * 10
    assert np.bincount(np.concatenate([fashion.y_train, fashion.y_valid])).tolist() == [6000] * 10
    assert fashion.class_names[0] == "T-shirt/top" and len(fashion.class_names) == 10
    assert "per class" in fashion.summary()


def test_explicit_dir_argument_wins(real_data_dir, no_default_places):
    explicit = link_files(real_data_dir, no_default_places / "mine")
    link_files(real_data_dir, data_mod.KERAS_CACHE_DIR)
    assert load_fashion_mnist(explicit, download=False).source == explicit


def test_env_var_is_an_explicit_dir(real_data_dir, no_default_places, monkeypatch):
    explicit = link_files(real_data_dir, no_default_places / "env")
    monkeypatch.setenv(data_mod.ENV_VAR, str(explicit))
    assert load_fashion_mnist(download=False).source == explicit


def test_keras_cache_before_system_dir(real_data_dir, no_default_places):
    link_files(real_data_dir, data_mod.KERAS_CACHE_DIR)
    link_files(real_data_dir, data_mod.SYSTEM_DIR)
    assert load_fashion_mnist(download=False).source == data_mod.KERAS_CACHE_DIR


def test_system_dir_when_cache_is_empty(real_data_dir, no_default_places):
    link_files(real_data_dir, data_mod.SYSTEM_DIR)
    assert load_fashion_mnist(download=False).source == data_mod.SYSTEM_DIR


def test_incomplete_cache_is_skipped_and_reported(real_data_dir, no_default_places):
    cache = data_mod.KERAS_CACHE_DIR
    cache.mkdir(parents=True)
    (cache / "train-images-idx3-ubyte.gz").symlink_to(real_data_dir / "train-images-idx3-ubyte.gz")
    link_files(real_data_dir, data_mod.SYSTEM_DIR)
    assert load_fashion_mnist(download=False).source == data_mod.SYSTEM_DIR


def test_all_missing_lists_every_place_and_three_fixes(no_default_places):
    with pytest.raises(DatasetNotFoundError) as err:
        load_fashion_mnist(no_default_places / "nowhere", download=False)
    text = str(err.value)
    for place in ("nowhere", "keras-cache", "system", "download"):
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


def test_truncated_file_is_named(real_data_dir, no_default_places):
    bad = link_files(real_data_dir, no_default_places / "bad")
    target = bad / "train-labels-idx1-ubyte.gz"
    raw = target.read_bytes()
    target.unlink()
    target.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CorruptDatasetError, match="train-labels-idx1-ubyte.gz"):
        load_fashion_mnist(bad, download=False)


def test_wrong_checksum_is_named(real_data_dir, no_default_places):
    bad = link_files(real_data_dir, no_default_places / "bad")
    target = bad / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(target.read_bytes()))
    content[-1] = (content[-1] + 1) % 10  # one label changed: still a valid IDX file
    target.unlink()
    target.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(CorruptDatasetError, match="t10k-labels-idx1-ubyte.gz.*SHA-256"):
        load_fashion_mnist(bad, download=False)


def test_second_call_reuses_the_parsed_arrays():
    first = load_fashion_mnist(download=False)
    assert load_fashion_mnist(download=False) is first
    assert not first.X_train.flags.writeable


def test_main_reports_location(capsys):
    assert data_mod.main() == 0
    assert "verified" in capsys.readouterr().out
