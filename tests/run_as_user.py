"""Run a test's command as user nobody, even when this Python lives in a folder closed to other users.

Root drops to nobody with ``setpriv``, but nobody cannot start an interpreter under /root (mode 0700, where
pyenv puts it on many machines, CI included). So, in a private mount namespace (``unshare -m``), each such
closed folder is covered with an empty world-readable tmpfs and only the trees that are needed are bound
back in: nobody runs exactly this interpreter with these packages, and the real folders stay untouched.
Without root, ``setpriv``, or (when a folder is closed) a working ``unshare -m``, the test is skipped with
the reason.
"""

from __future__ import annotations

import itertools
import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOBODY = 65534                          # uid and gid of the user "nobody"
DROP_TO_NOBODY = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")


def skip_or_fail(reason: str) -> None:
    """Skip the calling test with ``reason``; under ``CI=true`` fail instead.

    CI runs as root on a machine where these cases can be made real, so a skip there would hide
    an untested read-only, full-disk or other-user case behind a green run.
    """
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true, and this test cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def require_root_tools(tools: tuple[str, ...] = ("unshare", "setpriv")) -> None:
    """Skip (fail under CI) unless the test runs as root and ``tools`` work (``unshare -m`` is tried)."""
    if os.geteuid() != 0:
        skip_or_fail("needs root: it mounts file systems and switches to user nobody")
    for tool in tools:
        if shutil.which(tool) is None:
            skip_or_fail(f"needs the `{tool}` command (util-linux)")
    if "unshare" in tools:
        probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, text=True)
        if probe.returncode != 0:
            skip_or_fail(f"`unshare -m` does not work here: {probe.stderr.strip()}")


def in_namespace(*shell_lines: str) -> list[str]:
    """Prefix running a command after ``shell_lines`` in a private mount namespace."""
    return ["unshare", "-m", "sh", "-c", " && ".join([*shell_lines, 'exec "$@"']), "sh"]


def closed_folders(path: Path) -> list[tuple[Path, Path]]:
    """Each (folder on the way to ``path`` that other users cannot enter, its child on that way)."""
    way = [path, *path.parents][::-1]
    return [(folder, child) for folder, child in itertools.pairwise(way)
            if not folder.stat().st_mode & stat.S_IXOTH]


def reopening_mounts(blocked: set[tuple[Path, Path]], stash: Path) -> list[str]:
    """Shell lines that cover each closed folder with a tmpfs and bind its needed child back.

    Every child is first bound onto a folder in ``stash``, while it is still reachable; closed folders
    are then covered outermost first, so one nested in a tree bound back is covered after that tree.
    """
    pairs = sorted(blocked, key=lambda pair: (len(pair[0].parts), pair))
    stashes = {child: stash / str(number) for number, (_, child) in enumerate(pairs)}
    for folder in stashes.values():
        folder.mkdir()
    q = shlex.quote
    lines = [f"mount --bind {q(str(child))} {q(str(kept))}" for child, kept in stashes.items()]
    for closed, group in itertools.groupby(pairs, key=lambda pair: pair[0]):
        lines.append(f"mount -t tmpfs -o mode=0755,size=1m tmpfs {q(str(closed))}")
        lines += [f"mkdir -p {q(str(child))} && mount --bind {q(str(stashes[child]))} {q(str(child))}"
                  for _, child in group]
    return lines


def nobody_prefix(stash: Path, folders: tuple = (sys.base_prefix, sys.prefix, REPO)) -> list[str]:
    """Command prefix that runs a command as user nobody, with ``folders`` (by default this Python, its
    packages and the repository) reachable. ``stash`` is an empty folder that is not inside ``folders``.

    Fails if nobody still cannot run this Python through it: that is a machine to fix, not to skip.
    """
    blocked = {pair for folder in folders for pair in closed_folders(Path(folder).resolve())}
    require_root_tools(("unshare", "setpriv") if blocked else ("setpriv",))
    prefix = [*in_namespace(*reopening_mounts(blocked, stash)), *DROP_TO_NOBODY] if blocked \
        else list(DROP_TO_NOBODY)
    check = subprocess.run([*prefix, sys.executable, "-c", "import os; print(os.geteuid())"],
                           capture_output=True, text=True, timeout=60)
    if check.stdout.strip() != str(NOBODY):
        pytest.fail(f"user nobody cannot run {sys.executable} through {shlex.join(prefix)}: "
                    f"{check.stderr.strip()[-500:]}\nThe files under {sorted(map(str, folders))} "
                    f"must be readable by other users: chmod -R o+rX them.")
    return prefix
