"""Generate the student edition (hand-out) of a numbered notebook (``make student`` does all five).

    python -m tools.student notebooks/05_exercises.ipynb notebooks/student/05_exercises.ipynb
    python -m tools.student SRC DST --check     # exit 1 if DST is not up to date

Markers in the solutions notebook (nbgrader style)
---------------------------------------------------
* **Code cells**: a solution region is everything between two lines that read exactly
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``. As in nbgrader, only spaces and tabs may
  surround a marker (so it can sit in an indented block). The region becomes a stub at the
  BEGIN marker's indentation::

      # YOUR CODE HERE
      raise NotImplementedError("...")

  Lines outside the regions (a ``def`` line, a docstring, the code that prints a result)
  are kept, so a cell can hand out a skeleton with several holes.
* **Markdown cells**: a written answer is everything between two lines that read exactly
  ``<!-- BEGIN ANSWER -->`` and ``<!-- END ANSWER -->``. It becomes a prompt (``ANSWER_PROMPT``).

Cell tags
---------
* ``needs-exercise`` (set by the author): the cell runs the learner's code from an exercise
  above it (a check cell, a training run...), so in the hand-out it raises
  ``NotImplementedError`` until that exercise is done.
* ``solutions-only`` (set by the author, Markdown cells only): text about the solutions
  edition itself ("this edition holds worked solutions..."); the hand-out leaves the cell out.
  Write the rest of the notebook so that it reads right in both editions.
* Set by the generator only (never in the solutions notebook): ``exercise-stub`` (the cell
  holds a stub) and ``raises-exception`` (the cell, as handed out, raises
  ``NotImplementedError``: a stub outside any function body, or ``needs-exercise``). nbval
  accepts the error in those cells and JupyterLab's "Run All" carries on past them; a stub
  inside a ``def`` only raises when called, so its cell is *not* tagged. Without the tag in the
  solutions notebook, a real error in a worked solution still fails under nbval. A lesson cell
  outside the exercises may carry ``raises-exception`` itself (a lesson that shows an error on
  purpose); it is kept as it is.

Refused with a ``MarkerError`` naming the cell (index, first line) and the line, so that no
solution reaches the hand-out by accident: unbalanced or nested markers; a marker of the wrong
kind for the cell (code markers in Markdown or the reverse, any marker in a raw cell);
``solutions-only`` on a cell that is not Markdown (dropping code would change what runs); a line
that looks like a marker but is not exactly one (``## END SOLUTION``, ``### BEGIN_SOLUTION``,
``### begin solution``, a non-breaking space, text after it...); a stubbed code cell that no
longer parses; ``raises-exception`` on an exercise cell (one with a solution or
``needs-exercise``). Input that is not a notebook raises
``NotebookInputError``. The command line reports either in one line and exits 2; it also
refuses to write over its own input.

Output: ``solutions-only`` cells are left out; outputs (images included), execution counts
and per-cell run metadata are cleared;
attachments stay only while the cell's student text refers to them (an image pasted into an
answer goes with it); notebook metadata is reduced to the kernel spec and the language name;
a note cell goes on top; cell ids are kept. The same input always gives byte-identical output.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import re
import sys
import unicodedata
from pathlib import Path
from urllib.parse import quote

import nbformat

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_ANSWER = "<!-- BEGIN ANSWER -->"
END_ANSWER = "<!-- END ANSWER -->"
MARKERS = {
    "code": (BEGIN_SOLUTION, END_SOLUTION),
    "markdown": (BEGIN_ANSWER, END_ANSWER),
}
MARKER_PADDING = " \t"  # the only characters allowed around a marker on its line

# A marker's words in any case, with any separators ("begin_solution", "END\xa0ANSWER"), either
# after comment signs at the start of the line ("##  BEGIN SOLUTION", "<!--END ANSWER--> ok") or
# alone on the line ("BEGIN SOLUTION"). Prose and code that only mention them are left alone:
# "`### END SOLUTION` closes it", "end_solution = solve()". ``looks_like_marker`` adds typos.
_WORDS = r"(?:BEGIN|END)[\W_]*(?:SOLUTION|ANSWER)"
_MARKER_LIKE = re.compile(rf"\s*(?:[^\w\s`'\"][^\w`'\"]*{_WORDS}|(?![\s`'\"])[\W_]*{_WORDS}[\W_]*$)",
                          re.IGNORECASE)
_COMMENT_START = re.compile(r"\s*[^\w\s`'\"]")
_MARKER_LETTERS = ("BEGINSOLUTION", "ENDSOLUTION", "BEGINANSWER", "ENDANSWER")

STUB_LINES = (
    "# YOUR CODE HERE",
    'raise NotImplementedError("Write your solution here (and delete this line).")',
)
ANSWER_PROMPT = "**Your answer:** *(write it here)*"

TAG_NEEDS_EXERCISE = "needs-exercise"
TAG_STUB = "exercise-stub"
TAG_RAISES = "raises-exception"
TAG_SOLUTIONS_ONLY = "solutions-only"

GENERATOR = "tools.student"
NOTE_CELL_ID = "student-edition-note"
KEPT_CELL_METADATA = ("tags", "jupyter", "editable", "deletable")


class MarkerError(ValueError):
    """The solutions notebook's markers cannot be turned into a student edition."""


class NotebookInputError(ValueError):
    """The input file is missing, unreadable, or not a Jupyter notebook."""


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= 60 else line[:57] + "..."
    return "<empty cell>"


def _cell_error(index: int, cell, message: str) -> MarkerError:
    return MarkerError(f"cell {index} ({_first_line(cell.source)!r}): {message}")


def _unusual_character(text: str) -> str:
    """A hint naming the first non-ASCII character of ``text`` (often an invisible one), or ''."""
    for char in text:
        if not char.isascii():
            name = unicodedata.name(char, "unnamed character")
            return f" It contains U+{ord(char):04X} ({name}); retype the line."
    return ""


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions from ``a`` to ``b``."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def looks_like_marker(line: str) -> bool:
    """True for a line a reader could take for a marker, misspelt ones after comment signs included.

    ``find_regions`` refuses such a line unless it is exactly a marker.
    """
    if _MARKER_LIKE.match(line):
        return True
    if not _COMMENT_START.match(line):
        return False
    letters = re.sub(r"[^A-Za-z]", "", line).upper()  # "### BEGIN SOLUTON" -> "BEGINSOLUTON"
    return len(letters) <= 16 and any(_edit_distance(letters, word) <= 2 for word in _MARKER_LETTERS)


def find_regions(cell, index: int):
    """``[(begin_line, end_line), ...]`` (0-based line numbers of the markers) in ``cell``.

    Raises ``MarkerError`` for unbalanced, nested, near-miss or misplaced markers.
    """
    own = MARKERS.get(cell.cell_type)
    regions, open_at = [], None
    for number, line in enumerate(cell.source.splitlines()):
        text = line.strip(MARKER_PADDING)
        for kind, pair in MARKERS.items():
            if text in pair and pair != own:
                where = "a raw cell" if own is None else f"a {cell.cell_type} cell"
                raise _cell_error(index, cell, f"line {number + 1}: {text!r} is a {kind}-cell "
                                               f"marker and cannot be used in {where}.")
        if own is None or text not in own:
            if looks_like_marker(line):
                raise _cell_error(
                    index, cell, f"line {number + 1} looks like a marker but is not exactly one: "
                                 f"{text!r}. Markers are {BEGIN_SOLUTION!r}/{END_SOLUTION!r} in code "
                                 f"and {BEGIN_ANSWER!r}/{END_ANSWER!r} in Markdown, alone on their "
                                 f"line.{_unusual_character(text)}")
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
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip(MARKER_PADDING))]
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


def _keep_referenced_attachments(cell):
    """Drop the attachments the cell's (student) text no longer refers to as ``attachment:NAME``."""
    if "attachments" not in cell:
        return
    kept = {name: data for name, data in cell.attachments.items()
            if f"attachment:{name}" in cell.source or f"attachment:{quote(name)}" in cell.source}
    if kept:
        cell.attachments = nbformat.NotebookNode(kept)
    else:
        del cell["attachments"]


def student_edition(nb, source_name: str = "05_exercises.ipynb"):
    """Return the student edition of notebook ``nb`` (a new ``NotebookNode``; ``nb`` is untouched)."""
    nb = copy.deepcopy(nb)
    kept = []
    for index, cell in enumerate(nb.cells):
        if TAG_STUB in cell.metadata.get("tags", []):
            raise _cell_error(index, cell, f"the {TAG_STUB!r} tag is set by the generator, "
                                           "not by the author; remove it.")
        regions = find_regions(cell, index)
        if TAG_RAISES in cell.metadata.get("tags", []) and (
                regions or TAG_NEEDS_EXERCISE in cell.metadata.get("tags", [])):
            raise _cell_error(index, cell, f"an exercise cell of the solutions notebook must not carry "
                                           f"the {TAG_RAISES!r} tag: it would hide a real error in a "
                                           f"worked solution (the generator sets it in the hand-out).")
        if TAG_SOLUTIONS_ONLY in cell.metadata.get("tags", []):
            if cell.cell_type != "markdown":
                raise _cell_error(index, cell, f"only Markdown cells may carry the "
                                               f"{TAG_SOLUTIONS_ONLY!r} tag: leaving a {cell.cell_type} "
                                               "cell out of the hand-out would change what it runs.")
            continue
        kept.append(cell)
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
        else:
            if regions:
                new_lines, _ = _replace_regions(lines, regions, lambda indent: [indent + ANSWER_PROMPT])
                cell.source = "\n".join(new_lines)
            _keep_referenced_attachments(cell)
        cell.metadata = nbformat.NotebookNode(
            {k: cell.metadata[k] for k in KEPT_CELL_METADATA if k in cell.metadata})
        if "id" not in cell:
            cell["id"] = f"cell-{index}"

    note = nbformat.v4.new_markdown_cell(
        "> **Student edition.** Every `raise NotImplementedError(...)` marks code for you to "
        "write, and every *Your answer* line a question for you to answer. Check cells that use "
        "your code stop with `NotImplementedError` until you have written it. Work in a copy of "
        f"this file: it is generated from `{source_name}` by `python -m {GENERATOR}` "
        "(`make student`), which overwrites it.")
    note["id"] = NOTE_CELL_ID
    nb.cells = [note, *kept]

    nb.metadata = nbformat.NotebookNode({
        **({"kernelspec": nb.metadata["kernelspec"]} if "kernelspec" in nb.metadata else {}),
        "language_info": {"name": nb.metadata.get("language_info", {}).get("name", "python")},
        "student_edition": {"generated_from": source_name, "generator": GENERATOR},
    })
    nb.nbformat, nb.nbformat_minor = 4, max(int(nb.get("nbformat_minor", 5)), 5)
    nbformat.validate(nb)
    return nb


def render(nb) -> bytes:
    """The exact bytes written for ``nb`` (nbformat's JSON layout, UTF-8, final newline)."""
    text = nbformat.writes(nb)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def read_notebook(path):
    """The notebook at ``path`` as nbformat 4; ``NotebookInputError`` (one line) if it is not one."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotebookInputError("no such file; pass the solutions notebook, "
                                 "e.g. notebooks/05_exercises.ipynb.") from None
    except IsADirectoryError:
        raise NotebookInputError("is a directory; pass the solutions notebook file.") from None
    except UnicodeDecodeError:
        raise NotebookInputError("is not a notebook: it is not UTF-8 text.") from None
    except OSError as err:
        raise NotebookInputError(f"cannot be read ({err.strerror}).") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise NotebookInputError(f"is not a notebook: not JSON ({err.msg} at line {err.lineno}, "
                                 f"column {err.colno}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("nbformat"), int):
        raise NotebookInputError("is not a notebook: the JSON has no integer 'nbformat' field.")
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except nbformat.ValidationError as err:
        where = "/".join(str(part) for part in err.absolute_path) or "top level"
        raise NotebookInputError(f"is not a valid notebook: {err.message} (at {where}); "
                                 "repair that part of the file.") from None
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise NotebookInputError(f"is not a notebook nbformat can read ({err}).") from None
    return nb


def generate(src) -> bytes:
    """The student edition of the notebook file ``src``, as bytes."""
    src = Path(src)
    return render(student_edition(read_notebook(src), source_name=src.name))


def is_same_file(src, dst) -> bool:
    """True when writing ``dst`` would overwrite ``src`` (same path, symlink or hard link)."""
    if os.path.normcase(os.path.abspath(src)) == os.path.normcase(os.path.abspath(dst)):
        return True
    try:
        return os.path.samefile(src, dst)
    except OSError:  # one of them does not exist, so they cannot be the same file
        return False


def summary(nb) -> str:
    """One line counting what the generator changed in the student edition ``nb``."""
    tags = [set(c.metadata.get("tags", [])) for c in nb.cells]
    stubs = sum(TAG_STUB in t for t in tags)
    raising = sum(TAG_RAISES in t and bool(t & {TAG_STUB, TAG_NEEDS_EXERCISE}) for t in tags)
    prompts = sum(c.source.count(ANSWER_PROMPT) for c in nb.cells if c.cell_type == "markdown")
    return f"{stubs} stubbed cells, {raising} expected to raise NotImplementedError, {prompts} answer prompts"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="solutions notebook")
    parser.add_argument("dst", type=Path, help="student edition to write")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if DST differs from what SRC generates")
    args = parser.parse_args(argv)
    if is_same_file(args.src, args.dst):
        print(f"{args.dst}: refusing to write the student edition over its input {args.src}; "
              "pass a different DST, e.g. notebooks/student/05_exercises.ipynb.", file=sys.stderr)
        return 2
    try:
        data = generate(args.src)
    except (MarkerError, NotebookInputError) as err:
        print(f"{args.src}: {err}", file=sys.stderr)
        return 2
    if args.check:
        if not args.dst.exists() or args.dst.read_bytes() != data:
            print(f"{args.dst} is out of date; run: python -m {GENERATOR} {args.src} {args.dst}",
                  file=sys.stderr)
            return 1
        print(f"{args.dst} is up to date.")
        return 0
    try:
        args.dst.parent.mkdir(parents=True, exist_ok=True)
        args.dst.write_bytes(data)
    except OSError as err:
        print(f"{args.dst}: cannot write the student edition ({err.strerror}); "
              "pass a writable file path as DST.", file=sys.stderr)
        return 2
    print(f"wrote {args.dst}: {summary(nbformat.reads(data.decode('utf-8'), as_version=4))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
