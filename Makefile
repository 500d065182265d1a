# Two commands for a fresh machine:  make lab   |   make test
# Everything else here is a building block of those two, or a maintainer tool.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))

.PHONY: lab test setup data notebooks student bench bench-quick screenshots clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)

setup: $(STAMP) data

# Finds Fashion-MNIST offline (or downloads it) and verifies its checksums.
data: $(STAMP)
	$(PY) -m helpers.data

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

# Unit tests, strict nbval on every notebook (quick profile), browser tests.
test: setup
	AE_PROFILE=quick $(PY) -m pytest --nbval tests notebooks

# Re-executes every notebook in place in the full profile (the committed outputs).
notebooks: setup
	AE_PROFILE=full $(PY) -m helpers.execute $(NOTEBOOKS)

clean:
	rm -rf $(VENV) .pytest_cache artifacts

# Student edition of the exercises (solutions stubbed out, outputs cleared).
student: $(STAMP)
	$(PY) -m helpers.student notebooks/05_exercises.ipynb notebooks/student/05_exercises.ipynb

# Benchmarks: book recipe vs the suite's, notebook timings, redraw latency, memory.
bench: setup
	$(PY) benchmarks/run.py

bench-quick: setup
	$(PY) benchmarks/run.py --quick

# Refreshes the README's explorer screenshots from a real JupyterLab in Chromium.
screenshots: setup
	AE_PROFILE=quick $(PY) -m pytest tests/browser -q --screenshots-dir docs/images
