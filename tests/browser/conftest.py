"""Fixtures: a throw-away JupyterLab server, headless Chromium, and a page per test.

* The server serves a COPY of ``notebooks/`` from a temp dir, so nothing the browser
  does can touch the repository (checked: the repo notebooks are hashed before and after).
* Kernels run in the quick profile with the personal model cache (``AE_CACHE_DIR``, else
  ``~/.cache/stacked-ae-notebooks``), as a learner's do; this test process shares it, so the
  tests can warm it and compute expected readouts. The models the notebooks train here are the
  ones the hand-out runs and nbval then load: each notebook trains once per test session, not twice.
* Without Chromium the tests skip locally and fail with ``CI=true``.
* Screenshots go to ``artifacts/browser/`` (git-ignored) or ``--screenshots-dir``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import jlab_harness as H  # noqa: E402

NOTEBOOKS, ARTIFACTS = H.NOTEBOOKS, H.ARTIFACTS
VIEWPORT = {"width": 1440, "height": 900}   # a common laptop screen; file browser left open
OPENED: set = set()                          # notebook paths opened in the browser this session


def pytest_addoption(parser):
    parser.addoption("--screenshots-dir", default=None, metavar="DIR",
                     help="browser tests: where to save explorer screenshots "
                          "(default: artifacts/browser, git-ignored)")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def screenshots_dir(pytestconfig) -> Path:
    option = pytestconfig.getoption("--screenshots-dir", default=None)
    path = Path(option).resolve() if option else ARTIFACTS
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def chromium() -> str:
    """The browser executable, or skip (locally) / fail (CI=true) when it is missing."""
    executable = H.chromium_executable()
    decision = H.browser_decision(executable, playwright_available=H.playwright_available())
    if decision.action == "skip":
        pytest.skip(decision.reason)
    if decision.action == "fail":
        pytest.fail(decision.reason, pytrace=False)
    return executable


@pytest.fixture(scope="session")
def ae_env() -> dict:
    """Quick profile + the personal model cache, for the server's kernels (and, through
    ``helpers_env``, for helpers called by the tests). ``AE_BROWSER_CACHE_DIR`` names another
    cache folder, and ``AE_BROWSER_PROFILE=full`` uses the full profile: together
    they let ``make screenshots`` show what a learner sees, from a warm full-profile cache."""
    from helpers.cache import cache_dir

    cache = os.environ.get("AE_BROWSER_CACHE_DIR") or str(cache_dir())
    profile = os.environ.get("AE_BROWSER_PROFILE", "quick")
    return {"AE_PROFILE": profile, "AE_CACHE_DIR": cache,
            "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}


@pytest.fixture
def helpers_env(ae_env, monkeypatch) -> dict:
    """The same environment for this process during one test (helpers read it per call)."""
    for key, value in ae_env.items():
        monkeypatch.setenv(key, value)
    return ae_env


@pytest.fixture(scope="session")
def repo_notebooks_unchanged():
    """Fails the session (at teardown) if any notebook in the repo changed on disk."""
    before = H.notebook_hashes(NOTEBOOKS)
    yield before
    after = H.notebook_hashes(NOTEBOOKS)
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    never_opened = [k for k in changed if f"notebooks/{k}" not in OPENED]
    assert not changed, (f"notebooks changed on disk during the browser tests: {changed}; "
                         f"of these, never opened in the browser: {never_opened} (someone else "
                         "edited them meanwhile, or the harness leaked a save)")


@pytest.fixture(scope="session")
def lab_server(chromium, ae_env, repo_notebooks_unchanged, tmp_path_factory):
    """JupyterLab serving a temp copy of notebooks/ (as <root>/notebooks)."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    root.mkdir()
    if NOTEBOOKS.is_dir():
        H.copy_notebook_tree(NOTEBOOKS, root / "notebooks")
    else:
        (root / "notebooks").mkdir()
    server = H.JupyterLabServer(root, base / "state", env_overrides=ae_env)
    server.copied_hashes = H.notebook_hashes(root)
    print(f"\n[browser] JupyterLab ready in {server.startup_seconds:.1f} s at {server.base}")
    try:
        yield server
    finally:
        survivors = server.stop()
        assert not survivors, f"processes left after stopping JupyterLab: {survivors}"
    # Nothing saved the copies either (autosave is off and nothing calls save).
    changed = {k for k, v in server.copied_hashes.items()
               if H.notebook_hashes(root).get(k) != v}
    assert not changed, f"JupyterLab wrote to notebooks it served: {sorted(changed)}"


@pytest.fixture(scope="session")
def browser(chromium):
    """Headless Chromium through Playwright; closed and reaped at the end."""
    import psutil
    from playwright.sync_api import sync_playwright

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    started = time.time() - 1
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=chromium, args=H.CHROMIUM_ARGS, headless=True)
    except BaseException:
        pw.stop()
        raise
    crash_handlers = _crash_handlers(started, time.time() + 1)
    ours = set()
    try:
        yield browser
    finally:
        ours |= {p for p in psutil.Process().children(recursive=True) if p.pid not in before}
        try:
            browser.close()
        finally:
            pw.stop()
        _, alive = psutil.wait_procs(list(ours), timeout=10)
        for proc in alive:
            proc.kill()
        assert not alive, f"browser processes outlived the browser: {[p.pid for p in alive]}"
        _, lingering = psutil.wait_procs(list(crash_handlers), timeout=10)
        if lingering:  # not killed: another browser started at the same moment may own them
            print(f"[browser] note: crash handler(s) {[p.pid for p in lingering]} still running")


def _crash_handlers(start: float, end: float) -> set:
    """Chromium's crash handlers started while we launched it (they detach from their
    parent, so only their start time ties them to our browser; they exit with it)."""
    import psutil

    return {proc for proc in psutil.process_iter(["name", "create_time"])
            if "crashpad" in (proc.info["name"] or "") and start <= proc.info["create_time"] <= end}


class LabPage:
    """One browser page on the test server; ``open(path)`` loads a notebook."""

    def __init__(self, page, server, name):
        self.page, self.server, self.name = page, server, name
        self.path = None

    def open(self, path: str, timeout: float = 180) -> float:
        self.path = path
        OPENED.add(path)
        seconds = H.open_notebook(self.page, self.server, path, workspace=self.name, timeout=timeout)
        mode = H.windowing_mode(self.page, path)
        assert mode == "none", f"notebook windowingMode is {mode!r}; the settings override failed"
        H.record_kernel_errors(self.page, path)
        return seconds

    def run_all(self, timeout: float = 1200) -> float:
        ok, seconds = H.run_all(self.page, self.path, timeout)
        report = H.notebook_problems(self.page, self.path)
        for warning in report["warnings"]:
            print(f"[browser] {self.path}: {warning}")
        assert not report["problems"], (f"{self.path} has error output after run-all:\n  "
                                         + "\n  ".join(report["problems"]))
        if not ok:  # expected when a cell tagged raises-exception raised (checked above)
            print(f"[browser] {self.path}: run-all reported a cell error (only in "
                  "raises-exception cells, which is allowed)")
        return seconds

    def problems(self) -> list[str]:
        return H.notebook_problems(self.page, self.path)["problems"]


@pytest.fixture
def lab(request, browser, lab_server):
    """A fresh page (own browser context and JupyterLab workspace). On failure: a full
    page screenshot and the server log tail in artifacts/browser/failures/."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    name = "".join(c if c.isalnum() else "-" for c in request.node.name)[:60]
    lab_page = LabPage(page, lab_server, name)
    try:
        yield lab_page
    finally:
        failed = any(getattr(getattr(request.node, f"rep_{w}", None), "failed", False)
                     for w in ("setup", "call"))
        if failed:
            folder = ARTIFACTS / "failures"
            folder.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
            except Exception as err:
                print(f"[browser] could not screenshot the failure: {err}")
            (folder / f"{name}.server.log").write_text(lab_server.log_tail(200))
            print(f"[browser] failure artifacts in {folder}")
        context.close()
        try:
            lab_server.shutdown_kernels()
        except Exception as err:
            print(f"[browser] could not shut kernels down: {err}")
