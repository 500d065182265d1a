"""Load test of a class server: N kernels run one notebook at once against a shared, then a cold cache.

    python -m benchmarks.class_server                  # make load-test: 8 kernels, notebook 01, full profile
    python -m benchmarks.class_server --kernels 40 --shared /srv/ae-cache

Case (a), "shared": the notebook is first pre-warmed once into the shared folder (``tools.prewarm``, a
temp folder unless ``--shared``), which is then made really read-only: ``chmod -R a-w`` for a normal
user; as root, whom modes do not stop, a read-only bind mount, for which this script re-executes itself
in a private mount namespace (``unshare -m``), so the mount is seen only by it and its kernels. Each
kernel reads it as ``AE_SHARED_CACHE_DIR`` and has its own empty ``AE_CACHE_DIR``. Case (b), "cold":
all kernels share one empty writable ``AE_CACHE_DIR`` and no shared layer, so the cache's per-entry lock
should make each model train once.

Before each case it waits (``--max-load``, ``--load-wait``) for the machine to be quiet. It reports per
kernel the time from the common start until it was ready and until its last cell was done, and its peak
memory (VmHWM), plus the sum of the kernels' resident memory sampled over time (the real simultaneous
peak). Trainings are counted from the file system with inotify: every entry manifest written into any
cache folder is one model trained or result computed (a second write of one is a duplicate), checked
against the entries that the single-kernel pre-warm run asked for. Exit status 1 if a kernel failed or a
count is wrong; the goal's verdict (case (a), 8 kernels, 2 cores, notebook 01 within 60 s) is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import ctypes
import dataclasses
import importlib.metadata
import json
import os
import platform
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from helpers.cache import SHARED_ENV_VAR
from helpers.cache_archive import ENTRY_FILE, cache_entries
from helpers.cache_files import unwritable_reason
from tools.prewarm import human_time, kernel_environment

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_NOTEBOOK = ROOT / "notebooks" / "01_stacked_autoencoder.ipynb"
GOAL = {"case": "shared", "kernels": 8, "cores": 2, "notebook": DEFAULT_NOTEBOOK.name, "profile": "full",
        "seconds": 60.0}
NAMESPACE_VAR = "CLASS_SERVER_OUTER_MOUNT_NS"   # set by the re-execution: the namespace it left
CASE_TITLES = {"shared": "(a) pre-warmed, read-only shared cache",
               "cold": "(b) cold cache, one shared folder"}
IN_CLOSE_WRITE, IN_OPEN, IN_MOVED_TO, IN_Q_OVERFLOW = 0x08, 0x20, 0x80, 0x4000
EVENT_HEADER = struct.Struct("iIII")            # struct inotify_event: wd, mask, cookie, len (then name)


# --- what the file system saw ---------------------------------------------------------------

def manifest_name(name: str) -> str | None:
    """``name`` if it is an entry's manifest (``<key>.json`` or ``<key>.result.json``), else None."""
    match = ENTRY_FILE.fullmatch(name)
    return name if match and match["suffix"] != ".keras" else None


def parse_events(data: bytes) -> list[tuple[int, int, str]]:
    """(watch descriptor, mask, file name) of each ``struct inotify_event`` in ``data``."""
    events, offset = [], 0
    while offset < len(data):
        wd, mask, _cookie, length = EVENT_HEADER.unpack_from(data, offset)
        start = offset + EVENT_HEADER.size
        events.append((wd, mask, data[start:start + length].rstrip(b"\0").decode(errors="replace")))
        offset = start + length
    return events


class EntryWatch:
    """Which entry manifests were written into (renamed into, or closed after writing) and opened in
    some folders, by any process, counted per ``folder/name`` with Linux inotify."""

    def __init__(self, folders):
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed: trainings cannot be counted")
        self._folders = {}
        for folder in folders:
            wd = self._libc.inotify_add_watch(self._fd, os.fsencode(folder),
                                              IN_CLOSE_WRITE | IN_OPEN | IN_MOVED_TO)
            if wd < 0:
                raise OSError(ctypes.get_errno(), f"cannot watch {folder} with inotify")
            self._folders[wd] = str(folder)
        self.written, self.opened, self.overflowed = collections.Counter(), collections.Counter(), False

    def poll(self) -> None:
        """Count the events that arrived since the last call."""
        while True:
            try:
                data = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                return
            for wd, mask, name in parse_events(data):
                self.overflowed |= bool(mask & IN_Q_OVERFLOW)
                if wd in self._folders and manifest_name(name):
                    path = f"{self._folders[wd]}/{name}"
                    if mask & (IN_MOVED_TO | IN_CLOSE_WRITE):
                        self.written[path] += 1
                    if mask & IN_OPEN:
                        self.opened[path] += 1

    def close(self) -> None:
        self.poll()
        os.close(self._fd)


def kib_in_status(pid: int, field: str) -> int:
    """A ``kB`` field (VmRSS, VmHWM) of ``/proc/<pid>/status``; 0 once the process is gone."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """Every ``interval`` s: the sum of the kernels' resident memory (keeping its peak), and the watch."""

    def __init__(self, pids: dict, watch: EntryWatch, start: float, interval: float):
        super().__init__(daemon=True)
        self.pids, self.watch, self.start_time, self.interval = pids, watch, start, interval
        self.peak_kib, self.peak_at, self._stop_event = 0, 0.0, threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.watch.poll()
            total = sum(kib_in_status(pid, "VmRSS") for pid in list(self.pids.values()))
            if total > self.peak_kib:
                self.peak_kib, self.peak_at = total, time.monotonic() - self.start_time

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.watch.close()


# --- running the kernels --------------------------------------------------------------------

@dataclasses.dataclass
class KernelRun:
    number: int
    cells_total: int
    ready: float | None = None       # seconds from the common start: kernel up and answering
    finished: float | None = None    # seconds from the common start: last cell done (so far)
    cells_done: int = 0
    peak_kib: int = 0                # VmHWM of the kernel process
    error: str | None = None
    cell_times: list[float] = dataclasses.field(default_factory=list)   # when each code cell was done


async def run_kernel(run: KernelRun, path: Path, env: dict, start: float, pids: dict, timeout: int) -> None:
    """Run ``path`` top to bottom in a fresh kernel (outputs not written back), filling in ``run``."""
    import nbformat
    from nbclient import NotebookClient

    client = NotebookClient(nbformat.read(path, as_version=4), timeout=timeout, startup_timeout=600,
                            kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})

    failures = []

    def started(**_):
        run.ready = time.monotonic() - start
        pids[run.number] = client.km.provisioner.pid

    def cell_done(cell, cell_index, execute_reply, **_):
        run.peak_kib = max(run.peak_kib, kib_in_status(pids[run.number], "VmHWM"))
        content = (execute_reply or {}).get("content", {})
        if content.get("status") == "error" and "raises-exception" not in cell.metadata.get("tags", []):
            evalue = str(content.get("evalue"))[:200]
            failures.append(f"cell {cell_index + 1}: {content.get('ename')}: {evalue}")
            return   # nbclient raises CellExecutionError right after this hook
        run.cells_done, run.finished = run.cells_done + 1, time.monotonic() - start
        run.cell_times.append(round(run.finished, 2))

    client.on_notebook_start, client.on_cell_executed = started, cell_done
    try:
        await client.async_execute(env=env)
    except Exception as err:   # a failed cell, a dead kernel, a timeout: reported, the others go on
        run.error = failures[-1] if failures else f"{type(err).__name__}: {str(err).strip()[-200:]}"
    print(f"  kernel {run.number}: " + (f"FAILED, {run.error}" if run.error else
                                        f"done at {run.finished:.1f} s"), flush=True)


def code_cells(path: Path) -> int:
    """How many cells nbclient runs (code cells with any source), as ``tools.prewarm`` counts them."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    return sum(cell.cell_type == "code" and bool(cell.source.strip()) for cell in notebook.cells)


def run_kernels(path: Path, envs: list[dict], folders: list[Path], timeout: int, interval: float):
    """Start one kernel per ``envs`` at once; returns (runs, sampler, seconds) with ``folders`` watched."""
    start, pids, total = time.monotonic(), {}, code_cells(path)
    runs = [KernelRun(number, total) for number in range(1, len(envs) + 1)]
    sampler = Sampler(pids, EntryWatch(folders), start, interval)
    sampler.start()

    async def all_kernels():
        await asyncio.gather(*(run_kernel(run, path, env, start, pids, timeout)
                               for run, env in zip(runs, envs, strict=True)))

    try:
        asyncio.run(all_kernels())
    finally:
        sampler.stop()
    return runs, sampler, time.monotonic() - start


# --- the two cases ------------------------------------------------------------------------

@dataclasses.dataclass
class CaseResult:
    case: str
    kernels: list[KernelRun]
    load: tuple[float, float, float]
    waited: float
    seconds: float
    peak_sum_kib: int                # sampled simultaneous peak of the kernels' summed RSS
    peak_at: float
    trainings: dict                  # models, results, duplicates, text
    problems: list[str]
    read_only: str = ""


def entry_counts(paths) -> dict:
    """Models and results among manifest ``paths`` (``<key>.json`` and ``<key>.result.json``)."""
    results = sum(str(path).endswith(".result.json") for path in paths)
    return {"models": len(paths) - results, "results": results}


def check_shared_case(before: set, after: set, personal_entries: int, written: collections.Counter,
                      read: set, reference: set) -> tuple:
    """(trainings, problems) of case (a): nothing may be trained, i.e. no entry appears anywhere, and the
    kernels read (names in ``read``) the entries the single-kernel run asked for (``reference``)."""
    trainings = {**entry_counts(list(written.elements())), "duplicates": 0}
    problems = [f"{len(after - before)} new entries in the shared folder"] if after != before else []
    if read != reference:
        problems.append(f"the entries read differ from the single-kernel run's: not read "
                        f"{sorted(reference - read)[:5]}, extra {sorted(read - reference)[:5]}")
    if personal_entries:
        problems.append(f"{personal_entries} entries in the personal folders: the shared layer missed them")
    if written:
        problems.append(f"{sum(written.values())} entry files written: {', '.join(sorted(written))[:300]}")
    trainings["text"] = (f"{sum(written.values())}: {len(read)} shared entries read, shared layer "
                         f"{'unchanged' if after == before else 'CHANGED'} ({len(after)} entries), "
                         f"{personal_entries} entries in the personal folders, "
                         f"{sum(written.values())} entry files written anywhere")
    return trainings, problems


def check_cold_case(entries: set, reference: set, written: collections.Counter) -> tuple:
    """(trainings, problems) of case (b): each entry the notebook asks for (``reference``, names) is
    written exactly once into the shared cold folder, whose entries are ``entries`` (names)."""
    duplicates = sorted(path for path, count in written.items() if count > 1)
    trainings = {**entry_counts(list(written.elements())), "duplicates": len(duplicates)}
    problems = [f"built more than once: {', '.join(duplicates)[:300]}"] if duplicates else []
    if entries != reference:
        problems.append(f"the folder's entries differ from the single-kernel run's: missing "
                        f"{sorted(reference - entries)[:5]}, extra {sorted(entries - reference)[:5]}")
    trainings["text"] = (f"{sum(written.values())} (models: {trainings['models']}, results: "
                         f"{trainings['results']}): {len(entries)} entries in the folder, {len(reference)} "
                         f"distinct keys in a single-kernel run, {len(duplicates)} built twice")
    return trainings, problems


def wait_for_quiet_machine(max_load: float, limit: float, poll: float = 15.0, *,
                           load: Callable = os.getloadavg, sleep: Callable = time.sleep,
                           clock: Callable = time.monotonic) -> tuple[tuple, float]:
    """Wait until the 1-minute load average is below ``max_load`` (checked every ``poll`` s, for up
    to ``limit`` s: other people share the machine). Returns (the load averages at the end, seconds)."""
    started = clock()
    while (now := load())[0] >= max_load and clock() - started < limit:
        print(f"  waiting for a quiet machine: 1-minute load {now[0]:.2f} >= {max_load} "
              f"({human_time(clock() - started)} of at most {human_time(limit)})", flush=True)
        sleep(poll)
    return tuple(now), clock() - started


@contextlib.contextmanager
def read_only(folder: Path, method: str | None = None):
    """``folder`` read-only inside the block, writable again after; yields how. ``method``: "mount" (a
    read-only bind mount, only in this script's private mount namespace; the default as root, whom
    modes do not stop) or "chmod" (``chmod -R a-w``). Raises ``RuntimeError`` if a probe write works."""
    method = method or ("mount" if os.geteuid() == 0 else "chmod")
    if method == "mount":
        if os.environ.get(NAMESPACE_VAR) in (None, os.readlink("/proc/self/ns/mnt")):
            raise RuntimeError("a read-only bind mount is only made in a private mount namespace: run "
                               "this script as `python -m benchmarks.class_server`, which enters one as root")
        subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
        undo = [["umount", str(folder)]]
        commands = [["mount", "-o", "remount,bind,ro", str(folder)]]
    else:
        modes = {path: path.stat().st_mode for path in [Path(folder), *Path(folder).rglob("*")]}
        undo, commands = [], [["chmod", "-R", "a-w", str(folder)]]
    try:
        for command in commands:
            subprocess.run(command, check=True)
        if unwritable_reason(folder) is None:
            raise RuntimeError(f"{folder} is still writable after {method} (as root, modes stop no write: "
                               "use the read-only bind mount)")
        yield "read-only bind mount" if method == "mount" else "chmod -R a-w"
    finally:
        for command in undo:
            subprocess.run(command, check=False)
        if method == "chmod":
            for path, mode in modes.items():
                path.chmod(mode)


def run_case(case: str, args, folders: dict, reference: set) -> CaseResult:
    """Wait for a quiet machine, then run ``args.kernels`` kernels in ``case`` ("shared" or "cold")."""
    print(f"\nCase {CASE_TITLES[case]}: {kernels_text(args.kernels)}", flush=True)
    load, waited = wait_for_quiet_machine(args.max_load, args.load_wait)
    lock_timeout = {"AE_CACHE_LOCK_TIMEOUT": os.environ.get("AE_CACHE_LOCK_TIMEOUT", "7200")}
    if case == "cold":
        cold = folders["cold"]
        envs = [{**kernel_environment(cold, args.profile), **lock_timeout} for _ in range(args.kernels)]
        runs, sampler, seconds = run_kernels(args.notebook, envs, [cold], args.timeout, args.interval)
        trainings, problems = check_cold_case(set(cache_entries(cold)), reference, sampler.watch.written)
        how = ""
    else:
        shared, personal = folders["shared"], folders["personal"]
        envs = [{**kernel_environment(folder, args.profile), SHARED_ENV_VAR: str(shared)}
                for folder in personal]
        before = set(cache_entries(shared))
        with read_only(shared) as how:
            runs, sampler, seconds = run_kernels(args.notebook, envs, [shared, *personal], args.timeout,
                                                 args.interval)
        read = {Path(path).name for path in sampler.watch.opened if Path(path).parent == shared}
        trainings, problems = check_shared_case(before, set(cache_entries(shared)),
                                                sum(len(cache_entries(folder)) for folder in personal),
                                                sampler.watch.written, read, reference)
    if sampler.watch.overflowed:
        problems.append("inotify's event queue overflowed: the training count may be too low")
    problems += [f"kernel {run.number} failed: {run.error}" for run in runs if run.error]
    return CaseResult(case, runs, load, waited, seconds, sampler.peak_kib, sampler.peak_at, trainings,
                      problems, how)


# --- the report -----------------------------------------------------------------------------

def kernels_text(count: int) -> str:
    return f"{count} kernel{'' if count == 1 else 's'}"


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(str(cell) for cell in line) + " |" for line in lines)


def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f} MiB"


def case_report(result: CaseResult, args) -> str:
    """The markdown of one case: a line on its setting, a table of kernels, a table of totals."""
    runs = result.kernels
    done = [run.finished for run in runs if run.finished is not None and not run.error]
    peaks = [run.peak_kib for run in runs]
    load = ", ".join(f"{value:.2f}" for value in result.load)
    waited = f" after waiting {human_time(result.waited)}" if result.waited >= 1 else ""
    setting = (f"### Case {CASE_TITLES[result.case]}\n\n{kernels_text(len(runs))}, {args.notebook.name}, "
               f"{args.profile} profile{f', {result.read_only}' if result.read_only else ''}. "
               f"Load average at the start (1, 5, 15 min): {load}{waited}.")
    kernels = markdown_table(
        ["kernel", "ready (s)", "finished (s)", "cells", "result", "peak memory (VmHWM)"],
        [[run.number, "-" if run.ready is None else f"{run.ready:.1f}",
          "-" if run.finished is None or run.error else f"{run.finished:.1f}",
          f"{run.cells_done}/{run.cells_total}",
          f"failed: {run.error}" if run.error else "ok", mib(run.peak_kib)] for run in runs])
    totals = markdown_table(["measure", "value"], [
        ["slowest kernel finished", f"{max(done):.1f} s after the start" if done else "-"],
        ["kernels that succeeded", f"{len(done)} of {len(runs)}"],
        ["memory: sum of the kernels' peaks (VmHWM)", mib(sum(peaks))],
        ["memory: largest kernel peak (VmHWM)", mib(max(peaks, default=0))],
        [f"memory: simultaneous peak (sum of RSS, sampled every {args.interval:g} s)",
         f"{mib(result.peak_sum_kib)} at {result.peak_at:.0f} s"],
        ["trainings ran (entries written)", result.trainings["text"]],
        ["checks", "; ".join(result.problems) or "all passed"],
    ])
    return f"{setting}\n\n{kernels}\n\n{totals}"


def verdict(result: CaseResult | None, args, cores: int) -> str:
    """The goal's line: case (a), 8 kernels, 2 cores, notebook 01 (full profile) within 60 s each."""
    goal = (f"case (a), {GOAL['kernels']} kernels, {GOAL['cores']} cores: every kernel finishes "
            f"{GOAL['notebook']} within {GOAL['seconds']:g} s of the start")
    if result is None:
        return f"Verdict: not measured (case (a) did not run). Goal: {goal}."
    late = [run for run in result.kernels
            if run.error or run.finished is None or run.finished > GOAL["seconds"]]
    slowest = max((run.finished or 0.0) for run in result.kernels)
    setting = {"kernels": len(result.kernels), "cores": cores, "notebook": args.notebook.name,
               "profile": args.profile}
    differs = [f"{name} {value}" for name, value in setting.items() if value != GOAL[name]]
    outcome = "MET" if not late else "NOT MET"
    detail = (f"slowest kernel {slowest:.1f} s" + (f"; {len(late)} of {len(result.kernels)} kernels late "
                                                   "or failed" if late else ""))
    if differs:
        return f"Verdict: not the goal's setting ({', '.join(differs)}); within {GOAL['seconds']:g} s: " \
               f"{'yes' if not late else 'no'} ({detail}). Goal: {goal}."
    return f"Verdict: goal {outcome}: {goal} ({detail})."


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    memory = 0
    with contextlib.suppress(OSError, IndexError, ValueError):
        memory = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("tensorflow", "keras"))
    return (f"{model}, {os.cpu_count()} cores, {memory / 2**20:.1f} GiB RAM | Python "
            f"{platform.python_version()} | {versions}")


# --- main -----------------------------------------------------------------------------------

def enter_private_mount_namespace(argv: list[str]) -> None:
    """As root, re-run this script in a private mount namespace, where the read-only bind mount of
    case (a) is seen by it and its kernels only; does nothing otherwise (or once inside)."""
    if os.geteuid() != 0 or NAMESPACE_VAR in os.environ:
        return
    if subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode != 0:
        raise SystemExit("As root, chmod cannot make the shared cache read-only, and `unshare --mount` (for "
                         "a read-only bind mount) is not allowed here: run the load test as a normal user, "
                         "or pass --cases cold.")
    env = {**os.environ, NAMESPACE_VAR: os.readlink("/proc/self/ns/mnt")}
    command = ["unshare", "--mount", "--propagation", "private", sys.executable, "-m",
               "benchmarks.class_server", *argv]
    os.chdir(ROOT)
    os.execvpe("unshare", command, env)


def prewarm(shared: Path, args) -> set:
    """Pre-warm ``shared`` with one kernel (``tools.prewarm``); returns the entries that run asked for
    (manifests it opened or wrote), the reference for case (b)."""
    print(f"Pre-warming {shared} with {args.notebook.name} ({args.profile} profile), one kernel:", flush=True)
    shared.mkdir(parents=True, exist_ok=True)
    watch = EntryWatch([shared])
    status = subprocess.run([sys.executable, "-m", "tools.prewarm", "--cache-dir", str(shared), "--profile",
                             args.profile, "--timeout", str(args.timeout), "--notebooks", str(args.notebook)],
                            cwd=ROOT, check=False).returncode
    watch.close()
    if status != 0:
        raise SystemExit(f"Pre-warming {shared} failed (tools.prewarm exit status {status}); see above.")
    return {Path(path).name for path in [*watch.written, *watch.opened]}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=8, help="kernels started at once (default 8)")
    parser.add_argument("--notebook", type=Path, default=DEFAULT_NOTEBOOK, help="default: notebook 01")
    parser.add_argument("--profile", default="full", choices=("full", "quick"), help="AE_PROFILE")
    parser.add_argument("--shared", type=Path, help="shared cache to pre-warm and use (default: a temp one)")
    parser.add_argument("--cases", nargs="+", default=["shared", "cold"], choices=("shared", "cold"))
    parser.add_argument("--max-load", type=float, default=1.5, help="wait for a 1-minute load below this")
    parser.add_argument("--load-wait", type=float, default=1200, help="seconds to wait at most (0: none)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between memory samples")
    parser.add_argument("--json", type=Path, help="also write the measurements to this JSON file")
    args = parser.parse_args(argv)
    if args.kernels < 1 or not args.notebook.is_file():
        parser.error("--kernels must be at least 1" if args.kernels < 1
                     else f"no such notebook: {args.notebook}; pass an .ipynb file with --notebook")
    args.notebook = args.notebook.resolve()
    if "shared" in args.cases:
        enter_private_mount_namespace(argv)
    started, work = time.monotonic(), Path(tempfile.mkdtemp(prefix="class-server-"))
    try:
        folders = {"shared": (args.shared or work / "shared").resolve(), "cold": work / "cold",
                   "personal": [work / f"personal-{number}" for number in range(1, args.kernels + 1)]}
        for folder in [folders["cold"], *folders["personal"]]:
            folder.mkdir()
        text = [f"Machine: {machine()}"]
        print(text[0], flush=True)
        prewarm_started = time.monotonic()
        reference = prewarm(folders["shared"], args)
        text.append(f"Pre-warm (one kernel): {len(reference)} entries asked for, "
                    f"{human_time(time.monotonic() - prewarm_started)}.")
        results = {case: run_case(case, args, folders, reference) for case in args.cases}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text += [case_report(result, args) for result in results.values()]
    text.append(verdict(results.get("shared"), args, os.cpu_count()))
    text.append(f"Load test wall time: {human_time(time.monotonic() - started)}.")
    print("\n" + "\n\n".join(text), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"machine": text[0], "reference_entries": sorted(reference),
                                         "cases": {case: dataclasses.asdict(result)
                                                   for case, result in results.items()},
                                         "verdict": text[-2]}, indent=1))
    return 1 if any(result.problems for result in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
