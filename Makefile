# One Makefile for the whole project. `make demo` and `make test` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Telemetry off everywhere (dbt, Cosmos/Scarf); Airflow examples off.
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export DO_NOT_TRACK := 1
export SCARF_NO_ANALYTICS := true
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export SPARK_LOCAL_IP := 127.0.0.1

.PHONY: install demo test test-all lint format check bench clean airflow browser serve

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -m pip install --quiet -e '.[dev]' 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import cdp.cli, duckdb, splink, airflow, dbt, great_expectations"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m cdp.demo

# Airflow UI + scheduler on http://127.0.0.1:8080 (user admin; password: docs/airflow.md).
airflow: $(STAMP)
	$(BIN)/python -m cdp.airflow_env serve

# The console's browser test drives the distribution's Chromium through Playwright
# (Playwright's own browser download is not reachable offline); Debian/Ubuntu package.
CHROMIUM := /usr/bin/chromium
browser: $(CHROMIUM)
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "install Chromium at $(CHROMIUM) with your distribution's packages"; exit 1; }
	SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends chromium

# The API and console on http://127.0.0.1:8600 (docs/api.md, docs/console.md).
serve: $(STAMP)
	$(BIN)/cdp serve

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest

test-all: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -m "slow or not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf data/warehouse data/exports data/reports data/airflow data/models

# The gates CI runs before the tests: Python lint and format, SQL lint, types.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models --processes 2
	$(BIN)/mypy
