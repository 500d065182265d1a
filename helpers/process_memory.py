"""Keeping a kernel's memory low while it trains many models, one after another.

Two glibc settings, both no-ops elsewhere (macOS, musl, Windows):

* The arena cap. glibc gives busy threads heaps ("arenas") of their own, up to 8 per core, and
  TensorFlow runs its kernels on a pool of threads; memory freed in one arena cannot serve another,
  so each fit leaves more of the heap fragmented. glibc fixes its arena limit for good once a
  process has more than 8 arenas, so the cap only works if set before then:

  - in a Jupyter kernel, by ``MALLOC_ARENA_MAX`` in the kernel's environment, which the notebooks'
    kernelspec carries (``tools/kernelspec.py``, run by ``make setup``). ipykernel's own threads
    hold more than 8 arenas (10 or 11 measured) before the first cell runs, so nothing a cell does
    can cap them. Measured on 2 cores, three full-data fits in one kernel: 16 arenas and a
    1,471 MiB peak without the variable, 2 arenas and 1,255 MiB with it;
  - in a plain Python process (scripts, tools, benchmarks), by :func:`limit_malloc_arenas`, which
    ``import helpers`` calls before TensorFlow starts its threads.
* :func:`release_memory` collects Python's reference cycles (a Keras model holds many) and
  hands the freed heap back to the system, between one fit and the next.
"""

from __future__ import annotations

import ctypes
import gc

MALLOC_ARENAS = 2        # glibc's default is 8 per core
_M_ARENA_MAX = -8        # mallopt's parameter number for the arena cap (glibc's malloc.h)


def _glibc():
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not Linux with glibc
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas at ``arenas`` for this process; True if glibc took the setting.

    Arenas that already exist are kept, and once a process has more than 8, glibc has fixed its limit
    and ignores this; so call it before threads start. In a Jupyter kernel that is already too late
    (see the module docstring).
    """
    if isinstance(arenas, bool) or not isinstance(arenas, int) or arenas < 1:
        raise ValueError(f"arenas must be a whole number >= 1; got {arenas!r}.")
    libc = _glibc()
    return bool(libc and libc.mallopt(_M_ARENA_MAX, arenas) == 1)


def release_memory() -> bool:
    """Free unreachable objects now, then return free heap pages to the system.

    True if glibc's ``malloc_trim`` released something; elsewhere the collection alone runs.
    """
    gc.collect()
    libc = _glibc()
    return bool(libc and libc.malloc_trim(0) == 1)
