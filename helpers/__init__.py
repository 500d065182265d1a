"""Helper package for the stacked-autoencoder notebooks.

Importing it quietens TensorFlow's C++ logging and, in a plain Python process, caps glibc's malloc
arenas (``helpers.process_memory``; a notebook's kernel gets the cap from its kernelspec), both
before TensorFlow starts, so ``import helpers`` comes before anything that imports TensorFlow.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from helpers.notebook import setup_notebook
from helpers.process_memory import limit_malloc_arenas
from helpers.profile import active_profile

limit_malloc_arenas()  # none of the imports above loads TensorFlow, so no TensorFlow thread exists yet

__all__ = ["active_profile", "setup_notebook"]
