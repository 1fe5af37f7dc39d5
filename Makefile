# Two entry points for a fresh machine (Python 3.11, pip, make, git):
#   make demo   set up, build the demo (synthetic exports → ingest → release) and open the dashboard
#   make test   set up and run the whole test suite (what CI runs)
#   make test-fast   the inner loop: spec and app tests only
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-fast lint audit bench bench-smoke lock clean-demo

$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	# fails when pyproject.toml asks for something the lock lacks: run `make lock`
	$(BIN)/python -m pip install --quiet --no-index --no-build-isolation --dry-run -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# The demo lives in data/demo/ (git-ignored) when started from the checkout; an installed `binc demo`
# uses $BINC_DEMO_DIR or ~/.local/share/binc-demo.
demo: setup
	BINC_DEMO_DIR=$(CURDIR)/data/demo $(BIN)/binc serve --demo

# Static checks: style, the layer contracts (import-linter, [tool.importlinter] in pyproject.toml)
# and the types (mypy, [tool.mypy]).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

# On both cores (pytest-xdist); the tests that drive chromium run one after another on one worker
# (tests/conftest.py), the rest are shared out.
test: lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# The inner loop: exact-behaviour specs and the dashboard's pages in AppTest (well under a minute).
test-fast: setup
	$(BIN)/python -m pytest -q -n 2 tests/spec tests/app

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

# Every benchmark script at a tiny size (about a minute on 2 cores, two at a time): each must exit 0
# and print its figures, so the scripts cannot rot. CI runs it.
bench-smoke: setup
	$(BIN)/python benchmarks/smoke.py

# Re-pin every dependency with hashes (Linux, Python 3.11) after changing pyproject.toml's
# dependencies; keeps existing pins (add --upgrade to the pip-compile line to move them all).
# Extras stay in the pins (cachecontrol[filecache]==…): pip-audit asks for CacheControl[filecache],
# and with the extra stripped, pip --require-hashes took that request as unpinned whenever PyPI
# offered a newer release (cachecontrol 0.15.0) and refused the whole install.
lock:
	tmp=$$(mktemp -d) && $(PYTHON) -m venv $$tmp && $$tmp/bin/python -m pip install --quiet pip-tools==7.7.0 && \
	PIP_CONFIG_FILE=/dev/null $$tmp/bin/pip-compile --quiet --generate-hashes --allow-unsafe --no-strip-extras --extra dev \
	  --no-emit-index-url --no-emit-find-links -o requirements-dev.lock pyproject.toml; \
	status=$$?; rm -rf $$tmp; exit $$status

clean-demo:
	rm -rf data/demo
