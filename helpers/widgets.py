"""Building blocks every notebook explorer shares: status area, show/fail cycle, argument checks.

An explorer (:class:`Explorer`) turns the value of its controls into one picture. The
parts written once here:

* :func:`status_widgets`: the readout, progress bar, message area and image, each with
  its ``{prefix}-readout`` / ``-progress`` / ``-message`` / ``-image`` CSS class;
* :meth:`Explorer.show_key`: draw, or on failure show :func:`failure_message` (never a
  traceback); nothing is remembered about a failure, so the next attempt retries;
* :meth:`Explorer.busy`: the progress bar while something loads or trains;
* :func:`check_choices` / :func:`check_initial`: early, named errors for slider values;
* :class:`EpochProgress`: a progress bar to pass as ``on_epoch=`` while a model trains.

The explorers themselves are ``helpers.coding_explorer.CodingSizeExplorer`` (notebooks 01,
02) and ``helpers.budget_explorer.BudgetExplorer`` (notebook 04); each module's docstring
lists its DOM contract (the CSS classes the browser tests rely on).
"""

from __future__ import annotations

import contextlib
import html
import itertools
import time
from collections.abc import Callable
from typing import NamedTuple

import ipywidgets as widgets

# --- argument checks ---------------------------------------------------------------------------


def check_choices(name: str, values, check_value: Callable, example: str) -> tuple:
    """``values`` as a tuple, or ValueError naming ``name``: a slider needs at least one value,
    each accepted by ``check_value`` (which raises ValueError), in increasing order, no repeats.

    ``example`` is a valid value to quote in the messages, e.g. ``"(2, 5, 30)"``.
    """
    if values is None or isinstance(values, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of values such as {name}={example}; "
                         f"got {values!r}.")
    try:
        values = tuple(values)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of values such as {name}={example}; "
                         f"got {values!r} ({type(values).__name__}).") from None
    if not values:
        raise ValueError(f"{name} needs at least one value, e.g. {name}={example}.")
    for value in values:
        try:
            check_value(value)
        except ValueError as err:
            raise ValueError(f"{name} holds {value!r}, which is not allowed: {err}") from None
    for before, after in itertools.pairwise(values):
        if before == after:
            raise ValueError(f"{name} lists {before!r} twice; give each value once, "
                             f"e.g. {name}={example}.")
        if before > after:
            raise ValueError(f"{name} must be in increasing order (the slider runs from left to "
                             f"right); got {values}. Use {name}={tuple(sorted(set(values)))}.")
    return values


def check_initial(name: str, value, choices, choices_name: str):
    """``value`` if it is one of ``choices``, else ValueError naming ``name`` and the choices."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of the {choices_name} ({allowed}); got {value!r}.")
    return value


# --- widgets and messages ----------------------------------------------------------------------

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
                            (readout, progress, message, image), strict=True):
        widget.add_class(f"{prefix}-{part}")
    return readout, progress, message, image


def failure_message(subject: str, error: BaseException) -> str:
    """HTML for an explorer's message area: what could not be shown, and why (no traceback)."""
    kind, reason = type(error).__name__, str(error).strip()
    cause = f"{kind}: {reason}" if reason else kind
    return f"<b>Cannot show {html.escape(subject)}.</b> {html.escape(cause)}"


class Drawing(NamedTuple):
    """What an explorer puts on screen for one selection."""

    pngs: tuple        # PNG bytes, one per widget of ``Explorer.pictures``, in order
    readout: str       # the readout line (plain text)


# --- the explorer base -------------------------------------------------------------------------

class Explorer:
    """Controls -> one picture, with a readout, a progress bar and a message area.

    A subclass builds its controls, then calls :meth:`assemble` and :meth:`follow`, and
    defines ``selection()`` (the key the controls point at), ``drawing(key)`` (a
    :class:`Drawing`, or an exception), ``describe(key)`` (e.g. "coding size 5 (tied)") and
    ``readout_text(key, None)`` (the readout when there is no result). Its ``show(...)``
    turns its own arguments into a key and calls :meth:`show_key`.
    """

    def __init__(self, prefix: str, readout_html: str, bar_width: str, image_width: str):
        self.readout, self.progress, self.message, self.image = status_widgets(
            prefix, readout_html, bar_width, image_width)
        self.pictures = (self.image,)   # the image widgets a Drawing fills, in order
        self.drawn = None               # the key on screen, or None
        self.widget = None              # the root box, made by assemble()

    def assemble(self, root_class: str, control_rows, picture_row=None) -> widgets.VBox:
        """The root box: control rows, readout, progress, message, then the picture row."""
        self.widget = widgets.VBox([*control_rows, self.readout, self.progress, self.message,
                                    picture_row or self.image])
        self.widget.add_class(root_class)
        return self.widget

    def follow(self, *controls) -> None:
        """Redraw whenever one of ``controls`` changes value."""
        for control in controls:
            control.observe(lambda _change: self.show(), names="value")

    # -- what a subclass defines --------------------------------------------------------------
    def selection(self):
        """The key the controls point at now (hashable, compared with ``==``)."""
        raise NotImplementedError

    def drawing(self, key) -> Drawing:
        """The picture(s) and readout of ``key``; raises when it cannot be shown."""
        raise NotImplementedError

    def describe(self, key) -> str:
        """``key`` in words, for "Cannot show ...", e.g. "coding size 5 (tied)"."""
        raise NotImplementedError

    def readout_text(self, key, value) -> str:
        """The readout line of ``key`` (``value`` None: no result)."""
        raise NotImplementedError

    # -- the show/fail cycle -------------------------------------------------------------------
    def show(self) -> bool:  # subclasses add their own arguments, then call show_key
        return self.show_key(self.selection())

    def show_key(self, key) -> bool:
        """Draw ``key``, or show why not (:meth:`show_failure`) and return False. Nothing is
        remembered about a failure, so asking again retries."""
        try:
            drawing = self.drawing(key)
        except Exception as err:  # shown to the reader as a message, never a traceback
            self.show_failure(key, err)
            return False
        for widget, png in zip(self.pictures, drawing.pngs, strict=True):
            widget.value = png
        self.image.layout.visibility = "visible"
        self.readout.value = drawing.readout
        self.message.value = ""
        self.drawn = key
        return True

    def show_failure(self, key, error: BaseException) -> None:
        """Say why ``key`` cannot be shown. If the controls point at ``key`` (or nothing is
        drawn), the picture on screen belongs to another selection, so it is hidden; a
        request from outside the controls (e.g. a typed value) leaves it in place."""
        self.message.value = failure_message(self.describe(key), error)
        if self.drawn is None or key == self.selection():
            self.readout.value = self.readout_text(key, None)
            self.image.layout.visibility = "hidden"
            self.drawn = None

    @contextlib.contextmanager
    def busy(self, doing: str, done: str):
        """Progress bar while the block loads or trains: ``doing``, then ``done`` or "failed"."""
        self.progress.bar_style, self.progress.value, self.progress.description = "info", 0, doing
        try:
            yield
        except BaseException:
            self.progress.bar_style, self.progress.description = "danger", "failed"
            raise
        self.progress.bar_style, self.progress.description = "success", done
        self.progress.value = self.progress.max

    def step(self, done, total, unit: str) -> None:
        """Move the progress bar to ``done`` of ``total`` (e.g. epochs or training steps)."""
        self.progress.max, self.progress.value = max(int(total or 1), 1), int(done)
        self.progress.description = f"{unit} {done}/{total}"

    def _ipython_display_(self):
        from IPython.display import display

        if self.drawn is None and not self.message.value:
            self.show()
        display(self.widget)


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
