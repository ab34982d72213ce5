# The two commands of the quick start are `make serve` and `make test`; both create the
# virtual environment on first use, so a fresh machine needs only python3 (with venv).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# `make serve PORT=8001` (or PORT=8001 make serve) moves the service; NNTRACE_BIND, from the
# environment or the command line, sets the whole address and wins over PORT.
PORT   ?= 8000
NNTRACE_BIND ?= 127.0.0.1:$(PORT)
# The base of the image `make container-test` builds; a local one when no registry is reachable.
BASE_IMAGE ?= python:3.11-slim

# pytest keeps its assertion-rewritten test modules in __pycache__ (gitignored), which saves
# about 4 s of every run's collection; an environment that forbids bytecode would stop that.
unexport PYTHONDONTWRITEBYTECODE

# Where `make dist`, `make gradescope-zip` and `make serve` put (and find) the wheels.
DIST ?= dist

CLIENT_VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' client/src/nntrace/_version.py)
CLIENT_WHEEL   := $(DIST)/nntrace_client-$(CLIENT_VERSION)-py3-none-any.whl

.PHONY: venv serve test test-fast test-live check lint format typecheck openapi openapi-check \
	bench bench-smoke soak container-test screenshots dist gradescope-zip clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian, apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install -q --upgrade "pip>=25.1"

# Serving needs only the service; the test suite needs both packages and the dev groups.
$(BIN)/.service-installed: service/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ./service
	@touch $@

$(BIN)/.installed: service/pyproject.toml client/pyproject.toml pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ./service -e ./client --group dev
	@touch $(BIN)/.service-installed $@

venv: $(BIN)/.installed

# The client wheel the service offers at /client/ (pip alone builds it: no dev group needed).
$(CLIENT_WHEEL): client/pyproject.toml client/README.md $(wildcard client/src/nntrace/*.py) | $(BIN)/python
	$(BIN)/python -m pip wheel -q --no-deps --wheel-dir $(DIST) ./client

serve: $(BIN)/.service-installed $(CLIENT_WHEEL)  ## Start the service on http://$(NNTRACE_BIND) with the embedded defaults.
	@$(BIN)/python scripts/check_bind.py "$(NNTRACE_BIND)"
	NNTRACE_BIND="$(NNTRACE_BIND)" NNTRACE_CLIENT_WHEELS="$${NNTRACE_CLIENT_WHEELS:-$(abspath $(DIST))}" \
		exec $(BIN)/gunicorn --config service/gunicorn.conf.py

test: $(BIN)/.installed  ## Run the whole test suite (starts its own gunicorn processes).
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fast lane: the numpy core and everything in process (Flask's test client, the client
# against hand-written documents); no gunicorn, podman, Chromium or other subprocesses. The
# schemathesis module is all live, and its plugin alone costs ~10 s of collection. The
# framework importers' tests (tests/frameworks, the `frameworks` group) spend seconds importing
# PyTorch and Keras, so only `make test` runs them. pytest-xdist spreads the rest over the
# cores: the client's deadline tests wait on real sockets while the core computes.
FAST := -m "not live and not slow" -p no:schemathesis --ignore=tests/contract/test_schemathesis.py \
	--ignore=tests/frameworks -n auto --maxprocesses=4
test-fast: $(BIN)/.installed  ## Core and in-process tests, under a minute.
	$(BIN)/python -m pytest $(FAST) $(PYTEST_ARGS)

test-live: $(BIN)/.installed  ## Only the tests that start gunicorn, podman or Chromium.
	$(BIN)/python -m pytest -m "live" $(PYTEST_ARGS)

# Everything CI checks before it runs the tests (.ci/run calls this); also the pre-commit hooks.
check: lint typecheck openapi-check  ## Lint, format check, types, OpenAPI in sync.

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(BIN)/.installed  ## Apply ruff's fixes and formatting.
	$(BIN)/ruff check --fix-only .
	$(BIN)/ruff format .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

openapi: $(BIN)/.installed  ## Regenerate the schemas in openapi.yaml from the pydantic models.
	$(BIN)/python scripts/openapi_sync.py

openapi-check: $(BIN)/.installed  ## Fail if openapi.yaml's schemas differ from the pydantic models.
	$(BIN)/python scripts/openapi_sync.py --check

bench: $(BIN)/.installed
	$(BIN)/python -m pip install -q --group bench
	$(BIN)/python bench/run_all.py

soak: $(BIN)/.installed  ## Five minutes of load on one gunicorn: memory and latency must stay flat.
	$(BIN)/python bench/soak_bench.py

bench-smoke: $(BIN)/.installed
	$(BIN)/python -m pip install -q --group bench
	$(BIN)/python bench/run_all.py --smoke

screenshots: $(BIN)/.installed  ## The explorer's preset screenshots into docs/screenshots/ (needs chromium).
	NNTRACE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest tests/explorer/test_presets.py -k photographed -q

container-test:  ## Build the image with Docker or podman on BASE_IMAGE, run it and smoke-test it.
	@BASE_IMAGE="$(BASE_IMAGE)" bash tests/container/smoke.sh

dist: $(BIN)/.installed  ## Build the service and client wheels into dist/ (python -m build).
	$(BIN)/python -m build --wheel --outdir $(DIST) service
	$(BIN)/python -m build --wheel --outdir $(DIST) client

gradescope-zip: $(CLIENT_WHEEL)  ## dist/gradescope-autograder.zip: the Gradescope example with the client wheel.
	$(BIN)/python scripts/gradescope_zip.py --wheel $(CLIENT_WHEEL) \
		--out $(DIST)/gradescope-autograder.zip $(if $(NNTRACE_URL),--url "$(NNTRACE_URL)") \
		$(if $(GRADING),--grading "$(GRADING)") $(if $(NNTRACE_API_KEY),--api-key-from-env)

clean:
	rm -rf $(VENV) $(DIST) .pytest_cache .mypy_cache .ruff_cache
