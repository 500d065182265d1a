"""The explorers as a learner uses them: JupyterLab in headless Chromium.

Per notebook (quick profile, model cache warmed by one headless run of the notebook):
open it, run all cells, wait for an idle kernel with no error output, find the explorer
by its CSS classes (the DOM contract in helpers/widgets.py), move the slider with the
keyboard (and click the tied/untied toggle in 02), and check that the reconstruction
PNG changed and that the readout says what ``helpers`` computes for the new setting.
Latencies are printed, not asserted, except the 5 s "this is broken" bound.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import jlab_harness as H
from jlab_harness import ARTIFACTS, NOTEBOOKS

REDRAW_BOUND = 5.0      # seconds per redraw above which the explorer counts as broken
REDRAW_WAIT = 30.0      # how long to wait before giving up (to report slow redraws)

CODING_EXPLORER = {"root": ".ae-explorer", "slider": ".ae-explorer-slider",
                   "toggle": ".ae-explorer-tied", "image": ".ae-explorer-image",
                   "readout": ".ae-explorer-readout", "progress": ".ae-explorer-progress",
                   "message": ".ae-explorer-message"}

TIMINGS: dict = {}


def _css(selectors, part):
    return f"{selectors['root']} {selectors[part]}"


@pytest.fixture(scope="module", autouse=True)
def _write_timings():
    yield
    if TIMINGS:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "timings.json").write_text(json.dumps(TIMINGS, indent=1))
        print("\n[browser] timings (s):", json.dumps(TIMINGS))


def warm_cache(notebook: str, tmp_path: Path) -> float:
    """Run the notebook once headless (``helpers.execute --no-write``) on a temp copy, in
    this session's quick profile and private cache, so every model it needs is on disk.
    Returns seconds; fails with the tail of the run's output if a cell fails."""
    src = NOTEBOOKS / notebook
    if not src.exists():
        pytest.fail(f"{src.relative_to(NOTEBOOKS.parent)} does not exist (yet)", pytrace=False)
    copy = H.copy_notebook_tree(NOTEBOOKS, tmp_path / "warm" / "notebooks")
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "helpers.execute", "--no-write", str(copy / notebook)],
                         capture_output=True, text=True, timeout=3600)
    if run.returncode != 0:
        pytest.fail(f"warming the cache: {notebook} failed headless:\n{(run.stdout + run.stderr)[-3000:]}",
                    pytrace=False)
    return time.perf_counter() - start


def coding_readout(coding_size: int, tied: bool) -> str:
    """What helpers compute for this setting (from the shared cache)."""
    from helpers.training import trained_autoencoder
    from helpers.widgets import EXPLORER_RECIPE, explorer_readout

    cached = trained_autoencoder(coding_size, tied=tied, recipe=EXPLORER_RECIPE, seed=42)
    if not cached.from_cache:
        print(f"[browser] note: ({coding_size}, tied={tied}) was not in the cache; the test trained it")
    return explorer_readout(coding_size, tied, cached.info["valid_mse"])


def open_and_run(lab, notebook: str, record: dict) -> None:
    record["load_to_idle_s"] = round(lab.open(f"notebooks/{notebook}"), 2)
    record["run_all_to_idle_s"] = round(lab.run_all(), 2)
    print(f"\n[browser] {notebook}: load-to-idle {record['load_to_idle_s']:.1f} s, "
          f"run-all-to-idle {record['run_all_to_idle_s']:.1f} s")


def find_explorer(page, selectors) -> dict:
    state = H.explorer_state(page, selectors)
    assert state is not None, f"no element with class {selectors['root'][1:]!r} after run-all"
    missing = [part for part in ("slider", "image", "readout", "message")
               if page.locator(_css(selectors, part)).count() == 0]
    assert not missing, f"the explorer lacks the contract's parts: {missing}"
    assert state["hasHandle"], "the explorer's slider has no keyboard-focusable handle (.noUi-handle)"
    if state["roots"] > 1:
        print(f"[browser] note: {state['roots']} explorers on the page; testing the first")
    return state


def move_and_check(lab, selectors, action, expected_html, label, record) -> bytes:
    """Perform ``action`` (real input), wait for the redraw, check image and readout."""
    page = lab.page
    expected = H.html_text(page, expected_html)
    src0, bytes0 = H.image_bytes(page, _css(selectors, "image"))
    H.watch_redraw(page, selectors)
    action()
    latency = H.wait_for_redraw(page, selectors, src0, expected, timeout=REDRAW_WAIT)
    src1, bytes1 = H.image_bytes(page, _css(selectors, "image"))
    record.setdefault("redraw_s", {})[label] = round(latency, 3)
    print(f"[browser] redraw after {label}: {latency * 1000:.0f} ms")
    assert bytes1.startswith(b"\x89PNG"), "the reconstruction image is not a PNG"
    assert bytes1 != bytes0, f"{label}: the reconstruction image bytes did not change"
    state = H.explorer_state(page, selectors)
    assert state["readout"] == expected
    assert not state["message"], f"{label}: the explorer shows an error: {state['message']}"
    assert latency <= REDRAW_BOUND, (f"{label}: redraw took {latency:.1f} s (> {REDRAW_BOUND} s: "
                                     "broken, not just slow)")
    return bytes1


def slider_target(state, sizes):
    """(key, new size) for one step of the slider, right unless already at the end."""
    now = round(float(state["handleAria"]["now"]))
    assert state["slider"] == str(sizes[now]), (
        f"slider shows {state['slider']!r} at position {now}; expected the explorer's sizes {sizes}")
    return ("ArrowRight", sizes[now + 1]) if now + 1 < len(sizes) else ("ArrowLeft", sizes[now - 1])


def screenshot(page, selectors, directory: Path, name: str) -> Path:
    path = directory / name
    page.locator(selectors["root"]).first.screenshot(path=str(path))
    print(f"[browser] screenshot {path}")
    return path


@pytest.mark.parametrize("notebook, shot, toggle", [
    ("01_stacked_autoencoder.ipynb", "01_coding_size_explorer.png", False),
    ("02_tied_weights.ipynb", "02_tied_explorer.png", True),
], ids=["01", "02"])
def test_coding_size_explorer(lab, screenshots_dir, tmp_path, notebook, shot, toggle):
    from helpers.widgets import DEFAULT_SIZES

    record = TIMINGS.setdefault(notebook, {})
    record["warm_cache_s"] = round(warm_cache(notebook, tmp_path), 1)
    print(f"\n[browser] {notebook}: cache warmed by a headless run in {record['warm_cache_s']} s")
    open_and_run(lab, notebook, record)
    page, sel = lab.page, CODING_EXPLORER

    state = find_explorer(page, sel)
    size0 = int(state["slider"])
    tied0 = state["toggle"] == "tied" if toggle else False
    if toggle:
        assert state["toggle"] in ("untied", "tied"), f"no active tied/untied toggle: {state['toggle']!r}"
    assert state["readout"] == H.html_text(page, coding_readout(size0, tied0)), "initial readout"

    key, size1 = slider_target(state, list(DEFAULT_SIZES))
    expected1 = coding_readout(size1, tied0)
    move_and_check(lab, sel, lambda: H.press_slider_key(page, _css(sel, "slider"), key),
                   expected1, f"{key} -> size {size1}", record)
    assert H.explorer_state(page, sel)["slider"] == str(size1)

    if toggle:
        target = "untied" if tied0 else "tied"
        expected2 = coding_readout(size1, not tied0)
        button = page.locator(f"{_css(sel, 'toggle')} button").filter(
            has_text=re.compile(rf"^\s*{target}\s*$"))
        assert button.count() == 1, f"no {target!r} button in the toggle"
        move_and_check(lab, sel, lambda: button.click(), expected2, f"click {target!r}", record)
        assert H.explorer_state(page, sel)["toggle"] == target

    back = "ArrowLeft" if key == "ArrowRight" else "ArrowRight"
    move_and_check(lab, sel, lambda: H.press_slider_key(page, _css(sel, "slider"), back),
                   coding_readout(size0, (not tied0) if toggle else tied0),
                   f"{back} -> size {size0}", record)

    screenshot(page, sel, screenshots_dir, shot)
    assert lab.problems() == []
