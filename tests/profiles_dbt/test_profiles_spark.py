"""The dbt project's spark target gives the DuckDB build's figures (docs/scale.md).

Each test builds one warehouse's marts on DuckDB, writes its raw and identity tables to the
Parquet lake, builds the same models with dbt-spark in local mode over the lake, and reads
what Spark wrote (Parquet tables in the lake's warehouse directory) with DuckDB.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from contextlib import contextmanager
from datetime import date

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("dbt.adapters.spark")

# One driver, one core: the machine is shared; the figures do not depend on parallelism.
MASTER = "local[1]"


def _duckdb_rows(settings, sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _lake_rows(sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect()
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _spark_settings(settings):
    return settings.model_copy(update={"spark_master": MASTER})


@contextmanager
def _models_only():
    """Build the selected models without their data tests: those ran on DuckDB, and on Spark
    each one is a job of its own (seconds, where DuckDB takes milliseconds)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_INDIRECT_SELECTION", "empty")
        yield


@pytest.mark.slow  # 250 s on the loaded 2-core machine, mostly the JVM and metastore start
def test_identified_customers_are_the_same_rows_on_spark(built_settings):
    """Lake sources, two staging views and the ordered listagg of int_customers_identified
    (sources present, 'loyalty_card,web_account,...' in name order) match DuckDB row for row.
    """
    from spark_lake import spark_table, write_lake

    from profiles import build_profiles

    settings = _spark_settings(built_settings)
    write_lake(settings)
    with _models_only():
        result = build_profiles(settings, select="+int_customers_identified", target="spark")
    assert result.success

    columns = "customer_id, record_count, sources_present, source_count"
    expected = _duckdb_rows(
        settings,
        f"select {columns} from intermediate.int_customers_identified order by customer_id",
    )
    table = spark_table(settings, "intermediate", "int_customers_identified")
    built = _lake_rows(f"select {columns} from {table} order by customer_id")
    assert expected, "the fixture warehouse has identified customers"
    assert built == expected


def _key_figures(rows_of, profile: str, segments: str) -> dict:
    (customers, revenue, orders), *_ = rows_of(
        f"select count(*), sum(lifetime_revenue), sum(order_count) from {profile}"
    )
    by_segment = dict(rows_of(f"select segment, count(*) from {segments} group by segment"))
    return {"customers": customers, "revenue": revenue, "orders": orders, "segments": by_segment}


@pytest.fixture(scope="module")
def sample_on_both_engines(tmp_path_factory):
    """The demo-sized sample (5,000 people) resolved once, its marts built on both engines."""
    from spark_lake import write_lake

    import identity
    import ingestion
    from core.settings import Settings
    from profiles import build_profiles
    from sample_data import generate

    logging.getLogger("splink").setLevel(logging.ERROR)
    settings = Settings(data_dir=tmp_path_factory.mktemp("spark") / "data", spark_master=MASTER)
    settings.ensure_dirs()
    generate(settings, people=5000, seed=42, batches=2, end_date=date(2026, 10, 31))
    try:
        ingestion.ingest(settings)
    except ingestion.IngestionError:
        pass  # a file the generator malformed on purpose; the others are loaded
    identity.resolve(settings, full=True)
    build_profiles(settings, target="duckdb")
    write_lake(settings)
    # The Spark build runs as `cdp profiles build` in a process of its own, as an Airflow task
    # would: the embedded Hive metastore stays bound to the first data folder a JVM opened,
    # and this process's JVM already serves the other test's.
    env = {
        **os.environ,
        "CDP_DATA_DIR": str(settings.data_dir),
        "CDP_SPARK_MASTER": MASTER,
        "DBT_INDIRECT_SELECTION": "empty",  # the models the key figures come from, no tests
    }
    command = ["profiles", "build", "--target", "spark", "--select", "+customer_segments"]
    built = subprocess.run(
        [sys.executable, "-m", "cdp.cli", *command], env=env, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return settings


@pytest.mark.slow
def test_customer_profile_key_figures_equal_on_spark_and_duckdb(sample_on_both_engines):
    """Customers, lifetime revenue to the cent, orders and customers per segment."""
    from spark_lake import spark_table

    settings = sample_on_both_engines
    on_duckdb = _key_figures(
        lambda sql: _duckdb_rows(settings, sql), "marts.customer_profile", "marts.customer_segments"
    )
    on_spark = _key_figures(
        _lake_rows,
        spark_table(settings, "marts", "customer_profile"),
        spark_table(settings, "marts", "customer_segments"),
    )
    assert on_duckdb["customers"] > 3000, on_duckdb  # the demo sample, not an empty build
    assert on_spark == on_duckdb
