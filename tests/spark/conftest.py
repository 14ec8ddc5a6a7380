"""Spark fixtures: a generated sample in a real warehouse, its DuckDB resolution, and a
standalone Spark cluster on 127.0.0.1 (core.spark_cluster), stopped by PID at teardown.

Spark stays small here (one core, 2 GB driver): the machine is shared.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
SAMPLE_PEOPLE = 300
# One shuffle partition: the sample is tiny and every extra task costs. A JVM that only
# compiles with C1 and collects serially spends its CPU on the run, not on the JIT (about a
# quarter less wall time here, more on the clustering's many small jobs).
QUICK_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
SMALL_SPARK = {
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "1",
    "spark.driver.extraJavaOptions": QUICK_JVM,
    "spark.executor.extraJavaOptions": QUICK_JVM,
}


@pytest.fixture(scope="module", autouse=True)
def _stop_spark_after_module():
    # the driver JVM holds ~0.5 GB: not for the rest of the suite
    yield
    from core.spark import stop_spark_session

    stop_spark_session()


def sample_settings(root: Path, **overrides):
    from core.settings import PROJECT_DIR, Settings

    config_dir = root / "config"
    if not config_dir.exists():
        shutil.copytree(PROJECT_DIR / "config", config_dir)
    built = Settings(data_dir=root / "data", config_dir=config_dir, **overrides)
    built.ensure_dirs()
    return built


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


def resolution(settings) -> tuple[list[tuple], list[tuple]]:
    """Who is whom: (record, customer) pairs and (customer, record count, flags) rows."""
    from core.warehouse import connect

    with connect(settings) as con:
        records = con.execute(
            "select record_id, customer_id from identity.customer_records order by 1"
        ).fetchall()
        customers = con.execute(
            "select customer_id, is_active, is_anonymous, record_count, is_oversized "
            "from identity.customers order by 1"
        ).fetchall()
    return records, customers


def spark_copy(source, root: Path, **overrides):
    """Settings on a copy of ``source``'s landing files and model, with the Spark engine."""
    from ingestion.load import ingest

    overrides.setdefault("spark_conf", SMALL_SPARK)
    settings = sample_settings(root, engine="spark", **overrides)
    shutil.copytree(source.landing_dir, settings.landing_dir, dirs_exist_ok=True)
    shutil.copytree(source.model_dir, settings.model_dir, dirs_exist_ok=True)
    ingest(settings)
    return settings


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
