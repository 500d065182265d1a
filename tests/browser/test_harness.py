"""The harness itself: cheap unit tests (no browser), then probes on a tiny widget
notebook (no TensorFlow) proving that the browser tests can see what they claim to see."""

from __future__ import annotations

import os
import sys
import time

import nbformat
import psutil
import pytest

import jlab_harness as H

# --------------------------------------------------------------------------- no browser


def test_decision_runs_when_browser_present(tmp_path):
    exe = tmp_path / "chromium"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    assert H.browser_decision(str(exe), env={}).action == "run"
    assert H.browser_decision(str(exe), env={"CI": "true"}).action == "run"


@pytest.mark.parametrize("ci, action", [({}, "skip"), ({"CI": "false"}, "skip"),
                                        ({"CI": "true"}, "fail"), ({"CI": "1"}, "fail")])
def test_decision_missing_browser_skips_locally_fails_in_ci(tmp_path, ci, action):
    decision = H.browser_decision(str(tmp_path / "no-such-chromium"), env=ci)
    assert decision.action == action
    assert "sudo apt-get install chromium" in decision.reason
    assert "\n" not in decision.reason  # one line


def test_decision_not_executable_counts_as_missing(tmp_path):
    exe = tmp_path / "chromium"
    exe.write_text("")
    exe.chmod(0o644)
    assert H.browser_decision(str(exe), env={}).action == "skip"


def test_decision_without_playwright(tmp_path):
    decision = H.browser_decision("/bin/sh", env={"CI": "true"}, playwright_available=False)
    assert decision.action == "fail" and "playwright" in decision.reason


def test_log_tail(tmp_path):
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert H.log_tail(log, 3) == "line 97\nline 98\nline 99"
    assert "no log" in H.log_tail(tmp_path / "missing.log")


def test_server_that_exits_fails_with_exit_code_and_log_tail(tmp_path):
    code = "print('starting'); print('fatal: port in use', flush=True); raise SystemExit(3)"
    proc = H.ManagedProcess([sys.executable, "-c", code], tmp_path / "server.log")
    with pytest.raises(H.ServerNotReady) as info:
        H.wait_until_ready(proc, f"http://127.0.0.1:{H.free_port()}/api/status", timeout=30)
    message = str(info.value)
    assert "exited with code 3" in message and "fatal: port in use" in message
    assert proc.stop() == []


def test_server_that_never_answers_times_out_with_log_tail(tmp_path):
    code = "import time; print('still loading', flush=True); time.sleep(600)"
    proc = H.ManagedProcess([sys.executable, "-c", code], tmp_path / "server.log")
    start = time.monotonic()
    with pytest.raises(H.ServerNotReady) as info:
        H.wait_until_ready(proc, f"http://127.0.0.1:{H.free_port()}/api/status", timeout=2)
    assert time.monotonic() - start < 15
    assert "not ready after 2 s" in str(info.value) and "still loading" in str(info.value)
    assert proc.stop() == [] and not psutil.pid_exists(proc.pid)


def test_jupyterlab_server_that_dies_reports_its_log(tmp_path):
    """The real start-up path, with a fake ``jupyterlab`` module that fails at once."""
    fake = tmp_path / "fake" / "jupyterlab"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text(
        "import sys\nprint('fake lab: cannot bind', sys.argv[-1][:0], flush=True)\nsys.exit(7)\n")
    (tmp_path / "root").mkdir()
    with pytest.raises(H.ServerNotReady) as info:
        H.JupyterLabServer(tmp_path / "root", tmp_path / "state",
                           env_overrides={"PYTHONPATH": str(tmp_path / "fake")}, ready_timeout=30)
    assert "exited with code 7" in str(info.value) and "fake lab: cannot bind" in str(info.value)


def test_stop_reaps_children_in_other_sessions(tmp_path):
    """Kernels start their own session; the group kill alone would miss them."""
    code = ("import subprocess, sys, time;"
            "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],"
            " start_new_session=True); print(c.pid, flush=True); time.sleep(600)")
    proc = H.ManagedProcess([sys.executable, "-c", code], tmp_path / "tree.log")
    deadline = time.monotonic() + 20
    while not (tmp_path / "tree.log").read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.1)
    child = int((tmp_path / "tree.log").read_text().split()[0])
    assert psutil.Process(child).ppid() == proc.pid
    assert os.getpgid(child) != os.getpgid(proc.pid)
    assert proc.stop(grace=2) == []
    assert not psutil.pid_exists(proc.pid) and not psutil.pid_exists(child)


def test_notebook_hashes_and_copy(tmp_path):
    src = tmp_path / "nb"
    (src / ".ipynb_checkpoints").mkdir(parents=True)
    (src / "a.ipynb").write_text("{}")
    (src / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("{}")
    hashes = H.notebook_hashes(src)
    assert list(hashes) == ["a.ipynb"]
    copy = H.copy_notebook_tree(src, tmp_path / "copy")
    assert H.notebook_hashes(copy) == hashes and not (copy / ".ipynb_checkpoints").exists()
    (src / "a.ipynb").write_text("{ }")
    assert H.notebook_hashes(src) != hashes


def test_lab_settings_files(tmp_path):
    H.write_lab_settings(tmp_path)
    tracker = tmp_path / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    assert '"windowingMode": "none"' in tracker.read_text()


# --------------------------------------------------------------------------- browser probes

PROBE_WIDGET = '''\
import struct, zlib
import ipywidgets as W

def png(level):
    """An 8x8 grey PNG (no matplotlib needed)."""
    raw = b"".join(b"\\x00" + bytes([level % 256]) * 8 for _ in range(8))
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)
    return (b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

def readout(value):
    return f"<b>value</b> = {value}"

slider = W.IntSlider(value=3, min=0, max=10)
image = W.Image(value=png(60), format="png")
html = W.HTML(readout(3))
progress = W.IntProgress(layout=W.Layout(visibility="hidden"))
message = W.HTML("")
for widget, cls in [(slider, "slider"), (image, "image"), (html, "readout"),
                    (progress, "progress"), (message, "message")]:
    widget.add_class(f"probe-{cls}")

def redraw(change):
    if BROKEN:
        raise RuntimeError("probe callback is broken")
    image.value = png(change["new"] * 20)
    html.value = readout(change["new"])

slider.observe(redraw, "value")
box = W.VBox([slider, image, html, progress, message])
box.add_class("probe-root")
box
'''

SELECTORS = {"root": ".probe-root", "slider": ".probe-slider", "image": ".probe-image",
             "readout": ".probe-readout", "progress": ".probe-progress",
             "message": ".probe-message"}


def write_probe(root, name, broken=False, filler_cells=40, failing_cell=False):
    cells = [nbformat.v4.new_markdown_cell("# Harness probe"),
             nbformat.v4.new_code_cell(f"BROKEN = {broken}"),
             nbformat.v4.new_code_cell(PROBE_WIDGET)]
    cells += [nbformat.v4.new_code_cell(f"print('filler {i}')") for i in range(filler_cells)]
    if failing_cell:
        cells.append(nbformat.v4.new_code_cell("raise ValueError('probe failure')"))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = root / "probes" / name
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    return f"probes/{name}"


def test_probe_keyboard_slider_redraws_and_all_cells_render(lab, lab_server):
    path = write_probe(lab_server.root, "probe_ok.ipynb")
    load = lab.open(path)
    run = lab.run_all(timeout=120)
    print(f"\n[browser] probe: load-to-idle {load:.1f} s, run-all {run:.1f} s")
    page = lab.page
    # windowingMode "none": the last filler cell is in the DOM with its output.
    texts = page.locator(".jp-OutputArea-output").all_inner_texts()
    assert any("filler 39" in t for t in texts)
    before = H.explorer_state(page, SELECTORS)
    assert before["slider"] == "3" and before["readout"] == "value = 3"
    src0, bytes0 = H.image_bytes(page, ".probe-root .probe-image")
    H.watch_redraw(page, SELECTORS)
    H.press_slider_key(page, ".probe-root .probe-slider", "ArrowRight")
    latency = H.wait_for_redraw(page, SELECTORS, src0, H.html_text(page, "<b>value</b> = 4"),
                                timeout=5)
    print(f"[browser] probe redraw {latency * 1000:.0f} ms")
    assert 0 < latency < 5
    src1, bytes1 = H.image_bytes(page, ".probe-root .probe-image")
    assert src1 != src0 and bytes1 != bytes0 and bytes1.startswith(b"\x89PNG")
    assert H.explorer_state(page, SELECTORS)["slider"] == "4"
    H.watch_redraw(page, SELECTORS)
    H.press_slider_key(page, ".probe-root .probe-slider", "ArrowLeft")
    H.wait_for_redraw(page, SELECTORS, src1, "value = 3", timeout=5)
    assert H.image_bytes(page, ".probe-root .probe-image")[1] == bytes0
    assert H.overflow_px(page, ".probe-root") == 0
    page.evaluate("() => { document.querySelector('.probe-image').style.minWidth = '3000px'; }")
    assert H.overflow_px(page, ".probe-root") > 1000
    assert lab.problems() == []


def test_probe_errors_are_detected(lab, lab_server):
    """An error cell fails run-all; a raising widget callback is seen and the redraw
    wait fails - i.e. the explorer tests can fail."""
    path = write_probe(lab_server.root, "probe_broken.ipynb", broken=True, filler_cells=2,
                      failing_cell=True)
    lab.open(path)
    with pytest.raises(AssertionError, match="ValueError: probe failure"):
        lab.run_all(timeout=120)
    src0, _ = H.image_bytes(lab.page, ".probe-root .probe-image")
    H.watch_redraw(lab.page, SELECTORS)
    H.press_slider_key(lab.page, ".probe-root .probe-slider", "ArrowRight")
    with pytest.raises(AssertionError, match="no redraw within 2 s"):
        H.wait_for_redraw(lab.page, SELECTORS, src0, "value = 4", timeout=2)
    problems = lab.problems()
    assert any("probe callback is broken" in p for p in problems), problems
