"""Install the notebooks' Jupyter kernel so that it starts with glibc's malloc arenas capped.

    python -m tools.kernelspec            # `make setup` and `make test` run this

The notebooks name the kernel ``python3``. Its kernelspec in this environment (``sys.prefix``) gets
``MALLOC_ARENA_MAX`` in its ``env``, so JupyterLab, nbclient (``make notebooks``, the benchmarks) and
nbval all start kernels with the cap. ``import helpers`` cannot do it inside a kernel: ipykernel has
started its threads, and glibc has fixed its arena limit, before the first cell runs (see
``helpers.process_memory``). A ``python3`` kernelspec in a folder Jupyter searches first would hide
this one (a folder in ``JUPYTER_PATH``; the user's own folder, ``~/.local/share/jupyter/kernels``, comes
first only for a Jupyter outside this environment or with ``JUPYTER_PREFER_ENV_PATH=0``); the script
says so.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ipykernel.kernelspec import RESOURCES, install
from jupyter_client.kernelspec import KernelSpecManager

from helpers.process_memory import MALLOC_ARENAS

KERNEL_NAME = "python3"                    # what every notebook's metadata names
DISPLAY_NAME = "Python 3 (ipykernel)"      # ipykernel's own name for it, kept
KERNEL_ENV = {"MALLOC_ARENA_MAX": str(MALLOC_ARENAS)}


def install_kernelspec(prefix: str | Path = sys.prefix) -> Path:
    """Write the ``python3`` kernelspec with :data:`KERNEL_ENV` under ``prefix``; returns its folder."""
    return Path(install(kernel_name=KERNEL_NAME, display_name=DISPLAY_NAME, prefix=str(prefix),
                        env=dict(KERNEL_ENV)))


def shadowing_problem(installed: Path, manager: KernelSpecManager | None = None) -> str | None:
    """Why Jupyter would not start the kernelspec in ``installed``, or None if it would."""
    manager = manager or KernelSpecManager()
    found = manager.get_kernel_spec(KERNEL_NAME)  # never missing: ipykernel's built-in one is the fallback
    if Path(found.resource_dir).resolve() == Path(RESOURCES).resolve():
        return (f"Jupyter finds no installed {KERNEL_NAME!r} kernelspec (searched {manager.kernel_dirs}) and "
                f"falls back to ipykernel's built-in one, which lacks {KERNEL_ENV}; run `make setup`.")
    if Path(found.resource_dir).resolve() != Path(installed).resolve():
        return (f"Jupyter starts the {KERNEL_NAME!r} kernel from {found.resource_dir}, which comes before "
                f"{installed} in its search path, so notebook kernels run without {KERNEL_ENV}. Remove that "
                f"folder (or add the same \"env\" to its kernel.json) and run `make setup` again.")
    if any(found.env.get(key) != value for key, value in KERNEL_ENV.items()):
        return (f"The kernelspec in {found.resource_dir} lacks {KERNEL_ENV} in its \"env\": run "
                "`make kernel` (python -m tools.kernelspec).")
    return None


def main() -> int:
    folder = install_kernelspec()
    problem = shadowing_problem(folder)
    if problem:
        print(f"tools.kernelspec: warning: {problem} The notebooks still run, but their kernels' memory "
              "peaks higher.", file=sys.stderr)
        return 0
    env = " ".join(f"{key}={value}" for key, value in KERNEL_ENV.items())
    print(f"Kernel {KERNEL_NAME!r} installed in {folder}; it starts with {env}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
