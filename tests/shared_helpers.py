"""Small helpers several test files share (imported by bare name, like ``notebook_code``)."""

import numpy as np


def rng(seed=0):
    """A seeded NumPy generator, so test data is the same on every run."""
    return np.random.default_rng(seed)


def randomised(model, seed):
    """Give every weight (biases too) random values, so copies can be told apart."""
    generator = np.random.default_rng(seed)
    for w in model.weights:
        w.assign(generator.normal(0, 0.1, w.shape).astype("float32"))
    return model
