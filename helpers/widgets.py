"""Interactive explorers for the notebooks (ipywidgets).

Widget callbacks are thin: they call the plain functions below, which are unit-tested.

* :class:`CodingSizeExplorer` (notebooks 01 and 02): a slider over coding sizes (and, in
  02, a tied/untied toggle) showing test images against their reconstructions, beside a
  plot of validation MSE against coding size. Models come from the model cache; a missing
  one is trained on the spot while a progress bar moves. Loaded models stay in the
  instance, so moving the slider afterwards only re-renders (or re-uses) two small PNGs.
* :class:`EpochProgress`: a progress bar to pass as ``on_epoch=`` while a model trains.

DOM contract (CSS classes the browser tests rely on): ``ae-explorer`` (root),
``ae-explorer-slider``, ``ae-explorer-tied``, ``ae-explorer-image``,
``ae-explorer-readout`` (text = :func:`explorer_readout`), ``ae-explorer-progress``,
``ae-explorer-message``.
"""

from __future__ import annotations

import dataclasses
import html
import math
import time
from typing import Callable

import ipywidgets as widgets
import numpy as np

from helpers.data import load_fashion_mnist
from helpers.models import check_coding_size
from helpers.plots import figure_png, mse_curve_figure, one_per_class, reconstruction_strip_figure
from helpers.training import FAST, trained_autoencoder

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


def explorer_readout(coding_size, tied, mse) -> str:
    """The readout line under the explorer's slider (plain text, also used by browser tests)."""
    if mse is None or not math.isfinite(mse):
        return f"Coding size {coding_size} ({kind_name(tied)}): no validation MSE available"
    return f"Coding size {coding_size} ({kind_name(tied)}): validation MSE {mse:.5f}"


def explorer_failure_message(coding_size, tied, error) -> str:
    """HTML for the message area when a model cannot be shown (no traceback, just the cause)."""
    reason = str(error).strip() or type(error).__name__
    return (f"<b>Cannot show coding size {html.escape(str(coding_size))} ({kind_name(tied)}).</b> "
            f"{html.escape(type(error).__name__)}: {html.escape(reason)}")


def reconstruct(model, images) -> np.ndarray:
    """The model's reconstructions of ``images`` (a direct call: fast for a handful)."""
    import keras

    return keras.ops.convert_to_numpy(model(np.asarray(images, dtype="float32"), training=False))


def reconstruction_png(originals, reconstructions, title=None) -> bytes:
    """PNG bytes of originals (top strip) above their reconstructions (bottom strip)."""
    return figure_png(reconstruction_strip_figure(originals, reconstructions, title=title))


def mse_curve_png(curves, current=None) -> bytes:
    """PNG bytes of validation MSE against coding size (see ``plots.mse_curve_figure``)."""
    return figure_png(mse_curve_figure(curves, current))


def checked_mse(info) -> float:
    """The cached validation MSE of a model, or ModelFailedError if it is missing or not finite."""
    mse = info.get("valid_mse") if isinstance(info, dict) else None
    if mse is None:
        raise ModelFailedError("the cache entry has no validation MSE (valid_mse).")
    if not math.isfinite(mse):
        raise ModelFailedError(f"training did not converge (validation MSE is {mse}).")
    return float(mse)


# --- widgets shared by both explorers ----------------------------------------------------------

def status_widgets(prefix: str, readout_html: str, bar_width: str, image_width: str):
    """The (readout, progress, message, image) widgets of an explorer, with the CSS classes
    ``{prefix}-readout``, ``{prefix}-progress``, ``{prefix}-message`` and ``{prefix}-image``
    that the browser tests look for."""
    readout = widgets.HTML(readout_html)
    progress = widgets.IntProgress(min=0, max=1, value=0, description="idle",
                                   layout=widgets.Layout(width=bar_width))
    message = widgets.HTML("")
    image = widgets.Image(format="png", layout=widgets.Layout(max_width=image_width))
    for part, widget in zip(("readout", "progress", "message", "image"),
                            (readout, progress, message, image)):
        widget.add_class(f"{prefix}-{part}")
    return readout, progress, message, image


# --- progress while training -------------------------------------------------------------------

class EpochProgress:
    """A progress bar + status line; pass the instance as ``on_epoch=`` to a trainer.

    ``finish(cached_model)`` then says whether the model came from the cache or how long
    it trained, and its validation MSE.
    """

    def __init__(self, title: str, show: bool = True):
        self.title = title
        self.bar = widgets.IntProgress(min=0, max=1, value=0, description="",
                                       layout=widgets.Layout(width="300px"))
        self.label = widgets.HTML(f"{html.escape(title)}: loading or training...")
        self.widget = widgets.HBox([self.bar, self.label])
        self.widget.add_class("ae-epoch-progress")
        self.start = time.perf_counter()
        if show:
            from IPython.display import display

            display(self.widget)

    def __call__(self, epoch, epochs, logs=None):
        self.bar.max, self.bar.value = max(int(epochs or 1), 1), int(epoch)
        val = (logs or {}).get("val_loss")
        extra = f", validation MSE {val:.5f}" if val is not None else ""
        self.label.value = f"{html.escape(self.title)}: epoch {epoch}/{epochs}{extra}"

    def finish(self, cached) -> str:
        """Fill the bar and report the outcome; returns the status text."""
        self.bar.value = self.bar.max
        self.bar.bar_style = "success"
        how = ("loaded from the cache" if cached.from_cache
               else f"trained in {time.perf_counter() - self.start:.0f} s")
        mse = cached.info.get("valid_mse")
        text = f"{self.title}: {how}" + (f", validation MSE {mse:.5f}" if mse is not None else "")
        self.label.value = html.escape(text)
        return text


# --- the coding-size explorer ------------------------------------------------------------------

class CodingSizeExplorer:
    """Slider over coding sizes -> originals vs reconstructions, beside MSE vs coding size.

    Args:
        sizes: coding sizes on the slider (default 2, 5, 10, 20, 30, 50, 100).
        tied: which kind of model to start with.
        show_tied_toggle: add the "untied"/"tied" toggle (notebook 02).
        initial_size: the slider's first position (default 30 if offered, else the first).
        recipe, seed: passed to ``helpers.training.trained_autoencoder``.
        data: a ``FashionMNIST`` (default: ``load_fashion_mnist()``).
        images: images to reconstruct (default: the first test image of each class).
        loader: ``loader(coding_size, tied, on_epoch)`` returning an object with ``.model``,
            ``.info`` and ``.from_cache`` (default: the cached trainer; tests may swap it).
    """

    def __init__(self, sizes=DEFAULT_SIZES, tied=False, show_tied_toggle=False, initial_size=None,
                 recipe=EXPLORER_RECIPE, seed=42, data=None, images=None,
                 loader: Callable | None = None):
        self.sizes = tuple(sizes)
        if not self.sizes:
            raise ValueError("The explorer needs at least one coding size, e.g. sizes=(2, 30).")
        self.recipe, self.seed = recipe, seed
        self.show_tied_toggle = bool(show_tied_toggle)
        self.data = data
        if images is None:
            self.data = self.data or load_fashion_mnist()
            images = self.data.X_test[one_per_class(self.data.y_test)]
        self.images = np.asarray(images, dtype="float32")
        self.loader = loader or self._cached_loader
        self.models: dict = {}          # (coding_size, tied) -> cached model (the in-memory cache)
        self.failures: dict = {}        # (coding_size, tied) -> the exception that stopped it
        self._recon_png: dict = {}      # (coding_size, tied) -> PNG bytes
        self._curve_png: dict = {}      # (coding_size, tied, curve points) -> PNG bytes
        self._epoch_listener = None
        self.drawn = None               # (coding_size, tied) on screen, or None

        if initial_size is None:
            initial_size = 30 if 30 in self.sizes else self.sizes[0]
        self.slider = widgets.SelectionSlider(
            options=self.sizes, value=initial_size, description="coding size",
            continuous_update=False, style={"description_width": "initial"},
            layout=widgets.Layout(width="420px"))
        self.slider.add_class("ae-explorer-slider")
        self.tied_toggle = widgets.ToggleButtons(options=["untied", "tied"], value=kind_name(tied),
                                                 style={"button_width": "70px"})
        self.tied_toggle.add_class("ae-explorer-tied")
        self.readout, self.progress, self.message, self.image = status_widgets(
            "ae-explorer", explorer_readout(initial_size, tied, None), "420px", "560px")
        self.curve = widgets.Image(format="png", layout=widgets.Layout(max_width="340px"))
        self.curve.add_class("ae-explorer-curve")

        controls = [self.slider] + ([self.tied_toggle] if self.show_tied_toggle else [])
        self.widget = widgets.VBox([
            widgets.HBox(controls), self.readout, self.progress, self.message,
            widgets.HBox([self.image, self.curve],
                         layout=widgets.Layout(align_items="center", flex_flow="row wrap")),
        ])
        self.widget.add_class("ae-explorer")
        self.slider.observe(self._on_change, names="value")
        self.tied_toggle.observe(self._on_change, names="value")

    # -- state ---------------------------------------------------------------------------------
    @property
    def coding_size(self):
        return self.slider.value

    @property
    def tied(self) -> bool:
        return self.tied_toggle.value == "tied"

    def _cached_loader(self, coding_size, tied, on_epoch):
        return trained_autoencoder(coding_size, tied=tied, recipe=self.recipe, seed=self.seed,
                                   data=self.data, on_epoch=on_epoch)

    def _on_epoch(self, epoch, epochs, logs=None):
        self.progress.max, self.progress.value = max(int(epochs or 1), 1), int(epoch)
        self.progress.description = f"epoch {epoch}/{epochs}"
        if self._epoch_listener:
            self._epoch_listener(epoch, epochs, logs)

    def model_for(self, coding_size, tied):
        """The cached model for (coding_size, tied): from memory, the disk cache, or trained now."""
        key = (coding_size, bool(tied))
        if key in self.models:
            return self.models[key]
        if key in self.failures:  # not retried within one explorer: make a new one to retry
            raise self.failures[key]
        self.progress.bar_style, self.progress.value = "info", 0
        self.progress.description = "loading"
        try:
            check_coding_size(coding_size)
            cached = self.loader(coding_size, bool(tied), self._on_epoch)
            checked_mse(cached.info)
        except Exception as err:
            self.progress.bar_style, self.progress.description = "danger", "failed"
            self.failures[key] = err
            raise
        self.progress.bar_style, self.progress.description = "success", "ready"
        self.progress.value = self.progress.max
        self.models[key] = cached
        return cached

    def mse_curve(self, tied) -> tuple[list, list]:
        """(sizes, validation MSEs) of the loaded models of one kind, by increasing size."""
        points = sorted((size, checked_mse(c.info)) for (size, t), c in self.models.items()
                        if t == bool(tied))
        return [p[0] for p in points], [p[1] for p in points]

    def curves(self) -> dict:
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
                self.images, reconstruct(cached.model, self.images),
                title=f"coding size {coding_size} ({kind_name(tied)})")
        curves = self.curves()
        curve_key = (*key, tuple((k, tuple(v[0])) for k, v in curves.items()))
        if curve_key not in self._curve_png:
            self._curve_png[curve_key] = mse_curve_png(curves, (kind_name(tied), coding_size, mse))
        return self._recon_png[key], self._curve_png[curve_key], mse

    def show(self, coding_size=None, tied=None) -> bool:
        """Draw (coding_size, tied) (default: the widgets' values). False + message on failure."""
        coding_size = self.coding_size if coding_size is None else coding_size
        tied = self.tied if tied is None else bool(tied)
        try:
            recon_png, curve_png, mse = self.render(coding_size, tied)
        except Exception as err:  # shown to the reader as a message, never a traceback
            self.message.value = explorer_failure_message(coding_size, tied, err)
            self.readout.value = explorer_readout(coding_size, tied, None)
            self.image.layout.visibility = "hidden"
            self.drawn = None
            return False
        self.image.value, self.curve.value = recon_png, curve_png
        self.image.layout.visibility = "visible"
        self.readout.value = explorer_readout(coding_size, tied, mse)
        self.message.value = ""
        self.drawn = (coding_size, tied)
        return True

    def _on_change(self, change):
        self.show()

    def warm_up(self, sizes=None, tied_options=None, show_progress=True) -> dict:
        """Load (training if missing) every model the explorer offers, then draw.

        Shows a progress bar over the models when ``show_progress``. Returns a report:
        ``ready`` (list of keys), ``trained`` / ``from_cache`` (counts), ``failed``
        ({key: HTML message}), ``seconds``, ``summary`` (one line of text).
        """
        sizes = self.sizes if sizes is None else tuple(sizes)
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
        start = time.perf_counter()
        for done, (size, tied) in enumerate(keys):
            what = f"coding size {size} ({kind_name(tied)})"
            label.value = html.escape(f"{done}/{len(keys)} ready; loading {what}")
            self._epoch_listener = lambda e, n, logs=None, what=what: setattr(
                label, "value", html.escape(f"{done}/{len(keys)} ready; training {what}: epoch {e}/{n}"))
            try:
                was_loaded = (size, tied) in self.models
                cached = self.model_for(size, tied)
                report["ready"].append((size, tied))
                if not was_loaded:
                    report["from_cache" if cached.from_cache else "trained"] += 1
            except Exception as err:  # reported below, and in the explorer's message area
                report["failed"][(size, tied)] = explorer_failure_message(size, tied, err)
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
                report["failed"][key] = explorer_failure_message(*key, err)
        report["seconds"] = time.perf_counter() - start
        summary = (f"{len(report['ready'])}/{len(keys)} models ready in {report['seconds']:.0f} s "
                   f"({report['trained']} trained now, {report['from_cache']} from the disk cache)")
        if report["failed"]:
            summary += f"; {len(report['failed'])} failed (see the explorer's message area)"
        else:
            bar.bar_style = "success"
        label.value = html.escape(summary)
        report["summary"] = summary
        self.show()
        if report["failed"]:  # keep every warm-up failure visible, not only the current one
            self.message.value = "<br>".join(report["failed"].values())
        return report

    def _ipython_display_(self):
        from IPython.display import display

        if self.drawn is None and not self.message.value:
            self.show()
        display(self.widget)


# --- the label-budget explorer (notebook 04) ---------------------------------------------------
#
# DOM contract: ``ae-budget-explorer`` (root), ``ae-budget-slider``, ``ae-budget-method``,
# ``ae-budget-image``, ``ae-budget-readout`` (text = :func:`budget_readout`),
# ``ae-budget-progress``, ``ae-budget-message``; plus ``ae-budget-custom`` (a typed budget)
# and ``ae-budget-go`` (its button).

def budget_readout(budget, method, accuracy) -> str:
    """The readout line of the label-budget explorer (plain text, also used by browser tests)."""
    from helpers.pretraining import METHOD_LABELS

    what = f"{budget:,} labels, {METHOD_LABELS.get(method, method)}"
    if accuracy is None or not math.isfinite(accuracy):
        return f"{what}: no result available"
    return f"{what}: test accuracy {100 * accuracy:.1f}%"


def budget_failure_message(budget, error) -> str:
    """HTML for the explorer's message area: what was asked, and why it cannot be shown."""
    reason = str(error).strip() or type(error).__name__
    return (f"<b>Cannot show a budget of {html.escape(str(budget))} labels.</b> "
            f"{html.escape(reason)}")


def budget_png(study, budget, method, seed, n_misclassified=8) -> tuple[bytes, float]:
    """(PNG bytes, accuracy) of the explorer's picture for one (budget, method, seed) run.

    Trains nothing: the run must already be in ``study`` (memory or disk cache).
    """
    from helpers.plots import budget_explorer_figure
    from helpers.pretraining import METHOD_LABELS, confusion_matrix, misclassified

    result = study.method_result(budget, seed, method, train=False)
    if result is None:
        raise ValueError(f"No result for {budget} labels ({method}, seed {seed}) in the cache yet.")
    data = study.data
    predictions = result["predictions"]
    wrong = misclassified(data.y_test, predictions, n_misclassified)
    fig = budget_explorer_figure(
        study.summary(), METHOD_LABELS, study.budgets, study.pool_size, result["budget"], method,
        result["accuracy"], confusion_matrix(data.y_test, predictions), data.class_names,
        data.X_test[wrong], predictions[wrong], data.y_test[wrong],
        title=f"{budget_readout(result['budget'], method, result['accuracy'])} (seed {seed})")
    return figure_png(fig), result["accuracy"]


class BudgetExplorer:
    """Label-budget slider + method selector -> accuracy curves (current budget marked),
    confusion matrix and misclassified test images of one run.

    Results come from ``study`` (a ``helpers.pretraining.LabelBudgetStudy``): memory, then
    the disk cache; a missing run is trained on the spot while the progress bar moves. The
    run shown is the study's first seed. A budget typed in the box (not on the slider) is
    checked first: zero, more than the pool or an impossible balanced subset gives a message.
    """

    def __init__(self, study, method="fine-tuned", budget=None, n_misclassified=8):
        from helpers.pretraining import METHOD_LABELS, METHODS, check_method

        self.study, self.n_misclassified = study, n_misclassified
        self.seed = study.seeds[0]
        check_method(method)
        if budget is None:
            budget = 500 if 500 in study.budgets else study.budgets[0]
        self.slider = widgets.SelectionSlider(
            options=[(study.budget_label(b), b) for b in study.budgets], value=budget,
            description="labels", continuous_update=False, layout=widgets.Layout(width="460px"))
        self.slider.add_class("ae-budget-slider")
        self.method = widgets.Dropdown(options=[(METHOD_LABELS[m], m) for m in METHODS],
                                       value=method, description="method",
                                       layout=widgets.Layout(width="340px"))
        self.method.add_class("ae-budget-method")
        self.custom = widgets.IntText(value=300, description="or type",
                                      layout=widgets.Layout(width="170px"))
        self.custom.add_class("ae-budget-custom")
        self.go = widgets.Button(description="show this budget", layout=widgets.Layout(width="140px"))
        self.go.add_class("ae-budget-go")
        self.readout, self.progress, self.message, self.image = status_widgets(
            "ae-budget", budget_readout(budget, method, None), "460px", "940px")
        self.widget = widgets.VBox([
            widgets.HBox([self.slider, self.method]), widgets.HBox([self.custom, self.go]),
            self.readout, self.progress, self.message, self.image])
        self.widget.add_class("ae-budget-explorer")
        self.drawn = None          # (budget, method) on screen
        self.trained = []          # (budget, seed, source) trained by this explorer
        self._png: dict = {}       # (budget, method, results known) -> (PNG bytes, accuracy)
        self.slider.observe(self._on_change, names="value")
        self.method.observe(self._on_change, names="value")
        self.go.on_click(lambda _button: self.show(self.custom.value))

    def _on_step(self, done, total):
        self.progress.max, self.progress.value = total, done
        self.progress.description = f"step {done}/{total}"

    def show(self, budget=None, method=None) -> bool:
        """Draw (budget, method) (default: the widgets' values). False + message on failure."""
        from helpers.pretraining import METHOD_RUNS, balanced_counts, check_budget

        budget = self.slider.value if budget is None else budget
        method = self.method.value if method is None else method
        study = self.study
        try:
            budget = check_budget(budget, study.pool_size)           # refuses 0, > pool, ...
            balanced_counts(study.data.y_train, budget, self.seed)   # ... and unbalanceable ones
            source = METHOD_RUNS[method][0]
            if study.cached(budget, self.seed, source) is None:
                self.progress.bar_style, self.progress.value = "info", 0
                self.progress.description = "training"
                study.run(budget, self.seed, source, on_step=self._on_step)
                self.trained.append((budget, self.seed, source))
                self.progress.bar_style, self.progress.description = "success", "trained"
            study.summary()                       # loads every cached result into memory
            key = (budget, method, len(study.results))   # new results -> new curves -> redraw
            if key not in self._png:
                self._png[key] = budget_png(study, budget, method, self.seed, self.n_misclassified)
            png, accuracy = self._png[key]
        except Exception as err:  # shown to the reader as a message, never a traceback
            self.message.value = budget_failure_message(budget, err)
            if self.progress.description == "training":
                self.progress.bar_style, self.progress.description = "danger", "failed"
            return False
        self.image.value = png
        self.readout.value = budget_readout(budget, method, accuracy)
        self.message.value = ""
        self.drawn = (budget, method)
        return True

    def _on_change(self, change):
        self.show()

    def _ipython_display_(self):
        from IPython.display import display

        if self.drawn is None and not self.message.value:
            self.show()
        display(self.widget)
