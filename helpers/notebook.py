"""One call at the top of every notebook: seeds, quiet logs, plot style, versions, profile."""

from __future__ import annotations

import importlib
import importlib.util
import os
import platform
import sys
import tempfile

from helpers.profile import Profile, active_profile

# What the lessons import besides ``helpers``: module name -> the package that provides it.
LESSON_PACKAGES = {"tensorflow": "tensorflow", "keras": "keras", "numpy": "numpy",
                   "matplotlib": "matplotlib", "ipywidgets": "ipywidgets", "sklearn": "scikit-learn"}
INSTALL_HINT = ("From the repository folder, run `make lab` (or `pip install -e .` in this kernel's "
                "environment), then restart the kernel.")


def missing_packages(modules: dict = LESSON_PACKAGES) -> list[str]:
    """The packages among ``modules`` (module -> package) that this Python cannot import."""
    return [package for module, package in modules.items() if not _importable(module)]


def _importable(module: str) -> bool:
    if module in sys.modules:                   # None there means "blocked": not importable
        return sys.modules[module] is not None
    return importlib.util.find_spec(module) is not None


class MissingPackageError(ImportError):
    """A package the lessons need is not installed; Jupyter shows only the message, no traceback."""

    def _render_traceback_(self):   # IPython's hook for an exception's displayed traceback
        return [str(self)]


def require_packages(modules: dict = LESSON_PACKAGES) -> None:
    """Stop with one sentence (:class:`MissingPackageError`) if a package in ``modules`` is missing."""
    missing = missing_packages(modules)
    if missing:
        names = ", ".join(f"`{name}`" for name in missing)
        raise MissingPackageError(f"This notebook needs {names}, which this kernel's Python "
                                  f"({sys.executable}) cannot import. {INSTALL_HINT}")


def import_quietly(module_name: str):
    """Import ``module_name`` with the process's stderr (file descriptor 2) held back.

    TensorFlow's C++ core writes start-up notices (e.g. "Could not find cuda drivers") to
    stderr before its log level applies, and Jupyter shows them as red output in the first
    cell. If the import fails, what was held back is written to ``sys.stderr`` before the
    error propagates, so nothing that explains a failure is lost. On success, anything else
    written to fd 2 during the import is dropped too. Without a usable fd 2 (or a temporary
    file), it simply imports.
    """
    if module_name in sys.modules:
        return sys.modules[module_name]
    sys.stderr.flush()
    try:
        # SIM115: the `with held:` below closes it; it is created apart so that only its own
        # OSError falls back to a plain import.
        held = tempfile.TemporaryFile()  # noqa: SIM115
    except OSError:
        return importlib.import_module(module_name)
    with held:
        try:
            saved = os.dup(2)
        except OSError:
            return importlib.import_module(module_name)
        try:
            os.dup2(held.fileno(), 2)
            return importlib.import_module(module_name)
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def setup_notebook(seed: int = 42, quiet: bool = False) -> Profile:
    """Check the lesson's packages, seed Python/NumPy/TensorFlow, silence TF's C++ logs, set plots.

    Prints the library versions and the active profile (unless ``quiet``) and returns
    the profile.
    """
    require_packages()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    tf = import_quietly("tensorflow")
    import keras
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np

    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(seed)
    plt.rcParams.update({
        "figure.dpi": 90, "figure.figsize": (8, 4), "axes.grid": True, "grid.alpha": 0.3,
        "axes.spines.top": False, "axes.spines.right": False, "image.cmap": "binary",
    })
    profile = active_profile()
    if not quiet:
        print(f"Python {platform.python_version()} | TensorFlow {tf.__version__} | "
              f"Keras {keras.__version__} | NumPy {np.__version__} | Matplotlib {matplotlib.__version__}")
        detail = ("all 55,000 training images, full recipes" if not profile.is_quick else
                  f"{profile.train_size:,} training images, at most {profile.max_epochs} epochs")
        print(f"Profile: {profile.name} ({detail}); set AE_PROFILE=quick or full to switch.")
    return profile
