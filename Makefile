# Two commands for a fresh machine:  make lab   |   make test
# Everything else here is a building block of those two, or a maintainer tool.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))
# The exact version and file hashes of every package, runtime and test tools; `make lock` refreshes it.
LOCKFILE := requirements.lock
# LOCK=1 (default): make lab and make test both install exactly $(LOCKFILE), hash-checked.
# LOCK=0: the newest versions pyproject.toml allows (make lab then leaves out the test tools).
# Each mode has its own stamps and deletes the other's, so switching modes reinstalls.
LOCK ?= 1
ifeq ($(LOCK),1)
STAMP      := $(VENV)/.installed-lock
TEST_STAMP := $(STAMP)
else ifeq ($(LOCK),0)
STAMP      := $(VENV)/.installed-newest
TEST_STAMP := $(VENV)/.installed-newest-test
else
$(error LOCK=$(LOCK) is not a mode: use LOCK=1 (the default: the versions in $(LOCKFILE)) or LOCK=0 \
(the newest versions pyproject.toml allows))
endif
LOCK_FAILED := { echo "make: could not install $(LOCKFILE) (made for Python 3.11 on Linux x86_64) into \
$(VENV), whose Python is $$($(PY) -c 'import platform; print(platform.python_version())'). For the newest \
versions pyproject.toml allows instead, run make again with LOCK=0." >&2; exit 1; }

.PHONY: lab test lint setup kernel data notebooks student bench bench-quick screenshots clean lock

$(PY):
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "make: could not create \
	the virtual environment .venv with $(PYTHON). On Debian/Ubuntu: sudo apt-get install python3-venv, \
	then run make again." >&2; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip

ifeq ($(LOCK),1)
# Runtime and test tools at the locked versions (pip refuses any file whose hash differs), then
# helpers itself without resolving anything more; redone whenever the lock or pyproject.toml changes.
$(STAMP): $(LOCKFILE) pyproject.toml | $(PY)
	rm -f $(VENV)/.installed-newest $(VENV)/.installed-newest-test
	$(PY) -m pip install --quiet --require-hashes -r $(LOCKFILE) || $(LOCK_FAILED)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@
else
# The runtime (what a learner needs) at the newest versions pyproject.toml allows, upgrading what an
# earlier install left; redone whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(PY)
	rm -f $(VENV)/.installed-lock
	$(PY) -m pip install --quiet --upgrade --upgrade-strategy eager -e .
	touch $@

# The runtime plus the test tools (pytest, nbval, playwright, psutil, ruff); newer than $(STAMP).
$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[test]'
	touch $@
endif

# Rewrites $(LOCKFILE) with the newest versions pyproject.toml allows, and environment.yml's pins.
lock: | $(PY)
	bash tools/refresh_lock.sh

setup: $(STAMP) kernel data

# The notebooks' kernel (python3) with glibc's malloc arenas capped in its environment (tools/kernelspec.py);
# rewritten every time, since reinstalling ipykernel overwrites it: `test` and `screenshots` write it
# in their recipes, after their installs.
WRITE_KERNELSPEC := $(PY) -m tools.kernelspec
kernel: $(STAMP)
	$(WRITE_KERNELSPEC)

# Finds Fashion-MNIST offline (or downloads it) and verifies its checksums.
data: $(STAMP)
	$(PY) -m helpers.data

# As root it adds --allow-root; without a display, --no-browser (JupyterLab prints the URL to open).
lab: setup
	bash tools/lab.sh

# Regenerate the student edition (so an edited lesson needs no other step), lint (ruff,
# configured in pyproject.toml), then unit tests, strict nbval on every notebook (quick
# profile) and browser tests. CI then checks that the committed student edition was current.
test: $(TEST_STAMP) student lint data
	$(WRITE_KERNELSPEC)
	AE_PROFILE=quick $(PY) -m pytest --nbval tests notebooks

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .

# Re-executes every notebook in place in the full profile (the committed outputs).
notebooks: setup
	AE_PROFILE=full $(PY) -m tools.execute $(NOTEBOOKS)

clean:
	rm -rf $(VENV) .pytest_cache artifacts

# The student edition (hand-out) of every numbered notebook, in notebooks/student/: solutions and
# written answers replaced by stubs and prompts, outputs cleared, the lesson and the checks kept.
student: $(STAMP)
	@for nb in $(NOTEBOOKS); do $(PY) -m tools.student $$nb notebooks/student/$$(basename $$nb) || exit $$?; done

# Benchmarks: book recipe vs the suite's, notebook timings, redraw latency, memory.
bench: setup
	$(PY) benchmarks/run.py

bench-quick: setup
	$(PY) benchmarks/run.py --quick

# Refreshes the README's explorer screenshots from a real JupyterLab in Chromium, in the full
# profile from the warm model cache (run `make notebooks` or `make cache` first, or it trains).
screenshots: $(TEST_STAMP) data
	$(WRITE_KERNELSPEC)
	AE_BROWSER_PROFILE=full AE_BROWSER_CACHE_DIR=$${AE_CACHE_DIR:-$$HOME/.cache/stacked-ae-notebooks} \
	    $(PY) -m pytest tests/browser -q --screenshots-dir docs/images

# The class cache (helpers/cache.py, tools/prewarm.py). CACHE_DIR defaults to $AE_CACHE_DIR, else
# ~/.cache/stacked-ae-notebooks. `make cache` runs every notebook (full profile) so the cache holds all
# they train; `make cache-archive` packs its entries with SHA256SUMS into CACHE_ARCHIVE;
# `make cache-import CACHE_ARCHIVE=...` verifies one and adds its entries to CACHE_DIR.
CACHE_DIR ?=
CACHE_ARCHIVE ?= artifacts/ae-cache.tar.gz
CACHE_FLAGS = $(if $(CACHE_DIR),--cache-dir "$(CACHE_DIR)")
.PHONY: cache cache-archive cache-import

cache: setup
	$(PY) -m tools.prewarm $(CACHE_FLAGS)

cache-archive: $(STAMP)
	$(PY) -m tools.prewarm $(CACHE_FLAGS) --archive "$(CACHE_ARCHIVE)"

cache-import: $(STAMP)
	$(PY) -m tools.prewarm $(CACHE_FLAGS) --import "$(CACHE_ARCHIVE)"

# Load test of a class server (benchmarks/class_server.py): KERNELS kernels (default 8) run notebook 01 at
# once, (a) against a pre-warmed read-only shared cache, (b) against one cold cache. About 6 min on 2 cores,
# plus the wait (up to 20 min per case) for the 1-minute load average to fall below 1.5.
KERNELS ?= 8
.PHONY: load-test

load-test: setup
	$(PY) -m benchmarks.class_server --kernels $(KERNELS)
