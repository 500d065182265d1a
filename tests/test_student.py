"""The student-edition generator (tools.student) and the committed student edition."""

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from tools import student

ROOT = Path(__file__).resolve().parents[1]
STUB = student.STUB_LINES[1]


def notebook(*cells):
    for i, cell in enumerate(cells):
        cell["id"] = f"c{i}"
    return new_notebook(cells=list(cells), metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python", "version": "3.11.2"}})


def code(source, tags=None, outputs=None, count=None):
    cell = new_code_cell(source, outputs=outputs or [], execution_count=count)
    if tags:
        cell.metadata["tags"] = tags
    return cell


def student_cells(nb):
    """The generated cells without the note on top."""
    out = student.student_edition(nb)
    assert out.cells[0].id == student.NOTE_CELL_ID
    return out.cells[1:]


# --- the generator's rules ---------------------------------------------------------------------

def test_code_region_becomes_a_stub_at_the_markers_indentation():
    src = ("def f(x):\n    '''Doc.'''\n    ### BEGIN SOLUTION\n    y = secret(x)\n    return y\n"
           "    ### END SOLUTION\n\nprint(f)")
    (cell,) = student_cells(notebook(code(src)))
    assert cell.source == ("def f(x):\n    '''Doc.'''\n    # YOUR CODE HERE\n    " + STUB + "\n\nprint(f)")
    assert cell.metadata["tags"] == ["exercise-stub"]  # the stub sits in a def: the cell runs


def test_several_regions_in_one_cell_keep_the_code_between_them():
    src = ("class A:\n    def f(self):\n        ### BEGIN SOLUTION\n        return 1\n"
           "        ### END SOLUTION\n\n    def g(self):\n        ### BEGIN SOLUTION\n        return 2\n"
           "        ### END SOLUTION")
    (cell,) = student_cells(notebook(code(src)))
    assert cell.source.count(STUB) == 2 and "def g(self):" in cell.source
    assert "return 1" not in cell.source and "return 2" not in cell.source
    assert "raises-exception" not in cell.metadata["tags"]


@pytest.mark.parametrize("src", [
    "x = 1\n### BEGIN SOLUTION\ny = x\n### END SOLUTION",
    "for i in range(2):\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION",
    "class A:\n    ### BEGIN SOLUTION\n    x = 1\n    ### END SOLUTION",
    "%time x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION",
], ids=["top level", "loop body", "class body", "with a magic"])
def test_a_stub_that_runs_with_the_cell_is_tagged_raises_exception(src):
    (cell,) = student_cells(notebook(code(src)))
    assert cell.metadata["tags"] == ["exercise-stub", "raises-exception"]


def test_needs_exercise_cells_are_tagged_to_raise_and_other_cells_are_not():
    nb = notebook(code("check(f)", tags=["needs-exercise"]), code("print(1)", tags=["other"]))
    first, second = student_cells(nb)
    assert first.metadata["tags"] == ["needs-exercise", "raises-exception"]
    assert second.metadata["tags"] == ["other"] and second.source == "print(1)"


def test_solutions_only_cells_are_left_out_of_the_hand_out():
    nb = notebook(new_markdown_cell("# Exercises"), new_markdown_cell("This edition has worked solutions."),
                  code("x = 1"))
    nb.cells[1].metadata["tags"] = ["solutions-only"]
    generated = student.student_edition(nb)
    assert [c.id for c in generated.cells] == [student.NOTE_CELL_ID, "c0", "c2"]
    assert b"worked solutions" not in student.render(generated)
    assert len(nb.cells) == 3          # the input is not modified


@pytest.mark.parametrize("make", [lambda: code("x = 1"), lambda: new_raw_cell("raw")], ids=["code", "raw"])
def test_solutions_only_is_refused_on_a_cell_that_is_not_markdown(make):
    cell = make()
    cell.metadata["tags"] = ["solutions-only"]
    with pytest.raises(student.MarkerError, match=r"only Markdown cells may carry the 'solutions-only' tag"):
        student.student_edition(notebook(cell))


def test_written_answer_becomes_a_prompt():
    md = new_markdown_cell("Question?\n\n<!-- BEGIN ANSWER -->\nThe secret answer.\n\nMore.\n"
                           "<!-- END ANSWER -->\nAfter.")
    (cell,) = student_cells(notebook(md))
    assert cell.source == f"Question?\n\n{student.ANSWER_PROMPT}\nAfter."


def test_outputs_counts_and_run_metadata_are_cleared_and_the_source_is_untouched():
    out = new_output("stream", name="stdout", text="secret output\n")
    cell = code("print(2)", outputs=[out], count=7)
    cell.metadata["execution"] = {"iopub.execute_input": "2025-01-01T00:00:00"}
    cell.metadata["scrolled"] = True
    nb = notebook(cell, new_raw_cell("raw stays"))
    generated = student.student_edition(nb)
    c, raw = generated.cells[1:]
    assert c.outputs == [] and c.execution_count is None and dict(c.metadata) == {}
    assert raw.source == "raw stays"
    assert nb.cells[0].outputs and nb.cells[0].execution_count == 7  # input not modified
    assert dict(generated.metadata) == {
        "kernelspec": nb.metadata.kernelspec, "language_info": {"name": "python"},
        "student_edition": {"generated_from": "05_exercises.ipynb", "generator": "tools.student"}}
    nbformat.validate(generated)


def test_output_is_deterministic_and_ignores_outputs_of_the_source():
    def build(outputs, count):
        return notebook(new_markdown_cell("# T"),
                        code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", outputs=outputs, count=count))
    a = student.render(student.student_edition(build([], None)))
    b = student.render(student.student_edition(build([new_output("stream", name="stdout", text="1\n")], 3)))
    assert a == b == student.render(student.student_edition(build([], None)))
    assert a.endswith(b"\n") and b"secret" not in a


BAD = [
    (code("x = 1\n### BEGIN SOLUTION\ny = 2"),
     "cell 0 ('x = 1'): unbalanced marker: '### BEGIN SOLUTION' on line 2 is never closed"),
    (code("a = 1\n### END SOLUTION"),
     "cell 0 ('a = 1'): unbalanced marker: '### END SOLUTION' on line 2 has no"),
    (code("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n### END SOLUTION"),
     "cell 0 ('### BEGIN SOLUTION'): nested marker: '### BEGIN SOLUTION' on line 2 inside the region "
     "opened on line 1"),
    (new_markdown_cell("Q\n<!-- BEGIN ANSWER -->\nA"),
     "cell 0 ('Q'): unbalanced marker: '<!-- BEGIN ANSWER -->'"),
    (new_markdown_cell("Q\n<!-- BEGIN ANSWER -->\n<!-- BEGIN ANSWER -->\n<!-- END ANSWER -->"),
     "cell 0 ('Q'): nested marker"),
    (new_markdown_cell("Q\n### BEGIN SOLUTION\nA\n### END SOLUTION"),
     "cell 0 ('Q'): line 2: '### BEGIN SOLUTION' is a code-cell marker and cannot be used in a "
     "markdown cell"),
    (code("<!-- BEGIN ANSWER -->\nx\n<!-- END ANSWER -->"),
     "is a markdown-cell marker and cannot be used in a code cell"),
    (new_raw_cell("### BEGIN SOLUTION\nx\n### END SOLUTION"), "cannot be used in a raw cell"),
    (new_raw_cell("x\n### BEGIN_SOLUTION"), "cell 0 ('x'): line 2 looks like a marker"),
    (code("x = 1\n## END SOLUTION"),
     "cell 0 ('x = 1'): line 2 looks like a marker but is not exactly one: '## END SOLUTION'"),
    (code("### BEGIN SOLUTION (part 1)\nx = 1\n### END SOLUTION"), "looks like a marker"),
    (code("### BEGIN SOLUTION\nx = 1\n###  END SOLUTION\ny = 2\n### END SOLUTION"),
     "cell 0 ('### BEGIN SOLUTION'): line 3 looks like a marker"),
    (code("check(f)", tags=["raises-exception", "needs-exercise"]),
     "cell 0 ('check(f)'): an exercise cell of the solutions notebook must not carry the "
     "'raises-exception' tag"),
    (code("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", tags=["raises-exception"]),
     "must not carry the 'raises-exception' tag"),
    (code("print(1)", tags=["exercise-stub"]), "is set by the generator"),
    (code("if x:\n### BEGIN SOLUTION\n    y = 1\n### END SOLUTION"),
     "cell 0 ('if x:'): the stubbed cell is not valid Python"),
]


@pytest.mark.parametrize("bad, message", BAD)
def test_bad_markers_are_refused_naming_the_cell(bad, message):
    with pytest.raises(student.MarkerError) as err:
        student.student_edition(notebook(bad))
    assert message in str(err.value)


def test_the_error_names_the_right_cell_among_several():
    nb = notebook(new_markdown_cell("# Title"), code("ok = 1"),
                  code("\n\ndef broken():\n    ### BEGIN SOLUTION\n    return 1"))
    with pytest.raises(student.MarkerError, match=r"^cell 2 \('def broken\(\):'\): unbalanced"):
        student.student_edition(nb)


def test_find_regions_and_summary():
    cell = code("a = 1\n### BEGIN SOLUTION\nb = 2\n### END SOLUTION\n"
                "if a:\n    ### BEGIN SOLUTION\n    ### END SOLUTION")
    assert student.find_regions(cell, 0) == [(1, 3), (5, 6)]
    assert student.find_regions(new_markdown_cell("no markers"), 0) == []
    nb = student.student_edition(notebook(
        cell, code("check()", tags=["needs-exercise"]),
        new_markdown_cell("Q\n<!-- BEGIN ANSWER -->\nA\n<!-- END ANSWER -->")))
    assert student.summary(nb) == ("1 stubbed cells, 2 expected to raise NotImplementedError, "
                                   "1 answer prompts")


def test_cells_without_ids_get_stable_ones():
    nb = notebook(code("x = 1"), new_markdown_cell("y"))
    for cell in nb.cells:
        del cell["id"]
    generated = student.student_edition(nb)
    assert [c.id for c in generated.cells] == [student.NOTE_CELL_ID, "cell-0", "cell-1"]
    nbformat.validate(generated)


def test_prose_that_mentions_the_markers_is_left_alone():
    md = new_markdown_cell("Solutions sit between `### BEGIN SOLUTION` and `### END SOLUTION` lines.")
    (cell,) = student_cells(notebook(md))
    assert cell.source == md.source


def test_command_line_writes_checks_and_refuses(tmp_path):
    src, dst = tmp_path / "ex.ipynb", tmp_path / "out" / "ex.ipynb"
    nbformat.write(notebook(code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")), src)
    assert student.main([str(src), str(dst)]) == 0
    assert dst.read_bytes() == student.generate(src)
    assert student.main([str(src), str(dst), "--check"]) == 0
    dst.write_text(dst.read_text().replace("YOUR CODE HERE", "edited"))
    assert student.main([str(src), str(dst), "--check"]) == 1
    nbformat.write(notebook(code("### BEGIN SOLUTION")), src)
    result = subprocess.run([sys.executable, "-m", "tools.student", str(src), str(dst)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "cell 0 ('### BEGIN SOLUTION'): unbalanced marker" in result.stderr


def run_main(capsys, *argv):
    status = student.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- near misses: a line that looks like a marker must stop the generator ------------------------

NEAR_MISSES = [
    "### BEGIN_SOLUTION", "### END_SOLUTION", "### BEGIN  SOLUTION", "###  BEGIN SOLUTION",
    "### BEGIN\u00a0SOLUTION", "###\u00a0END SOLUTION", "\u00a0### BEGIN SOLUTION",
    "### BEGIN\u200bSOLUTION", "\ufeff### END SOLUTION", "### begin solution", "### End Solution",
    "## BEGIN SOLUTION", "#### END SOLUTION", "# BEGIN SOLUTION", "BEGIN SOLUTION", "### BEGINSOLUTION",
    "### END SOLUTION # done", "### BEGIN SOLUTIONS", "### BEGIN SOLUTON", "### BEGN SOLUTION",
    "### END OF SOLUTION", "# ENDSOLUTOIN",
]
ANSWER_NEAR_MISSES = [
    "<!--BEGIN ANSWER-->", "<!-- BEGIN  ANSWER -->", "<!-- BEGIN_ANSWER -->", "<!-- begin answer -->",
    "<!- END ANSWER ->", "<!-- END ANSWER --->", "<!--\u00a0END ANSWER -->", "\u00a0<!-- END ANSWER -->",
    "END ANSWER", "<!-- END ANSWER --> thanks", "<!-- END ANSWR -->", "<!-- BEGIN ANSWERS -->",
    "<!-- End of answer -->",
]


@pytest.mark.parametrize("line", NEAR_MISSES, ids=ascii)
def test_a_code_marker_near_miss_is_an_error_naming_cell_and_line(line):
    cell = code(f"x = 1\n{line}\ny = 2")
    with pytest.raises(student.MarkerError) as err:
        student.student_edition(notebook(cell))
    assert str(err.value).startswith("cell 0 ('x = 1'): line 2 looks like a marker but is not exactly one")


@pytest.mark.parametrize("line", ANSWER_NEAR_MISSES, ids=ascii)
def test_an_answer_marker_near_miss_is_an_error_naming_cell_and_line(line):
    md = new_markdown_cell(f"Why?\n\n{line}\nSecret.")
    with pytest.raises(student.MarkerError) as err:
        student.student_edition(notebook(new_markdown_cell("# Title"), md))
    assert str(err.value).startswith("cell 1 ('Why?'): line 3 looks like a marker but is not exactly one")


def test_the_near_miss_error_names_an_invisible_character():
    with pytest.raises(student.MarkerError, match=r"U\+00A0 \(NO-BREAK SPACE\)"):
        student.student_edition(notebook(code("### BEGIN\u00a0SOLUTION\nx = 1\n### END SOLUTION")))


def test_near_misses_on_both_markers_do_not_hand_out_the_solution(tmp_path, capsys):
    """The worst case: both markers mistyped the same way, so they balance each other."""
    src, dst = tmp_path / "ex.ipynb", tmp_path / "student.ipynb"
    nbformat.write(notebook(code("### BEGIN_SOLUTION\nanswer = 42\n### END_SOLUTION"),
                            new_markdown_cell("<!-- BEGIN  ANSWER -->\nSecret.\n<!-- END  ANSWER -->")), src)
    rc, out, err = run_main(capsys, src, dst)
    assert rc == 2 and out == "" and not dst.exists()
    assert err == (f"{src}: cell 0 ('### BEGIN_SOLUTION'): line 1 looks like a marker but is not exactly "
                   "one: '### BEGIN_SOLUTION'. Markers are '### BEGIN SOLUTION'/'### END SOLUTION' in code "
                   "and '<!-- BEGIN ANSWER -->'/'<!-- END ANSWER -->' in Markdown, alone on their line.\n")


def test_spaces_and_tabs_around_a_marker_are_allowed_as_in_nbgrader():
    src = "if True:\n\t### BEGIN SOLUTION  \n\tx = 1\n\t### END SOLUTION\t\nprint(2)"
    (cell,) = student_cells(notebook(code(src)))
    assert cell.source == f"if True:\n\t# YOUR CODE HERE\n\t{STUB}\nprint(2)"
    md = new_markdown_cell("Q\n  <!-- BEGIN ANSWER -->  \nA\n<!-- END ANSWER --> ")
    (cell,) = student_cells(notebook(md))
    assert cell.source == f"Q\n  {student.ANSWER_PROMPT}"


@pytest.mark.parametrize("line", [
    "# The solution begins below.", "print('### BEGIN SOLUTION')", "`### END SOLUTION` closes it.",
    "Begin with the solution of exercise 1.", "ENDPOINT_SOLUTION = 3", "## Solution", "### Answers",
    "end_solution = solve(begin_answer)", "    begin_answer = 1", "`### END SOLUTION`", "# End session",
    "## Beginner questions", "# Begin the action",
], ids=ascii)
def test_lines_that_only_mention_the_words_are_not_markers(line):
    assert not student.looks_like_marker(line)
    assert student.find_regions(code(line), 0) == []
    assert student.find_regions(new_markdown_cell(line), 0) == []


def test_looks_like_marker_on_known_lines():
    assert all(student.looks_like_marker(m) for m in (*NEAR_MISSES, *ANSWER_NEAR_MISSES))
    assert student.looks_like_marker(student.BEGIN_SOLUTION)  # find_regions accepts exact ones first
    assert not student.looks_like_marker("x = 1") and not student.looks_like_marker("")


# --- attachments and images -------------------------------------------------------------------------

def test_attachments_used_only_by_an_answer_are_dropped_and_the_questions_are_kept():
    png = {"image/png": "iVBORw0KGgoSECRETPNG"}
    md = new_markdown_cell("![figure](attachment:question.png)\n<!-- BEGIN ANSWER -->\n"
                           "![mine](attachment:answer%20sketch.png)\n<!-- END ANSWER -->")
    md["attachments"] = {"question.png": {"image/png": "iVBORw0KGgoQUESTION"},
                         "answer sketch.png": png, "pasted-then-unused.png": png}
    only_answer = new_markdown_cell("<!-- BEGIN ANSWER -->\n![](attachment:a.png)\n<!-- END ANSWER -->")
    only_answer["attachments"] = {"a.png": png}
    generated = student.student_edition(notebook(md, only_answer))
    kept, stripped = generated.cells[1:]
    assert dict(kept.attachments) == {"question.png": {"image/png": "iVBORw0KGgoQUESTION"}}
    assert "attachments" not in stripped
    assert b"SECRETPNG" not in student.render(generated)
    nbformat.validate(generated)


def test_image_outputs_are_cleared():
    image = new_output("display_data", data={"image/png": "iVBORw0KGgoPLOT", "text/plain": "<Figure>"})
    result = new_output("execute_result", data={"text/html": "<b>42</b>"}, execution_count=3)
    generated = student.student_edition(notebook(code("plot()", outputs=[image, result], count=3)))
    assert generated.cells[1].outputs == []
    rendered = student.render(generated)
    assert b"iVBORw0KGgoPLOT" not in rendered and b"<b>42</b>" not in rendered


# --- the command line: input and output files -------------------------------------------------------

@pytest.fixture
def solutions(tmp_path):
    src = tmp_path / "ex.ipynb"
    nbformat.write(notebook(code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")), src)
    return src


@pytest.mark.parametrize("how", ["same path", "dotted path", "symlink", "hard link"])
def test_refuses_to_write_over_its_input(solutions, capsys, how):
    before = solutions.read_bytes()
    dst = solutions
    if how == "dotted path":
        (solutions.parent / "sub").mkdir()
        dst = solutions.parent / "sub" / ".." / solutions.name
    elif how == "symlink":
        dst = solutions.parent / "link.ipynb"
        dst.symlink_to(solutions)
    elif how == "hard link":
        dst = solutions.parent / "hard.ipynb"
        os.link(solutions, dst)
    for extra in ([], ["--check"]):
        rc, out, err = run_main(capsys, solutions, dst, *extra)
        assert rc == 2 and out == "" and err.count("\n") == 1
        assert "refusing to write the student edition over its input" in err
    assert solutions.read_bytes() == before


def test_is_same_file(tmp_path):
    a, b = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    a.write_text("{}")
    assert student.is_same_file(a, a) and student.is_same_file(a, tmp_path / "." / "a.ipynb")
    assert not student.is_same_file(a, b)       # b does not exist
    b.write_text("{}")
    assert not student.is_same_file(a, b)       # same content, different files
    (tmp_path / "c.ipynb").symlink_to(b)
    assert student.is_same_file(b, tmp_path / "c.ipynb")


NOT_NOTEBOOKS = [
    ("missing", None, "no such file"),
    ("directory", "DIR", "is a directory"),
    ("not JSON", b"print('hello')\n", "is not a notebook: not JSON (Expecting value at line 1, column 1)"),
    ("not UTF-8", b"\xff\xfe\x00\x01", "is not a notebook: it is not UTF-8 text"),
    ("JSON list", b"[1, 2]", "the JSON has no integer 'nbformat' field"),
    ("JSON object", b'{"cells": []}', "the JSON has no integer 'nbformat' field"),
    ("future nbformat", b'{"nbformat": 9, "nbformat_minor": 0, "cells": [], "metadata": {}}',
     "is not a notebook nbformat can read (Unsupported nbformat version 9)"),
    ("invalid notebook", b'{"nbformat": 4, "nbformat_minor": 5, "cells": [{"cell_type": "code", "id": "a",'
     b' "metadata": {}, "outputs": [], "execution_count": null}], "metadata": {}}',
     "is not a valid notebook: 'source' is a required property (at cells/0)"),
]


@pytest.mark.parametrize("kind, content, message", NOT_NOTEBOOKS, ids=[k for k, _, _ in NOT_NOTEBOOKS])
def test_input_that_is_not_a_notebook_is_one_clear_line(tmp_path, capsys, kind, content, message):
    src, dst = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    if content == "DIR":
        src.mkdir()
    elif content is not None:
        src.write_bytes(content)
    with pytest.raises(student.NotebookInputError, match=re.escape(message)):
        student.read_notebook(src)
    rc, out, err = run_main(capsys, src, dst)
    assert rc == 2 and out == "" and not dst.exists()
    assert err.startswith(f"{src}: ") and message in err and err.count("\n") == 1


def test_a_missing_input_gives_no_traceback_from_the_command_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tools.student", str(tmp_path / "nope.ipynb"),
                             str(tmp_path / "out.ipynb")], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"{tmp_path / 'nope.ipynb'}: no such file; pass the solutions notebook, "
                             "e.g. notebooks/05_exercises.ipynb.\n")


def test_an_unwritable_output_is_one_clear_line(solutions, capsys):
    dst = solutions.parent / "taken"
    dst.mkdir()
    rc, out, err = run_main(capsys, solutions, dst)
    assert rc == 2 and out == ""
    assert err.startswith(f"{dst}: cannot write the student edition (Is a directory)")
    assert err.count("\n") == 1


def test_read_notebook_upgrades_an_old_notebook(tmp_path):
    path = tmp_path / "v3.ipynb"
    path.write_text('{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": '
                    '[{"cell_type": "markdown", "metadata": {}, "source": "Hi"}], "metadata": {}}]}')
    nb = student.read_notebook(path)
    assert nb.nbformat == 4 and [c.source for c in nb.cells] == ["Hi"]


def test_a_lesson_cell_that_fails_on_purpose_keeps_its_tag():
    """A lesson may show an error on purpose (notebook 02 runs the book-era layer); no stub, kept."""
    (cell,) = student_cells(notebook(code("raise TypeError('shown')", tags=["raises-exception"])))
    assert cell.source == "raise TypeError('shown')" and cell.metadata["tags"] == ["raises-exception"]
