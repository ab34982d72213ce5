# The two commands of the quick start are `make serve` and `make test`; both create the
# virtual environment on first use, so a fresh machine needs only python3 (with venv).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: venv serve test test-fast test-live check lint format typecheck openapi openapi-check \
	bench bench-smoke soak container-test screenshots clean

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

serve: $(BIN)/.service-installed  ## Start the service on http://127.0.0.1:$(PORT) with the embedded defaults.
	$(BIN)/gunicorn --config service/gunicorn.conf.py --bind 127.0.0.1:$(PORT)

test: $(BIN)/.installed  ## Run the whole test suite (starts its own gunicorn processes).
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fast lane: the numpy core and everything in process (Flask's test client, the client
# against hand-written documents); no gunicorn, podman, Chromium or other subprocesses. The
# schemathesis module is all live, and its plugin alone costs ~10 s of collection.
FAST := -m "not live and not slow" -p no:schemathesis --ignore=tests/contract/test_schemathesis.py
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

container-test:
	bash tests/container/smoke.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
