"""The explorers as a learner uses them: JupyterLab in headless Chromium.

Per notebook (quick profile, model cache warmed by one headless run of the notebook):
open it, run all cells, wait for an idle kernel with no error output, find the explorer
by its CSS classes (the DOM contracts in helpers/coding_explorer.py and
helpers/budget_explorer.py), change it with real input (arrow keys on the slider, a click
on the tied/untied toggle, Tab then Enter or Space on the method buttons),
and after each change check that the picture's
PNG bytes changed and that the readout says what ``helpers`` computes for the new
setting. The changes are undone in turn, so the screenshot shows the notebook's default.
Notebook 04's method buttons are driven by the keyboard alone: Tab from the slider's handle to
the button, then Enter (forward) or Space (back), in JupyterLab's command mode.

Latencies (input -> last redraw, page clock) and load times are printed and written to
artifacts/browser/timings.json; the only timed assertion is the 5 s "broken" bound.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import jlab_harness as H
from jlab_harness import ARTIFACTS, NOTEBOOKS

REDRAW_BOUND = 5.0      # seconds per redraw above which an explorer counts as broken
REDRAW_WAIT = 30.0      # how long to wait for a redraw at all (so slow ones get measured)

CODING_EXPLORER = {"root": ".ae-explorer", "slider": ".ae-explorer-slider",
                   "toggle": ".ae-explorer-tied", "image": ".ae-explorer-image",
                   "readout": ".ae-explorer-readout", "progress": ".ae-explorer-progress",
                   "message": ".ae-explorer-message"}
BUDGET_EXPLORER = {"root": ".ae-budget-explorer", "slider": ".ae-budget-slider",
                   "method": ".ae-budget-method", "image": ".ae-budget-image",
                   "readout": ".ae-budget-readout", "progress": ".ae-budget-progress",
                   "message": ".ae-budget-message",
                   "toggle": ".ae-budget-method"}   # the method buttons: the active one is read as "toggle"
TAB_LIMIT = 12          # Tab presses allowed from the slider's handle to a method button

JS_FOCUSED_IN = """(container) => {
  const box = document.querySelector(container), active = document.activeElement;
  return box && active && box.contains(active) && active.tagName === 'BUTTON'
    ? (active.textContent || '').replace(/\\s+/g, ' ').trim() : null;
}"""

TIMINGS: dict = {}


def css(selectors, part):
    return f"{selectors['root']} {selectors[part]}"


@pytest.fixture(scope="module", autouse=True)
def _write_timings():
    yield
    if TIMINGS:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "timings.json").write_text(json.dumps(TIMINGS, indent=1))
        print(f"\n[browser] timings (s) -> {ARTIFACTS / 'timings.json'}:\n{json.dumps(TIMINGS, indent=1)}")


# --------------------------------------------------------------------------- steps


def warm_cache(notebook: str, tmp_path: Path) -> float:
    """Run the notebook once headless (``tools.execute --no-write``) on a temp copy, in
    this session's quick profile and private cache, so every model it needs is on disk.
    Returns seconds; fails with the tail of the run's output if a cell fails."""
    src = NOTEBOOKS / notebook
    if not src.exists():
        pytest.fail(f"notebooks/{notebook} does not exist", pytrace=False)
    copy = H.copy_notebook_tree(NOTEBOOKS, tmp_path / "warm" / "notebooks")
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "tools.execute", "--no-write", str(copy / notebook)],
                         capture_output=True, text=True, timeout=3600, cwd=NOTEBOOKS.parent)
    if run.returncode != 0:
        pytest.fail(f"warming the cache: {notebook} failed headless:\n{(run.stdout + run.stderr)[-3000:]}",
                    pytrace=False)
    return time.perf_counter() - start


def open_and_run(lab, notebook: str, tmp_path: Path) -> dict:
    record = TIMINGS.setdefault(notebook, {})
    record["warm_cache_s"] = round(warm_cache(notebook, tmp_path), 1)
    print(f"\n[browser] {notebook}: cache warmed by a headless run in {record['warm_cache_s']} s")
    record["load_to_idle_s"] = round(lab.open(f"notebooks/{notebook}"), 2)
    record["run_all_to_idle_s"] = round(lab.run_all(), 2)
    print(f"[browser] {notebook}: load-to-idle {record['load_to_idle_s']:.1f} s, "
          f"run-all-to-idle {record['run_all_to_idle_s']:.1f} s")
    return record


def find_explorer(page, selectors) -> dict:
    state = H.explorer_state(page, selectors)
    assert state is not None, f"no element with class {selectors['root'][1:]!r} after run-all"
    missing = [part for part in ("slider", "image", "readout", "progress", "message", "toggle", "method")
               if part in selectors and page.locator(css(selectors, part)).count() == 0]
    assert not missing, f"the explorer lacks parts of the DOM contract: {missing}"
    assert state["hasHandle"], "the explorer's slider has no keyboard-focusable handle (.noUi-handle)"
    assert not state["message"], f"the explorer shows an error after run-all: {state['message']}"
    if state["roots"] > 1:
        print(f"[browser] note: {state['roots']} explorers on the page; testing the first")
    return state


def slider_position(state, labels) -> int:
    """The slider's index, checked against the labels the helpers say it offers."""
    now = round(float(state["handleAria"]["now"]))
    assert 0 <= now < len(labels) and state["slider"] == labels[now], (
        f"the slider shows {state['slider']!r} at position {now}; expected one of {labels}")
    return now


def change_and_check(lab, selectors, label, action, expected_html, record) -> None:
    """Do ``action`` (real input), wait for the redraw, check picture bytes and readout."""
    page = lab.page
    expected = H.html_text(page, expected_html)
    src0, bytes0 = H.image_bytes(page, css(selectors, "image"))
    H.watch_redraw(page, selectors)
    action()
    try:
        latency = H.wait_for_redraw(page, selectors, src0, expected, timeout=REDRAW_WAIT)
    except AssertionError as err:
        problems = lab.problems()
        detail = ("\nerrors seen in the notebook/kernel:\n  " + "\n  ".join(problems)) if problems else ""
        raise AssertionError(f"{label}: {err}{detail}") from None
    _, bytes1 = H.image_bytes(page, css(selectors, "image"))
    record.setdefault("redraw_s", {})[label] = round(latency, 3)
    print(f"[browser] redraw after {label}: {latency * 1000:.0f} ms  ({expected})")
    assert bytes1.startswith(b"\x89PNG"), f"{label}: the picture is not a PNG"
    assert bytes1 != bytes0, f"{label}: the picture's bytes did not change"
    state = H.explorer_state(page, selectors)
    assert state["readout"] == expected
    assert not state["message"], f"{label}: the explorer shows an error: {state['message']}"
    assert latency <= REDRAW_BOUND, (f"{label}: the redraw took {latency:.1f} s "
                                     f"(> {REDRAW_BOUND:.0f} s: broken, not just slow)")


def tab_to_button(page, selectors, label: str) -> int:
    """Real keyboard input: focus the slider's handle, then press Tab until the method button
    labelled ``label`` has the focus (at most ``TAB_LIMIT`` presses). Returns the presses."""
    handle = page.locator(f"{css(selectors, 'slider')} .noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    for presses in range(1, TAB_LIMIT + 1):
        page.keyboard.press("Tab")
        if page.evaluate(JS_FOCUSED_IN, css(selectors, "method")) == label:
            return presses
    focused = page.evaluate("() => document.activeElement && document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"{TAB_LIMIT} presses of Tab from the slider never reached the {label!r} method "
                         f"button; the focus is on {focused!r}")


def screenshot(page, selectors, directory: Path, name: str, margin: int = 8) -> None:
    root = page.locator(selectors["root"]).first
    root.scroll_into_view_if_needed()
    size = page.viewport_size
    clipped = H.overflow_px(page, selectors["root"])
    if clipped > 4:  # reported, not asserted: a layout problem, not a broken explorer
        print(f"[browser] LAYOUT WARNING: the explorer sticks out {clipped} px beyond its output "
              f"area at {size['width']}x{size['height']} (part of it is hidden from the learner)")
    box = root.bounding_box()
    path = directory / name
    page.screenshot(path=str(path), clip={"x": max(box["x"] - margin, 0), "y": max(box["y"] - margin, 0),
                                          "width": box["width"] + 2 * margin,
                                          "height": box["height"] + 2 * margin})
    print(f"[browser] screenshot {path}")


# --------------------------------------------------------------------------- helpers' truth


def coding_readout(coding_size: int, tied: bool) -> str:
    """The readout helpers compute for (coding size, tied), from the shared cache."""
    from helpers.coding_explorer import EXPLORER_RECIPE, explorer_readout
    from helpers.training import trained_autoencoder

    cached = trained_autoencoder(coding_size, tied=tied, recipe=EXPLORER_RECIPE, seed=42)
    if not cached.from_cache:
        print(f"[browser] note: coding size {coding_size} (tied={tied}) was not cached; the test trained it")
    return explorer_readout(coding_size, tied, cached.info["valid_mse"])


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("notebook, shot, with_toggle", [
    ("01_stacked_autoencoder.ipynb", "01_coding_size_explorer.png", False),
    ("02_tied_weights.ipynb", "02_tied_explorer.png", True),
], ids=["01", "02"])
def test_coding_size_explorer(lab, helpers_env, screenshots_dir, tmp_path, notebook, shot,
                              with_toggle):
    from helpers.coding_explorer import DEFAULT_SIZES

    record = open_and_run(lab, notebook, tmp_path)
    page, sel = lab.page, CODING_EXPLORER
    if not with_toggle:
        sel = {k: v for k, v in sel.items() if k != "toggle"}
    state = find_explorer(page, sel)
    sizes = list(DEFAULT_SIZES)
    now = slider_position(state, [str(s) for s in sizes])
    tied = False
    if with_toggle:
        assert state["toggle"] in ("untied", "tied"), f"no active tied/untied button: {state['toggle']!r}"
        tied = state["toggle"] == "tied"
    assert state["readout"] == H.html_text(page, coding_readout(sizes[now], tied)), "initial readout"

    key, back = ("ArrowRight", "ArrowLeft") if now + 1 < len(sizes) else ("ArrowLeft", "ArrowRight")
    other = now + 1 if key == "ArrowRight" else now - 1
    slide = lambda k: lambda: H.press_slider_key(page, css(sel, "slider"), k)  # noqa: E731
    change_and_check(lab, sel, f"{key} -> size {sizes[other]}", slide(key),
                     coding_readout(sizes[other], tied), record)
    assert H.explorer_state(page, sel)["slider"] == str(sizes[other])
    if with_toggle:
        flip = "untied" if tied else "tied"
        change_and_check(lab, sel, f"click {flip!r}", lambda: H.click_button(page, css(sel, "toggle"), flip),
                         coding_readout(sizes[other], not tied), record)
        assert H.explorer_state(page, sel)["toggle"] == flip
        change_and_check(lab, sel, f"{back} -> size {sizes[now]}", slide(back),
                         coding_readout(sizes[now], not tied), record)
        start = "tied" if tied else "untied"
        change_and_check(lab, sel, f"click {start!r}",
                         lambda: H.click_button(page, css(sel, "toggle"), start),
                         coding_readout(sizes[now], tied), record)
    else:
        change_and_check(lab, sel, f"{back} -> size {sizes[now]}", slide(back),
                         coding_readout(sizes[now], tied), record)

    screenshot(page, sel, screenshots_dir, shot)
    assert lab.problems() == []


def test_label_budget_explorer(lab, helpers_env, screenshots_dir, tmp_path):
    """Notebook 04. Written against the DOM contract and helpers.budget_explorer.BudgetExplorer;
    the study is rebuilt here with LabelBudgetStudy's defaults. The method is changed by keyboard
    only (Tab to the button, then Enter or Space), in JupyterLab's command mode."""
    from helpers.budget_explorer import budget_readout
    from helpers.budget_study import LabelBudgetStudy
    from helpers.study_methods import METHODS
    from helpers.study_report import short_label

    notebook = "04_encoder_reuse.ipynb"
    record = open_and_run(lab, notebook, tmp_path)
    page, sel = lab.page, BUDGET_EXPLORER
    state = find_explorer(page, sel)

    study = LabelBudgetStudy()
    budgets, seed = list(study.budgets), study.seeds[0]
    now = slider_position(state, [study.budget_label(b) for b in budgets])
    by_label = {short_label(m): m for m in METHODS}
    assert state["toggle"] in by_label, f"no active method button, or an unknown one: {state['toggle']!r}"
    method = by_label[state["toggle"]]

    def readout(budget, method_):
        result = study.method_result(budget, seed, method_, train=False)
        assert result is not None, (
            f"({budget} labels, {method_}) is not in the cache after the notebook ran: the "
            "notebook's study is not LabelBudgetStudy(data) with defaults, or helpers changed on "
            "disk during this test session (cache keys differ)")
        return budget_readout(result["budget"], method_, result["accuracy"])

    assert state["readout"] == H.html_text(page, readout(budgets[now], method)), "initial readout"
    key, back = ("ArrowRight", "ArrowLeft") if now + 1 < len(budgets) else ("ArrowLeft", "ArrowRight")
    other = now + 1 if key == "ArrowRight" else now - 1
    m = METHODS.index(method)
    other_method = METHODS[m + 1 if m + 1 < len(METHODS) else m - 1]
    slide = lambda k: lambda: H.press_slider_key(page, css(sel, "slider"), k)  # noqa: E731
    press = lambda k: lambda: page.keyboard.press(k)  # noqa: E731

    change_and_check(lab, sel, f"{key} -> {study.budget_label(budgets[other])} labels", slide(key),
                     readout(budgets[other], method), record)
    tabs = tab_to_button(page, sel, short_label(other_method))
    change_and_check(lab, sel, f"Tab x{tabs}, Enter -> {other_method}", press("Enter"),
                     readout(budgets[other], other_method), record)
    assert H.explorer_state(page, sel)["toggle"] == short_label(other_method)
    change_and_check(lab, sel, f"{back} -> {study.budget_label(budgets[now])} labels", slide(back),
                     readout(budgets[now], other_method), record)
    tabs = tab_to_button(page, sel, short_label(method))
    change_and_check(lab, sel, f"Tab x{tabs}, Space -> {method}", press("Space"),
                     readout(budgets[now], method), record)
    assert H.explorer_state(page, sel)["toggle"] == short_label(method)

    screenshot(page, sel, screenshots_dir, "04_label_budget_explorer.png")
    assert lab.problems() == []
