# Two commands do everything: `make lab` and `make test`. Both create .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
# What the tests run with: small sizes, no downloads, no GPU, no windows.
TEST_ENV := GAN_FAST=1 GAN_OFFLINE=1 GAN_DEVICE=cpu PYTHONHASHSEED=0

.PHONY: venv lab test unit notebooks sync lint lock clean

# uv installs the exact versions of constraints.txt from the package index. It ignores
# pip's local wheel folder, whose torch build does not match the index's torchvision.
$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --isolated --quiet --disable-pip-version-check "uv>=0.4"
	$(VENV)/bin/uv pip install --python $(PY) -r requirements-dev.txt -c constraints.txt -e .
	touch $@

venv: $(STAMP)

lab: venv  ## start JupyterLab in notebooks/ (ARGS=--no-browser for headless use)
	cd notebooks && ../$(VENV)/bin/jupyter lab $(ARGS)

test: venv  ## unit tests, repository checks and every notebook under nbval, in FAST mode
	$(TEST_ENV) $(PY) -m pytest -n 2 --dist loadfile --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider tests notebooks $(ARGS)

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

clean:
	rm -rf $(VENV) data/cache
