import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers.layers import DenseTranspose
from helpers.models import stacked_autoencoder


def built_dense(n_in=7, n_out=5, seed=0):
    keras.utils.set_random_seed(seed)
    dense = keras.layers.Dense(n_out)
    dense.build((None, n_in))
    return dense


def test_output_is_x_times_w_transpose_plus_b():
    dense = built_dense()
    layer = DenseTranspose(dense, activation="relu")
    layer.build((None, 5))
    layer.bias.assign(np.linspace(-1, 1, 7).astype("float32"))
    x = np.random.default_rng(1).normal(size=(3, 5)).astype("float32")
    expected = np.maximum(x @ dense.kernel.numpy().T + layer.bias.numpy(), 0)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape((3, 5)) == (3, 7)


def test_owns_only_its_bias():
    dense = built_dense()
    layer = DenseTranspose(dense)
    layer.build((None, 5))
    assert [v.shape for v in layer.weights] == [(7,)]
    assert layer.kernel is dense.kernel and layer.tied_to is dense


def test_building_before_the_dense_gives_a_clear_error():
    layer = DenseTranspose(keras.layers.Dense(5), name="too_early")
    with pytest.raises(ValueError, match=r"no kernel yet.*encoder first"):
        layer.build((None, 5))


def test_wrong_input_width_is_refused():
    layer = DenseTranspose(built_dense())
    with pytest.raises(ValueError, match="expects 5 input features"):
        layer.build((None, 6))


def test_only_dense_layers_can_be_tied():
    with pytest.raises(TypeError, match="Dense"):
        DenseTranspose(keras.layers.Flatten())


def test_saving_alone_explains_what_to_save_instead():
    layer = DenseTranspose(built_dense())
    with pytest.raises(NotImplementedError, match="StackedAutoencoder"):
        layer.get_config()


def test_assigning_the_encoder_kernel_changes_the_decoder():
    model = stacked_autoencoder(30, tied=True)
    first_dec, last_enc = model.decoder.layers[0], model.encoder.layers[-1]
    assert first_dec.kernel is last_enc.kernel
    codings = np.random.default_rng(0).random((2, 30)).astype("float32")
    before = model.decoder(codings).numpy()
    last_enc.kernel.assign(last_enc.kernel.numpy() * 2.0 + 0.1)
    assert not np.allclose(model.decoder(codings).numpy(), before)


def untied_copy(tied):
    """An untied model computing exactly what ``tied`` computes."""
    untied = stacked_autoencoder(30, tied=False)
    (w1, b1, w2, b2), (c2, c1) = tied.encoder.get_weights(), tied.decoder.get_weights()
    untied.encoder.set_weights([w1, b1, w2, b2])
    untied.decoder.set_weights([w2.T, c2, w1.T, c1])
    return untied


def test_shared_kernel_gets_gradient_from_encoder_and_decoder():
    keras.utils.set_random_seed(3)
    tied = stacked_autoencoder(30, tied=True)
    untied = untied_copy(tied)
    x = np.random.default_rng(2).random((16, 28, 28)).astype("float32")
    np.testing.assert_allclose(tied(x).numpy(), untied(x).numpy(), atol=1e-5)

    def grads(model):
        with tf.GradientTape() as tape:
            loss = keras.ops.mean((model(x) - x) ** 2)
        return {v.path: g.numpy() for v, g in zip(model.trainable_variables,
                                                   tape.gradient(loss, model.trainable_variables),
                                                   strict=True)}

    g_tied, g_untied = grads(tied), grads(untied)
    enc_part, dec_part = g_untied["encoder/dense_1/kernel"], g_untied["decoder/dense_4/kernel"].T
    assert np.abs(dec_part).sum() > 0 and np.abs(enc_part).sum() > 0
    np.testing.assert_allclose(g_tied["encoder/dense_1/kernel"], enc_part + dec_part, rtol=1e-4, atol=1e-7)
    assert not np.allclose(g_tied["encoder/dense_1/kernel"], enc_part, atol=1e-7)
