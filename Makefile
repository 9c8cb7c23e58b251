# Two commands do everything: `make lab` and `make test`. Both create .venv on first use.
# `make test-oldest` runs the unit tests and one notebook against the oldest torch/torchvision we support.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
# What the tests run with: small sizes, no downloads, no GPU, no windows, and one torch thread per pytest worker
# (two workers of two threads each on two cores share them worse: `benchmarks/README.md`, "Test time").
TEST_ENV := GAN_FAST=1 GAN_OFFLINE=1 GAN_DEVICE=cpu PYTHONHASHSEED=0 OMP_NUM_THREADS=1
# A second environment with the oldest torch/torchvision that requirements.txt admits (constraints-oldest.txt).
OLDEST := .venv-oldest
OLDEST_PY := $(OLDEST)/bin/python
# What test-oldest runs on the oldest torch: a smoke run of what depends on torch's version (imports and models,
# precision, a train + resume round trip, checkpoint files and the shipped generator, the recipes' fingerprints),
# that the environment holds exactly constraints-oldest.txt, and the shortest notebook in FAST mode. The whole suite
# runs on the locked versions in `make test`.
OLDEST_TESTS ?= tests/test_models.py tests/test_precision.py tests/test_train.py tests/test_checkpoint_files.py \
  tests/test_pretrained.py tests/test_recipes.py tests/test_repository.py::test_requirements_conda_and_lock_agree \
  notebooks/01_autoencoder_recap.ipynb

.PHONY: venv lab test test-oldest unit notebooks sync lint lock lock-oldest clean

# uv installs the exact versions of constraints.txt from the package index. It ignores
# pip's local wheel folder, whose torch build does not match the index's torchvision.
$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --isolated --quiet --disable-pip-version-check "uv>=0.4"
	$(VENV)/bin/uv pip install --python $(PY) -r requirements-dev.txt -c constraints.txt -e .
	touch $@

venv: $(STAMP)

# The same, for the oldest-versions environment; PyPI's torch for Linux is a CUDA build (about 3 GB with
# its nvidia-* packages, which it needs even to import on a CPU).
$(OLDEST)/.installed: requirements.txt requirements-dev.txt constraints-oldest.txt pyproject.toml
	test -x $(OLDEST_PY) || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST_PY) -m pip install --isolated --quiet --disable-pip-version-check "uv>=0.4"
	$(OLDEST)/bin/uv pip install --python $(OLDEST_PY) -r requirements-dev.txt -c constraints-oldest.txt -e .
	touch $@

lab: venv  ## start JupyterLab in notebooks/ (ARGS=--no-browser for headless use)
	cd notebooks && ../$(VENV)/bin/jupyter lab $(ARGS)

test: venv  ## unit tests, repository checks and every notebook under nbval, in FAST mode
	$(TEST_ENV) $(PY) -m pytest -n 2 --dist loadfile --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider tests notebooks $(ARGS)

test-oldest: $(OLDEST)/.installed  ## a smoke run (OLDEST_TESTS, one notebook under nbval) on the oldest supported torch
	$(TEST_ENV) GAN_LOCK=constraints-oldest.txt $(OLDEST_PY) -m pytest -n 2 --dist loadfile --nbval \
	  --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider $(OLDEST_TESTS) $(ARGS)

unit: venv  ## only the fast unit tests of helpers/
	$(TEST_ENV) $(PY) -m pytest -p no:cacheprovider tests $(ARGS)

notebooks: venv  ## re-execute every notebook with full settings, in place (slow: see README)
	for nb in $(NOTEBOOKS); do \
	  echo "== $$nb"; $(PY) scripts/execute_notebook.py "$$nb" || exit 1; \
	  $(VENV)/bin/jupytext --to py:percent "$$nb"; done

sync: venv  ## bring each .ipynb and its .py twin together: the newer side wins, outputs are kept
	for nb in $(NOTEBOOKS); do $(VENV)/bin/jupytext --sync "$$nb" || exit 1; done

lint: venv  ## ruff: lint everything, and the layout of all but the notebooks (`ruff format .` fixes that)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lock: venv  ## rewrite constraints.txt from what .venv holds (after an upgrade that passed `make test`)
	{ sed -n '1,2p' constraints.txt; $(VENV)/bin/uv pip freeze --python $(PY) --exclude-editable \
	  | grep -v -E '^(uv|pip|setuptools)=='; } > constraints.tmp && mv constraints.tmp constraints.txt

# constraints.txt with torch and torchvision at requirements.txt's lower bounds (what test-oldest installs).
lock-oldest: venv
	rm -rf $(OLDEST).lock && $(PYTHON) -m venv $(OLDEST).lock
	{ grep -v -E '^(#|torch|torchvision|triton|sympy|nvidia-|cuda-)' constraints.txt; \
	  sed -n -E 's/^(torch|torchvision)>=/\1==/p' requirements.txt; } > $(OLDEST).lock/c.txt
	$(VENV)/bin/uv pip install --python $(OLDEST).lock/bin/python -r requirements-dev.txt -c $(OLDEST).lock/c.txt
	{ sed -n '1,2p' constraints-oldest.txt; $(VENV)/bin/uv pip freeze --python $(OLDEST).lock/bin/python \
	  | grep -v -E '^(uv|pip|setuptools)=='; } > constraints.tmp && mv constraints.tmp constraints-oldest.txt
	rm -rf $(OLDEST).lock

clean:
	rm -rf $(VENV) $(OLDEST) data/cache
