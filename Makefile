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

.PHONY: install java demo test test-all lint format check bench clean distclean airflow browser serve schemas

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]' 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import cdp.cli, duckdb, splink, airflow, dbt, great_expectations, pyspark"
	touch $(STAMP)

install: $(STAMP) java
	@$(BIN)/cdp --version

# The Spark engine (docs/scale.md) and its tests need a Java runtime: pyspark brings Spark's
# jars, not the JVM. Installed from the distribution's packages (headless JRE 17) when
# `java` is missing; elsewhere, install one yourself (any JRE 17 or 21).
java:
	@command -v java >/dev/null && exit 0; \
	command -v apt-get >/dev/null || { echo "java is missing: install a JRE 17 (the Spark engine needs it) with your system's packages"; exit 1; }; \
	echo "java is missing: installing openjdk-17-jre-headless (Debian/Ubuntu packages) for the Spark engine"; \
	SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends openjdk-17-jre-headless

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

# One worker per core (at most 4): the suite is mostly one-threaded Python waiting on DuckDB,
# dbt and Airflow; tests/conftest.py keeps each warehouse-building folder on one worker.
TEST_WORKERS ?= auto
PARALLEL = -n $(TEST_WORKERS) --maxprocesses 4 --dist loadscope

test: $(STAMP) $(CHROMIUM) java
	$(BIN)/python -m pytest $(PARALLEL)

test-all: $(STAMP) $(CHROMIUM) java
	$(BIN)/python -m pytest $(PARALLEL) -m "slow or not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .

# The golden-record JSON Schema is generated from its pydantic model (activation/golden_record.py).
schemas: $(STAMP)
	$(BIN)/python -m activation.golden_record

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

# Everything the project generates: the whole data/ folder (sample exports, truth, warehouse,
# exports, reports, Airflow home, models, dbt target, benchmark data under data/bench/),
# dbt's folders in the source tree, bench results, notebook and tool caches.
# Kept: the source, config/, docs/, the venv and its install record (*.egg-info);
# `make distclean` removes those too.
clean:
	rm -rf data dbt_project/target dbt_project/logs dbt_project/dbt_packages logs bench/results
	rm -rf .pytest_cache .ruff_cache .mypy_cache .sqlfluff_cache notebooks/__marimo__ notebooks/__pycache__
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	@echo "clean: generated files removed; kept the source, config/, docs/, $(VENV)/ and its *.egg-info"

distclean: clean
	rm -rf $(VENV) *.egg-info

# The gates CI runs before the tests: Python lint and format, SQL lint, types.
# They need only their tools: with a venv present nothing is reinstalled and nothing reaches
# the network (even when pyproject.toml is newer than the install stamp); a fresh clone
# installs first. sqlfluff renders the models with its jinja templater (.sqlfluff): no dbt
# connection, no warehouse needed.
GATE_TOOLS := $(BIN)/ruff $(BIN)/sqlfluff $(BIN)/mypy
$(GATE_TOOLS):
	$(MAKE) --no-print-directory install

check: | $(GATE_TOOLS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models --processes 2
	$(BIN)/mypy
