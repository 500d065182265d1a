"""The coding-size explorer of notebooks 01 and 02: reconstructions and MSE as the coding size changes.

:class:`CodingSizeExplorer` is a slider over coding sizes (and, in notebook 02, a
tied/untied toggle) showing test images above their reconstructions, beside a plot of
validation MSE against coding size. Models come from the model cache; a missing one is
trained on the spot while the progress bar moves. Loaded models stay in the instance, so
moving the slider afterwards only re-renders (or re-uses) two small PNGs. A model that
failed to load or train is not remembered: selecting it again retries.

Widget callbacks are thin: they call the plain functions below, which are unit-tested.
:meth:`CodingSizeExplorer.overview_figure` draws every model at once in a stored figure, for
readers without a kernel; :func:`describe_mse_by_size` puts its curve into words.

DOM contract (CSS classes the browser tests rely on): ``ae-explorer`` (root),
``ae-explorer-slider``, ``ae-explorer-tied`` (the toggle, only with ``show_tied_toggle``),
``ae-explorer-image``, ``ae-explorer-curve``, ``ae-explorer-readout`` (text =
:func:`explorer_readout`), ``ae-explorer-progress``, ``ae-explorer-message``; and
``ae-warmup-progress`` (the bar :meth:`CodingSizeExplorer.warm_up` displays).
"""

from __future__ import annotations

import dataclasses
import html
import math
import time
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np

from helpers.data import load_fashion_mnist
from helpers.figure_parts import figure_png
from helpers.models import IMAGE_SHAPE, check_coding_size, check_tied
from helpers.plots import coding_size_overview_figure, mse_curve_figure, reconstruction_strip_figure
from helpers.selection import one_per_class
from helpers.training import FAST, trained_autoencoder
from helpers.widgets import Drawing, Explorer, check_choices, check_initial, failure_message

DEFAULT_SIZES = (2, 5, 10, 20, 30, 50, 100)

# The explorer needs one model per coding size (and per tied/untied), so its models use the
# FAST recipe cut to a few epochs (without XLA, whose compile time does not pay off on short
# runs). They are a little less accurate than the lessons' 20-epoch models; the notebooks say so.
EXPLORER_RECIPE = dataclasses.replace(FAST, name="fast-explorer", epochs=3, jit_compile=False)


class ModelFailedError(RuntimeError):
    """A model loaded or trained, but it is not usable (e.g. its validation MSE is NaN)."""


# --- pure functions behind the explorer ------------------------------------------------------

def kind_name(tied: bool) -> str:
    return "tied" if tied else "untied"


def model_name(coding_size, tied) -> str:
    """How the explorer names one model, e.g. "coding size 5 (tied)"."""
    return f"coding size {coding_size} ({kind_name(tied)})"


def explorer_readout(coding_size, tied, mse) -> str:
    """The readout line under the explorer's slider (plain text, also used by browser tests)."""
    what = model_name(coding_size, tied).capitalize()
    if mse is None or not math.isfinite(mse):
        return f"{what}: no validation MSE available"
    return f"{what}: validation MSE {mse:.5f}"


def explorer_failure_message(coding_size, tied, error) -> str:
    """HTML for the message area when a model cannot be shown (no traceback, just the cause)."""
    return failure_message(model_name(coding_size, tied), error)


def check_images(images) -> np.ndarray:
    """``images`` as float32 (n, 28, 28) with n >= 1, or ValueError saying what is expected."""
    array = np.asarray(images, dtype="float32")
    if array.ndim != 1 + len(IMAGE_SHAPE) or array.shape[1:] != IMAGE_SHAPE or not len(array):
        raise ValueError(f"images must be a stack of {IMAGE_SHAPE[0]}x{IMAGE_SHAPE[1]} images, shape "
                         f"(n, {IMAGE_SHAPE[0]}, {IMAGE_SHAPE[1]}) with n >= 1, e.g. "
                         f"data.X_test[:10]; got shape {array.shape}.")
    return array


def reconstruct(model, images) -> np.ndarray:
    """The model's reconstructions of ``images`` (a direct call: fast for a handful)."""
    import keras

    return keras.ops.convert_to_numpy(model(np.asarray(images, dtype="float32"), training=False))


def reconstruction_png(originals, reconstructions, title=None) -> bytes:
    """PNG bytes of originals (top strip) above their reconstructions (bottom strip)."""
    return figure_png(reconstruction_strip_figure(originals, reconstructions, title=title))


def mse_curve_png(curves, current=None) -> bytes:
    """PNG bytes of validation MSE against coding size (see ``helpers.plots.mse_curve_figure``)."""
    return figure_png(mse_curve_figure(curves, current))


def checked_mse(info) -> float:
    """The cached validation MSE of a model, or ModelFailedError if it is missing or not finite."""
    mse = info.get("valid_mse") if isinstance(info, dict) else None
    if mse is None:
        raise ModelFailedError("the cache entry has no validation MSE (valid_mse).")
    if not math.isfinite(mse):
        raise ModelFailedError(f"training did not converge (validation MSE is {mse}).")
    return float(mse)


def describe_mse_by_size(sizes, mses) -> str:
    """The MSE at each coding size, the relative change at each step, and which step changed most
    and least, as text (the sentence is chosen from the numbers, so it holds in any profile)."""
    if len(sizes) != len(mses) or len(sizes) < 2:
        raise ValueError(f"need at least two coding sizes with one MSE each; got {len(sizes)} sizes "
                         f"and {len(mses)} MSEs.")
    steps = [(a, b, mb / ma - 1) for a, b, ma, mb in zip(sizes, sizes[1:], mses, mses[1:], strict=False)]
    lines = [f"coding size {sizes[0]:>3}: validation MSE {mses[0]:.5f}"]
    lines += [f"coding size {b:>3}: validation MSE {m:.5f} ({change:+.0%} from {a})"
              for (a, b, change), m in zip(steps, mses[1:], strict=True)]
    most, least = min(steps, key=lambda s: s[2]), max(steps, key=lambda s: s[2])
    rises = [f"{a} to {b} ({change:+.0%})" for a, b, change in steps if change >= 0]
    if rises:
        verdict = [f"The error does not fall at every step: it rises from {', '.join(rises)}.",
                   f"The largest drop is from {most[0]} to {most[1]} ({most[2]:+.0%})."]
    else:
        verdict = ["Every larger coding lowers the error.",
                   f"The largest relative drop is from {most[0]} to {most[1]} ({most[2]:+.0%}), "
                   f"the smallest from {least[0]} to {least[1]} ({least[2]:+.0%})."]
    return "\n".join([*lines, *verdict])


# --- the explorer ------------------------------------------------------------------------------

class CodingSizeExplorer(Explorer):
    """Slider over coding sizes -> originals vs reconstructions, beside MSE vs coding size.

    Args:
        sizes: coding sizes on the slider, increasing, each from 1 to 784
            (default 2, 5, 10, 20, 30, 50, 100).
        tied: which kind of model to start with.
        show_tied_toggle: add the "untied"/"tied" toggle (notebook 02).
        initial_size: the slider's first position, one of ``sizes`` (default 30 if offered,
            else the first).
        recipe, seed: passed to ``helpers.training.trained_autoencoder``.
        data: a ``FashionMNIST`` (default: ``load_fashion_mnist()``).
        images: images (n, 28, 28) to reconstruct (default: the first test image of each class).
        loader: ``loader(coding_size, tied, on_epoch)`` returning an object with ``.model``,
            ``.info`` and ``.from_cache`` (default: the cached trainer; tests may swap it).
    """

    def __init__(self, sizes=DEFAULT_SIZES, tied=False, show_tied_toggle=False, initial_size=None,
                 recipe=EXPLORER_RECIPE, seed=42, data=None, images=None,
                 loader: Callable | None = None):
        self.sizes = check_choices("sizes", sizes, check_coding_size, "(2, 5, 30)")
        if initial_size is None:
            initial_size = 30 if 30 in self.sizes else self.sizes[0]
        check_initial("initial_size", initial_size, self.sizes, "sizes on the slider")
        if loader is not None and not callable(loader):
            raise ValueError("loader must be a function loader(coding_size, tied, on_epoch) that "
                             f"returns the cached model, or None for the model cache; got {loader!r}.")
        self.recipe, self.seed = recipe, seed
        self.show_tied_toggle = bool(show_tied_toggle)
        self.data = data
        if images is None:
            self.data = self.data or load_fashion_mnist()
            images = self.data.X_test[one_per_class(self.data.y_test)]
        self.images = check_images(images)
        self.loader = loader or self._cached_loader
        self.models: dict = {}          # (coding_size, tied) -> cached model (the in-memory cache)
        self._recon_png: dict = {}      # (coding_size, tied) -> PNG bytes
        self._curve_png: dict = {}      # (coding_size, tied, curve points) -> PNG bytes
        self._epoch_listener = None

        super().__init__("ae-explorer", explorer_readout(initial_size, tied, None), "420px", "560px")
        self.slider = widgets.SelectionSlider(
            options=self.sizes, value=initial_size, description="coding size",
            continuous_update=False, style={"description_width": "initial"},
            layout=widgets.Layout(width="420px"))
        self.slider.add_class("ae-explorer-slider")
        self.tied_toggle = widgets.ToggleButtons(options=["untied", "tied"], value=kind_name(tied),
                                                 style={"button_width": "70px"})
        self.tied_toggle.add_class("ae-explorer-tied")
        self.curve = widgets.Image(format="png", layout=widgets.Layout(max_width="340px"))
        self.curve.add_class("ae-explorer-curve")
        self.pictures = (self.image, self.curve)

        controls = [self.slider] + ([self.tied_toggle] if self.show_tied_toggle else [])
        self.assemble("ae-explorer", [widgets.HBox(controls)], widgets.HBox(
            [self.image, self.curve], layout=widgets.Layout(align_items="center", flex_flow="row wrap")))
        self.follow(self.slider, self.tied_toggle)

    # -- state ---------------------------------------------------------------------------------
    @property
    def coding_size(self):
        return self.slider.value

    @property
    def tied(self) -> bool:
        return self.tied_toggle.value == "tied"

    def selection(self) -> tuple:
        return (self.coding_size, self.tied)

    def describe(self, key) -> str:
        return model_name(*key)

    def readout_text(self, key, mse) -> str:
        return explorer_readout(*key, mse)

    def _cached_loader(self, coding_size, tied, on_epoch):
        return trained_autoencoder(coding_size, tied=tied, recipe=self.recipe, seed=self.seed,
                                   data=self.data, on_epoch=on_epoch)

    def _on_epoch(self, epoch, epochs, logs=None):
        self.step(epoch, epochs, "epoch")
        if self._epoch_listener:
            self._epoch_listener(epoch, epochs, logs)

    def model_for(self, coding_size, tied):
        """The cached model for (coding_size, tied): from memory, the disk cache, or trained now.

        Only usable models are kept; after a failure the next call tries again.
        """
        key = (coding_size, bool(tied))
        if key not in self.models:
            with self.busy("loading", "ready"):
                check_coding_size(coding_size)
                cached = self.loader(coding_size, bool(tied), self._on_epoch)
                checked_mse(cached.info)
            self.models[key] = cached
        return self.models[key]

    def mse_curve(self, tied) -> tuple[list, list]:
        """(sizes, validation MSEs) of the loaded models of one kind, by increasing size."""
        points = sorted((size, checked_mse(c.info)) for (size, t), c in self.models.items()
                        if t == bool(tied))
        return [p[0] for p in points], [p[1] for p in points]

    def curves(self) -> dict:
        """{kind name: (sizes, MSEs)} for the kinds the explorer offers."""
        kinds = (False, True) if self.show_tied_toggle else (self.tied,)
        return {kind_name(k): self.mse_curve(k) for k in kinds}

    # -- drawing -------------------------------------------------------------------------------
    def render(self, coding_size, tied) -> tuple[bytes, bytes, float]:
        """(reconstruction PNG, MSE-curve PNG, validation MSE) for one model, memoised."""
        key = (coding_size, bool(tied))
        cached = self.model_for(*key)
        mse = checked_mse(cached.info)
        if key not in self._recon_png:
            self._recon_png[key] = reconstruction_png(
                self.images, reconstruct(cached.model, self.images), title=model_name(*key))
        curves = self.curves()
        curve_key = (*key, tuple((k, tuple(v[0])) for k, v in curves.items()))
        if curve_key not in self._curve_png:
            self._curve_png[curve_key] = mse_curve_png(curves, (kind_name(tied), coding_size, mse))
        return self._recon_png[key], self._curve_png[curve_key], mse

    def drawing(self, key) -> Drawing:
        recon_png, curve_png, mse = self.render(*key)
        return Drawing((recon_png, curve_png), explorer_readout(*key, mse))

    def show(self, coding_size=None, tied=None) -> bool:
        """Draw (coding_size, tied) (default: the widgets' values). False + message on failure."""
        return self.show_key((self.coding_size if coding_size is None else coding_size,
                              self.tied if tied is None else bool(tied)))

    def overview_figure(self, tied=None):
        """A stored picture of what the widget shows: the explorer's images on top, one row of
        reconstructions per coding size, and validation MSE against coding size beside them.

        ``tied=None`` draws the kinds the explorer offers (both, untied then tied per size, with
        ``show_tied_toggle``; else the current one); ``True``/``False`` draws only that kind.
        Models come from :meth:`model_for` (already loaded after :meth:`warm_up`). Returns a pyplot
        ``Figure`` (show it with ``plt.show()``).
        """
        kinds = (((False, True) if self.show_tied_toggle else (self.tied,)) if tied is None
                 else (check_tied(tied),))
        rows = {}
        for size in self.sizes:
            for kind in kinds:
                cached = self.model_for(size, kind)
                name = f"{size} ({kind_name(kind)})" if len(kinds) > 1 else f"coding size {size}"
                rows[f"{name}\nMSE {checked_mse(cached.info):.4f}"] = reconstruct(cached.model, self.images)
        curves = {kind_name(kind): self.mse_curve(kind) for kind in kinds}
        return coding_size_overview_figure(self.images, rows, curves)

    def warm_up(self, sizes=None, tied_options=None, show_progress=True) -> dict:
        """Load (training if missing) every model the explorer offers, then draw.

        Shows a progress bar over the models when ``show_progress``. Returns a report:
        ``ready`` (list of keys), ``trained`` / ``from_cache`` (counts), ``failed``
        ({key: HTML message}), ``seconds``, ``summary`` (one line of text).
        """
        sizes = self.sizes if sizes is None else check_choices("sizes", sizes, check_coding_size,
                                                               "(2, 5, 30)")
        if tied_options is None:
            tied_options = (False, True) if self.show_tied_toggle else (self.tied,)
        keys = [(s, bool(t)) for t in tied_options for s in sizes]
        bar = widgets.IntProgress(min=0, max=len(keys), value=0, description="models",
                                  layout=widgets.Layout(width="360px"))
        label = widgets.HTML("")
        box = widgets.HBox([bar, label])
        box.add_class("ae-warmup-progress")
        if show_progress:
            from IPython.display import display

            display(box)
        report = {"ready": [], "trained": 0, "from_cache": 0, "failed": {}}
        errors = {}
        start = time.perf_counter()
        for done, (size, tied) in enumerate(keys):
            what = model_name(size, tied)
            label.value = html.escape(f"{done}/{len(keys)} ready; loading {what}")
            self._epoch_listener = lambda e, n, logs=None, done=done, what=what: setattr(
                label, "value", html.escape(f"{done}/{len(keys)} ready; training {what}: epoch {e}/{n}"))
            try:
                was_loaded = (size, tied) in self.models
                cached = self.model_for(size, tied)
                report["ready"].append((size, tied))
                if not was_loaded:
                    report["from_cache" if cached.from_cache else "trained"] += 1
            except Exception as err:  # reported below, and in the explorer's message area
                errors[(size, tied)] = err
                bar.bar_style = "warning"
            finally:
                self._epoch_listener = None
            bar.value = done + 1
        label.value = "drawing..."
        for key in list(report["ready"]):  # pre-render, so that every later slider move is instant
            try:
                self.render(*key)
            except Exception as err:
                report["ready"].remove(key)
                errors[key] = err
        report["failed"] = {key: explorer_failure_message(*key, err) for key, err in errors.items()}
        report["seconds"] = time.perf_counter() - start
        summary = (f"{len(report['ready'])}/{len(keys)} models ready in {report['seconds']:.0f} s "
                   f"({report['trained']} trained now, {report['from_cache']} from the disk cache)")
        if report["failed"]:
            summary += f"; {len(report['failed'])} failed (see the explorer's message area)"
        else:
            bar.bar_style = "success"
        label.value = html.escape(summary)
        report["summary"] = summary
        if self.selection() in errors:  # do not retry what just failed; moving back will
            self.show_failure(self.selection(), errors[self.selection()])
        else:
            self.show()
        if report["failed"]:  # keep every warm-up failure visible, not only the current one
            self.message.value = "<br>".join(report["failed"].values())
        return report
