"""helpers.process_memory: the malloc-arena cap that ``import helpers`` applies, and the release."""

import ctypes
import os
import subprocess
import sys
import weakref

import pytest
from shared_helpers import COUNT_ARENAS

from helpers import process_memory

GLIBC = process_memory._glibc() is not None
needs_glibc = pytest.mark.skipif(not GLIBC, reason="the arena cap and malloc_trim are glibc's")


def arenas_in_use(setup: str) -> int:
    env = {key: value for key, value in os.environ.items() if key != "MALLOC_ARENA_MAX"}  # glibc's default
    run = subprocess.run([sys.executable, "-c", COUNT_ARENAS.format(setup=setup)], capture_output=True,
                         text=True, check=True, env=env)
    return int(run.stdout.split()[-1])


@needs_glibc
def test_importing_helpers_caps_the_arenas_that_busy_threads_get():
    assert arenas_in_use("") > process_memory.MALLOC_ARENAS  # glibc's default gives threads their own
    assert arenas_in_use("import helpers") <= process_memory.MALLOC_ARENAS


@needs_glibc
def test_limit_malloc_arenas_is_taken_by_glibc():
    assert process_memory.limit_malloc_arenas(process_memory.MALLOC_ARENAS) is True


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "2", None])
def test_limit_malloc_arenas_rejects_what_is_not_a_count(bad):
    with pytest.raises(ValueError, match="arenas must be a whole number >= 1"):
        process_memory.limit_malloc_arenas(bad)


def test_release_memory_frees_reference_cycles():
    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    process_memory.release_memory()
    assert gone() is None


def test_without_glibc_both_do_nothing_but_collect(monkeypatch):
    def no_libc(name):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert process_memory.limit_malloc_arenas() is False

    class Node:
        pass

    a = Node()
    a.me = a
    gone = weakref.ref(a)
    del a
    assert process_memory.release_memory() is False
    assert gone() is None
