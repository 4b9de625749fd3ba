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
# Test files run in parallel, one file per worker (its session fixtures convert once and
# start one subprocess per backend). Each worker holds TensorFlow, JAX and torch (~3 GB),
# so at most 4 workers, whatever the core count.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)

.PHONY: demo test install lint fixtures bench bench-fleet fuzz clean browser

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

# The report page is tested in a real headless browser (tests/fleet/test_batch.py): Debian's
# chromium and its driver, installed here when missing (browser builds that download
# themselves are not available). Needs root and apt-get; elsewhere install them yourself.
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "note: chromium and chromium-driver are missing; the browser test is skipped (and fails under CI=true)"; fi

# tests/fuzz forks its workers, which is only safe in a process that has not imported a
# multithreaded framework (JAX, TensorFlow, torch): it runs first, in its own process.
test: $(STAMP) browser
	$(BIN)/python -m pytest -q -p no:xdist tests/fuzz
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --ignore=tests/fuzz $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check keras_migrate tests bench fixtures fuzz
	$(BIN)/mypy

# Regenerate fixtures with genuine legacy Keras (downloads old Keras into fixtures/.cache).
fixtures: $(STAMP)
	$(BIN)/python fixtures/generate.py

bench: $(STAMP)
	$(BIN)/python bench/bench_convert.py

# Batch convert+verify against one `convert --verify` process per model (bench/README.md).
bench-fleet: $(STAMP)
	$(BIN)/python bench/bench_fleet.py --limit 12

# Fuzz the readers with mutated copies of the fixtures (docs/fuzzing.md); not part of `make test`.
# Exits 1 if any input crashes, hangs, runs out of memory or breaks the output contract.
FUZZ_COUNT ?= 10000
FUZZ_SEED  ?= 1
FUZZ_JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_ARGS  ?= --load-check 0.02 --load-check-min 10
fuzz: $(STAMP)
	$(BIN)/python -m fuzz run --count $(FUZZ_COUNT) --seed $(FUZZ_SEED) --jobs $(FUZZ_JOBS) \
		--report fuzz-report.json --strict $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
