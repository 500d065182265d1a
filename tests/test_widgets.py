"""The coding-size explorer and its helpers, driven by setting widget values.

Real (quick-profile) models are trained once per module into a private cache.
"""

import io
import math
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import widgets as w  # noqa: E402
from helpers.models import same_weights  # noqa: E402

CONTRACT = ("ae-explorer", "ae-explorer-slider", "ae-explorer-image", "ae-explorer-readout",
            "ae-explorer-progress", "ae-explorer-message")


@pytest.fixture(scope="module")
def explorer_env(tmp_path_factory):
    """Module-wide version of the quick_profile + private_cache fixtures."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AE_PROFILE", "quick")
        mp.setenv("AE_CACHE_DIR", str(tmp_path_factory.mktemp("explorer-cache")))
        yield


@pytest.fixture(scope="module")
def warm(explorer_env, fashion):
    """An explorer over sizes 2 and 5 (untied) after warm-up, plus what its progress bar said."""
    explorer = w.CodingSizeExplorer(sizes=(2, 5), data=fashion, images=fashion.X_test[:4])
    said = []
    explorer.progress.observe(lambda change: said.append(change["new"]), names="description")
    report = explorer.warm_up(show_progress=False)
    return explorer, report, said


def counting(loader):
    calls = []

    def wrapped(size, tied, on_epoch):
        calls.append((size, tied))
        return loader(size, tied, on_epoch)

    wrapped.calls = calls
    return wrapped


def fake_loader(model, mse=0.02, epochs=3, error=None):
    """Stands in for the cached trainer: reports epochs, then returns ``model`` or raises."""
    def load(size, tied, on_epoch):
        for epoch in range(1, epochs + 1):
            on_epoch(epoch, epochs, {"val_loss": 0.1 / epoch})
        if error is not None:
            raise error
        return SimpleNamespace(model=model, info={"valid_mse": mse}, from_cache=False)

    return load


def with_class(widget, css):
    """All widgets under ``widget`` (inclusive) that carry the CSS class ``css``."""
    found = [widget] if css in getattr(widget, "_dom_classes", ()) else []
    for child in getattr(widget, "children", ()):
        found += with_class(child, css)
    return found


def png_shape(png):
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return mpimg.imread(io.BytesIO(png)).shape


# --- pure functions ---------------------------------------------------------------------------

def test_readout_text():
    assert w.explorer_readout(30, False, 0.0132178) == "Coding size 30 (untied): validation MSE 0.01322"
    assert w.explorer_readout(5, True, 0.04) == "Coding size 5 (tied): validation MSE 0.04000"
    for missing in (None, math.nan):
        assert w.explorer_readout(5, True, missing) == "Coding size 5 (tied): no validation MSE available"


def test_failure_message_is_short_escaped_html():
    text = w.explorer_failure_message(5, True, ValueError("<bad> & worse"))
    assert "Cannot show coding size 5 (tied)" in text
    assert "ValueError: &lt;bad&gt; &amp; worse" in text
    assert "Traceback" not in text and "<bad>" not in text


def test_status_widgets_carry_the_prefixed_css_classes():
    readout, progress, message, image = w.status_widgets("ae-x", "<b>hi</b>", "300px", "500px")
    assert readout.value == "<b>hi</b>" and message.value == ""
    assert (progress.value, progress.description, progress.layout.width) == (0, "idle", "300px")
    assert image.format == "png" and image.layout.max_width == "500px"
    for part, widget in zip(("readout", "progress", "message", "image"),
                            (readout, progress, message, image)):
        assert widget._dom_classes == (f"ae-x-{part}",)


def test_checked_mse_refuses_missing_or_diverged_models():
    assert w.checked_mse({"valid_mse": 0.25}) == 0.25
    with pytest.raises(w.ModelFailedError, match="no validation MSE"):
        w.checked_mse({"loss": [1.0]})
    with pytest.raises(w.ModelFailedError, match="did not converge"):
        w.checked_mse({"valid_mse": float("nan")})


def test_explorer_recipe_is_the_fast_recipe_shortened():
    from helpers.training import FAST

    r = w.EXPLORER_RECIPE
    assert (r.batch_size, r.learning_rate, r.schedule) == (FAST.batch_size, FAST.learning_rate, FAST.schedule)
    assert r.epochs < FAST.epochs and r.name != FAST.name  # a different cache entry, never confused
    assert w.DEFAULT_SIZES == (2, 5, 10, 20, 30, 50, 100)


def test_png_helpers_render_images(warm):
    explorer, _, _ = warm
    model = explorer.models[(2, False)].model
    recon = w.reconstruct(model, explorer.images)
    np.testing.assert_allclose(recon, model.predict(explorer.images, verbose=0), atol=1e-5)
    assert recon.shape == explorer.images.shape
    height, width, _ = png_shape(w.reconstruction_png(explorer.images, recon, title="x"))
    assert width > height > 0
    assert png_shape(w.mse_curve_png({"untied": ([2, 5], [0.05, 0.04])}, ("untied", 5, 0.04)))[0] > 0


def test_epoch_progress_reports_epochs_and_outcome():
    progress = w.EpochProgress("demo", show=False)
    progress(1, 4, {"val_loss": 0.5})
    assert (progress.bar.value, progress.bar.max) == (1, 4)
    assert "epoch 1/4" in progress.label.value and "0.50000" in progress.label.value
    cached = progress.finish(SimpleNamespace(from_cache=True, info={"valid_mse": 0.01}))
    assert cached == "demo: loaded from the cache, validation MSE 0.01000"
    assert progress.bar.value == progress.bar.max
    trained = progress.finish(SimpleNamespace(from_cache=False, info={"valid_mse": 0.01}))
    assert trained.startswith("demo: trained in ") and trained.endswith("validation MSE 0.01000")


# --- the explorer with real cached models ------------------------------------------------------

def test_warm_up_trains_missing_models_with_progress(warm):
    explorer, report, said = warm
    assert report["ready"] == [(2, False), (5, False)]
    assert (report["trained"], report["from_cache"], report["failed"]) == (2, 0, {})
    assert "epoch 1/2" in said and "epoch 2/2" in said and said[-1] == "ready"
    assert report["summary"].startswith("2/2 models ready")
    assert explorer.drawn == (2, False)
    mse = explorer.models[(2, False)].info["valid_mse"]
    assert explorer.readout.value == w.explorer_readout(2, False, mse)


def test_a_second_explorer_loads_the_same_models_from_the_disk_cache(warm, fashion):
    first, _, _ = warm
    second = w.CodingSizeExplorer(sizes=(2, 5), data=fashion, images=fashion.X_test[:4])
    report = second.warm_up(show_progress=False)
    assert (report["trained"], report["from_cache"]) == (0, 2)
    for key in report["ready"]:
        assert same_weights(first.models[key].model, second.models[key].model)


def test_slider_move_redraws_from_memory(warm, monkeypatch):
    explorer, _, _ = warm
    explorer.loader = counting(explorer.loader)
    rendered = []
    monkeypatch.setattr(w, "reconstruction_png", lambda *a, **k: rendered.append(a) or b"")
    explorer.slider.value = 2
    image_2 = explorer.image.value
    explorer.slider.value = 5
    cached = explorer.models[(5, False)]
    mse = cached.info["valid_mse"]
    assert explorer.readout.value == w.explorer_readout(5, False, mse)
    assert explorer.image.value != image_2
    monkeypatch.undo()
    expected = w.reconstruction_png(explorer.images, w.reconstruct(cached.model, explorer.images),
                                    title="coding size 5 (untied)")
    assert explorer.image.value == expected
    assert explorer.curve.value == w.mse_curve_png(explorer.curves(), ("untied", 5, mse))
    assert explorer.loader.calls == [] and rendered == []  # warm-up pre-rendered everything
    assert explorer.message.value == "" and explorer.image.layout.visibility == "visible"


def test_mse_curve_comes_from_the_cached_validation_mse(warm):
    explorer, _, _ = warm
    sizes, mses = explorer.mse_curve(False)
    assert sizes == [2, 5]
    assert mses == [explorer.models[(s, False)].info["valid_mse"] for s in sizes]
    assert explorer.curves() == {"untied": (sizes, mses)}
    assert explorer.mse_curve(True) == ([], [])


def test_dom_contract(warm, fashion):
    explorer, _, _ = warm
    root = explorer.widget
    for css in CONTRACT:
        assert len(with_class(root, css)) == 1, css
    assert with_class(root, "ae-explorer-tied") == []  # notebook 01: no toggle
    assert with_class(root, "ae-explorer-slider")[0].options == (2, 5)
    assert with_class(root, "ae-explorer-image")[0].format == "png"
    assert with_class(root, "ae-explorer-readout")[0].value == explorer.readout.value
    toggled = w.CodingSizeExplorer(sizes=(2,), show_tied_toggle=True, images=fashion.X_test[:2],
                                   data=fashion)
    toggle = with_class(toggled.widget, "ae-explorer-tied")
    assert len(toggle) == 1 and toggle[0].options == ("untied", "tied")


def test_tied_toggle_switches_to_a_tied_model(explorer_env, fashion):
    explorer = w.CodingSizeExplorer(sizes=(2,), show_tied_toggle=True, data=fashion,
                                    images=fashion.X_test[:3])
    assert explorer.show() and explorer.drawn == (2, False)
    explorer.tied_toggle.value = "tied"
    cached = explorer.models[(2, True)]
    assert cached.model.tied and not explorer.models[(2, False)].model.tied
    assert explorer.readout.value == w.explorer_readout(2, True, cached.info["valid_mse"])
    assert set(explorer.curves()) == {"untied", "tied"}
    assert explorer.drawn == (2, True)


def test_a_missing_model_trains_with_the_progress_bar_moving(warm, fashion):
    model = warm[0].models[(2, False)].model
    explorer = w.CodingSizeExplorer(sizes=(2, 7), data=fashion, images=fashion.X_test[:2],
                                    loader=fake_loader(model, mse=0.02, epochs=3))
    values = []
    explorer.progress.observe(lambda change: values.append(change["new"]), names="value")
    explorer.slider.value = 7
    assert values[:3] == [1, 2, 3]
    assert explorer.progress.description == "ready" and explorer.progress.bar_style == "success"
    assert explorer.readout.value == w.explorer_readout(7, False, 0.02)


def test_training_failure_shows_a_message_not_a_traceback(warm, fashion):
    model = warm[0].models[(2, False)].model
    broken = fake_loader(model, error=RuntimeError("disk full"))
    explorer = w.CodingSizeExplorer(sizes=(2, 5), data=fashion, images=fashion.X_test[:2],
                                    loader=lambda s, t, e: (broken if s == 5 else fake_loader(model))(s, t, e))
    assert explorer.show() is True
    explorer.slider.value = 5  # must not raise
    assert "RuntimeError: disk full" in explorer.message.value
    assert "Cannot show coding size 5 (untied)" in explorer.message.value
    assert explorer.readout.value == w.explorer_readout(5, False, None)
    assert explorer.image.layout.visibility == "hidden"
    assert explorer.progress.description == "failed"
    explorer.slider.value = 2  # a working size clears the message
    assert explorer.message.value == "" and explorer.image.layout.visibility == "visible"


def test_a_size_the_cache_cannot_build_is_explained_without_training(warm, fashion):
    loader = counting(fake_loader(warm[0].models[(2, False)].model))
    explorer = w.CodingSizeExplorer(sizes=(2, 1000), data=fashion, images=fashion.X_test[:2],
                                    loader=loader)
    explorer.slider.value = 1000
    assert "coding_size must be a whole number from 1 to 784; got 1000" in explorer.message.value
    assert loader.calls == []


def test_a_diverged_model_is_reported(warm, fashion):
    explorer = w.CodingSizeExplorer(sizes=(3,), data=fashion, images=fashion.X_test[:2],
                                    loader=fake_loader(warm[0].models[(2, False)].model, mse=float("nan")))
    assert explorer.show() is False
    assert "did not converge" in explorer.message.value
    assert (3, False) not in explorer.models


def test_warm_up_reports_failures_and_keeps_the_rest(warm, fashion):
    model = warm[0].models[(2, False)].model
    explorer = w.CodingSizeExplorer(
        sizes=(2, 5), data=fashion, images=fashion.X_test[:2],
        loader=lambda s, t, e: fake_loader(model, error=OSError("no space") if s == 5 else None)(s, t, e))
    report = explorer.warm_up(show_progress=False)
    assert report["ready"] == [(2, False)] and list(report["failed"]) == [(5, False)]
    assert "1 failed" in report["summary"]
    assert "OSError: no space" in explorer.message.value
    assert explorer.drawn == (2, False)


def test_displaying_an_explorer_draws_it(warm, fashion, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    explorer = w.CodingSizeExplorer(sizes=(4,), data=fashion, images=fashion.X_test[:2],
                                    loader=fake_loader(warm[0].models[(2, False)].model))
    explorer._ipython_display_()
    assert shown == [explorer.widget] and explorer.drawn == (4, False)


def test_an_explorer_needs_sizes():
    with pytest.raises(ValueError, match="at least one coding size"):
        w.CodingSizeExplorer(sizes=(), images=np.zeros((1, 28, 28)))
