"""`make lab` on a fresh machine: the command it runs (tools/lab.sh) starts a JupyterLab that answers,
for root and for an ordinary user, with or without a display, prints the address to open, and
stops when its process group gets SIGTERM. ``make test`` lints before it runs pytest. The ordinary user
is nobody, through the ``as_nobody`` fixture (tests/run_as_user.py), which also works when this Python
lives under /root."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from run_as_user import NOBODY

ROOT = Path(__file__).resolve().parents[1]
LAB = ["bash", "tools/lab.sh"]          # the recipe of `make lab`
START_TIMEOUT = 60.0                    # seconds; JupyterLab starts in 2-5 s on an idle machine
URL_PATTERN = r"http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]{16,})"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

def lab_env(home: Path, **overrides: str) -> dict[str, str]:
    """The caller's environment without Jupyter/XDG settings, with a private HOME and no display."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "XDG_", "MAKE", "MFLAGS"))}
    env.update(HOME=str(home), DISPLAY="", WAYLAND_DISPLAY="")
    if not (ROOT / ".venv" / "bin" / "jupyter").exists():  # conda route: the jupyter beside this Python
        env["JUPYTER"] = str(Path(sys.executable).with_name("jupyter"))
    env.update(overrides)
    return env


def dry_run(env: dict[str, str], *extra: str, user: list[str] = ()) -> list[str]:
    done = subprocess.run([*user, *LAB, "--dry-run", *extra], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30, check=True)
    return shlex.split(done.stdout)


def make_dry_run(target: str) -> list[str]:
    """Every recipe line `make <target>` would run on a fresh checkout (-B: as if nothing were built)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS")) and k != "LOCK"}
    done = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.splitlines()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with NO_PROXY.open(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, ""


def wait_for_address(proc: subprocess.Popen, log: Path) -> tuple[int, str]:
    """Port and token of the URL JupyterLab prints for the user to open."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        found = re.search(URL_PATTERN, log.read_text(errors="replace"))
        if found:
            return int(found.group(1)), found.group(2)
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"tools/lab.sh printed no http://127.0.0.1:PORT/lab?token=... address "
                f"(exit code {proc.poll()}). Its output:\n{log.read_text(errors='replace')[-3000:]}")


def serve_and_stop(home: Path, env: dict[str, str], user: list[str] = ()) -> str:
    """Starts `make lab`'s command, checks the server answers with the printed token, stops its
    process group with SIGTERM and checks it exited. Returns what it printed."""
    log = home / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([*user, *LAB], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        port, token = wait_for_address(proc, log)
        base = f"http://127.0.0.1:{port}"
        status, body = get(f"{base}/api/status?token={token}")
        assert status == 200 and "started" in json.loads(body), f"GET /api/status: HTTP {status} {body}"
        assert get(f"{base}/api/status")[0] == 403, "the server must ask for the token"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
            pytest.fail("JupyterLab did not stop within 20 s of SIGTERM")
    assert proc.returncode == 0, f"exit code {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}"
    with pytest.raises(OSError):
        NO_PROXY.open(f"{base}/api/status", timeout=5)
    return log.read_text(errors="replace")


@pytest.fixture
def nobody_home():
    """A HOME owned by user nobody (pytest's tmp_path is private to root)."""
    home = Path(tempfile.mkdtemp(prefix="lab-home-"))
    os.chown(home, NOBODY, NOBODY)
    yield home
    shutil.rmtree(home, ignore_errors=True)


# --------------------------------------------------------------------------- the Makefile

@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_installs_the_lock_then_runs_tools_lab_sh():
    lines = make_dry_run("lab")
    assert lines[-1] == shlex.join(LAB)
    assert ".venv/bin/python -m pip install --quiet --no-deps -e ." in lines
    assert [line for line in lines if "--require-hashes -r requirements.lock" in line]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_test_installs_the_lock_and_lints_before_pytest():
    lines = make_dry_run("test")
    install = lines.index(".venv/bin/python -m pip install --quiet --no-deps -e .")
    lint = lines.index(".venv/bin/ruff check .")
    tests = next(i for i, line in enumerate(lines) if " -m pytest " in line)
    assert install < lint < tests


# --------------------------------------------------------------------------- the command

def test_lab_command_serves_notebooks_on_localhost(tmp_path):
    cmd = dry_run(lab_env(tmp_path))
    assert Path(cmd[0]).name == "jupyter"
    assert cmd[1:4] == ["lab", str(ROOT / "notebooks"), "--ServerApp.ip=127.0.0.1"]
    assert dry_run(lab_env(tmp_path, LAB_IP="0.0.0.0"))[3] == "--ServerApp.ip=0.0.0.0"


def test_lab_command_passes_extra_options_last(tmp_path):
    assert dry_run(lab_env(tmp_path), "--port=8899")[-1] == "--port=8899"


def test_lab_command_allows_root_for_root_only(tmp_path):
    assert ("--allow-root" in dry_run(lab_env(tmp_path))) == (os.geteuid() == 0)


def test_lab_command_does_not_allow_root_for_an_ordinary_user(nobody_home, as_nobody):
    assert "--allow-root" not in dry_run(lab_env(nobody_home), user=as_nobody)


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS opens a browser without DISPLAY")
def test_lab_command_opens_a_browser_only_when_there_is_a_display(tmp_path):
    assert "--no-browser" in dry_run(lab_env(tmp_path))
    assert "--no-browser" not in dry_run(lab_env(tmp_path, DISPLAY=":0"))
    assert "--no-browser" not in dry_run(lab_env(tmp_path, WAYLAND_DISPLAY="wayland-0"))


# --------------------------------------------------------------------------- a real server

def test_lab_serves_and_stops_for_the_current_user(tmp_path):
    output = serve_and_stop(tmp_path, lab_env(tmp_path, JUPYTER_PORT=str(free_port())))
    assert "no display" in output, "without a display the user must be told to open the address"


def test_lab_serves_and_stops_for_an_ordinary_user(nobody_home, as_nobody):
    serve_and_stop(nobody_home, lab_env(nobody_home, JUPYTER_PORT=str(free_port())), user=as_nobody)
    runtime = nobody_home / ".local" / "share" / "jupyter" / "runtime"
    assert runtime.stat().st_uid == NOBODY, "the server ran as nobody and kept its runtime files in HOME"
