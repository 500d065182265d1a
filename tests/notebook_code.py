"""Run a notebook's own lesson code in a test: find its cells by tag and execute them.

Lessons define a model or step in view, then use the ``helpers`` version; tests check the two agree.
The test must run the notebook's cells themselves (not a copy), so a change to the lesson breaks the test.

    from notebook_code import cell_source, run_cells

    source = cell_source("01_stacked_autoencoder.ipynb", "keras-model")
    namespace = run_cells("01_stacked_autoencoder.ipynb", "keras-model", {"keras": keras})
"""

from __future__ import annotations

from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def cell_source(notebook: str | Path, tag: str) -> str:
    """Source of the code cells carrying ``tag`` in their metadata, in notebook order, joined by blank lines.

    ``notebook`` is a file name in ``notebooks/`` or a path. Fails if no code cell has the tag, so a
    renamed or removed tag cannot make a test silently check nothing.
    """
    path = Path(notebook) if Path(notebook).is_absolute() else NOTEBOOKS / notebook
    nb = nbformat.read(path, as_version=4)
    sources = [c.source for c in nb.cells if c.cell_type == "code" and tag in c.metadata.get("tags", [])]
    if not sources:
        raise AssertionError(f"no code cell in {path.name} has the tag {tag!r}; add it to the cell's "
                             "metadata.tags (View > Cell metadata in JupyterLab) or fix the tag in the test")
    return "\n\n".join(sources)


def run_cells(notebook: str | Path, tag: str, namespace: dict | None = None) -> dict:
    """Execute the cells tagged ``tag`` (see ``cell_source``) in ``namespace`` and return that namespace.

    Pass in the names the cells expect from earlier cells (e.g. ``{"keras": keras}``); tracebacks name
    the notebook and tag.
    """
    namespace = {} if namespace is None else namespace
    name = Path(notebook).name
    exec(compile(cell_source(notebook, tag), f"{name}[{tag}]", "exec"), namespace)
    return namespace
