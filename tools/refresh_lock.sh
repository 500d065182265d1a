#!/usr/bin/env bash
# Refreshes requirements.lock (what `make lab`, `make test` and CI install): the newest versions that
# pyproject.toml's ranges allow, runtime and `test` extra, each pinned with the hashes of all its files,
# for Python 3.11 on Linux x86_64. Then sets environment.yml's pins to the same versions.
# Run it as `make lock`, then `make test`, and commit both files with README's refresh date.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
LOCKFILE=requirements.lock
ENV_FILE=environment.yml
# 3.11 means 3.11.0: the lock then installs on every 3.11 release (Debian 12 ships 3.11.2), so a
# package that needs a later patch release (soupsieve >= 3.0.2 needs 3.11.5) is locked one version back.
COMPILE=(uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11
         --python-platform x86_64-unknown-linux-gnu --no-header)

if [ ! -x "$PY" ]; then
    echo "refresh_lock.sh: no Python at $PY. Run 'make lock' (it creates .venv first), or set PY=" >&2
    exit 1
fi
"$PY" -m uv --version >/dev/null 2>&1 || "$PY" -m pip install --quiet uv

# Written beside the lock, then renamed: an interrupted refresh leaves the old lock whole. uv reads an
# existing output file as its preferred versions, so starting from an empty one gives the newest.
new=$(mktemp "$LOCKFILE.XXXXXX")
trap 'rm -f "$new" "$new.body"' EXIT
"$PY" -m "${COMPILE[@]}" --quiet --output-file "$new.body"
{
    echo "# The exact versions that 'make lab', 'make test' and CI install (pip install --require-hashes)."
    echo "# Refreshed $(date -u +%F) with \`make lock\` (tools/refresh_lock.sh, $("$PY" -m uv --version | cut -d" " -f1-2)):"
    echo "#   ${COMPILE[*]} -o $LOCKFILE"
    echo "# The newest versions pyproject.toml allows instead: make lab LOCK=0 / make test LOCK=0."
    cat "$new.body"
} >"$new"
chmod 644 "$new"
mv "$new" "$LOCKFILE"

# environment.yml pins each package pyproject.toml names at its locked version.
"$PY" - "$LOCKFILE" "$ENV_FILE" <<'EOF'
import re
import sys
from pathlib import Path

def key(name):
    return re.sub(r"[-_.]+", "-", name).lower()

lock, env = (Path(arg) for arg in sys.argv[1:])
locked = {key(n): v for n, v in re.findall(r"^([A-Za-z0-9][\w.-]*)==([^\s;\\]+)", lock.read_text(), re.M)}
pin = re.compile(r"^(\s+-\s+)([A-Za-z0-9][\w.-]*)==([^\s;]+)(.*)$")

def repinned(line):
    m = pin.match(line)
    if not m or key(m.group(2)) not in locked:
        return line
    return f"{m.group(1)}{m.group(2)}=={locked[key(m.group(2))]}{m.group(4)}"

env.write_text("".join(repinned(line.rstrip("\n")) + "\n" for line in env.read_text().splitlines()))
EOF
echo "refresh_lock.sh: wrote $LOCKFILE ($(grep -c '^[A-Za-z0-9]' "$LOCKFILE") packages) and repinned $ENV_FILE"
