"""Shared fixtures. Unit tests run in the quick profile with a private model cache."""

import os

import pytest
from run_as_user import nobody_prefix

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


@pytest.fixture
def quick_profile(monkeypatch):
    monkeypatch.setenv("AE_PROFILE", "quick")


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    path = tmp_path / "model-cache"
    monkeypatch.setenv("AE_CACHE_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def real_data_dir():
    """Directory that holds the real, verified Fashion-MNIST files."""
    from helpers.data import load_fashion_mnist

    return load_fashion_mnist(download=False).source


@pytest.fixture(scope="session")
def fashion():
    from helpers.data import load_fashion_mnist

    return load_fashion_mnist(download=False)


@pytest.fixture
def as_nobody(tmp_path_factory):
    """Command prefix that runs a command as user nobody with this Python and the repository usable
    (tests/run_as_user.py); skips the test without root or the tools it needs."""
    return nobody_prefix(tmp_path_factory.mktemp("as-nobody-mounts"))


@pytest.fixture(autouse=True)
def no_shared_cache(monkeypatch):
    """An instructor's ``AE_SHARED_CACHE_DIR`` in the environment must not leak into the tests."""
    monkeypatch.delenv("AE_SHARED_CACHE_DIR", raising=False)


@pytest.fixture(autouse=True)
def close_figures():
    """Close every matplotlib figure a test opened (figure tests make many)."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
