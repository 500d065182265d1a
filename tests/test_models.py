import keras
import numpy as np
import pytest

from helpers.layers import DenseTranspose
from helpers.models import (
    StackedAutoencoder,
    copy_encoder,
    dead_codings,
    encoder_classifier,
    same_weights,
    set_encoder_trainable,
    shared_variable_count,
    stacked_autoencoder,
)


def test_parameter_counts_at_coding_30():
    assert stacked_autoencoder(30).count_params() == 163_814
    assert stacked_autoencoder(30, tied=True).count_params() == 82_414


def test_shapes_and_submodels():
    model = stacked_autoencoder(10, tied=True)
    assert model.encoder.output_shape == (None, 10)
    assert model.decoder.output_shape == (None, 28, 28)
    assert model.coding_size == 10
    assert shared_variable_count(model) == 2
    assert shared_variable_count(stacked_autoencoder(10)) == 0
    assert all(isinstance(layer, DenseTranspose) for layer in model.decoder.layers[:2])


@pytest.mark.parametrize("tied", [False, True])
def test_keras_file_round_trip_keeps_the_tie(tmp_path, tied):
    model = stacked_autoencoder(30, tied=tied)
    x = np.random.default_rng(0).random((5, 28, 28)).astype("float32")
    model.decoder.layers[0].bias.assign(np.full(model.decoder.layers[0].bias.shape, 0.25, "float32"))
    path = tmp_path / "ae.keras"
    model.save(path)
    loaded = keras.models.load_model(path)  # default safe_mode=True
    assert isinstance(loaded, StackedAutoencoder) and loaded.tied == tied
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert loaded.count_params() == model.count_params()
    assert shared_variable_count(loaded) == (2 if tied else 0)
    if tied:
        loaded.encoder.layers[-1].kernel.assign(np.zeros((100, 30), "float32"))
        assert np.allclose(loaded.decoder.layers[0].kernel.numpy(), 0)


@pytest.mark.parametrize("bad", [0, -3, 785, 2.5, "30", True, None])
def test_bad_coding_size_says_what_is_allowed(bad):
    with pytest.raises(ValueError, match="whole number from 1 to 784"):
        stacked_autoencoder(bad)


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match=r"Unknown activation 'relux'.*'relu'"):
        stacked_autoencoder(30, activation="relux")


def test_numpy_integer_coding_size_is_fine():
    assert stacked_autoencoder(np.int64(5)).coding_size == 5


def test_pretrained_classifier_copies_weights_and_differs_from_fresh():
    keras.utils.set_random_seed(0)
    ae = stacked_autoencoder(30)
    pretrained = encoder_classifier(ae.encoder, pretrained=True)
    scratch = encoder_classifier(ae.encoder, pretrained=False)
    assert same_weights(pretrained.get_layer("encoder"), ae.encoder)
    assert not same_weights(scratch.get_layer("encoder"), ae.encoder)
    # the copy is independent: training the classifier cannot alter the autoencoder
    pretrained.get_layer("encoder").layers[-1].kernel.assign(np.zeros((100, 30), "float32"))
    assert not np.allclose(ae.encoder.layers[-1].kernel.numpy(), 0)
    assert pretrained.output_shape == (None, 10)


def test_clone_model_alone_would_lose_the_weights():
    ae = stacked_autoencoder(30)
    assert not same_weights(copy_encoder(ae.encoder, pretrained=False), ae.encoder)
    assert same_weights(copy_encoder(ae.encoder, pretrained=True), ae.encoder)


def test_freeze_then_unfreeze_changes_trainable_variables():
    clf = encoder_classifier(stacked_autoencoder(30, tied=True).encoder, freeze=True)
    assert len(clf.trainable_variables) == 2          # the softmax head only
    set_encoder_trainable(clf, True)
    assert len(clf.trainable_variables) == 6          # + two Dense layers of the encoder
    set_encoder_trainable(clf, False)
    assert len(clf.trainable_variables) == 2


def test_dead_codings_counts_codings_that_are_zero_for_every_image(fashion):
    model = stacked_autoencoder(30)
    coding_layer = model.encoder.layers[-1]
    bias = np.full(30, 100.0, dtype="float32")   # every coding clearly alive ...
    kernel = coding_layer.kernel.numpy()
    kernel[:, [3, 7, 11]] = 0.0
    bias[[3, 7, 11]] = -1.0                      # ... except three that are always negative
    coding_layer.kernel.assign(kernel)
    coding_layer.bias.assign(bias)
    images = fashion.X_valid[:200]
    assert dead_codings(model, images) == 3
    assert dead_codings(model.encoder, images) == 3


def test_parameter_count_from_sizes_matches_known_values():
    from helpers.models import autoencoder_parameter_count

    assert autoencoder_parameter_count(784, (100, 30), tied=False) == 163_814
    assert autoencoder_parameter_count(784, (100, 30), tied=True) == 82_414
    assert autoencoder_parameter_count(784, (100,), tied=True) == 784 * 100 + 100 + 784
    assert autoencoder_parameter_count(2, (1,), tied=False) == (2 + 1) + (1 * 2 + 2)


def test_architecture_mismatch_explains_the_difference():
    from helpers.models import architecture_mismatch

    model = stacked_autoencoder(7, tied=True)
    assert architecture_mismatch(model, (28, 28), (100, 7), True) is None
    assert (architecture_mismatch(model, (28, 28), (100, 30), True)
            == "hidden units is (100, 7), expected (100, 30)")
    assert architecture_mismatch(model, (28, 28), (100, 7), False) == "tied is True, expected False"
    assert "expected a StackedAutoencoder" in architecture_mismatch(model.encoder, (28, 28), (100, 7), True)


@pytest.mark.parametrize("bad", ["no", "False", None, 1, 0.0])
def test_tied_must_be_a_real_boolean(bad):
    from helpers.models import check_tied

    with pytest.raises(ValueError, match="tied must be True or False"):
        stacked_autoencoder(5, tied=bad)
    assert check_tied(np.bool_(False)) is False and check_tied(True) is True


def test_hidden_units_errors_name_hidden_units():
    with pytest.raises(ValueError, match=r"^hidden_units must be a whole number"):
        stacked_autoencoder(30, hidden_units=0)
    with pytest.raises(ValueError, match=r"^each of hidden_units must be a whole number"):
        StackedAutoencoder((28, 28), (100, 0))
