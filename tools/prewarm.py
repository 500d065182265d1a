"""Fill a class's model cache by running every notebook (``make cache``); archive and import it too.

Running the notebooks themselves is what makes the cache hold exactly the models and results they
use, in the full profile, with no list to keep in step. Each runs in a fresh kernel whose cache is
the target folder alone (``AE_SHARED_CACHE_DIR`` is unset for it, so everything lands in the target);
outputs are not written back. A text progress bar moves per cell; at the end one line gives the
number of entries, their size on disk and the time.

    python -m tools.prewarm [--cache-dir DIR] [--profile full] [--notebooks NB ...]
    python -m tools.prewarm --archive cache.tar.gz [--cache-dir DIR]    # make cache-archive
    python -m tools.prewarm --import cache.tar.gz [--into DIR]          # verify and add its entries

The archive commands exit with status 1 if an entry was skipped for anything but being present.
The cache folder is ``--cache-dir``, else ``$AE_CACHE_DIR``, else ``~/.cache/stacked-ae-notebooks``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from helpers.cache import ENV_VAR, SHARED_ENV_VAR, cache_dir
from helpers.cache_archive import ArchiveReport, cache_entries, export_archive, import_archive

REPO = Path(__file__).resolve().parents[1]
BAR_WIDTH = 30


def lesson_notebooks(folder: Path = REPO / "notebooks") -> list[Path]:
    """The lessons, in order (``notebooks/[0-9]*.ipynb``, as ``make notebooks`` runs them)."""
    return sorted(Path(folder).glob("[0-9]*.ipynb"))


def kernel_environment(cache: Path, profile: str) -> dict[str, str]:
    """This process's environment with the target cache as the only layer, and ``profile``."""
    env = {**os.environ, ENV_VAR: str(Path(cache).resolve()), "AE_PROFILE": profile}
    env.pop(SHARED_ENV_VAR, None)
    return env


def run_notebook(path: Path, env: dict, on_cell: Callable[[int, int], None], timeout: int = 1800) -> None:
    """Execute ``path`` in a fresh kernel with ``env``, calling ``on_cell(done, total)`` per code cell."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    total = sum(cell.cell_type == "code" and bool(cell.source.strip()) for cell in notebook.cells)
    done = [0]

    def cell_executed(**_):
        done[0] += 1
        on_cell(done[0], total)

    on_cell(0, total)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", on_cell_executed=cell_executed,
                            resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute(env=env)


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``[#########.....]  3/5`` for ``done`` of ``total`` steps."""
    filled = width * done // total if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done:>3}/{total}"


def human_size(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def entries_text(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"


def human_time(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def disk_usage(folder: Path) -> int:
    """Bytes the files of ``folder`` take on disk (allocated blocks, as ``du`` counts them)."""
    return sum(entry.stat().st_blocks * 512 for entry in os.scandir(folder) if entry.is_file())


def prewarm(notebooks: list[Path], cache: Path, profile: str = "full", *, run: Callable = run_notebook,
            out=None, live: bool | None = None, clock: Callable[[], float] = time.monotonic) -> bool:
    """Run ``notebooks`` against ``cache`` (``run(path, env, on_cell)``); print progress and a summary
    to ``out`` (default: standard output).

    ``live`` redraws the bar in place with ``\\r`` (default: when ``out`` is a terminal); otherwise each
    notebook gets one line when it is done. A failing notebook is reported and the others still run.
    Returns whether every notebook succeeded.
    """
    cache, out = Path(cache), out or sys.stdout
    live = out.isatty() if live is None else live
    before, started, failed = len(cache_entries(cache)), clock(), []
    env = kernel_environment(cache, profile)
    for number, path in enumerate(notebooks, 1):
        label, notebook_started = f"{number}/{len(notebooks)} {Path(path).name}", clock()
        bar = [""]

        def on_cell(done, total, label=label, bar=bar, notebook_started=notebook_started):
            bar[0] = f"{label} {progress_bar(done, total)} cells  {human_time(clock() - notebook_started)}"
            if live:
                print(f"\r{bar[0]}", end="", file=out, flush=True)

        try:
            run(Path(path), env, on_cell)
        except Exception as err:   # a failed cell, a dead kernel, a timeout: go on with the next one
            failed.append(Path(path).name)
            print(f"{chr(10) if live else ''}FAILED {label}: {type(err).__name__}: {str(err)[-1500:]}",
                  file=out, flush=True)
            continue
        print(f"\r{bar[0]}" if live else bar[0], file=out, flush=True)
    entries = len(cache_entries(cache))
    size = disk_usage(cache) if cache.is_dir() else 0
    print(f"Cache {cache}: {entries_text(entries)} ({entries - before} new), {human_size(size)} on disk, "
          f"{human_time(clock() - started)} for {len(notebooks)} notebooks ({profile} profile)"
          + (f"; FAILED: {', '.join(failed)}" if failed else "."), file=out, flush=True)
    return not failed


def describe(report: ArchiveReport, done: str) -> str:
    """The lines an export or import prints: what it ``done`` (e.g. "Added to X"), what it skipped, why."""
    lines = [f"{done}: {entries_text(len(report.added))} ({human_size(report.bytes)}); "
             f"skipped {len(report.skipped)}."]
    lines += [f"  skipped {name}: {reason}" for name, reason in sorted(report.skipped.items())]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, help=f"folder to fill or archive (default: ${ENV_VAR})")
    parser.add_argument("--profile", default="full", choices=("full", "quick"), help="AE_PROFILE to run in")
    parser.add_argument("--notebooks", nargs="+", type=Path, help="default: every lesson in notebooks/")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--archive", type=Path, metavar="ARCHIVE", help="write the entries to ARCHIVE")
    action.add_argument("--import", dest="import_from", type=Path, metavar="ARCHIVE",
                        help="verify ARCHIVE and add its entries to --into")
    parser.add_argument("--into", type=Path, help=f"folder to import into (default: --cache-dir, ${ENV_VAR})")
    args = parser.parse_args(argv)
    cache = args.cache_dir or cache_dir()
    try:
        if args.archive:
            report = export_archive(cache, args.archive)
            print(describe(report, f"Wrote {args.archive} from {cache}"))
        elif args.import_from:
            into = args.into or cache
            report = import_archive(args.import_from, into)
            print(describe(report, f"Added to {into} from {args.import_from}"))
        if args.archive or args.import_from:   # status 1 if an entry was left out for a problem
            return int(any(not why.startswith("already present") for why in report.skipped.values()))
    except (OSError, ValueError) as err:
        print(f"{parser.prog}: {err}", file=sys.stderr)
        return 1
    notebooks = args.notebooks or lesson_notebooks()
    missing = [str(path) for path in notebooks if not Path(path).is_file()]
    if missing or not notebooks:
        print(f"{parser.prog}: no such notebook: {', '.join(missing) or 'notebooks/[0-9]*.ipynb'}; pass "
              ".ipynb files with --notebooks.", file=sys.stderr)
        return 2

    def run(path, env, on_cell):
        run_notebook(path, env, on_cell, args.timeout)

    return 0 if prewarm(notebooks, cache, args.profile, run=run) else 1


if __name__ == "__main__":
    sys.exit(main())
