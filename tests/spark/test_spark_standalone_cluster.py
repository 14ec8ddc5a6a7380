"""A Spark standalone master and worker on 127.0.0.1, started from the installed pyspark:
the identity run submitted to it gives the DuckDB engine's customers and ids."""

from __future__ import annotations

import pytest
from spark_samples import SMALL_SPARK, resolution, spark_copy

import identity

pytestmark = pytest.mark.slow


def test_identity_run_on_standalone_cluster_gives_duckdb_ids(
    spark_cluster, duckdb_resolved, tmp_path
):
    from pyspark.sql import SparkSession

    source, duckdb_records, duckdb_customers = duckdb_resolved
    settings = spark_copy(
        source,
        tmp_path,
        spark_master=spark_cluster.master_url,
        spark_conf={**SMALL_SPARK, "spark.executor.memory": "1g", "spark.cores.max": "1"},
    )

    identity.resolve(settings, full=True)

    session = SparkSession.getActiveSession()
    assert session is not None and session.sparkContext.master == spark_cluster.master_url
    assert resolution(settings) == (duckdb_records, duckdb_customers)
