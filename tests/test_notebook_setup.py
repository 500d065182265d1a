"""A notebook opened where ``helpers`` (or a package a lesson needs) is missing stops at its first
cell with one sentence saying how to install it, not a ``ModuleNotFoundError`` traceback.

The cells run in a real Jupyter kernel from this environment in which the package is blocked (a
``sitecustomize`` on ``PYTHONPATH`` sets ``sys.modules[name] = None``), as a kernel without it
installed would see it.
"""

import os
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from notebook_code import NOTEBOOKS, cell_source

from helpers.notebook import INSTALL_HINT, MissingPackageError, missing_packages, require_packages

LESSONS = sorted(p.name for p in NOTEBOOKS.glob("[0-9]*.ipynb"))


def run_in_kernel_without(module: str, source: str, tmp_path) -> list:
    """The outputs of ``source`` run in a fresh kernel where ``import <module>`` fails."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(f"import sys\nsys.modules[{module!r}] = None\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    env = {**os.environ, "PYTHONPATH": str(blocker)}
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.km = client.create_kernel_manager()
    client.start_new_kernel(env=env)
    with client.setup_kernel(env=env):
        client.execute_cell(nb.cells[0], 0)
    return nb.cells[0].outputs


def one_sentence_error(outputs) -> str:
    errors = [o for o in outputs if o.output_type == "error"]
    assert len(errors) == 1, outputs
    assert errors[0].ename in ("NotInstalled", "MissingPackageError")
    assert errors[0].traceback == [errors[0].evalue]          # the sentence alone, no traceback
    assert not [o for o in outputs if o.output_type == "stream"], outputs
    return errors[0].evalue


@pytest.mark.parametrize("notebook", LESSONS)
def test_every_lesson_starts_with_the_tagged_setup_cell(notebook):
    nb = nbformat.read(NOTEBOOKS / notebook, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "setup" in first.metadata.get("tags", []) and first.source == cell_source(notebook, "setup")


@pytest.mark.parametrize("notebook", LESSONS)
def test_a_missing_helpers_package_stops_the_first_cell_with_one_sentence(notebook, tmp_path):
    message = one_sentence_error(run_in_kernel_without("helpers", cell_source(notebook, "setup"), tmp_path))
    assert "`helpers`" in message and "make lab" in message and "pip install -e ." in message


def test_a_missing_lesson_package_stops_setup_with_one_sentence(tmp_path):
    message = one_sentence_error(run_in_kernel_without(
        "ipywidgets", cell_source(LESSONS[0], "setup"), tmp_path))
    assert "`ipywidgets`" in message and INSTALL_HINT in message and sys.executable in message


def test_missing_packages_reports_blocked_and_absent_modules(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy_blocked_for_test", None)
    assert missing_packages({"numpy": "numpy"}) == []
    assert missing_packages({"numpy_blocked_for_test": "nb-test", "no_such_module_xyz": "xyz"}) == [
        "nb-test", "xyz"]
    with pytest.raises(MissingPackageError, match=r"needs `xyz`, which this kernel's Python"):
        require_packages({"no_such_module_xyz": "xyz"})
