"""Spark fixtures: a generated sample in a real warehouse, its DuckDB resolution, and a
standalone Spark cluster on 127.0.0.1 (core.spark_cluster), stopped by PID at teardown.

Spark stays small here (one core, 2 GB driver): the machine is shared.
"""

from __future__ import annotations

import os

import pytest
from spark_samples import SAMPLE_PEOPLE, resolution, sample_settings

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


@pytest.fixture(scope="module", autouse=True)
def _stop_spark_after_module():
    # the driver JVM holds ~0.5 GB: not for the rest of the suite
    yield
    from core.spark import stop_spark_session

    stop_spark_session()


@pytest.fixture(scope="module")
def duckdb_resolved(tmp_path_factory):
    """A `cdp generate` sample ingested and resolved on DuckDB (the model trained there);
    returns (settings, customer_records rows, customers rows)."""
    import identity
    from ingestion.load import ingest
    from sample_data.generate import generate

    settings = sample_settings(tmp_path_factory.mktemp("duckdb_engine"))
    generate(settings, people=SAMPLE_PEOPLE, seed=7)
    ingest(settings)
    identity.train(settings)
    identity.resolve(settings, full=True)
    return settings, *resolution(settings)


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory):
    """A standalone master and one worker (1 core, 1 GB) on 127.0.0.1, for the session."""
    import signal
    import sys

    from core.spark_cluster import LocalCluster

    # A run stopped from outside (`timeout`, CI cancelling) gets SIGTERM: turned into an exit,
    # it still runs this teardown, so no master or worker outlives the session.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        with LocalCluster(work_dir=tmp_path_factory.mktemp("spark_cluster")) as cluster:
            yield cluster
    finally:
        signal.signal(signal.SIGTERM, previous)
