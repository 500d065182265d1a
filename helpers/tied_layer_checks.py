"""Checks of a learner's tied ``DenseTranspose`` layer (notebook 05, hands-on 1): PASS or raise.

Each ``check_*`` function takes the learner's layer class, compares it with
``helpers.layers.DenseTranspose``, prints one ``PASS`` line per property that holds and raises
``AssertionError`` saying what is wrong otherwise (see ``helpers.exercise_checks``). A tied
layer cannot be saved on its own (its kernel belongs to another layer), so
:func:`check_save_load` saves it inside ``helpers.exercise_models.TiedOwner``, a model that
owns both sides and rebuilds the tie from its config, and also checks that a plain model
holding the layer either refuses to save or reloads still tied, never silently untied. It checks
outcomes only: Keras 3's default ``get_config`` already refuses a layer built from another layer,
so no check can tell a hand-written refusal from none (the PASS line says which one refused).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import keras
import numpy as np
from keras.ops import convert_to_numpy

from helpers.exercise_checks import fail, passed, sample_images
from helpers.exercise_models import TiedOwner
from helpers.layers import DenseTranspose as ReferenceDenseTranspose
from helpers.models import stacked_autoencoder


def _own_variables(layer, borrowed):
    """The variables ``layer`` reports that are not ``borrowed`` (the Dense's)."""
    borrowed_ids = {id(v) for v in borrowed}
    return [v for v in layer.weights if id(v) not in borrowed_ids]


def _built_dense(n_in, n_out, seed):
    keras.utils.set_random_seed(seed)
    dense = keras.layers.Dense(n_out)
    dense.build((None, n_in))
    return dense


def _decoder_biases(model):
    """Per decoder layer, the one variable it owns (its bias); asserts there is exactly one."""
    encoder_vars = model.encoder.weights
    biases = []
    for layer in model.decoder.layers:
        if isinstance(layer, keras.layers.Reshape):
            continue
        own = _own_variables(layer, encoder_vars)
        if len(own) != 1:
            fail(f"Each decoder layer should own exactly one variable, its bias; "
                 f"'{layer.name}' owns {len(own)}: {[tuple(v.shape) for v in own]}.")
        biases.append(own[0])
    return biases


def _copy_into(mine, reference):
    """Give ``mine`` (a TiedOwner) exactly the weights of ``reference`` (a tied StackedAutoencoder)."""
    mine.encoder.set_weights(reference.encoder.get_weights())
    for bias, ref_layer in zip(_decoder_biases(mine), reference.decoder.layers, strict=False):
        if tuple(bias.shape) != tuple(ref_layer.bias.shape):
            fail(f"A decoder bias has shape {tuple(bias.shape)}; expected {tuple(ref_layer.bias.shape)}.")
        bias.assign(ref_layer.bias)


def check_output(layer_class) -> None:
    """The layer computes ``activation(inputs @ dense.kernel.T + bias)`` like the reference."""
    dense = _built_dense(7, 5, seed=1)
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    bias = np.linspace(-0.5, 0.5, 7).astype("float32")
    for activation, label in (("relu", "relu"), (None, "activation=None (linear)")):
        mine = layer_class(dense, activation=activation)
        mine.build((None, 5))
        own = _own_variables(mine, dense.weights)
        if len(own) != 1 or tuple(own[0].shape) != (7,):
            fail(f"Expected your layer to own one variable, a bias of shape (7,), for a Dense "
                 f"with 7 inputs; it owns {[tuple(v.shape) for v in own]}.")
        own[0].assign(bias)
        reference = ReferenceDenseTranspose(dense, activation=activation)
        reference.build((None, 5))
        reference.bias.assign(bias)
        got = convert_to_numpy(mine(x))
        if got.shape != (4, 7):
            fail(f"Output shape {got.shape}; a Dense(5) on 7 inputs transposed maps (4, 5) to (4, 7).")
        expected = convert_to_numpy(reference(x))
        if not np.allclose(got, expected, atol=1e-5):
            fail(f"With {label}, your output differs from helpers.layers.DenseTranspose by up to "
                 f"{np.abs(got - expected).max():.3g}. Expected activation(x @ W.T + b).")
        passed(f"{label}: output matches helpers.layers.DenseTranspose, shape (4, 5) -> (4, 7)")


def check_parameter_count(layer_class) -> None:
    """A 784-100-30 tied autoencoder with the layer has the reference's parameter count."""
    keras.utils.set_random_seed(0)
    mine = TiedOwner(layer_class, (100, 30))
    reference = stacked_autoencoder(30, tied=True).count_params()
    untied = stacked_autoencoder(30, tied=False).count_params()
    decoder_vars = mine.decoder.weights
    encoder_ids = {id(v) for v in mine.encoder.weights}
    borrowed = [v for v in decoder_vars if id(v) in encoder_ids]
    if borrowed:
        fail(f"Your decoder layers list {len(borrowed)} of the encoder's variables as their own "
             f"({[v.path for v in borrowed]}): the layer tracks the Dense it borrows from, so a "
             "decoder used or saved alone would count and store the encoder's weights again. "
             "Keep the reference to the Dense out of Keras' attribute tracking.")
    own = sum(int(np.prod(v.shape)) for v in decoder_vars)
    if own != 100 + 784:
        fail(f"Your two decoder layers own {own:,} parameters; with a tied kernel they should own "
             "only their biases, 100 + 784 = 884.")
    passed(f"your two decoder layers own {own:,} parameters: their biases (100 + 784), nothing else")
    count = mine.count_params()
    if count != reference:
        fail(f"Tied autoencoder with your layer: {count:,} parameters; expected {reference:,} "
             f"(untied: {untied:,}).")
    passed(f"tied autoencoder with your layer: {count:,} parameters "
           f"(helpers' tied model: {reference:,}; untied: {untied:,}, so tying keeps "
           f"{count / untied:.1%} of them)")


def check_shared_variable(layer_class) -> None:
    """Encoder and decoder use one kernel variable: reads, assignments and gradients agree."""
    keras.utils.set_random_seed(0)
    reference = stacked_autoencoder(30, tied=True)
    mine = TiedOwner(layer_class, (100, 30))
    _copy_into(mine, reference)
    x = sample_images(32)

    def outputs(model):
        return convert_to_numpy(model(x))

    if not np.allclose(outputs(mine), outputs(reference), atol=1e-5):
        fail("With the same weights, your tied autoencoder does not reconstruct like helpers' one "
             "(does your decoder read the encoder's current kernel, transposed?).")
    first_mine, first_ref = mine.encoder.layers[1], reference.encoder.layers[1]
    before = outputs(mine)
    for layer in (first_mine, first_ref):
        layer.kernel.assign(layer.kernel * 0.5)
    after = outputs(mine)
    if np.allclose(before, after) or not np.allclose(after, outputs(reference), atol=1e-5):
        fail("Scaling the encoder's first kernel did not change your decoder's output as it "
             "should: the decoder does not read the encoder's variable (a copy?).")
    passed("the decoder reads the encoder's kernel variable: assigning it changes the reconstruction")

    def sgd_step(model):
        import tensorflow as tf

        variables = model.trainable_variables
        with tf.GradientTape() as tape:
            loss = keras.ops.mean((model(x) - x) ** 2)
        for v, g in zip(variables, tape.gradient(loss, variables), strict=True):
            if g is None:
                fail(f"No gradient reaches {v.path}.")
            v.assign_sub(0.5 * g)
        return len(variables)

    n_mine, n_ref = sgd_step(mine), sgd_step(reference)
    if n_mine != n_ref:
        fail(f"Your tied model has {n_mine} trainable variables; helpers' has {n_ref}.")
    if not np.allclose(first_mine.kernel.numpy(), first_ref.kernel.numpy(), atol=1e-5):
        fail("After one gradient step the shared kernel differs from helpers' tied model: the "
             "gradient through your decoder does not reach the encoder's variable.")
    passed("one gradient step updates the shared kernel exactly as in helpers' tied model "
           "(gradients from encoder and decoder add up)")
    if not np.allclose(outputs(mine), outputs(reference), atol=1e-4):
        fail("After one gradient step your reconstructions differ from helpers' tied model.")
    passed("after that step both models still reconstruct identically")


def _book_style_autoencoder(layer_class):
    """The usual way to write a tied model: Sequential(encoder Sequential, decoder Sequential)."""
    denses = [keras.layers.Dense(100, activation="relu"), keras.layers.Dense(30, activation="relu")]
    encoder = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), *denses], name="encoder")
    decoder = keras.Sequential([keras.Input((30,)), layer_class(denses[1], activation="relu"),
                                layer_class(denses[0]), keras.layers.Reshape((28, 28))],
                               name="decoder")
    return keras.Sequential([keras.Input((28, 28)), encoder, decoder], name="plain_tied_ae")


def _still_tied(model):
    """True if assigning the encoder's coding-layer kernel changes the decoder's output."""
    encoder, decoder = model.layers[0], model.layers[1]
    codings = np.random.default_rng(5).random((3, 30)).astype("float32")
    before = convert_to_numpy(decoder(codings))
    kernel = encoder.layers[-1].kernel
    kernel.assign(kernel * 0.5 + 0.1)
    return not np.allclose(before, convert_to_numpy(decoder(codings)))


_REFUSE_INSTEAD = ("Let it refuse to save instead: delete your get_config (Keras' default one refuses "
                   "a layer built from another layer) or make it raise NotImplementedError, and save "
                   "a model that owns both sides of the tie.")


def _keeps_default_config(layer_class) -> bool:
    """True when ``layer_class`` does not override ``get_config`` (Keras' default is used)."""
    return layer_class.get_config is keras.layers.Layer.get_config


def check_save_load(layer_class, directory=None) -> None:
    """Saving keeps the tie when a model owns both sides; a plain model must not reload untied."""
    name = keras.saving.get_registered_name(layer_class)
    keras.utils.set_random_seed(0)
    mine = TiedOwner(layer_class, (100, 30))
    for bias in _decoder_biases(mine):
        bias.assign(np.random.default_rng(1).normal(0, 0.1, bias.shape).astype("float32"))
    x = sample_images(16)
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        path = Path(tmp) / "owner.keras"
        mine.save(path)
        loaded = keras.models.load_model(path, custom_objects={name: layer_class})
        same = np.allclose(convert_to_numpy(mine(x)), convert_to_numpy(loaded(x)), atol=1e-6)
        if not same or loaded.count_params() != mine.count_params():
            fail("A model that owns both sides of the tie does not reload identically "
                 f"(same outputs: {same}; parameters {loaded.count_params():,} vs "
                 f"{mine.count_params():,}).")
        kernel = loaded.encoder.layers[-1].kernel
        codings = np.random.default_rng(2).random((4, 30)).astype("float32")
        before = convert_to_numpy(loaded.decoder(codings))
        kernel.assign(kernel * 2.0 + 0.1)
        if np.allclose(before, convert_to_numpy(loaded.decoder(codings))):
            fail("After reloading, the decoder no longer follows the encoder's kernel: the tie "
                 "was lost.")
        passed("saved and reloaded inside a model that owns both sides: same output, "
               "same parameter count, still tied")

        keras.utils.set_random_seed(0)
        plain = _book_style_autoencoder(layer_class)
        plain_path = Path(tmp) / "plain.keras"
        try:
            plain.save(plain_path)
        except Exception as err:  # refusing is the right answer (see the module doc)
            which = ("keeps Keras' default get_config" if _keeps_default_config(layer_class)
                     else "defines its own get_config")
            passed(f"a plain Sequential(encoder, decoder) with your layer refuses to save "
                   f"({type(err).__name__}; your class {which}): no file that reloads broken or untied")
            return
        try:
            reloaded = keras.models.load_model(plain_path, custom_objects={name: layer_class})
        except Exception as err:
            fail(f"A plain Sequential(encoder, decoder) with your layer saves a file that cannot "
                 f"be loaded back ({type(err).__name__}: {str(err)[:200]}). {_REFUSE_INSTEAD}")
        if not _still_tied(reloaded):
            fail("A plain Sequential(encoder, decoder) with your layer reloads it UNTIED (the "
                 f"decoder got its own copy of the kernel). {_REFUSE_INSTEAD}")
        passed("a plain Sequential(encoder, decoder) with your layer reloads still tied")
