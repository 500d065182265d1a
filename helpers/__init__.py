"""Helper package for the stacked-autoencoder notebooks.

Importing it quietens TensorFlow's C++ logging (before TensorFlow is imported), so a
notebook should ``import helpers`` before anything that imports TensorFlow.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from helpers.notebook import setup_notebook
from helpers.profile import active_profile

__all__ = ["active_profile", "setup_notebook"]
