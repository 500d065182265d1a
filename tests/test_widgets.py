"""The parts every explorer shares (helpers.widgets), driven through a tiny demo explorer."""

from types import SimpleNamespace

import ipywidgets
import pytest

from helpers import widgets as w


class SquareExplorer(w.Explorer):
    """The smallest explorer: a slider over 1..3; the "picture" of n is the byte n * n.

    ``fail`` maps a value to how many times drawing it fails (with OSError) before it works.
    """

    def __init__(self, fail=None):
        super().__init__("ae-demo", "nothing yet", "100px", "200px")
        self.fail = dict(fail or {})
        self.slider = ipywidgets.SelectionSlider(options=(1, 2, 3), value=1)
        self.assemble("ae-demo-root", [self.slider])
        self.follow(self.slider)

    def selection(self):
        return self.slider.value

    def drawing(self, key):
        if self.fail.get(key):
            self.fail[key] -= 1
            raise OSError(f"cannot square {key}")
        return w.Drawing((bytes([key * key]),), self.readout_text(key, key * key))

    def describe(self, key):
        return f"number {key}"

    def readout_text(self, key, value):
        return f"{key} squared: {value}"


# --- argument checks ---------------------------------------------------------------------------

def positive(value):
    if value <= 0:
        raise ValueError(f"must be positive; got {value}.")


def test_check_choices_accepts_increasing_allowed_values():
    assert w.check_choices("sizes", [1, 4, 9], positive, "(1, 2)") == (1, 4, 9)
    assert w.check_choices("sizes", range(1, 3), positive, "(1, 2)") == (1, 2)


@pytest.mark.parametrize("values, message", [
    (None, "sizes must be a sequence of values such as sizes=(1, 2); got None."),
    (7, "sizes must be a sequence of values such as sizes=(1, 2); got 7 (int)."),
    ("12", "sizes must be a sequence of values such as sizes=(1, 2); got '12'."),
    ((), "sizes needs at least one value, e.g. sizes=(1, 2)."),
    ((1, -3), "sizes holds -3, which is not allowed: must be positive; got -3."),
    ((1, 2, 2), "sizes lists 2 twice; give each value once, e.g. sizes=(1, 2)."),
    ((5, 1, 5), "sizes must be in increasing order (the slider runs from left to right); "
                "got (5, 1, 5). Use sizes=(1, 5)."),
])
def test_check_choices_names_the_argument_and_what_is_allowed(values, message):
    with pytest.raises(ValueError) as caught:
        w.check_choices("sizes", values, positive, "(1, 2)")
    assert str(caught.value) == message


def test_check_initial():
    assert w.check_initial("start", 4, (1, 4), "values") == 4
    with pytest.raises(ValueError, match=r"^start must be one of the values \(1, 4\); got 3\.$"):
        w.check_initial("start", 3, (1, 4), "values")


# --- widgets and messages ----------------------------------------------------------------------

def test_status_widgets_carry_the_prefixed_css_classes():
    readout, progress, message, image = w.status_widgets("ae-x", "<b>hi</b>", "300px", "500px")
    assert readout.value == "<b>hi</b>" and message.value == ""
    assert (progress.value, progress.description, progress.layout.width) == (0, "idle", "300px")
    assert image.format == "png" and image.layout.max_width == "500px"
    for part, widget in zip(("readout", "progress", "message", "image"),
                            (readout, progress, message, image), strict=True):
        assert widget._dom_classes == (f"ae-x-{part}",)


def test_failure_message_is_short_escaped_html():
    text = w.failure_message("size <5>", ValueError("<bad> & worse"))
    assert text == "<b>Cannot show size &lt;5&gt;.</b> ValueError: &lt;bad&gt; &amp; worse"
    assert w.failure_message("it", OSError()) == "<b>Cannot show it.</b> OSError"


# --- the explorer base -------------------------------------------------------------------------

def test_assemble_puts_controls_above_the_status_area():
    explorer = SquareExplorer()
    root = explorer.widget
    assert root._dom_classes == ("ae-demo-root",)
    assert list(root.children) == [explorer.slider, explorer.readout, explorer.progress,
                                   explorer.message, explorer.image]
    assert explorer.pictures == (explorer.image,) and explorer.drawn is None


def test_moving_a_followed_control_redraws():
    explorer = SquareExplorer()
    explorer.slider.value = 3
    assert explorer.image.value == bytes([9]) and explorer.readout.value == "3 squared: 9"
    assert explorer.drawn == 3 and explorer.message.value == ""
    assert explorer.image.layout.visibility == "visible"


def test_a_failed_selection_hides_the_picture_and_is_retried():
    explorer = SquareExplorer(fail={2: 1})
    assert explorer.show() is True
    explorer.slider.value = 2                          # fails once
    assert explorer.message.value == "<b>Cannot show number 2.</b> OSError: cannot square 2"
    assert explorer.readout.value == "2 squared: None" and explorer.drawn is None
    assert explorer.image.layout.visibility == "hidden"
    assert explorer.show() is True, "asking again retries instead of repeating the failure"
    assert explorer.image.value == bytes([4]) and explorer.message.value == ""
    assert explorer.image.layout.visibility == "visible"


def test_moving_away_and_back_retries():
    explorer = SquareExplorer(fail={2: 1})
    explorer.slider.value = 2
    assert explorer.drawn is None
    explorer.slider.value = 1
    explorer.slider.value = 2
    assert explorer.drawn == 2 and explorer.readout.value == "2 squared: 4"


def test_a_failed_request_from_outside_the_controls_keeps_the_picture():
    explorer = SquareExplorer(fail={3: 1})
    explorer.show()
    assert explorer.show_key(3) is False               # e.g. a typed value
    assert "cannot square 3" in explorer.message.value
    assert explorer.image.value == bytes([1]) and explorer.readout.value == "1 squared: 1"
    assert explorer.drawn == 1 and explorer.image.layout.visibility == "visible"


def test_show_failure_on_its_own():
    explorer = SquareExplorer()
    explorer.show_failure(1, ValueError("broken"))      # nothing drawn yet: say so in the readout
    assert explorer.readout.value == "1 squared: None" and explorer.drawn is None
    assert explorer.message.value == "<b>Cannot show number 1.</b> ValueError: broken"
    assert explorer.image.layout.visibility == "hidden"


def test_busy_moves_the_progress_bar_to_done_or_failed():
    explorer = SquareExplorer()
    with explorer.busy("loading", "ready"):
        assert (explorer.progress.bar_style, explorer.progress.description) == ("info", "loading")
        explorer.step(1, 4, "epoch")
    assert (explorer.progress.bar_style, explorer.progress.description) == ("success", "ready")
    assert explorer.progress.value == explorer.progress.max == 4
    with pytest.raises(OSError, match="no disk"), explorer.busy("training", "trained"):
        raise OSError("no disk")
    assert (explorer.progress.bar_style, explorer.progress.description) == ("danger", "failed")


def test_step_reports_done_of_total():
    explorer = SquareExplorer()
    explorer.step(3, 10, "step")
    assert (explorer.progress.value, explorer.progress.max) == (3, 10)
    assert explorer.progress.description == "step 3/10"
    explorer.step(0, 0, "epoch")   # an unknown total still gives a valid bar
    assert (explorer.progress.value, explorer.progress.max) == (0, 1)


def test_displaying_draws_once(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    explorer = SquareExplorer()
    explorer._ipython_display_()
    assert shown == [explorer.widget] and explorer.drawn == 1
    explorer.slider.value = 2
    explorer._ipython_display_()
    assert explorer.drawn == 2, "displaying again keeps what is drawn"


def test_the_base_says_what_a_subclass_must_define():
    bare = w.Explorer("ae-bare", "", "1px", "1px")
    for call in (bare.selection, lambda: bare.drawing(1), lambda: bare.describe(1),
                 lambda: bare.readout_text(1, None)):
        with pytest.raises(NotImplementedError):
            call()


# --- progress while training -------------------------------------------------------------------

def test_epoch_progress_reports_epochs_and_outcome():
    progress = w.EpochProgress("demo", show=False)
    progress(1, 4, {"val_loss": 0.5})
    assert (progress.bar.value, progress.bar.max) == (1, 4)
    assert progress.label.value == "demo: epoch 1/4, validation MSE 0.50000"
    progress(2, 4)
    assert progress.label.value == "demo: epoch 2/4"
    cached = progress.finish(SimpleNamespace(from_cache=True, info={"valid_mse": 0.01}))
    assert cached == "demo: loaded from the cache, validation MSE 0.01000"
    assert progress.bar.value == progress.bar.max and progress.bar.bar_style == "success"
    trained = progress.finish(SimpleNamespace(from_cache=False, info={"valid_mse": 0.01}))
    assert trained.startswith("demo: trained in ") and trained.endswith("validation MSE 0.01000")
    assert progress.finish(SimpleNamespace(from_cache=True, info={})) == "demo: loaded from the cache"


def test_epoch_progress_displays_itself(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    progress = w.EpochProgress("demo")
    assert shown == [progress.widget] and progress.widget._dom_classes == ("ae-epoch-progress",)
