"""tests/notebook_code.py: finds a notebook's cells by tag and runs them, or says why it cannot."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from notebook_code import NOTEBOOKS, cell_source, run_cells


@pytest.fixture
def notebook(tmp_path):
    cells = [new_code_cell("a = 1", metadata={"tags": ["first"]}),
             new_markdown_cell("b = 99", metadata={"tags": ["first"]}),   # markdown: never run
             new_code_cell("b = a + 1", metadata={"tags": ["first", "other"]}),
             new_code_cell("c = 3")]
    path = tmp_path / "lesson.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    return path


def test_cell_source_joins_the_tagged_code_cells_in_order(notebook):
    assert cell_source(notebook, "first") == "a = 1\n\nb = a + 1"
    assert cell_source(notebook, "other") == "b = a + 1"


def test_run_cells_executes_into_the_given_namespace(notebook):
    given = {"a": 10}
    assert run_cells(notebook, "other", given) is given and given["b"] == 11
    assert run_cells(notebook, "first")["b"] == 2


def test_a_missing_tag_fails_loudly(notebook):
    with pytest.raises(AssertionError, match=r"no code cell in lesson.ipynb has the tag 'missing'"):
        cell_source(notebook, "missing")


def test_errors_in_a_cell_name_the_notebook_and_tag(tmp_path):
    path = tmp_path / "broken.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = undefined_name", metadata={"tags": ["t"]})]), path)
    with pytest.raises(NameError) as info:
        run_cells(path, "t")
    assert str(info.traceback[-1].frame.code.path) == "broken.ipynb[t]"


def test_bare_names_are_looked_up_in_the_notebooks_folder():
    assert (NOTEBOOKS / "01_stacked_autoencoder.ipynb").is_file()
    assert "build_autoencoder" in cell_source("01_stacked_autoencoder.ipynb", "keras-model")
