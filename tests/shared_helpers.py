"""Small helpers several test files share (imported by bare name, like ``notebook_code``)."""

import numpy as np

# Eight threads allocate at once (blocks of 10 kB go through malloc, not Python's own allocator);
# glibc's malloc_info then lists one <heap> per arena in use, and the code prints that count.
COUNT_ARENAS = """
import ctypes, tempfile, threading
{setup}
barrier = threading.Barrier(8)
def work():
    barrier.wait()
    blocks = [bytearray(10_000) for _ in range(2000)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile(suffix=".xml") as f:
    fp = ctypes.c_void_p(libc.fopen(f.name.encode(), b"w"))
    libc.malloc_info(0, fp)
    libc.fclose(fp)
    print(open(f.name).read().count("<heap nr="))
"""


def rng(seed=0):
    """A seeded NumPy generator, so test data is the same on every run."""
    return np.random.default_rng(seed)


def randomised(model, seed):
    """Give every weight (biases too) random values, so copies can be told apart."""
    generator = np.random.default_rng(seed)
    for w in model.weights:
        w.assign(generator.normal(0, 0.1, w.shape).astype("float32"))
    return model
