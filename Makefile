# The two commands of the quick start are `make serve` and `make test`; both create the
# virtual environment on first use, so a fresh machine needs only python3 (with venv).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: venv serve test lint typecheck openapi bench bench-smoke soak container-test screenshots clean

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

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(BIN)/.installed
	$(BIN)/mypy

openapi: $(BIN)/.installed  ## Regenerate the schemas in openapi.yaml from the pydantic models.
	$(BIN)/python scripts/openapi_sync.py

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
