"""Generate the student edition of an exercises notebook (``make student``).

    python -m helpers.student notebooks/05_exercises.ipynb notebooks/student/05_exercises.ipynb
    python -m helpers.student SRC DST --check     # exit 1 if DST is not up to date

Markers in the solutions notebook (nbgrader style)
---------------------------------------------------
* **Code cells**: a solution region is everything between two lines that read exactly
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (any indentation). The generator replaces
  the region with a stub at the BEGIN marker's indentation::

      # YOUR CODE HERE
      raise NotImplementedError("...")

  Lines outside the regions (a ``def`` line, a docstring, the code that prints a result)
  are kept, so a cell can hand out a skeleton with several holes.
* **Markdown cells**: a written answer is everything between two lines that read exactly
  ``<!-- BEGIN ANSWER -->`` and ``<!-- END ANSWER -->``. It becomes a prompt (``ANSWER_PROMPT``).

Cell tags
---------
* ``needs-exercise`` (the author sets it in the solutions notebook): the cell runs the
  learner's code from an exercise above it (a check cell, a training run...), so in the
  student edition it raises ``NotImplementedError`` until that exercise is done.
* Added to the student edition by the generator (never put them in the solutions notebook):

  - ``exercise-stub``: the cell holds a stub for the learner to replace;
  - ``raises-exception``: the cell, as handed out, is expected to raise
    ``NotImplementedError``: it has a stub outside any function body (so it runs when the
    cell runs) or it is tagged ``needs-exercise``. nbval accepts the error in these cells
    and JupyterLab's "Run All" carries on past them. A stub inside a ``def`` only raises
    when the function is called, so such a cell is *not* tagged.

  The solutions notebook must carry no ``raises-exception`` tag, so a real error in a worked
  solution still fails under nbval.

Refused, with a ``MarkerError`` naming the cell (index and first line): unbalanced or
nested markers; a marker of the wrong kind for the cell (code markers in Markdown or the
reverse, or any marker in a raw cell); a comment line that looks like a marker but is not
exactly one (``## END SOLUTION``); a stubbed code cell that no longer parses; ``raises-exception`` in the source.

Output: outputs, execution counts and per-cell run metadata are cleared, notebook
metadata is reduced to the kernel spec and the language name, and a note cell is put on
top. Cell ids are kept from the source. The same input always gives byte-identical output
(no timestamps, no paths), and re-executing the solutions notebook does not change it.
"""

from __future__ import annotations

import argparse
import ast
import copy
import sys
from pathlib import Path

import nbformat

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_ANSWER = "<!-- BEGIN ANSWER -->"
END_ANSWER = "<!-- END ANSWER -->"

STUB_LINES = (
    "# YOUR CODE HERE",
    'raise NotImplementedError("Write your solution here (and delete this line).")',
)
ANSWER_PROMPT = "**Your answer:** *(write it here)*"

TAG_NEEDS_EXERCISE = "needs-exercise"
TAG_STUB = "exercise-stub"
TAG_RAISES = "raises-exception"

NOTE_CELL_ID = "student-edition-note"
KEPT_CELL_METADATA = ("tags", "jupyter", "editable", "deletable")


class MarkerError(ValueError):
    """The solutions notebook's markers cannot be turned into a student edition."""


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= 60 else line[:57] + "..."
    return "<empty cell>"


def _cell_error(index: int, cell, message: str) -> MarkerError:
    return MarkerError(f"cell {index} ({_first_line(cell.source)!r}): {message}")


def _is_malformed_marker(text: str) -> bool:
    """A comment line that mentions a marker without being exactly one (``## END SOLUTION``)."""
    upper = text.upper()
    return ((text.startswith("#") and ("BEGIN SOLUTION" in upper or "END SOLUTION" in upper))
            or (text.startswith("<!--") and ("BEGIN ANSWER" in upper or "END ANSWER" in upper)))


MARKERS = {
    "code": (BEGIN_SOLUTION, END_SOLUTION),
    "markdown": (BEGIN_ANSWER, END_ANSWER),
}


def find_regions(cell, index: int):
    """``[(begin_line, end_line), ...]`` (0-based line numbers of the markers) in ``cell``.

    Raises ``MarkerError`` for unbalanced, nested, malformed or misplaced markers.
    """
    lines = cell.source.splitlines()
    own = MARKERS.get(cell.cell_type)
    regions, open_at = [], None
    for number, line in enumerate(lines):
        text = line.strip()
        for kind, pair in MARKERS.items():
            if text in pair and pair != own:
                where = "a raw cell" if own is None else f"a {cell.cell_type} cell"
                raise _cell_error(index, cell, f"line {number + 1}: {text!r} is a {kind}-cell "
                                               f"marker and cannot be used in {where}.")
        if (own is None or text not in own) and _is_malformed_marker(text):
            raise _cell_error(index, cell, f"line {number + 1} looks like a marker but is not "
                                           f"exactly one: {text!r}. Markers are {BEGIN_SOLUTION!r}/"
                                           f"{END_SOLUTION!r} in code and {BEGIN_ANSWER!r}/"
                                           f"{END_ANSWER!r} in Markdown, alone on their line.")
        if own is None or text not in own:
            continue
        begin, end = own
        if text == begin:
            if open_at is not None:
                raise _cell_error(index, cell, f"nested marker: {begin!r} on line {number + 1} "
                                               f"inside the region opened on line {open_at + 1}.")
            open_at = number
        else:
            if open_at is None:
                raise _cell_error(index, cell, f"unbalanced marker: {end!r} on line {number + 1} "
                                               f"has no {begin!r} before it.")
            regions.append((open_at, number))
            open_at = None
    if open_at is not None:
        raise _cell_error(index, cell, f"unbalanced marker: {own[0]!r} on line {open_at + 1} "
                                       f"is never closed by {own[1]!r}.")
    return regions


def _replace_regions(lines, regions, replacement):
    """Lines with each region replaced by ``replacement(indent)``; also the new stub line numbers."""
    out, stub_lines, previous = [], [], 0
    for begin, end in regions:
        out.extend(lines[previous:begin])
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        for new in replacement(indent):
            out.append(new)
            stub_lines.append(len(out))  # 1-based line number of the new line
        previous = end + 1
    out.extend(lines[previous:])
    return out, stub_lines


def _stub_runs_at_cell_level(source: str, stub_lines, index: int, cell) -> bool:
    """True when a stub ``raise`` sits outside every function body (it runs with the cell)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        python = TransformerManager().transform_cell(source)
    except ImportError:  # pragma: no cover - IPython ships with Jupyter
        python = source
    try:
        tree = ast.parse(python)
    except SyntaxError as err:
        raise _cell_error(index, cell, f"the stubbed cell is not valid Python ({err.msg}, line "
                                       f"{err.lineno}); check the markers' indentation.") from None
    stub_lines = set(stub_lines)

    def visit(node, in_function):
        if isinstance(node, ast.Raise) and node.lineno in stub_lines and not in_function:
            return True
        inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        return any(visit(child, inside) for child in ast.iter_child_nodes(node))

    return visit(tree, False)


def _add_tags(cell, *tags):
    current = list(cell.metadata.get("tags", []))
    for tag in tags:
        if tag not in current:
            current.append(tag)
    cell.metadata["tags"] = current


def student_edition(nb, source_name: str = "05_exercises.ipynb"):
    """Return the student edition of notebook ``nb`` (a new ``NotebookNode``; ``nb`` is untouched)."""
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        if TAG_RAISES in cell.metadata.get("tags", []):
            raise _cell_error(index, cell, f"the solutions notebook must not carry the "
                                           f"{TAG_RAISES!r} tag: it would hide a real error in a "
                                           f"worked solution (use {TAG_NEEDS_EXERCISE!r}).")
        for tag in (TAG_STUB,):
            if tag in cell.metadata.get("tags", []):
                raise _cell_error(index, cell, f"the {tag!r} tag is set by the generator, "
                                               "not by the author.")
        regions = find_regions(cell, index)
        lines = cell.source.splitlines()
        if cell.cell_type == "code":
            raises = TAG_NEEDS_EXERCISE in cell.metadata.get("tags", [])
            if regions:
                new_lines, stub_lines = _replace_regions(
                    lines, regions, lambda indent: [indent + s for s in STUB_LINES])
                cell.source = "\n".join(new_lines)
                _add_tags(cell, TAG_STUB)
                if _stub_runs_at_cell_level(cell.source, stub_lines[1::2], index, cell):
                    raises = True
            if raises:
                _add_tags(cell, TAG_RAISES)
            cell.outputs = []
            cell.execution_count = None
        elif regions:
            new_lines, _ = _replace_regions(lines, regions, lambda indent: [indent + ANSWER_PROMPT])
            cell.source = "\n".join(new_lines)
        cell.metadata = nbformat.NotebookNode(
            {k: cell.metadata[k] for k in KEPT_CELL_METADATA if k in cell.metadata})
        if "id" not in cell:
            cell["id"] = f"cell-{index}"

    note = nbformat.v4.new_markdown_cell(
        f"> **Student edition.** Generated from the solutions notebook `{source_name}` by "
        "`python -m helpers.student` (`make student`); edit the solutions notebook, not this "
        "file. Every `raise NotImplementedError(...)` marks code for you to write, and every "
        "*Your answer* line a question for you to answer. Check cells that use your code stop "
        "with `NotImplementedError` until you have written it.")
    note["id"] = NOTE_CELL_ID
    nb.cells.insert(0, note)

    nb.metadata = nbformat.NotebookNode({
        **({"kernelspec": nb.metadata["kernelspec"]} if "kernelspec" in nb.metadata else {}),
        "language_info": {"name": nb.metadata.get("language_info", {}).get("name", "python")},
        "student_edition": {"generated_from": source_name, "generator": "helpers.student"},
    })
    nb.nbformat, nb.nbformat_minor = 4, max(int(nb.get("nbformat_minor", 5)), 5)
    nbformat.validate(nb)
    return nb


def render(nb) -> bytes:
    """The exact bytes written for ``nb`` (nbformat's JSON layout, UTF-8, final newline)."""
    text = nbformat.writes(nb)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def generate(src) -> bytes:
    """The student edition of the notebook file ``src``, as bytes."""
    src = Path(src)
    nb = nbformat.read(src, as_version=4)
    return render(student_edition(nb, source_name=src.name))


def summary(nb) -> str:
    tags = [set(c.metadata.get("tags", [])) for c in nb.cells]
    stubs = sum(TAG_STUB in t for t in tags)
    raising = sum(TAG_RAISES in t for t in tags)
    prompts = sum(c.source.count(ANSWER_PROMPT) for c in nb.cells if c.cell_type == "markdown")
    return f"{stubs} stubbed cells, {raising} expected to raise NotImplementedError, {prompts} answer prompts"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="solutions notebook")
    parser.add_argument("dst", type=Path, help="student edition to write")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if DST differs from what SRC generates")
    args = parser.parse_args(argv)
    try:
        data = generate(args.src)
    except MarkerError as err:
        print(f"{args.src}: {err}", file=sys.stderr)
        return 2
    if args.check:
        if not args.dst.exists() or args.dst.read_bytes() != data:
            print(f"{args.dst} is out of date; run: python -m helpers.student {args.src} {args.dst}",
                  file=sys.stderr)
            return 1
        print(f"{args.dst} is up to date.")
        return 0
    args.dst.parent.mkdir(parents=True, exist_ok=True)
    args.dst.write_bytes(data)
    print(f"wrote {args.dst}: {summary(nbformat.reads(data.decode('utf-8'), as_version=4))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
