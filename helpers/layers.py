"""`DenseTranspose`: a decoder layer that borrows an encoder `Dense` kernel, transposed.

Design (one owner per weight matrix, as in Keras' ``ReversibleEmbedding``):

* The encoder's ``Dense`` owns the kernel. ``DenseTranspose`` owns only its bias and
  *reads* ``dense.kernel`` at call time, so it never holds a stale copy and it does not
  matter which side is built first, as long as the kernel exists when data flows.
* The borrowed ``Dense`` is deliberately **not** tracked as a sub-layer: otherwise Keras
  would count, save and load the kernel (and the unused encoder bias) a second time.
* Because a layer's config cannot point at another layer, a ``DenseTranspose`` is saved
  through the model that owns both sides (``helpers.models.StackedAutoencoder``), whose
  config rebuilds the tie. Serialising the layer on its own raises a clear error instead
  of silently writing a model that would reload untied.
"""

from __future__ import annotations

import keras
from keras import ops


class DenseTranspose(keras.layers.Layer):
    """``activation(inputs @ dense.kernel.T + bias)``, tied to ``dense``'s kernel.

    Args:
        dense: the ``keras.layers.Dense`` whose kernel (shape ``(n_in, n_out)``) is reused.
            This layer maps ``n_out`` features back to ``n_in``.
        activation: any Keras activation name or callable (default: linear).
    """

    def __init__(self, dense, activation=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(dense, keras.layers.Dense):
            raise TypeError(
                f"DenseTranspose ties to a keras.layers.Dense, got {type(dense).__name__}."
            )
        # object.__setattr__ bypasses Keras' attribute tracking on purpose (see module doc).
        object.__setattr__(self, "_tied_dense", dense)
        self.activation = keras.activations.get(activation)

    @property
    def tied_to(self) -> keras.layers.Dense:
        """The encoder layer whose kernel this layer uses."""
        return self._tied_dense

    @property
    def kernel(self):
        """The shared variable itself (shape ``(n_in, n_out)``; this layer uses its transpose)."""
        self._require_tied_kernel()
        return self._tied_dense.kernel

    def _require_tied_kernel(self):
        if not self._tied_dense.built:
            raise ValueError(
                f"DenseTranspose '{self.name}' is tied to Dense '{self._tied_dense.name}', "
                "which has no kernel yet. Build or call the encoder first "
                "(for example encoder.build((None, 28, 28)) or run one batch through it)."
            )

    def build(self, input_shape):
        self._require_tied_kernel()
        n_in, n_out = self._tied_dense.kernel.shape
        if input_shape[-1] is not None and input_shape[-1] != n_out:
            raise ValueError(
                f"DenseTranspose '{self.name}' expects {n_out} input features "
                f"(the units of Dense '{self._tied_dense.name}'), got {input_shape[-1]}."
            )
        self.bias = self.add_weight(name="bias", shape=(n_in,), initializer="zeros")

    def call(self, inputs):
        z = ops.matmul(inputs, ops.transpose(self._tied_dense.kernel))
        return self.activation(z + self.bias)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self._tied_dense.kernel.shape[0])

    def get_config(self):
        raise NotImplementedError(
            f"DenseTranspose '{self.name}' cannot be saved on its own: its kernel belongs to "
            f"Dense '{self._tied_dense.name}', and a reloaded copy would no longer share it. "
            "Save the model that owns both layers, e.g. helpers.models.StackedAutoencoder "
            "(helpers.models.stacked_autoencoder(tied=True)), which rebuilds the tie on load."
        )
