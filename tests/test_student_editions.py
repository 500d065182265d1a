"""The committed student editions (notebooks/student/): current, leak-free, and runnable as handed out.

One set of tests per numbered notebook. The generator itself is tested in ``tests/test_student.py``.
"""

import os
import re
from pathlib import Path

import nbformat
import pytest

from tools import student

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
NAMES = [p.name for p in LESSONS]


def student_path(solutions: Path) -> Path:
    return solutions.parent / "student" / solutions.name


def read(path: Path):
    return nbformat.read(path, as_version=4)


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def regions(nb):
    """(cell index, lines inside regions, lines outside) scanned independently of the generator."""
    found = []
    for index, cell in enumerate(nb.cells):
        begin, end = {"code": ("### BEGIN SOLUTION", "### END SOLUTION"),
                      "markdown": ("<!-- BEGIN ANSWER -->", "<!-- END ANSWER -->"),
                      }.get(cell.cell_type, (None, None))
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


def test_there_is_a_student_edition_of_every_numbered_notebook_and_nothing_else():
    assert len(LESSONS) == 5, NAMES
    handed_out = sorted(p.name for p in (ROOT / "notebooks" / "student").glob("*.ipynb"))
    assert handed_out == NAMES, "run: make student (and delete editions of notebooks that are gone)"


@pytest.mark.parametrize("solutions", LESSONS, ids=NAMES)
def test_committed_student_edition_is_up_to_date(solutions):
    edition = student_path(solutions)
    assert edition.exists(), "run: make student"
    assert edition.read_bytes() == student.generate(solutions), (
        f"notebooks/student/{solutions.name} is out of date; run: make student")


@pytest.mark.parametrize("solutions", LESSONS, ids=NAMES)
def test_titles_and_exercise_numbers_follow_the_notebook_number(solutions):
    """'# N · ...' once, then exercises N.1, N.2, ... in order, each with a heading."""
    number = int(solutions.name[:2])
    nb = read(solutions)
    lines = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()]
    titles = [line for line in lines if line.startswith("# ")]
    assert len(titles) == 1 and titles[0].startswith(f"# {number} · "), titles
    headings = [line for line in lines if re.match(r"#{2,4} Exercise ", line)]
    numbers = [re.match(r"#{2,4} Exercise (\d+)\.(\d+) · \S", line) for line in headings]
    assert all(numbers), [h for h, m in zip(headings, numbers, strict=True) if not m]
    assert {int(m[1]) for m in numbers} == {number}, headings
    assert [int(m[2]) for m in numbers] == list(range(1, len(numbers) + 1)), headings
    assert len(numbers) >= 3, f"{solutions.name} has {len(numbers)} exercises; each lesson has 3 to 5 or more"


@pytest.mark.parametrize("solutions", LESSONS, ids=NAMES)
def test_exercises_have_answers_solutions_and_checks(solutions):
    nb = read(solutions)
    found = regions(nb)
    kinds = [nb.cells[index].cell_type for index, inside, _ in found if inside]
    assert kinds.count("code") >= 1 and kinds.count("markdown") >= 1, "written and code exercises"
    checks = [c for c in nb.cells if "needs-exercise" in tags(c)]
    assert any("check" in c.source for c in checks), "a code exercise is followed by a check cell"


HAND_OUT_MISFITS = re.compile(r"worked (solution|answer)s?\b.*\b(below|above|follows)|"
                              r"with worked solutions|open the worked", re.IGNORECASE)


@pytest.mark.parametrize("solutions", LESSONS, ids=NAMES)
def test_the_hand_out_reads_as_a_hand_out(solutions):
    """No title or instruction meant for the solutions edition survives into the hand-out."""
    hand_out = read(student_path(solutions))
    misfits = [line for c in hand_out.cells for line in c.source.splitlines()
               if HAND_OUT_MISFITS.search(line)]
    assert not misfits, misfits
    assert hand_out.cells[0].id == student.NOTE_CELL_ID
    assert hand_out.cells[0].source.startswith("> **Student edition.** Every `raise NotImplementedError")
    assert solutions.name in hand_out.cells[0].source


@pytest.mark.parametrize("solutions", LESSONS, ids=NAMES)
def test_student_edition_is_a_valid_notebook_without_outputs(solutions):
    nb = read(student_path(solutions))
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("solutions", LESSONS, ids=NAMES)
def test_student_edition_contains_no_text_from_inside_a_solution_region(solutions):
    found = regions(read(solutions))
    public = "\n".join(line for _, _, outside in found for line in outside)
    secret = {line.strip() for _, inside, _ in found for line in inside
              if line.strip() and line.strip() not in public}
    assert len(secret) >= 10  # the check below must have something to look for
    sources = "\n".join(c.source for c in read(student_path(solutions)).cells
                        if c.id != student.NOTE_CELL_ID)       # the generator's own note
    for boilerplate in (*student.STUB_LINES, student.ANSWER_PROMPT):
        sources = sources.replace(boilerplate, "")
    leaked = sorted(line for line in secret if line in sources)
    assert not leaked, f"solution text in the student edition: {leaked[:5]}"


@pytest.fixture(scope="module", params=LESSONS, ids=NAMES)
def executed(request):
    """(solutions, student edition run top to bottom in a fresh kernel, quick profile).

    It uses the personal model cache, as a learner's kernel does (every hit is verified), so the
    quick-profile models it trains are the ones nbval's run of the notebooks then loads.
    """
    from nbclient import NotebookClient

    solutions = request.param
    edition = student_path(solutions)
    nb = read(edition)
    env = {"AE_PROFILE": "quick"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(edition.parent)}}).execute()
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return read(solutions), nb


def test_student_edition_raises_not_implemented_exactly_where_tagged(executed):
    solutions, handed_out = executed
    needs = {c.id for c in solutions.cells if "needs-exercise" in tags(c)}
    meant_to_fail = {c.id for c in solutions.cells if "raises-exception" in tags(c)}   # the lesson's own
    raised, expected = {}, set()
    for cell in handed_out.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            raised[cell.id] = (errors[0].ename, errors[0].evalue)
        if "raises-exception" in tags(cell) and cell.id not in meant_to_fail:
            expected.add(cell.id)
    unexpected = {i: e for i, e in raised.items() if i not in expected | meant_to_fail}
    assert not unexpected, f"cells without a stub failed: {unexpected}"
    silent = expected - set(raised)
    assert not silent, f"cells tagged raises-exception ran without error: {silent}"
    assert needs and needs <= expected
    for cell_id, (ename, evalue) in raised.items():
        if cell_id in meant_to_fail:
            continue
        assert ename == "NotImplementedError", (cell_id, ename, evalue)
        assert ("Write your solution here" in evalue
                or "is not set yet: finish" in evalue), (cell_id, evalue)


def test_student_edition_cells_without_stubs_produce_their_output(executed):
    """Every lesson cell that prints or draws in the solutions edition does so in the hand-out too."""
    solutions, handed_out = executed
    by_id = {c.id: c for c in solutions.cells}
    silent = [c.id for c in handed_out.cells
              if c.cell_type == "code" and "raises-exception" not in tags(c) and by_id[c.id].outputs
              and not c.outputs]
    assert not silent, f"cells that gave output in the solutions edition gave none: {silent}"
    stub_defs = [c for c in handed_out.cells
                 if "exercise-stub" in tags(c) and "raises-exception" not in tags(c)]
    assert stub_defs and all(not c.outputs for c in stub_defs)
