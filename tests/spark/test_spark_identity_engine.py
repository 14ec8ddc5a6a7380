"""The Spark engine resolves a generated sample into the same customers, with the same
customer ids, as the DuckDB engine, from the same saved model (trained on DuckDB), and
leaves them in the lake for the marts.

Slow: Spark pays a JVM start and a job per Splink step on a 2-core machine (6 min measured
at load 23; 269 s at load 25-40 with core.spark's local JVM options).
"""

from __future__ import annotations

import pytest
from spark_samples import SAMPLE_PEOPLE, resolution, spark_copy

import identity

pytestmark = pytest.mark.slow


def test_spark_engine_gives_duckdb_engine_customers_and_ids(duckdb_resolved, tmp_path):
    import duckdb

    from core.lake import files, uri

    source, duckdb_records, duckdb_customers = duckdb_resolved
    settings = spark_copy(source, tmp_path, spark_master="local[1]")

    summary = identity.resolve(settings, full=True)

    records, customers = resolution(settings)
    assert summary["customers"] == len(duckdb_customers)
    assert len(records) > SAMPLE_PEOPLE  # several records per person: links were made
    assert records == duckdb_records
    assert customers == duckdb_customers
    in_lake = files(uri(settings, "identity", "customer_records"))
    assert (
        duckdb.connect()
        .execute(f"select record_id, customer_id from read_parquet('{in_lake}') order by 1")
        .fetchall()
        == duckdb_records
    )
    assert not (tmp_path / "data" / "lake" / "_work").exists()  # personal data not kept
