# Two commands for a fresh machine:  make lab   |   make test
# Everything else here is a building block of those two, or a maintainer tool.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))

.PHONY: lab test lint setup data notebooks student bench bench-quick screenshots clean

# The runtime (what a learner needs); reinstalled whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "make: could not create \
	the virtual environment .venv with $(PYTHON). On Debian/Ubuntu: sudo apt-get install python3-venv, \
	then run make again." >&2; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

# The runtime plus the test tools (pytest, nbval, playwright, psutil, ruff); newer than $(STAMP).
$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

setup: $(STAMP) data

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
	AE_PROFILE=quick $(PY) -m pytest --nbval tests notebooks

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .

# Re-executes every notebook in place in the full profile (the committed outputs).
notebooks: setup
	AE_PROFILE=full $(PY) -m tools.execute $(NOTEBOOKS)

clean:
	rm -rf $(VENV) .pytest_cache artifacts

# Student edition of the exercises (solutions stubbed out, outputs cleared).
student: $(STAMP)
	$(PY) -m tools.student notebooks/05_exercises.ipynb notebooks/student/05_exercises.ipynb

# Benchmarks: book recipe vs the suite's, notebook timings, redraw latency, memory.
bench: setup
	$(PY) benchmarks/run.py

bench-quick: setup
	$(PY) benchmarks/run.py --quick

# Refreshes the README's explorer screenshots from a real JupyterLab in Chromium.
screenshots: $(TEST_STAMP) data
	AE_PROFILE=quick $(PY) -m pytest tests/browser -q --screenshots-dir docs/images
