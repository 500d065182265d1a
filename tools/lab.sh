#!/usr/bin/env bash
# Starts JupyterLab on notebooks/ for whoever runs it: root or not, with or without a display.
# `make lab` runs exactly this script, and tests/test_make_lab.py starts it the same way.
#
#   bash tools/lab.sh [--dry-run] [more `jupyter lab` options, e.g. --port=8899]
#
# --dry-run prints the command instead of running it. Environment: JUPYTER (the jupyter
# executable; default .venv/bin/jupyter), LAB_IP (address to listen on; default 127.0.0.1),
# and Jupyter's own JUPYTER_PORT and JUPYTER_TOKEN.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jupyter="${JUPYTER:-$repo/.venv/bin/jupyter}"
dry_run=false
if [ "${1:-}" = "--dry-run" ]; then
    dry_run=true
    shift
fi

cmd=("$jupyter" lab "$repo/notebooks" "--ServerApp.ip=${LAB_IP:-127.0.0.1}")
# Jupyter refuses to start as root unless told that it is on purpose (containers, CI, VMs).
if [ "$(id -u)" -eq 0 ]; then
    cmd+=(--allow-root)
fi
# No graphical session (SSH, container): there is no browser to open here.
no_display=false
if [ "$(uname -s)" != Darwin ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    no_display=true
    cmd+=(--no-browser)
fi
cmd+=("$@")

if $dry_run; then
    printf '%q ' "${cmd[@]}"
    echo
    exit 0
fi
if [ ! -x "$jupyter" ]; then
    echo "tools/lab.sh: $jupyter not found: run \`make lab\` (it creates .venv)," \
         "or set JUPYTER to the jupyter executable of your environment." >&2
    exit 1
fi
if $no_display; then
    echo "tools/lab.sh: no display (DISPLAY and WAYLAND_DISPLAY are empty), so no browser opens." \
         "Copy the address JupyterLab prints below (the one that ends with its token) into a browser" \
         "on this machine; from another one, forward the port first: ssh -L <port>:127.0.0.1:<port>." >&2
fi
exec "${cmd[@]}"
