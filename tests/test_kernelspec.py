"""tools.kernelspec: the notebooks' kernel starts with glibc's arenas capped, which a cell cannot do."""

import json
import sys
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from shared_helpers import COUNT_ARENAS

from helpers import process_memory
from tools import kernelspec

GLIBC_ARENA_TEST = 8  # glibc fixes its arena limit once a process has more arenas than this (64-bit)
needs_glibc = pytest.mark.skipif(process_memory._glibc() is None, reason="the arena cap is glibc's")


@pytest.fixture(autouse=True)
def no_inherited_cap(monkeypatch):
    """A kernel inherits this process's environment: only its kernelspec may set the cap here."""
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)


def arenas_in_kernel(manager: KernelSpecManager, setup: str = "") -> int:
    """Start the python3 kernel ``manager`` finds, as JupyterLab and nbclient do; count its arenas."""
    kernel = KernelManager(kernel_name=kernelspec.KERNEL_NAME, kernel_spec_manager=manager)
    client = None
    try:
        kernel.start_kernel()
        client = kernel.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        printed = []

        def keep_stdout(msg):
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                printed.append(msg["content"]["text"])

        reply = client.execute_interactive(COUNT_ARENAS.format(setup=setup), output_hook=keep_stdout,
                                           timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
        return int("".join(printed).split()[-1])
    finally:
        if client is not None:
            client.stop_channels()
        if kernel.has_kernel:
            kernel.shutdown_kernel(now=True)


def without_the_cap(folder):
    """The kernelspec in ``folder`` with its ``env`` removed: what ipykernel itself installs."""
    spec = json.loads((folder / "kernel.json").read_text())
    del spec["env"]
    (folder / "kernel.json").write_text(json.dumps(spec))
    return folder


def test_install_kernelspec_writes_the_cap_into_the_kernels_environment(tmp_path):
    folder = kernelspec.install_kernelspec(prefix=tmp_path)
    spec = json.loads((folder / "kernel.json").read_text())
    assert folder == tmp_path / "share" / "jupyter" / "kernels" / "python3"
    assert spec["env"] == {"MALLOC_ARENA_MAX": str(process_memory.MALLOC_ARENAS)}
    assert spec["display_name"] == kernelspec.DISPLAY_NAME
    assert "ipykernel_launcher" in spec["argv"]


def test_shadowing_problem_names_a_kernelspec_that_jupyter_would_start_instead(tmp_path):
    ours = kernelspec.install_kernelspec(prefix=tmp_path / "env")
    assert kernelspec.shadowing_problem(ours, KernelSpecManager(kernel_dirs=[str(ours.parent)])) is None

    other = without_the_cap(kernelspec.install_kernelspec(prefix=tmp_path / "user"))
    first_other = KernelSpecManager(kernel_dirs=[str(other.parent), str(ours.parent)])
    problem = kernelspec.shadowing_problem(ours, first_other)
    assert str(other) in problem and "comes before" in problem and "make setup" in problem

    assert "lacks" in kernelspec.shadowing_problem(other, first_other)
    assert "built-in one" in kernelspec.shadowing_problem(ours, KernelSpecManager(kernel_dirs=[]))


def test_the_kernel_jupyter_starts_for_the_notebooks_is_the_capped_one():
    """Fails if `make setup` did not install the kernelspec, or another python3 one hides it."""
    manager = KernelSpecManager()
    spec = manager.get_kernel_spec(kernelspec.KERNEL_NAME)
    ours = Path(sys.prefix, "share", "jupyter", "kernels", kernelspec.KERNEL_NAME)
    assert spec.env.get("MALLOC_ARENA_MAX") == str(process_memory.MALLOC_ARENAS), (
        kernelspec.shadowing_problem(ours, manager)
        or f"{spec.resource_dir} lacks the cap: run `make kernel` (python -m tools.kernelspec)")
    assert kernelspec.shadowing_problem(ours, manager) is None


@needs_glibc
def test_that_kernel_keeps_busy_threads_to_the_capped_arenas():
    assert arenas_in_kernel(KernelSpecManager()) <= process_memory.MALLOC_ARENAS


@needs_glibc
def test_without_the_kernelspecs_env_import_helpers_cannot_cap_a_kernel(tmp_path):
    plain = without_the_cap(kernelspec.install_kernelspec(prefix=tmp_path))
    uncapped = arenas_in_kernel(KernelSpecManager(kernel_dirs=[str(plain.parent)]), setup="import helpers")
    assert uncapped > GLIBC_ARENA_TEST  # glibc had fixed its limit before the cell ran: mallopt came too late


def test_main_installs_and_warns_about_what_would_hide_it(monkeypatch, tmp_path, capsys):
    install_here = kernelspec.install_kernelspec
    monkeypatch.setattr(kernelspec, "install_kernelspec", lambda: install_here(prefix=tmp_path))
    monkeypatch.setattr(kernelspec, "shadowing_problem", lambda folder: None)
    assert kernelspec.main() == 0
    assert "starts with MALLOC_ARENA_MAX=2" in capsys.readouterr().out

    monkeypatch.setattr(kernelspec, "shadowing_problem", lambda folder: f"{folder} is hidden.")
    assert kernelspec.main() == 0
    assert "warning:" in capsys.readouterr().err
