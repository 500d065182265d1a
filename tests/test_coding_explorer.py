"""The coding-size explorer and its helpers, driven by setting widget values.

Real (quick-profile) models are trained once per module into a private cache; the other
tests use a fake loader and a fake model (halves the pixels), so they train nothing.
"""

import io
import math
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg
import numpy as np
import pytest

from helpers import coding_explorer as ce
from helpers.models import same_weights
from helpers.plots import image_strip

CONTRACT = ("ae-explorer", "ae-explorer-slider", "ae-explorer-image", "ae-explorer-curve",
            "ae-explorer-readout", "ae-explorer-progress", "ae-explorer-message")
IMAGES = np.linspace(0, 1, 2 * 28 * 28, dtype="float32").reshape(2, 28, 28)


def half_model(images, training=False):
    """A stand-in autoencoder: its reconstruction is every pixel halved."""
    return np.asarray(images) * 0.5


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
    explorer = ce.CodingSizeExplorer(sizes=(2, 5), data=fashion, images=fashion.X_test[:4])
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


def fake_loader(model=half_model, mse=0.02, epochs=3, error=None):
    """Stands in for the cached trainer: reports epochs, then returns ``model`` or raises."""
    def load(size, tied, on_epoch):
        for epoch in range(1, epochs + 1):
            on_epoch(epoch, epochs, {"val_loss": 0.1 / epoch})
        if error is not None:
            raise error
        return SimpleNamespace(model=model, info={"valid_mse": mse}, from_cache=False)

    return load


def failing_once(size_that_fails, first_try):
    """A counting loader whose first load of ``size_that_fails`` goes wrong, then works.

    ``first_try``: an exception to raise, or a validation MSE for the first result (NaN).
    """
    calls = []

    def load(size, tied, on_epoch):
        calls.append((size, tied))
        if size == size_that_fails and calls.count((size, tied)) == 1:
            if isinstance(first_try, Exception):
                raise first_try
            return fake_loader(mse=first_try)(size, tied, on_epoch)
        return fake_loader()(size, tied, on_epoch)

    load.calls = calls
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


def explorer_with(loader, sizes=(2, 5), **kwargs):
    return ce.CodingSizeExplorer(sizes=sizes, images=IMAGES, loader=loader, **kwargs)


# --- pure functions ---------------------------------------------------------------------------

def test_names_and_readout_text():
    assert (ce.kind_name(True), ce.kind_name(False)) == ("tied", "untied")
    assert ce.model_name(5, True) == "coding size 5 (tied)"
    assert ce.explorer_readout(30, False, 0.0132178) == "Coding size 30 (untied): validation MSE 0.01322"
    assert ce.explorer_readout(5, True, 0.04) == "Coding size 5 (tied): validation MSE 0.04000"
    for missing in (None, math.nan):
        assert ce.explorer_readout(5, True, missing) == "Coding size 5 (tied): no validation MSE available"


def test_failure_message_is_short_escaped_html():
    text = ce.explorer_failure_message(5, True, ValueError("<bad> & worse"))
    assert text == "<b>Cannot show coding size 5 (tied).</b> ValueError: &lt;bad&gt; &amp; worse"


def test_checked_mse_refuses_missing_or_diverged_models():
    assert ce.checked_mse({"valid_mse": 0.25}) == 0.25
    with pytest.raises(ce.ModelFailedError, match="no validation MSE"):
        ce.checked_mse({"loss": [1.0]})
    with pytest.raises(ce.ModelFailedError, match="did not converge"):
        ce.checked_mse({"valid_mse": float("nan")})
    with pytest.raises(ce.ModelFailedError, match="no validation MSE"):
        ce.checked_mse(None)


def test_check_images():
    assert ce.check_images(IMAGES.tolist()).dtype == np.float32
    for bad in (np.zeros((0, 28, 28)), np.zeros((3, 784)), np.zeros((28, 28))):
        with pytest.raises(ValueError, match=r"images must be a stack of 28x28 images.*got shape"):
            ce.check_images(bad)


def test_explorer_recipe_is_the_fast_recipe_shortened():
    from helpers.training import FAST

    r = ce.EXPLORER_RECIPE
    assert (r.batch_size, r.learning_rate, r.schedule) == (FAST.batch_size, FAST.learning_rate, FAST.schedule)
    assert r.epochs < FAST.epochs and r.name != FAST.name  # a different cache entry, never confused
    assert ce.DEFAULT_SIZES == (2, 5, 10, 20, 30, 50, 100)


def test_reconstruct_calls_the_model():
    np.testing.assert_allclose(ce.reconstruct(half_model, IMAGES), IMAGES * 0.5)


def test_png_helpers_render_images(warm):
    explorer, _, _ = warm
    model = explorer.models[(2, False)].model
    recon = ce.reconstruct(model, explorer.images)
    np.testing.assert_allclose(recon, model.predict(explorer.images, verbose=0), atol=1e-5)
    assert recon.shape == explorer.images.shape
    height, width, _ = png_shape(ce.reconstruction_png(explorer.images, recon, title="x"))
    assert width > height > 0
    assert png_shape(ce.mse_curve_png({"untied": ([2, 5], [0.05, 0.04])}, ("untied", 5, 0.04)))[0] > 0


def test_describe_mse_by_size_gives_each_step_and_the_largest_and_smallest_drop():
    text = ce.describe_mse_by_size([2, 5, 10], [0.04, 0.03, 0.0285])
    assert text.splitlines() == [
        "coding size   2: validation MSE 0.04000",
        "coding size   5: validation MSE 0.03000 (-25% from 2)",
        "coding size  10: validation MSE 0.02850 (-5% from 5)",
        "Every larger coding lowers the error.",
        "The largest relative drop is from 2 to 5 (-25%), the smallest from 5 to 10 (-5%).",
    ]


def test_describe_mse_by_size_says_when_the_error_rises():
    text = ce.describe_mse_by_size([2, 5, 10], [0.04, 0.03, 0.033])
    assert text.splitlines()[-2:] == ["The error does not fall at every step: it rises from 5 to 10 (+10%).",
                                      "The largest drop is from 2 to 5 (-25%)."]
    with pytest.raises(ValueError, match="at least two coding sizes"):
        ce.describe_mse_by_size([2], [0.04])


def by_size_loader(mses):
    """A fake loader whose model scales the pixels by size/10 and whose MSE is ``mses[(size, tied)]``."""
    def load(size, tied, on_epoch):
        return SimpleNamespace(model=lambda images, training=False: np.asarray(images) * size / 10,
                               info={"valid_mse": mses[(size, tied)]}, from_cache=True)
    return load


def test_overview_figure_draws_every_size_of_one_kind():
    mses = {(2, False): 0.04, (5, False): 0.03, (2, True): 0.05, (5, True): 0.035}
    explorer = explorer_with(by_size_loader(mses))
    fig = explorer.overview_figure()
    *strips, curve = fig.axes
    assert [ax.get_ylabel() for ax in strips] == ["originals", "coding size 2\nMSE 0.0400",
                                                  "coding size 5\nMSE 0.0300"]
    np.testing.assert_allclose(strips[2].images[0].get_array(), image_strip(IMAGES * 0.5))
    assert [(list(line.get_xdata()), list(line.get_ydata())) for line in curve.lines] == [
        ([2, 5], [0.04, 0.03])]
    tied_only = explorer.overview_figure(tied=True).axes
    assert tied_only[1].get_ylabel() == "coding size 2\nMSE 0.0500"
    with pytest.raises(ValueError, match="tied must be True or False"):
        explorer.overview_figure(tied="yes")


def test_overview_figure_of_the_toggle_explorer_draws_both_kinds():
    mses = {(2, False): 0.04, (5, False): 0.03, (2, True): 0.05, (5, True): 0.035}
    explorer = explorer_with(by_size_loader(mses), show_tied_toggle=True)
    *strips, curve = explorer.overview_figure().axes
    assert [ax.get_ylabel().split("\n")[0] for ax in strips] == [
        "originals", "2 (untied)", "2 (tied)", "5 (untied)", "5 (tied)"]
    assert {line.get_label(): list(line.get_ydata()) for line in curve.lines} == {
        "untied": [0.04, 0.03], "tied": [0.05, 0.035]}


# --- early, named errors ----------------------------------------------------------------------

@pytest.mark.parametrize("sizes, message", [
    (None, r"^sizes must be a sequence of values such as sizes=\(2, 5, 30\); got None\.$"),
    (30, r"^sizes must be a sequence of values such as sizes=\(2, 5, 30\); got 30 \(int\)\.$"),
    ((), r"^sizes needs at least one value"),
    ((5, 2), r"^sizes must be in increasing order .* Use sizes=\(2, 5\)\.$"),
    ((2, 5, 5), r"^sizes lists 5 twice"),
    ((0, 5), r"^sizes holds 0, which is not allowed: coding_size must be a whole number from 1 to 784"),
    ((2, 1000), r"^sizes holds 1000, which is not allowed: coding_size must be a whole number from 1 to 784"),
    ((2, 2.5), r"^sizes holds 2.5, which is not allowed: coding_size must be a whole number"),
])
def test_bad_sizes_are_refused_at_construction(sizes, message):
    with pytest.raises(ValueError, match=message):
        explorer_with(fake_loader(), sizes=sizes)


def test_initial_size_must_be_on_the_slider():
    with pytest.raises(ValueError, match=r"^initial_size must be one of the sizes on the slider "
                                         r"\(2, 5\); got 7\.$"):
        explorer_with(fake_loader(), initial_size=7)
    assert explorer_with(fake_loader(), initial_size=5).coding_size == 5
    assert explorer_with(fake_loader(), sizes=(2, 30, 50)).coding_size == 30, "default: 30"
    assert explorer_with(fake_loader(), sizes=(2, 50)).coding_size == 2, "else the first size"


def test_loader_and_images_are_checked_at_construction():
    with pytest.raises(ValueError, match=r"^loader must be a function loader"):
        explorer_with("not a function")
    with pytest.raises(ValueError, match=r"^images must be a stack"):
        ce.CodingSizeExplorer(sizes=(2,), images=np.zeros((2, 10)), loader=fake_loader())


# --- failures are shown, and retried -------------------------------------------------------------

@pytest.mark.parametrize("first_try, reason", [
    (OSError("disk full"), "OSError: disk full"),
    (float("nan"), "ModelFailedError: training did not converge"),
])
def test_a_failed_model_is_retried_after_moving_away_and_back(first_try, reason):
    loader = failing_once(5, first_try)
    explorer = explorer_with(loader)
    assert explorer.show() is True
    explorer.slider.value = 5
    assert reason in explorer.message.value and explorer.drawn is None
    assert (5, False) not in explorer.models and explorer.progress.description == "failed"
    explorer.slider.value = 2
    explorer.slider.value = 5
    assert explorer.drawn == (5, False) and explorer.message.value == ""
    assert explorer.readout.value == ce.explorer_readout(5, False, 0.02)
    assert loader.calls == [(2, False), (5, False), (5, False)]


def test_showing_a_failed_model_again_retries():
    loader = failing_once(2, OSError("busy"))
    explorer = explorer_with(loader, sizes=(2,))
    assert explorer.show() is False
    assert explorer.show() is True and explorer.progress.description == "ready"
    assert loader.calls == [(2, False), (2, False)]


def test_training_failure_shows_a_message_not_a_traceback():
    broken = fake_loader(error=RuntimeError("disk full"))
    explorer = explorer_with(lambda s, t, e: (broken if s == 5 else fake_loader())(s, t, e))
    assert explorer.show() is True
    explorer.slider.value = 5  # must not raise
    assert explorer.message.value == "<b>Cannot show coding size 5 (untied).</b> RuntimeError: disk full"
    assert explorer.readout.value == ce.explorer_readout(5, False, None)
    assert explorer.image.layout.visibility == "hidden"
    assert explorer.progress.description == "failed" and explorer.progress.bar_style == "danger"
    explorer.slider.value = 2  # a working size clears the message
    assert explorer.message.value == "" and explorer.image.layout.visibility == "visible"


def test_a_size_the_cache_cannot_build_is_explained_without_training():
    loader = counting(fake_loader())
    explorer = explorer_with(loader)
    assert explorer.show(1000) is False   # asked for directly, not through the slider
    assert "coding_size must be a whole number from 1 to 784; got 1000" in explorer.message.value
    assert loader.calls == []


def test_warm_up_does_not_retry_the_current_failure_but_a_later_visit_does():
    loader = failing_once(5, OSError("no space"))
    explorer = explorer_with(loader, initial_size=5)
    report = explorer.warm_up(show_progress=False)
    assert report["ready"] == [(2, False)] and list(report["failed"]) == [(5, False)]
    assert "1 failed" in report["summary"] and "OSError: no space" in explorer.message.value
    assert loader.calls == [(2, False), (5, False)], "the failed model is not loaded twice in a row"
    assert explorer.drawn is None and explorer.image.layout.visibility == "hidden"
    assert explorer.show() is True and loader.calls[-1] == (5, False)


def test_warm_up_reports_failures_and_keeps_the_rest():
    explorer = explorer_with(
        lambda s, t, e: fake_loader(error=OSError("no space") if s == 5 else None)(s, t, e))
    report = explorer.warm_up(show_progress=False)
    assert report["ready"] == [(2, False)] and list(report["failed"]) == [(5, False)]
    assert report["failed"][(5, False)] == ce.explorer_failure_message(5, False, OSError("no space"))
    assert "1 failed" in report["summary"]
    assert "OSError: no space" in explorer.message.value
    assert explorer.drawn == (2, False)


def test_warm_up_checks_its_sizes():
    with pytest.raises(ValueError, match=r"^sizes must be in increasing order"):
        explorer_with(fake_loader()).warm_up(sizes=(5, 2), show_progress=False)


# --- the explorer with a fake loader -----------------------------------------------------------

def test_a_missing_model_trains_with_the_progress_bar_moving():
    explorer = explorer_with(fake_loader(mse=0.02, epochs=3), sizes=(2, 7))
    values = []
    explorer.progress.observe(lambda change: values.append(change["new"]), names="value")
    explorer.slider.value = 7
    assert values[:3] == [1, 2, 3]
    assert explorer.progress.description == "ready" and explorer.progress.bar_style == "success"
    assert explorer.readout.value == ce.explorer_readout(7, False, 0.02)


def test_model_for_keeps_usable_models_in_memory():
    loader = counting(fake_loader())
    explorer = explorer_with(loader)
    first = explorer.model_for(2, False)
    assert explorer.model_for(2, 0) is first and loader.calls == [(2, False)]


def test_drawing_and_render_agree():
    explorer = explorer_with(fake_loader(mse=0.03))
    recon, curve, mse = explorer.render(2, False)
    drawing = explorer.drawing((2, False))
    assert drawing.pngs == (recon, curve) and mse == 0.03
    assert drawing.readout == ce.explorer_readout(2, False, 0.03)
    assert explorer.selection() == (2, False)
    assert explorer.describe((2, True)) == "coding size 2 (tied)"
    assert explorer.readout_text((2, True), None) == ce.explorer_readout(2, True, None)


def test_displaying_an_explorer_draws_it(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    explorer = explorer_with(fake_loader(), sizes=(4,))
    explorer._ipython_display_()
    assert shown == [explorer.widget] and explorer.drawn == (4, False)


# --- the explorer with real cached models ------------------------------------------------------

def test_warm_up_trains_missing_models_with_progress(warm):
    explorer, report, said = warm
    assert report["ready"] == [(2, False), (5, False)]
    assert (report["trained"], report["from_cache"], report["failed"]) == (2, 0, {})
    assert "epoch 1/2" in said and "epoch 2/2" in said and said[-1] == "ready"
    assert report["summary"].startswith("2/2 models ready")
    assert explorer.drawn == (2, False)
    mse = explorer.models[(2, False)].info["valid_mse"]
    assert explorer.readout.value == ce.explorer_readout(2, False, mse)


def test_a_second_explorer_loads_the_same_models_from_the_disk_cache(warm, fashion):
    first, _, _ = warm
    second = ce.CodingSizeExplorer(sizes=(2, 5), data=fashion, images=fashion.X_test[:4])
    report = second.warm_up(show_progress=False)
    assert (report["trained"], report["from_cache"]) == (0, 2)
    for key in report["ready"]:
        assert same_weights(first.models[key].model, second.models[key].model)


def test_slider_move_redraws_from_memory(warm, monkeypatch):
    explorer, _, _ = warm
    explorer.loader = counting(explorer.loader)
    rendered = []
    monkeypatch.setattr(ce, "reconstruction_png", lambda *a, **k: rendered.append(a) or b"")
    explorer.slider.value = 2
    image_2 = explorer.image.value
    explorer.slider.value = 5
    cached = explorer.models[(5, False)]
    mse = cached.info["valid_mse"]
    assert explorer.readout.value == ce.explorer_readout(5, False, mse)
    assert explorer.image.value != image_2
    monkeypatch.undo()
    expected = ce.reconstruction_png(explorer.images, ce.reconstruct(cached.model, explorer.images),
                                     title="coding size 5 (untied)")
    assert explorer.image.value == expected
    assert explorer.curve.value == ce.mse_curve_png(explorer.curves(), ("untied", 5, mse))
    assert explorer.loader.calls == [] and rendered == []  # warm-up pre-rendered everything
    assert explorer.message.value == "" and explorer.image.layout.visibility == "visible"


def test_mse_curve_comes_from_the_cached_validation_mse(warm):
    explorer, _, _ = warm
    sizes, mses = explorer.mse_curve(False)
    assert sizes == [2, 5]
    assert mses == [explorer.models[(s, False)].info["valid_mse"] for s in sizes]
    assert explorer.curves() == {"untied": (sizes, mses)}
    assert explorer.mse_curve(True) == ([], [])


def test_dom_contract(warm):
    explorer, _, _ = warm
    root = explorer.widget
    for css in CONTRACT:
        assert len(with_class(root, css)) == 1, css
    assert with_class(root, "ae-explorer-tied") == []  # notebook 01: no toggle
    assert with_class(root, "ae-explorer-slider")[0].options == (2, 5)
    assert with_class(root, "ae-explorer-image")[0].format == "png"
    assert with_class(root, "ae-explorer-readout")[0].value == explorer.readout.value
    toggled = explorer_with(fake_loader(), sizes=(2,), show_tied_toggle=True)
    toggle = with_class(toggled.widget, "ae-explorer-tied")
    assert len(toggle) == 1 and toggle[0].options == ("untied", "tied")


def test_tied_toggle_switches_to_a_tied_model(explorer_env, fashion):
    explorer = ce.CodingSizeExplorer(sizes=(2,), show_tied_toggle=True, data=fashion,
                                     images=fashion.X_test[:3])
    assert explorer.show() and explorer.drawn == (2, False)
    explorer.tied_toggle.value = "tied"
    cached = explorer.models[(2, True)]
    assert cached.model.tied and not explorer.models[(2, False)].model.tied
    assert explorer.readout.value == ce.explorer_readout(2, True, cached.info["valid_mse"])
    assert set(explorer.curves()) == {"untied", "tied"}
    assert explorer.drawn == (2, True)
