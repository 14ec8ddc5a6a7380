"""Helpers of the Spark tests: settings on a copy of the project's config, a generated
sample's resolution, the small Spark properties the tests run with."""

from __future__ import annotations

import shutil
from pathlib import Path

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


def sample_settings(root: Path, **overrides):
    """Settings whose data and (copied) configuration live under ``root``."""
    from core.settings import PROJECT_DIR, Settings

    config_dir = root / "config"
    if not config_dir.exists():
        shutil.copytree(PROJECT_DIR / "config", config_dir)
    built = Settings(data_dir=root / "data", config_dir=config_dir, **overrides)
    built.ensure_dirs()
    return built


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
