# Two commands set everything up on a fresh machine:
#   make demo   create .venv, install with every backend, convert and verify a bundled legacy model
#   make test   install what the tests need and run them
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
STAMP  := $(VENV)/.installed
DEMO_MODEL ?= fixtures/keras-2.2.4/conv2d_channels_first.h5
PYTEST_ARGS ?=

.PHONY: demo test install lint fixtures bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the project's dependency files change.
$(STAMP): pyproject.toml constraints/dev.txt | $(BIN)/python
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints/dev.txt torch==2.13.0
	$(PIP) install --quiet -c constraints/dev.txt -e ".[all,test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@mkdir -p out
	$(BIN)/keras-migrate inspect $(DEMO_MODEL)
	$(BIN)/keras-migrate convert $(DEMO_MODEL) -o out/demo.keras --force --verify --backends jax,torch,tensorflow

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check keras_migrate tests bench fixtures
	$(BIN)/mypy

# Regenerate fixtures with genuine legacy Keras (downloads old Keras into fixtures/.cache).
fixtures: $(STAMP)
	$(BIN)/python fixtures/generate.py

bench: $(STAMP)
	$(BIN)/python bench/bench_convert.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
