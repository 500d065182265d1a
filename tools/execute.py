"""Re-execute notebooks in place, top to bottom, each in a fresh kernel (``make notebooks``).

It is a thin wrapper around nbclient's ``NotebookClient`` rather than ``jupyter execute --inplace``
because it drops the session-specific widget state from the saved notebook and prints each
notebook's wall time.

    python -m tools.execute notebooks/01_stacked_autoencoder.ipynb [...]
    python -m tools.execute --no-write notebooks/03_one_autoencoder_at_a_time.ipynb   # run only

Each notebook runs with its own folder as the working directory, in the profile given
by ``AE_PROFILE`` (``make notebooks`` uses ``full``). The stored outputs and execution
counts are what nbval later compares against.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def execute_notebook(path: Path, timeout: int = 1800, write: bool = True) -> float:
    """Run ``path`` in a fresh kernel; write outputs back if ``write``. Returns seconds."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    if write:
        nb.metadata.pop("widgets", None)  # widget state is session-specific noise
        nbformat.write(nb, path)
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--no-write", action="store_true", help="run only; keep the files")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if not path.is_file():
            print(f"{path}: no such notebook file; pass paths to .ipynb files.", file=sys.stderr)
            return 2
        try:
            seconds = execute_notebook(path, args.timeout, write=not args.no_write)
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
            print(f"FAILED {path}: {str(err)[-2000:]}", file=sys.stderr)
            return 1
        print(f"{path}: {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
