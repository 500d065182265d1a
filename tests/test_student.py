"""The student-edition generator (helpers.student) and the committed student edition."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from helpers import student

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "notebooks" / "05_exercises.ipynb"
STUDENT = ROOT / "notebooks" / "student" / "05_exercises.ipynb"
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
    src = ("class A:\n    def f(self):\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n"
           "\n    def g(self):\n        ### BEGIN SOLUTION\n        return 2\n        ### END SOLUTION")
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


def test_written_answer_becomes_a_prompt():
    md = new_markdown_cell("Question?\n\n<!-- BEGIN ANSWER -->\nThe secret answer.\n\nMore.\n<!-- END ANSWER -->\nAfter.")
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
        "student_edition": {"generated_from": "05_exercises.ipynb", "generator": "helpers.student"}}
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
    (code("x = 1\n### BEGIN SOLUTION\ny = 2"), "cell 0 ('x = 1'): unbalanced marker: '### BEGIN SOLUTION' on line 2 is never closed"),
    (code("a = 1\n### END SOLUTION"), "cell 0 ('a = 1'): unbalanced marker: '### END SOLUTION' on line 2 has no"),
    (code("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n### END SOLUTION"),
     "cell 0 ('### BEGIN SOLUTION'): nested marker: '### BEGIN SOLUTION' on line 2 inside the region opened on line 1"),
    (new_markdown_cell("Q\n<!-- BEGIN ANSWER -->\nA"), "cell 0 ('Q'): unbalanced marker: '<!-- BEGIN ANSWER -->'"),
    (new_markdown_cell("Q\n<!-- BEGIN ANSWER -->\n<!-- BEGIN ANSWER -->\n<!-- END ANSWER -->"), "cell 0 ('Q'): nested marker"),
    (new_markdown_cell("Q\n### BEGIN SOLUTION\nA\n### END SOLUTION"), "cell 0 ('Q'): line 2: '### BEGIN SOLUTION' is a code-cell marker and cannot be used in a markdown cell"),
    (code("<!-- BEGIN ANSWER -->\nx\n<!-- END ANSWER -->"), "is a markdown-cell marker and cannot be used in a code cell"),
    (new_raw_cell("### BEGIN SOLUTION\nx\n### END SOLUTION"), "cannot be used in a raw cell"),
    (code("x = 1\n## END SOLUTION"), "cell 0 ('x = 1'): line 2 looks like a marker but is not exactly one: '## END SOLUTION'"),
    (code("### BEGIN SOLUTION (part 1)\nx = 1\n### END SOLUTION"), "looks like a marker"),
    (code("print(1)", tags=["raises-exception"]), "cell 0 ('print(1)'): the solutions notebook must not carry the 'raises-exception' tag"),
    (code("print(1)", tags=["exercise-stub"]), "is set by the generator"),
    (code("if x:\n### BEGIN SOLUTION\n    y = 1\n### END SOLUTION"), "cell 0 ('if x:'): the stubbed cell is not valid Python"),
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
    cell = code("a = 1\n### BEGIN SOLUTION\nb = 2\n### END SOLUTION\nif a:\n    ### BEGIN SOLUTION\n    ### END SOLUTION")
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
    result = subprocess.run([sys.executable, "-m", "helpers.student", str(src), str(dst)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "cell 0 ('### BEGIN SOLUTION'): unbalanced marker" in result.stderr


# --- the committed notebooks -------------------------------------------------------------------

def regions(nb):
    """(cell index, lines inside regions, lines outside) scanned independently of the generator."""
    found = []
    for index, cell in enumerate(nb.cells):
        begin, end = {"code": ("### BEGIN SOLUTION", "### END SOLUTION"),
                      "markdown": ("<!-- BEGIN ANSWER -->", "<!-- END ANSWER -->")}.get(cell.cell_type, (None, None))
        inside, outside, open_ = [], [], False
        for line in cell.source.splitlines():
            if line.strip() == begin:
                open_ = True
            elif line.strip() == end:
                open_ = False
            else:
                (inside if open_ else outside).append(line)
        found.append((index, inside, outside))
    return found


def test_solutions_notebook_is_marked_up_as_the_generator_expects():
    nb = nbformat.read(SOLUTIONS, as_version=4)
    found = regions(nb)
    kinds = [nb.cells[index].cell_type for index, inside, _ in found if inside]
    assert kinds.count("code") >= 6 and kinds.count("markdown") >= 6
    assert not any("raises-exception" in c.metadata.get("tags", []) for c in nb.cells)
    assert sum("needs-exercise" in c.metadata.get("tags", []) for c in nb.cells) >= 10


def test_committed_student_edition_is_up_to_date():
    assert STUDENT.exists(), "run: make student"
    assert STUDENT.read_bytes() == student.generate(SOLUTIONS), (
        "notebooks/student/05_exercises.ipynb is out of date; run: make student")


def test_student_edition_is_a_valid_notebook_without_outputs():
    nb = nbformat.read(STUDENT, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_student_edition_contains_no_text_from_inside_a_solution_region():
    solutions = nbformat.read(SOLUTIONS, as_version=4)
    found = regions(solutions)
    public = "\n".join(line for _, _, outside in found for line in outside)
    secret = {line.strip() for _, inside, _ in found for line in inside
              if line.strip() and line.strip() not in public}
    assert len(secret) > 60  # the check below must have something to look for
    text = STUDENT.read_text(encoding="utf-8")
    sources = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells
                        if c.id != student.NOTE_CELL_ID)       # the generator's own note
    for boilerplate in (*student.STUB_LINES, student.ANSWER_PROMPT):
        sources = sources.replace(boilerplate, "")
    leaked = sorted(line for line in secret if line in sources)
    assert not leaked, f"solution text in the student edition: {leaked[:5]}"


@pytest.fixture(scope="module")
def executed_student(tmp_path_factory):
    """The student edition run top to bottom in a fresh kernel (quick profile, private cache)."""
    from nbclient import NotebookClient

    nb = nbformat.read(STUDENT, as_version=4)
    env = {"AE_PROFILE": "quick", "AE_CACHE_DIR": str(tmp_path_factory.mktemp("student-cache"))}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(STUDENT.parent)}}).execute()
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return nb


def test_student_edition_raises_not_implemented_exactly_where_tagged(executed_student):
    solutions = nbformat.read(SOLUTIONS, as_version=4)
    needs = {c.id for c in solutions.cells if "needs-exercise" in c.metadata.get("tags", [])}
    raised, expected = {}, set()
    for cell in executed_student.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            raised[cell.id] = (errors[0].ename, errors[0].evalue)
        if "raises-exception" in cell.metadata.get("tags", []):
            expected.add(cell.id)
    unexpected = {i: e for i, e in raised.items() if i not in expected}
    assert not unexpected, f"cells without a stub failed: {unexpected}"
    silent = expected - set(raised)
    assert not silent, f"cells tagged raises-exception ran without error: {silent}"
    assert needs <= expected and len(expected) >= 16
    for cell_id, (ename, evalue) in raised.items():
        assert ename == "NotImplementedError", (cell_id, ename, evalue)
        assert ("Write your solution here" in evalue
                or "is not set yet: finish" in evalue), (cell_id, evalue)


def test_student_edition_cells_without_stubs_produce_their_output(executed_student):
    (summary_cell,) = [c for c in executed_student.cells if "print(data.summary())" in c.source]
    assert "train X(55000, 28, 28)" in "".join(o.get("text", "") for o in summary_cell.outputs)
    stub_defs = [c for c in executed_student.cells
                 if "exercise-stub" in c.metadata.get("tags", [])
                 and "raises-exception" not in c.metadata.get("tags", [])]
    assert len(stub_defs) >= 6 and all(not c.outputs for c in stub_defs)
