"""The notebook executor behind ``make notebooks`` (tools.execute), on tiny notebooks."""

import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tools import execute


def write_notebook(path, *sources, widgets=True):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    if widgets:
        nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_runs_in_place_in_the_notebook_folder_and_drops_widget_state(tmp_path, capsys):
    path = write_notebook(tmp_path / "lesson" / "nb.ipynb", "import os\nprint(os.getcwd())",
                          "counter = globals().get('counter', 0) + 1\ncounter")
    assert execute.main([str(path)]) == 0
    assert re.fullmatch(rf"{re.escape(str(path))}: \d+\.\d s\n", capsys.readouterr().out)
    nb = nbformat.read(path, as_version=4)
    cwd, count = nb.cells
    assert cwd.outputs[0].text == f"{path.parent}\n" and cwd.execution_count == 1
    assert count.outputs[0].data["text/plain"] == "1"  # a fresh kernel: nothing left from before
    assert "widgets" not in nb.metadata


def test_no_write_keeps_the_file_and_a_failing_cell_exits_1(tmp_path, capsys):
    path = write_notebook(tmp_path / "nb.ipynb", "print('fine')", "raise ValueError('broken on purpose')")
    before = path.read_bytes()
    assert execute.main(["--no-write", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"FAILED {path}:") and "broken on purpose" in err
    assert path.read_bytes() == before


def test_execute_notebook_returns_seconds_and_writes_only_when_asked(tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", "x = 2 + 2", widgets=False)
    before = path.read_bytes()
    seconds = execute.execute_notebook(path, timeout=120, write=False)
    assert seconds > 0 and path.read_bytes() == before


def test_a_missing_notebook_is_one_line_and_exit_2(tmp_path, capsys):
    missing = tmp_path / "nope.ipynb"
    assert execute.main([str(missing)]) == 2
    assert capsys.readouterr().err == f"{missing}: no such notebook file; pass paths to .ipynb files.\n"


@pytest.mark.parametrize("argv", [[], ["--timeout", "x", "a.ipynb"]])
def test_bad_arguments_are_refused_by_argparse(argv):
    with pytest.raises(SystemExit) as exit_:
        execute.main(argv)
    assert exit_.value.code == 2
