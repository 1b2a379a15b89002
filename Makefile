# Quick start: `make demo` (set up + run the main job) and `make test` (set up + run the tests).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.tsrnn-installed

.PHONY: demo test bench docs clean

$(STAMP): setup.cfg pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt torch==2.13.0
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test,plot,docs]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/tsrnn demo --out demo_output

# Two pytest workers (pytest-xdist), one torch thread each: the CI machines have two cores. Work stealing: a
# worker that runs out of tests takes half of the other's queue (the long tests are collected first, see
# tests/conftest.py), so neither waits for the other at the end.
test: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -n 2 --dist worksteal

bench: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) benchmarks/run_all.py

docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html

clean:
	rm -rf $(VENV) demo_output docs/_build
