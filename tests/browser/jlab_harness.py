"""JupyterLab 4 + headless Chromium, driven from pytest (used by ``conftest.py``).

Pure Python parts (no browser needed, unit-tested in ``test_harness.py``):
browser availability decision, free port, log tail, process-tree shutdown, server
readiness. Browser parts are small helpers around Playwright's sync API that read the
JupyterLab application through ``window.jupyterapp`` (``expose_app_in_browser``).

Environment knobs: ``AE_CHROMIUM`` (browser executable, default ``/usr/bin/chromium``),
``CI`` (``true`` turns a missing browser into a failure).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
ARTIFACTS = REPO / "artifacts" / "browser"   # git-ignored

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
INSTALL_HINT = "install it with `sudo apt-get install chromium` (Debian/Ubuntu)"

# User settings written into a private JUPYTERLAB_SETTINGS_DIR for the test server.
LAB_SETTINGS = {
    # Keep every cell in the DOM (otherwise off-screen cells are virtualised away).
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # Never write the notebook back to disk.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # No network look-ups for news/updates.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


# --------------------------------------------------------------------------- decisions

def is_ci(env=None) -> bool:
    env = os.environ if env is None else env
    return env.get("CI", "").strip().lower() in {"1", "true", "yes"}


@dataclass(frozen=True)
class Decision:
    action: str   # "run", "skip" or "fail"
    reason: str


def browser_decision(executable: str | None, env=None, playwright_available: bool = True) -> Decision:
    """Run, skip (local, browser missing) or fail (``CI=true``, browser missing)."""
    problem = None
    if not playwright_available:
        problem = "the Python package playwright is not installed (pip install playwright)"
    elif not executable or not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
        problem = f"Chromium not found at {executable or DEFAULT_CHROMIUM}; {INSTALL_HINT}"
    if problem is None:
        return Decision("run", "")
    if is_ci(env):
        return Decision("fail", f"CI=true and {problem}")
    return Decision("skip", f"browser tests skipped: {problem}")


def chromium_executable(env=None) -> str:
    env = os.environ if env is None else env
    return env.get("AE_CHROMIUM") or DEFAULT_CHROMIUM


def playwright_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------- processes

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log_tail(path, lines: int = 40) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as err:
        return f"(no log: {err})"
    return "\n".join(text.splitlines()[-lines:])


def _die_with_parent():  # runs in the child between fork and exec (Linux only)
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class ManagedProcess:
    """A child in its own process group, logging to a file, that ``stop()`` reaps with
    all its descendants (jupyter kernels start their own sessions, so a group kill alone
    would miss them). On Linux the child also gets SIGTERM if this process dies."""

    def __init__(self, cmd, log_path, env=None, cwd=None):
        self.log_path = Path(log_path)
        # SIM115: the log must stay open for the child's lifetime; stop() closes it.
        self._log = open(self.log_path, "ab")  # noqa: SIM115
        self.popen = subprocess.Popen(
            cmd, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, cwd=cwd, start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        self.pid = self.popen.pid
        self._seen = set()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def descendants(self) -> set[int]:
        """PIDs of all live descendants (remembered, so ``stop`` can reap them later)."""
        import psutil

        try:
            kids = {p.pid for p in psutil.Process(self.pid).children(recursive=True)}
        except psutil.Error:
            kids = set()
        self._seen |= kids
        return kids

    def stop(self, grace: float = 10.0) -> list[int]:
        """Terminate the group, then kill leftovers. Returns PIDs still alive (should be [])."""
        import psutil

        self.descendants()
        if self.alive():
            for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.popen.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        else:
            self.popen.wait()
        survivors = []
        for pid in sorted(self._seen):
            try:
                proc = psutil.Process(pid)
                proc.wait(grace if proc.is_running() else 0)
            except psutil.NoSuchProcess:
                continue
            except psutil.TimeoutExpired:
                proc.kill()
                try:
                    proc.wait(5)
                except psutil.Error:
                    survivors.append(pid)
        self._log.close()
        return [pid for pid in survivors if psutil.pid_exists(pid)]


class ServerNotReady(RuntimeError):
    pass


def wait_until_ready(proc: ManagedProcess, url: str, timeout: float, what: str = "JupyterLab",
                     tail_lines: int = 40) -> float:
    """Poll ``url`` until it answers 200. Raises ServerNotReady (with the log tail) if the
    process exits or ``timeout`` passes. Returns the seconds it took."""
    start = time.monotonic()
    last = "no answer yet"
    while True:
        if not proc.alive():
            raise ServerNotReady(
                f"{what} exited with code {proc.popen.returncode} before it was ready ({url}).\n"
                f"Last lines of {proc.log_path}:\n{log_tail(proc.log_path, tail_lines)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return time.monotonic() - start
                last = f"HTTP {resp.status}"
        except (urllib.error.URLError, OSError) as err:
            last = str(err)
        if time.monotonic() - start > timeout:
            raise ServerNotReady(
                f"{what} was not ready after {timeout:.0f} s ({url}: {last}).\n"
                f"Last lines of {proc.log_path}:\n{log_tail(proc.log_path, tail_lines)}")
        time.sleep(0.5)


# --------------------------------------------------------------------------- files

def notebook_hashes(folder) -> dict[str, str]:
    """SHA-256 of every .ipynb under ``folder`` (checkpoints excluded)."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts}


def copy_notebook_tree(src, dst) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return Path(dst)


def write_lab_settings(settings_dir, settings=LAB_SETTINGS) -> None:
    for plugin, values in settings.items():
        package, name = plugin.rsplit("/", 1)
        path = Path(settings_dir) / package / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


# --------------------------------------------------------------------------- server

class JupyterLabServer:
    """JupyterLab on 127.0.0.1:<free port> with a token, serving ``root``; all state
    (settings, workspaces, runtime, config) in ``state_dir``."""

    def __init__(self, root, state_dir, env_overrides=None, python=sys.executable,
                 ready_timeout: float = 120.0):
        self.root, self.state = Path(root), Path(state_dir)
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        for sub in ("settings", "workspaces", "runtime", "config", "data", "ipython"):
            (self.state / sub).mkdir(parents=True, exist_ok=True)
        write_lab_settings(self.state / "settings")
        env = dict(os.environ)
        env.update({
            "JUPYTERLAB_SETTINGS_DIR": str(self.state / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.state / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(self.state / "runtime"),
            "JUPYTER_CONFIG_DIR": str(self.state / "config"),
            "JUPYTER_DATA_DIR": str(self.state / "data"),
            "IPYTHONDIR": str(self.state / "ipython"),
            "PYTHONUNBUFFERED": "1",
        })
        env.update(env_overrides or {})
        cmd = [
            python, "-m", "jupyterlab", "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}", "--ServerApp.terminals_enabled=False",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
            # The server root is a throw-away copy; also keep checkpoints out of it.
            "--FileCheckpoints.checkpoint_dir=" + str(self.state / "checkpoints"),
        ]
        self.log_path = self.state / "jupyterlab.log"
        self.process = ManagedProcess(cmd, self.log_path, env=env, cwd=str(self.root))
        try:
            self.startup_seconds = wait_until_ready(
                self.process, f"{self.base}/api/status?token={self.token}", ready_timeout)
        except BaseException:
            self.process.stop()
            raise

    def url(self, path: str, workspace: str) -> str:
        return f"{self.base}/lab/workspaces/{workspace}/tree/{path}?reset&token={self.token}"

    def api(self, method: str, path: str, timeout: float = 10.0):
        req = urllib.request.Request(f"{self.base}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> int:
        """Delete every session (and its kernel). Returns how many there were."""
        sessions = self.api("GET", "/api/sessions") or []
        for session in sessions:
            self.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)
        return len(sessions)

    def stop(self) -> list[int]:
        self.process.descendants()
        if self.process.alive():
            try:
                self.api("POST", "/api/shutdown", timeout=5)  # graceful: kernels first
                self.process.popen.wait(20)
            except Exception:
                pass
        return self.process.stop()

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)


# --------------------------------------------------------------------------- page helpers
# All of these take a Playwright sync ``Page`` showing JupyterLab.

JS_PANEL = """(path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return null;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.sessionContext) return w;
  }
  return null;
}"""


def _panel(expr: str) -> str:
    """A JS function (path, ...) that runs ``expr`` with ``panel`` bound."""
    return f"""(args) => {{ const panel = ({JS_PANEL})(args.path); return ({expr}); }}"""


def wait_for(page, expr: str, args: dict, timeout: float, what: str, poll: float = 0.25):
    """Poll a JS expression (with ``panel`` bound) until truthy; returns its value."""
    deadline = time.monotonic() + timeout
    fn = _panel(expr)
    while True:
        value = page.evaluate(fn, args)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


def open_notebook(page, server: JupyterLabServer, path: str, workspace: str, timeout: float = 120):
    """Load JupyterLab with ``path`` open; wait for its kernel to be idle. Returns seconds."""
    start = time.monotonic()
    page.goto(server.url(path, workspace), wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=timeout * 1000)
    wait_for(page, "panel && panel.context.isReady && panel.sessionContext.isReady", {"path": path},
             timeout, f"{path} to load and its kernel to start")
    wait_kernel_idle(page, path, timeout)
    return time.monotonic() - start


def wait_kernel_idle(page, path: str, timeout: float) -> None:
    wait_for(page, "panel && panel.sessionContext.session && panel.sessionContext.session.kernel"
                   " && panel.sessionContext.session.kernel.status === 'idle'",
             {"path": path}, timeout, "the kernel status 'idle'")


def windowing_mode(page, path: str) -> str:
    return page.evaluate(_panel("panel.content.notebookConfig.windowingMode"), {"path": path})


def record_kernel_errors(page, path: str) -> None:
    """Start recording iopub ``error`` messages and stderr streams that do not belong to a
    cell execution (cell outputs are checked separately), e.g. widget callback failures."""
    page.evaluate(_panel("""(() => {
      window.__aeIopub = [];
      panel.sessionContext.iopubMessage.connect((_, msg) => {
        const t = msg.header.msg_type, parent = (msg.parent_header || {}).msg_type;
        if (parent === 'execute_request') return;
        if (t === 'error') window.__aeIopub.push(
          {type: 'error', parent, text: msg.content.ename + ': ' + msg.content.evalue});
        else if (t === 'stream' && msg.content.name === 'stderr') window.__aeIopub.push(
          {type: 'stderr', parent, text: msg.content.text});
      });
      return true; })()"""), {"path": path})


def kernel_messages(page) -> list[dict]:
    return page.evaluate("() => window.__aeIopub || []")


JS_SETTLED = """(() => {
  if (!window.__aeRun || !window.__aeRun.done) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  return panel.content.widgets.every(c => c.model.type !== 'code' || c.model.executionState !== 'running');
})()"""


def run_all(page, path: str, timeout: float, settle: float = 1.0) -> tuple[bool, float]:
    """notebook:run-all-cells, then wait until no cell is running and the kernel has been
    idle for ``settle`` seconds. (The command's promise settles early when a cell tagged
    ``raises-exception`` raises, while the kernel goes on.) Returns (JupyterLab's success
    flag, seconds)."""
    start = time.monotonic()
    page.evaluate("""() => { window.__aeRun = {done: false};
      window.jupyterapp.commands.execute('notebook:run-all-cells').then(
        ok => { window.__aeRun = {done: true, ok: ok}; },
        err => { window.__aeRun = {done: true, ok: false, error: String(err)}; }); }""")
    deadline = start + timeout
    calm_since = None
    while True:
        settled = page.evaluate(_panel(JS_SETTLED), {"path": path})
        now = time.monotonic()
        if settled:
            calm_since = calm_since or now
            if now - calm_since >= settle:
                break
        else:
            calm_since = None
        if now > deadline:
            raise TimeoutError(f"run-all-cells of {path} did not finish within {timeout:.0f} s")
        time.sleep(0.2)
    result = page.evaluate("() => window.__aeRun")
    if result.get("error"):
        raise RuntimeError(f"notebook:run-all-cells raised in the page: {result['error']}")
    return bool(result.get("ok")), calm_since - start


JS_NOTEBOOK_PROBLEMS = """(() => {
  const problems = [], warnings = [];
  const cells = panel.content.widgets;
  cells.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    const tags = cell.model.getMetadata('tags') || [];
    if (tags.includes('raises-exception')) return;  // the error is the point (nbval's tag)
    const src = cell.model.sharedModel.getSource().trim();
    if (src && cell.model.executionCount === null) problems.push(`cell ${i}: not executed`);
    const outputs = cell.model.outputs;
    for (let k = 0; k < outputs.length; k++) {
      const out = outputs.get(k).toJSON();
      if (out.output_type === 'error') problems.push(
        `cell ${i}: ${out.ename}: ${out.evalue}`);
      else if (out.output_type === 'stream' && out.name === 'stderr') {
        const text = Array.isArray(out.text) ? out.text.join('') : out.text;
        if (/Traceback|\\w+Error\\b/.test(text)) problems.push(`cell ${i}: stderr: ${text.slice(-600)}`);
        else warnings.push(`cell ${i}: stderr: ${text.slice(0, 300)}`);
      }
    }
    for (const node of cell.node.querySelectorAll('.jp-OutputArea-output')) {
      const text = node.textContent || '';
      if (text.includes('Error displaying widget')) problems.push(`cell ${i}: ${text.slice(0, 200)}`);
      if (node.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr'
          && /Traceback/.test(text)) problems.push(`cell ${i} (rendered): ${text.slice(-600)}`);
    }
  });
  return {problems, warnings, cells: cells.length};
})()"""


def notebook_problems(page, path: str) -> dict:
    """Error outputs (except in cells tagged ``raises-exception``), unexecuted cells,
    broken widget views, stderr with tracebacks (``problems``) and other stderr
    (``warnings``), plus errors outside cell executions (widget callbacks)."""
    report = page.evaluate(_panel(JS_NOTEBOOK_PROBLEMS), {"path": path})
    for msg in kernel_messages(page):
        text = msg["text"]
        if msg["type"] == "error" or "Traceback" in text:
            report["problems"].append(f"kernel {msg['type']} (from a {msg['parent']}): {text[-600:]}")
    return report


def image_bytes(page, selector: str) -> tuple[str, bytes]:
    """(src, bytes) of the <img> matching ``selector`` (or the first one inside it),
    fetched in the page (widget images are blob: URLs)."""
    result = page.evaluate("""async (sel) => {
      const node = document.querySelector(sel);
      const img = node && (node.tagName === 'IMG' ? node : node.querySelector('img'));
      if (!img || !img.src) return null;
      const buf = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
      let s = ''; for (let i = 0; i < buf.length; i++) s += String.fromCharCode(buf[i]);
      return {src: img.src, b64: btoa(s)};
    }""", selector)
    if result is None:
        raise AssertionError(f"no image with a src at {selector!r}")
    return result["src"], base64.b64decode(result["b64"])


# An explorer is described by CSS selectors: root, slider, readout, image, progress,
# message (and optionally toggle); see the DOM contract. All but root are searched
# inside the first root.

JS_EXPLORER_STATE = """(sel) => {
  const roots = document.querySelectorAll(sel.root);
  if (!roots.length) return null;
  const root = roots[0];
  const find = (s) => s ? (root.matches(s) ? root : root.querySelector(s)) : null;
  const norm = (t) => (t || '').replace(/\\s+/g, ' ').trim();
  const visible = (n) => !!n && n.offsetParent !== null
      && getComputedStyle(n).visibility !== 'hidden' && getComputedStyle(n).display !== 'none';
  const slider = find(sel.slider), image = find(sel.image), readout = find(sel.readout);
  const img = image && (image.tagName === 'IMG' ? image : image.querySelector('img'));
  const handle = slider && slider.querySelector('.noUi-handle');
  const sliderReadout = slider && slider.querySelector('.widget-readout');
  const toggle = find(sel.toggle);
  const active = toggle && toggle.querySelector('.mod-active');
  const message = find(sel.message), progress = find(sel.progress);
  const method = find(sel.method);
  const select = method && (method.tagName === 'SELECT' ? method : method.querySelector('select'));
  let expected = null;
  if (sel.expectedHtml !== undefined && sel.expectedHtml !== null) {
    const d = document.createElement('div');
    d.innerHTML = sel.expectedHtml;
    expected = norm(d.textContent);
  }
  return {
    roots: roots.length,
    slider: slider ? norm(sliderReadout
                          ? (sliderReadout.value !== undefined && sliderReadout.tagName === 'INPUT'
                             ? sliderReadout.value : sliderReadout.textContent)
                          : '') : null,
    hasHandle: !!handle,
    handleAria: handle ? {now: handle.getAttribute('aria-valuenow'),
                          min: handle.getAttribute('aria-valuemin'),
                          max: handle.getAttribute('aria-valuemax')} : null,
    readout: readout ? norm(readout.textContent) : null,
    src: img ? img.src : null,
    toggle: active ? norm(active.textContent) : null,
    method: select && select.selectedIndex >= 0
      ? norm(select.options[select.selectedIndex].textContent) : null,
    message: message ? norm(message.textContent) : null,
    messageVisible: visible(message),
    progressVisible: visible(progress),
    expected: expected,
  };
}"""


def explorer_state(page, selectors: dict, expected_html: str | None = None) -> dict | None:
    return page.evaluate(JS_EXPLORER_STATE, {**selectors, "expectedHtml": expected_html})


def html_text(page, html: str) -> str:
    """What a browser shows as the text of ``html`` (whitespace collapsed)."""
    return page.evaluate("""(h) => { const d = document.createElement('div'); d.innerHTML = h;
      return (d.textContent || '').replace(/\\s+/g, ' ').trim(); }""", html)


def overflow_px(page, root_selector: str) -> int:
    """How many pixels the explorer's content sticks out to the right of its output area
    (0 = everything visible without scrolling)."""
    return page.evaluate("""(sel) => {
      const root = document.querySelector(sel);
      const area = root && (root.closest('.jp-OutputArea-output') || root.parentElement);
      if (!area) return 0;
      const edge = area.getBoundingClientRect().right;
      let worst = root.getBoundingClientRect().right;
      for (const n of root.querySelectorAll('img, .widget-box > *')) {
        worst = Math.max(worst, n.getBoundingClientRect().right);
      }
      return Math.max(0, Math.round(worst - edge));
    }""", root_selector)


def press_slider_key(page, slider_selector: str, key: str) -> None:
    """Real keyboard input: focus the slider's handle, press ``key`` (e.g. ArrowRight)."""
    handle = page.locator(f"{slider_selector} .noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press(key)


JS_WATCH = """(sel) => {
  const root = document.querySelector(sel.root);
  const find = (s) => root.matches(s) ? root : root.querySelector(s);
  const norm = (t) => (t || '').replace(/\\s+/g, ' ').trim();
  const image = find(sel.image), readout = find(sel.readout);
  const img = () => image && (image.tagName === 'IMG' ? image : image.querySelector('img'));
  const t = {input: null, src: null, readout: null};
  window.__aeWatch = t;
  let lastSrc = img() ? img().src : null, lastText = norm(readout.textContent);
  const mark = () => {
    const now = performance.now(), src = img() ? img().src : null, text = norm(readout.textContent);
    if (src !== lastSrc) { lastSrc = src; t.src = now; }
    if (text !== lastText) { lastText = text; t.readout = now; }
  };
  if (window.__aeObserver) window.__aeObserver.disconnect();
  window.__aeObserver = new MutationObserver(mark);
  window.__aeObserver.observe(root, {subtree: true, childList: true, characterData: true,
                                     attributes: true, attributeFilter: ['src']});
  const start = () => { if (t.input === null) t.input = performance.now(); };
  document.addEventListener('keydown', start, {capture: true, once: true});
  document.addEventListener('mousedown', start, {capture: true, once: true});
  return true;
}"""


def pick_in_select(page, select_selector: str, key: str) -> None:
    """Real input on a dropdown: click its <select> (opens the list), press ``key``
    (ArrowDown/ArrowUp) and Enter. (Arrow keys on a focused but closed select do not
    work in a notebook: JupyterLab's command mode takes them to move between cells.)"""
    select = page.locator(f"{select_selector} select").first
    select.scroll_into_view_if_needed()
    select.click()
    page.keyboard.press(key)
    page.keyboard.press("Enter")


def click_button(page, container_selector: str, text: str) -> None:
    """Real mouse click on the button labelled exactly ``text`` inside the container."""
    buttons = page.locator(f"{container_selector} button").filter(
        has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))
    if buttons.count() != 1:
        raise AssertionError(f"expected one {text!r} button in {container_selector}, "
                             f"found {buttons.count()}")
    buttons.click()


def watch_redraw(page, selectors: dict) -> None:
    """Start timing: the next keydown/mousedown, then the image and readout changes
    (page clock, so the test process's own work does not count)."""
    page.evaluate(JS_WATCH, selectors)


def wait_for_redraw(page, selectors: dict, old_src: str, expected_text: str,
                    timeout: float) -> float:
    """After ``watch_redraw`` and an input: wait until the image src changed and the
    readout shows ``expected_text``. Returns input-to-last-change seconds (page clock)."""
    fn = ("(sel) => { const s = (" + JS_EXPLORER_STATE + """)(sel);
      return s && s.src && s.src !== sel.oldSrc && s.readout === sel.expectedText; }
    """)
    try:
        page.wait_for_function(fn, arg={**selectors, "oldSrc": old_src, "expectedText": expected_text},
                               timeout=timeout * 1000, polling="raf")
    except Exception as err:
        if type(err).__name__ != "TimeoutError":
            raise
        state = explorer_state(page, selectors)
        raise AssertionError(
            f"no redraw within {timeout:.0f} s: expected readout {expected_text!r} and a new image; "
            f"the explorer shows readout={state and state['readout']!r}, "
            f"image changed={bool(state and state['src'] != old_src)}, "
            f"message={state and state['message']!r}") from None
    t = page.evaluate("() => window.__aeWatch")
    if t["input"] is None:
        raise AssertionError("the redraw happened but no keydown/mousedown was seen (timing broken)")
    return (max(t["src"] or 0, t["readout"] or 0) - t["input"]) / 1000
