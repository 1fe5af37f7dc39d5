# Two entry points for a fresh machine (Python 3.11, pip, make, git):
#   make demo   set up, build the demo (synthetic exports → ingest → release) and open the dashboard
#   make test   set up and run the whole test suite (what CI runs)
#   make test-fast   the inner loop: spec and app tests only
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-fast lint audit bench bench-smoke clean-demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# The demo lives in data/demo/ (git-ignored) when started from the checkout; an installed `binc demo`
# uses $$BINC_DEMO_DIR or ~/.local/share/binc-demo.
demo: setup
	BINC_DEMO_DIR=$(CURDIR)/data/demo $(BIN)/binc serve --demo

# Static checks: style, the layer contracts (import-linter, [tool.importlinter] in pyproject.toml)
# and the types (mypy, [tool.mypy]).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

# The inner loop: exact-behaviour specs and the dashboard's pages in AppTest (well under a minute).
test-fast: setup
	$(BIN)/python -m pytest -q tests/spec tests/app

# Known vulnerabilities in the installed dependencies (pip-audit); fails only on a finding, and
# says so loudly when the vulnerability service cannot be reached (BINC_AUDIT_STRICT=1: fail then too).
audit: setup
	$(BIN)/python scripts/audit_dependencies.py

bench: setup
	$(BIN)/python benchmarks/bench_ingest.py --children 620000
	$(BIN)/python benchmarks/bench_release.py --rows 1000000 10000000
	BINC_DEMO_DIR=$(CURDIR)/data/demo $(BIN)/binc demo
	$(BIN)/python benchmarks/bench_dashboard.py --runs 10 --fresh 5
	$(BIN)/python benchmarks/load_serve.py --sessions 50 --duration 60

clean-demo:
	rm -rf data/demo
