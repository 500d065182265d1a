"""helpers.exercises: the checks must pass good learner code and fail (clearly) on bad code."""

import keras
import matplotlib
import numpy as np
import pytest
from keras import ops

matplotlib.use("Agg")

from helpers import exercises, plots  # noqa: E402
from helpers.layers import DenseTranspose as ReferenceLayer  # noqa: E402
from helpers.models import StackedAutoencoder, shared_variable_count  # noqa: E402

DENSE_CHECKS = (exercises.check_output, exercises.check_parameter_count,
                exercises.check_shared_variable, exercises.check_save_load)


# --- learner-style layers, good and bad ---------------------------------------------------------

class OwnLayer(keras.layers.Layer):
    """A correct implementation written differently from the reference."""

    def __init__(self, dense, activation=None, **kwargs):
        super().__init__(**kwargs)
        object.__setattr__(self, "source", dense)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.b = self.add_weight(name="b", shape=(self.source.kernel.shape[0],), initializer="zeros")

    def call(self, inputs):
        return self.activation(ops.tensordot(inputs, self.source.kernel, axes=[[-1], [1]]) + self.b)

    def get_config(self):
        raise NotImplementedError("save the owner")


class TracksTheDense(OwnLayer):
    """The book's way: ``self.dense = dense`` makes Keras track the Dense as a sub-layer."""

    def __init__(self, dense, activation=None, **kwargs):
        keras.layers.Layer.__init__(self, **kwargs)
        self.dense = dense
        object.__setattr__(self, "source", dense)
        self.activation = keras.activations.get(activation)

    get_config = keras.layers.Layer.get_config


class NaiveConfig(TracksTheDense):
    """Serialises the borrowed Dense: saves, but the file does not load back."""

    def get_config(self):
        return {**keras.layers.Layer.get_config(self),
                "dense": keras.saving.serialize_keras_object(self.dense),
                "activation": keras.activations.serialize(self.activation)}

    @classmethod
    def from_config(cls, config):
        config["dense"] = keras.saving.deserialize_keras_object(config["dense"])
        return cls(**config)


class Snapshot(OwnLayer):
    """Copies the kernel's values at build time: right at first, then stops following."""

    def build(self, input_shape):
        super().build(input_shape)
        object.__setattr__(self, "frozen", ops.convert_to_tensor(self.source.kernel.numpy()))

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, ops.transpose(self.frozen)) + self.b)


class OwnKernel(OwnLayer):
    """An untied decoder: a kernel variable of its own."""

    def build(self, input_shape):
        super().build(input_shape)
        self.k = self.add_weight(name="k", shape=tuple(self.source.kernel.shape), initializer="ones")

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, ops.transpose(self.k)) + self.b)


class NoActivation(OwnLayer):
    def call(self, inputs):
        return ops.tensordot(inputs, self.source.kernel, axes=[[-1], [1]]) + self.b


class Unfinished(keras.layers.Layer):
    def __init__(self, dense, activation=None, **kwargs):
        raise NotImplementedError("Write your solution here (and delete this line).")


@pytest.mark.parametrize("layer_class", [ReferenceLayer, OwnLayer], ids=["reference", "own"])
def test_a_correct_layer_passes_every_check(layer_class, capsys):
    for check in DENSE_CHECKS:
        check(layer_class)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 9 and all(line.startswith("PASS  ") for line in lines)
    assert "82,414 parameters (helpers' tied model: 82,414; untied: 163,814)" in "\n".join(lines)


def test_checks_print_the_same_lines_every_time(capsys):
    for _ in range(2):
        for check in DENSE_CHECKS:
            check(OwnLayer)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:9] == lines[9:]


@pytest.mark.parametrize("layer_class, check, message", [
    (NoActivation, exercises.check_output, "With relu, your output differs"),
    (OwnKernel, exercises.check_output, "own one variable"),
    (TracksTheDense, exercises.check_parameter_count, "tracks the Dense"),
    (OwnKernel, exercises.check_parameter_count, "should own only their biases"),
    (Snapshot, exercises.check_shared_variable, "does not reconstruct like helpers'"),
    (NaiveConfig, exercises.check_save_load, "cannot be loaded back"),
])
def test_each_mistake_fails_its_check_with_an_explanation(layer_class, check, message):
    with pytest.raises(AssertionError, match=message):
        check(layer_class)


def test_the_books_layer_passes_the_behaviour_checks(capsys):
    """Tracking the Dense is the one thing wrong with it; outputs, tie and saving are fine."""
    for check in (exercises.check_output, exercises.check_shared_variable, exercises.check_save_load):
        check(TracksTheDense)
    assert capsys.readouterr().out.count("PASS") == 7


@pytest.mark.parametrize("check", DENSE_CHECKS)
def test_an_unfinished_layer_raises_not_implemented_not_a_failure(check):
    with pytest.raises(NotImplementedError, match="Write your solution"):
        check(Unfinished)


def test_tied_owner_round_trip_keeps_the_tie(tmp_path):
    model = exercises.TiedOwner(ReferenceLayer, (100, 30))
    assert model.count_params() == 82_414
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects={"DenseTranspose": ReferenceLayer})
    assert loaded.count_params() == 82_414
    assert loaded.decoder.layers[0].kernel is loaded.encoder.layers[-1].kernel


def test_tied_owner_names_the_missing_class():
    with pytest.raises(ValueError, match="custom_objects"):
        exercises.TiedOwner("NoSuchLayerAnywhere")


def test_require():
    assert exercises.require(3, "x", "exercise 9") == 3
    with pytest.raises(NotImplementedError, match="`dae` is not set yet: finish exercise 2.1 first"):
        exercises.require(None, "dae", "exercise 2.1")


# --- Hands-on 2 ---------------------------------------------------------------------------------

def gaussian_wrapper(model, noise_std):
    return keras.Sequential([keras.layers.GaussianNoise(noise_std), model])


def dropout_wrapper(model, noise_std):
    return keras.Sequential([keras.layers.Dropout(noise_std), model])


def always_noisy(model, noise_std):
    return keras.Sequential([keras.layers.Lambda(
        lambda x: x + noise_std * keras.random.normal(ops.shape(x), seed=1)), model])


def no_noise(model, noise_std):
    return keras.Sequential([keras.layers.Identity(), model])


def cloned_model(model, noise_std):
    return keras.Sequential([keras.layers.GaussianNoise(noise_std), keras.models.clone_model(model)])


@pytest.mark.parametrize("wrapper", [gaussian_wrapper, dropout_wrapper])
def test_check_input_noise_passes_valid_corruptions(wrapper, capsys):
    exercises.check_input_noise(wrapper, 0.2)
    assert capsys.readouterr().out.count("PASS") == 4


@pytest.mark.parametrize("wrapper, message", [
    (always_noisy, "At inference"),
    (no_noise, "In training"),
    (cloned_model, "At inference|own variables"),
])
def test_check_input_noise_catches_mistakes(wrapper, message):
    with pytest.raises(AssertionError, match=message):
        exercises.check_input_noise(wrapper, 0.2)


def test_signature_ignores_layer_names_but_not_configs_or_weights():
    keras.utils.set_random_seed(0)
    a = gaussian_wrapper(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)]), 0.2)
    keras.utils.set_random_seed(0)
    b = gaussian_wrapper(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)]), 0.2)
    keras.utils.set_random_seed(0)
    c = gaussian_wrapper(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)]), 0.3)
    keras.utils.set_random_seed(1)
    d = gaussian_wrapper(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)]), 0.2)
    sig = exercises._signature
    assert a.layers[0].name != b.layers[0].name
    assert sig(a) == sig(b) and sig(a) != sig(c) and sig(a) != sig(d)


@pytest.fixture(scope="module")
def quick_dae(tmp_path_factory, fashion):
    """One quick-profile denoising autoencoder shared by the tests below (private cache)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("AE_PROFILE", "quick")
    mp.setenv("AE_CACHE_DIR", str(tmp_path_factory.mktemp("dae-cache")))
    calls = []

    def counted(model, noise_std):
        calls.append(noise_std)
        return gaussian_wrapper(model, noise_std)

    first = exercises.pretrained_denoising_autoencoder(counted, 0.2, data=fashion)
    second = exercises.pretrained_denoising_autoencoder(counted, 0.2, data=fashion)
    yield first, second, calls
    mp.undo()


def test_denoising_autoencoder_is_trained_once_then_cached(quick_dae):
    first, second, calls = quick_dae
    assert not first.from_cache and second.from_cache and first.key == second.key
    assert isinstance(second.model, StackedAutoencoder) and second.model.coding_size == 30
    assert first.info["epochs"] == 2 and 0 < first.info["valid_mse"] < 0.1
    assert len(calls) >= 3  # the learner's function runs even on a cache hit


def test_denoising_examples_and_codings(quick_dae, fashion):
    dae = quick_dae[1]
    images = fashion.X_valid[:50]
    ex = exercises.denoising_examples(gaussian_wrapper, dae, images, 0.2)
    assert ex["noisy"].shape == ex["denoised"].shape == images.shape
    assert 0.03 < ex["mse_noisy"] < 0.05          # Gaussian noise of std 0.2: MSE about 0.04
    assert ex["mse_denoised"] < ex["mse_noisy"]
    codings = exercises.codings_of(dae, images)
    assert codings.shape == (50, 30) and codings.min() >= 0
    with pytest.raises(NotImplementedError, match="exercise 2.1"):
        exercises.denoising_examples(gaussian_wrapper, None, images)
    with pytest.raises(NotImplementedError, match="exercise 2.1"):
        exercises.codings_of(None, images)


def top_right(codings, k):
    return np.argsort(-codings, axis=0, kind="stable")[:k].T


def test_check_top_activating(capsys):
    exercises.check_top_activating(top_right)
    assert capsys.readouterr().out.count("PASS") == 3
    with pytest.raises(AssertionError, match="strongest first"):
        exercises.check_top_activating(lambda c, k: np.argsort(c, axis=0)[:k].T)
    with pytest.raises(AssertionError, match="shape"):
        exercises.check_top_activating(lambda c, k: np.argsort(-c, axis=0)[:k])


def good_classifier(encoder, pretrained, seed):
    keras.utils.set_random_seed(seed)
    body = keras.models.clone_model(encoder)
    body.name = "encoder"
    if pretrained:
        body.set_weights(encoder.get_weights())
    return keras.Sequential([keras.Input((28, 28)), body, keras.layers.Dense(10, activation="softmax")])


def clone_only(encoder, pretrained, seed):
    keras.utils.set_random_seed(seed)
    body = keras.models.clone_model(encoder)
    body.name = "encoder"
    return keras.Sequential([keras.Input((28, 28)), body, keras.layers.Dense(10, activation="softmax")])


def shares_encoder(encoder, pretrained, seed):
    return keras.Sequential([keras.Input((28, 28)), encoder, keras.layers.Dense(10, activation="softmax")])


def unnamed_body(encoder, pretrained, seed):
    model = good_classifier(encoder, pretrained, seed)
    return keras.Sequential([keras.Input((28, 28)), *model.layers[0].layers, model.layers[-1]])


def test_check_classifier_factory(capsys):
    exercises.check_classifier_factory(good_classifier)
    assert capsys.readouterr().out.count("PASS") == 3
    for factory, message in ((clone_only, "does not start from the encoder's weights"),
                             (shares_encoder, "shares variables"),
                             (unnamed_body, "named 'encoder'")):
        with pytest.raises(AssertionError, match=message):
            exercises.check_classifier_factory(factory)


def test_compare_pretraining_runs_both_and_caches(quick_dae, fashion, tmp_path, monkeypatch):
    from helpers.pretraining import ClassifierPlan

    monkeypatch.setenv("AE_PROFILE", "quick")
    monkeypatch.setenv("AE_CACHE_DIR", str(tmp_path))
    runs, built = [], []

    def factory(encoder, pretrained, seed):
        built.append(pretrained)
        return good_classifier(encoder, pretrained, seed)

    plan = ClassifierPlan(steps=50, chunk=50)
    first = exercises.compare_pretraining(factory, quick_dae[1], 500, seeds=(0,), plan=plan,
                                          data=fashion, on_run=lambda s, k: runs.append((s, k)))
    assert runs == [(0, "pretrained"), (0, "scratch")]
    (row,) = first["rows"]
    assert set(row) == {"seed", "frozen", "pretrained", "scratch"}
    assert all(0.1 < row[k] <= 1 for k in ("frozen", "pretrained", "scratch"))
    again = exercises.compare_pretraining(factory, quick_dae[1], 500, seeds=(0,), plan=plan,
                                          data=fashion, on_run=lambda s, k: runs.append((s, k)))
    assert again["rows"] == first["rows"] and len(runs) == 2 and built == [True, False] * 2
    with pytest.raises(NotImplementedError, match="exercise 2.1"):
        exercises.compare_pretraining(factory, None)


def rows(*triples):
    return [{"seed": i, "pretrained": p, "scratch": s, "frozen": f} for i, (p, s, f) in enumerate(triples)]


def test_pretraining_conclusion_follows_the_numbers():
    won = exercises.pretraining_conclusion({"n_labels": 500, "profile": "full",
                                            "rows": rows((0.8, 0.7, 0.6), (0.82, 0.71, 0.6), (0.81, 0.75, 0.6))})
    assert "helped in all 3 seeds" in won and "81.0% ± 1.0" in won and "+10.0, +11.0, +6.0" in won
    assert "Quick profile" not in won and "smaller than the seed-to-seed spread" not in won
    small = exercises.pretraining_conclusion({"n_labels": 500, "profile": "full",
                                              "rows": rows((0.79, 0.78, 0.7), (0.80, 0.795, 0.7), (0.76, 0.757, 0.7))})
    assert "helped in all 3 seeds, by +0.6 points" in small
    assert "smaller than the seed-to-seed spread of the accuracies themselves (std up to 2.1 points)" in small
    lost = exercises.pretraining_conclusion({"n_labels": 500, "profile": "full",
                                             "rows": rows((0.7, 0.8, 0.6), (0.7, 0.75, 0.6))})
    assert "hurt in all 2 seeds" in lost
    mixed = exercises.pretraining_conclusion({"n_labels": 500, "profile": "full",
                                              "rows": rows((0.8, 0.7, 0.6), (0.7, 0.75, 0.6))})
    assert mixed.startswith("Test accuracy with 500 labels, 2 seeds") and "Mixed: pretraining won 1 of 2" in mixed
    single = exercises.pretraining_conclusion({"n_labels": 500, "profile": "quick", "rows": rows((0.5, 0.4, 0.3))})
    assert "single seed" in single and "Quick profile" in single
    with pytest.raises(ValueError):
        exercises.pretraining_conclusion({"n_labels": 500, "rows": []})


# --- Hands-on 3 ---------------------------------------------------------------------------------

def angles_right(A, B):
    qa, qb = np.linalg.qr(A)[0], np.linalg.qr(B)[0]
    return np.degrees(np.arccos(np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1, 1)))


def pca_right(X, k):
    mean = X.mean(axis=0)
    return mean, np.linalg.svd(X - mean, full_matrices=False)[2][:k].T


def test_check_principal_angles(capsys):
    exercises.check_principal_angles(angles_right)
    assert capsys.readouterr().out.count("PASS") == 3
    with pytest.raises(AssertionError, match="expected angles"):
        exercises.check_principal_angles(lambda a, b: np.radians(angles_right(a, b)))
    with pytest.raises(AssertionError, match="ascending"):
        exercises.check_principal_angles(lambda a, b: angles_right(a, b)[::-1])


def test_check_pca(capsys):
    exercises.check_pca(pca_right)
    assert capsys.readouterr().out.count("PASS") == 4
    with pytest.raises(AssertionError, match="span"):
        exercises.check_pca(lambda X, k: (X.mean(axis=0), np.linalg.svd(X, full_matrices=False)[2][:k].T))
    with pytest.raises(AssertionError, match="decreasing"):
        exercises.check_pca(lambda X, k: (lambda m, c: (m, c[:, ::-1]))(*pca_right(X, k)))


def test_pca_reconstruction(fashion):
    X = fashion.X_train[:300].reshape(300, -1).astype(np.float64)
    mean, comps = pca_right(X, 5)
    rebuilt = exercises.pca_reconstruction(X, mean, comps)
    inside = mean + (X[:3] - mean) @ comps @ comps.T      # already in the subspace
    np.testing.assert_allclose(exercises.pca_reconstruction(inside, mean, comps), inside, atol=1e-8)
    assert exercises.pca_reconstruction_mse(X, mean, comps) == pytest.approx(np.mean((rebuilt - X) ** 2))
    more = pca_right(X, 20)
    assert exercises.pca_reconstruction_mse(X, *more) < exercises.pca_reconstruction_mse(X, mean, comps)
    with pytest.raises(NotImplementedError, match="exercise 3.1"):
        exercises.pca_reconstruction(X, mean, None)


def test_linear_autoencoder_is_tied_linear_and_cached(fashion, quick_profile, private_cache):
    mean_image = fashion.X_train[:5000].mean(axis=0)
    first = exercises.trained_linear_autoencoder(4, mean_image, data=fashion)
    second = exercises.trained_linear_autoencoder(4, mean_image, data=fashion)
    assert not first.from_cache and second.from_cache
    model = second.model
    assert model.encoder.layers[-1].kernel.shape == (784, 4) and shared_variable_count(model) == 1
    assert model.activation is None and model.output_activation is None
    assert first.info["val_loss"][-1] < first.info["val_loss"][0]
    other = exercises.trained_linear_autoencoder(4, mean_image + 0.01, data=fashion)
    assert other.key != first.key


def test_basis_report_tells_pca_basis_from_a_rotation_of_it():
    components = np.linalg.qr(np.random.default_rng(0).normal(size=(20, 3)))[0]
    same = exercises.basis_report(-components[:, ::-1], components)
    assert "lengths 1.000 to 1.000" in same and "orthonormal." in same and "PCA's own basis, up to" in same
    c, s_ = np.cos(0.6), np.sin(0.6)
    rotated = components @ np.array([[c, -s_, 0], [s_, c, 0], [0, 0, 1]])
    other = exercises.basis_report(rotated, components)
    assert "orthonormal." in other and "it is not PCA's basis" in other and "|cosine| 0.83 to 1.00" in other
    skewed = exercises.basis_report(components * [1, 2, 1] + components[:, :1] * 0.5, components)
    assert "not orthonormal." in skewed


def test_subspace_conclusion_branches():
    same = exercises.subspace_conclusion([0.1, 0.5, 2.0], 0.0101, 0.0100, "full")
    assert "found PCA's subspace" in same and "+1.0% against PCA" in same and "largest 2.0 degrees" in same
    partly = exercises.subspace_conclusion([0.1, 0.5, 1.0, 40.0], 0.012, 0.010, "full")
    assert "Most directions agree" in partly
    far = exercises.subspace_conclusion([30.0, 60.0, 80.0], 0.05, 0.010, "quick")
    assert "Not converged" in far and "Quick profile" in far


# --- plots added for notebook 05 ----------------------------------------------------------------

def test_top_activating_figure_marks_dead_units(fashion):
    images = fashion.X_valid[:40]
    codings = np.random.default_rng(0).random((40, 5)).astype("float32")
    codings[:, 3] = 0.0
    fig = plots.top_activating_figure(images, codings, top_right(codings, 4), n_cols=2)
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
    assert len(titles) == 5 and titles[3] == "unit 3: dead" and titles[0].startswith("unit 0 (max")
    assert fig.axes[0].images[0].get_array().shape == (28, 4 * 28 + 3 * 2)
    matplotlib.pyplot.close(fig)


def test_paired_accuracy_figure_has_a_line_per_seed_and_the_means():
    fig = plots.paired_accuracy_figure(rows((0.8, 0.7, 0.6), (0.82, 0.71, 0.6)))
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3
    np.testing.assert_allclose(lines[0].get_ydata(), [70, 60, 80])
    np.testing.assert_allclose(lines[-1].get_ydata(), [70.5, 60, 81])
    matplotlib.pyplot.close(fig)


def test_principal_angles_figure_draws_one_bar_per_angle():
    fig = plots.principal_angles_figure([0.5, 1.0, 30.0])
    assert [round(p.get_height(), 3) for p in fig.axes[0].patches] == [0.5, 1.0, 30.0]
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.50", "1.00", "30"]
    matplotlib.pyplot.close(fig)
