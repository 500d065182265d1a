"""One call at the top of every notebook: seeds, quiet logs, plot style, versions, profile."""

from __future__ import annotations

import os
import platform

from helpers.profile import Profile, active_profile


def setup_notebook(seed: int = 42, quiet: bool = False) -> Profile:
    """Seed Python/NumPy/TensorFlow, silence TF's C++ logs, set plot defaults.

    Prints the library versions and the active profile (unless ``quiet``) and returns
    the profile.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    import tensorflow as tf

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
