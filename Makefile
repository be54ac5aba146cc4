# Set-up and the two everyday jobs. `make demo` and `make test` each build .venv first if needed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export OMP_WAIT_POLICY ?= PASSIVE
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: setup demo test test-all lint

setup: $(VENV)/.installed

# torch first, pinned to the CPU wheel 2.13.0: an unpinned torch would pull several GB of CUDA.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev,postgres,optuna,automl,viz,server,dask,bench]'
	touch $@

demo: setup
	$(VENV)/bin/pfnopt demo

test: setup
	$(PY) -m pytest -q

test-all: setup
	$(PY) -m pytest -q -m ''

lint: setup
	$(VENV)/bin/ruff check .
