# make demo: set up .venv, then train the tutorial's network on the digits and show what it learned
# make test: set up .venv with the test extras, then lint (ruff, mypy) and run the whole test suite
#   on every core (pytest-xdist; tests that must not share the machine's ports, timing or
#   browser run on one worker: tests/conftest.py), listing the ten slowest
# make serve: set up .venv with the web extra only, then serve the pages
# make docs: set up .venv with the docs extra, then build the site into docs/_build/html
#   (warnings are errors; nitpicky: every reference to a neuralpath name must resolve)
# make bench: set up .venv with the torch extra only (PyTorch's rows), then time the trainings
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: demo test lint bench tutorial serve docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.base: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.web: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[web]'
	touch $(VENV)/.base $@

$(VENV)/.bench: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[torch]'
	touch $(VENV)/.base $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test,web]'
	touch $(VENV)/.base $(VENV)/.web $(VENV)/.bench $@

$(VENV)/.docs: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[docs,web]'
	touch $(VENV)/.base $(VENV)/.web $@

demo: $(VENV)/.base
	$(BIN)/neuralpath train --preset tutorial --seed 0

test: lint
	$(BIN)/python -m pytest -n auto --dist loadgroup --durations=10

lint: $(VENV)/.test
	$(BIN)/ruff check src tests benchmarks scripts examples
	$(BIN)/mypy

tutorial: $(VENV)/.base
	$(BIN)/neuralpath tutorial

bench: $(VENV)/.bench
	$(BIN)/python benchmarks/train_speed.py --repeat 3

serve: $(VENV)/.web
	$(BIN)/neuralpath serve

docs: $(VENV)/.docs
	$(BIN)/python -m sphinx -b html -W --keep-going -n docs docs/_build/html

clean:
	rm -rf $(VENV) runs .pytest_cache src/*.egg-info docs/_build docs/_generated
