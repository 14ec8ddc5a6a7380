"""The Spark session of the Spark engine (``CDP_ENGINE=spark``, docs/scale.md).

One place builds it from settings: the master (``CDP_SPARK_MASTER``), the defaults below and
the installation's own properties (``CDP_SPARK_CONF``, which win). The session is shared by
everything in the process; asking for another master stops the running one first.
"""

from __future__ import annotations

import logging
import os
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from core.settings import Settings

log = logging.getLogger(__name__)

# Small and quiet by default: an embedded local run shares the machine with DuckDB and
# Airflow. A cluster's own sizing goes into CDP_SPARK_CONF.
DEFAULT_CONF = {
    "spark.app.name": "cdp",
    "spark.driver.memory": "2g",
    # Spark's 200 shuffle partitions cost ~200 tasks per shuffle, each a few ms of scheduling
    # even when empty: on a few cores that is most of a small job. 8 unless the cores are
    # known (`shuffle_partitions`); CDP_SPARK_CONF sets it for a real cluster.
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.session.timeZone": "UTC",
    # No broadcast join chosen when planning, from Parquet file sizes: a compressed file
    # says little about the hash table built from it (Splink's blocking on 100k records
    # broadcast 17 tables of 17 MiB each, all held by the driver at once, from a 3.4 MiB
    # file). Adaptive execution still broadcasts a side measured under 10 MB once its
    # shuffle has run (term-frequency tables, a small run's sides). docs/scale.md
    "spark.sql.autoBroadcastJoinThreshold": "-1",
    "spark.sql.adaptive.autoBroadcastJoinThreshold": "10MB",
    # A join whose shuffled partitions are all under 64 MB is a shuffled hash join, not a
    # sort-merge join: Splink's blocking is 17 self-joins of the records, and sorting both
    # sides of each cost 109 CPU s on 1M records where hashing one side cost 64.5 (same
    # pairs). Larger partitions keep the sort-merge join, which spills to disk. docs/scale.md
    "spark.sql.adaptive.maxShuffledHashJoinLocalMapThreshold": "64MB",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # Parquet dates and timestamps as written by DuckDB, without rebasing guesses
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
}
# The driver listens on loopback unless told otherwise: a local or 127.0.0.1 master needs
# nothing more, and nothing gets exposed on the network by default.
LOOPBACK_CONF = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}
# JVMs on this machine (a local master, or a standalone cluster on loopback) live for one
# run of a few minutes, most of it planning ~60 small queries: the optimising JIT compiler
# (C2) and G1's concurrent threads cost more CPU than they return. C1 only and the parallel
# collector cut a 20k-record run's CPU by a third on 2 cores (docs/scale.md). A remote
# cluster's long-lived executors keep the JVM's defaults.
LOCAL_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC"
LOCAL_JVM_CONF = {
    "spark.driver.extraJavaOptions": LOCAL_JVM_OPTIONS,
    "spark.executor.extraJavaOptions": LOCAL_JVM_OPTIONS,
}


# Options of Splink's SparkAPI, given in CDP_SPARK_CONF beside Spark's own properties (they
# are not passed to Spark): `splink.break_lineage_method` (how Splink cuts the lineage of its
# intermediate tables: `persist` caches them in the executors, `parquet` writes them to the
# lake's work area, `checkpoint` to the checkpoint directory) and
# `splink.num_partitions_on_repartition` (default: half the shuffle partitions).
SPLINK_PREFIX = "splink."
SPLINK_OPTIONS = ("break_lineage_method", "num_partitions_on_repartition")
LINEAGE_METHODS = ("persist", "parquet", "checkpoint", "delta_lake_table")


class SparkEngineError(RuntimeError):
    """The Spark engine cannot start: pyspark or Java missing, or the master unreachable."""


def _local_cores(master: str) -> int | None:
    """The cores of a ``local[n]`` master (``local[*]``: this machine's), else None."""
    match = re.fullmatch(r"local(?:\[(\*|\d+)(?:,\s*\d+)?\])?", master.strip())
    if not match:
        return None
    given = match.group(1)
    if given is None:
        return 1
    return (os.cpu_count() or 1) if given == "*" else int(given)


def shuffle_partitions(settings: Settings) -> str:
    """Shuffle partitions for the session: what CDP_SPARK_CONF says, else two per core of a
    local master or of ``spark.cores.max``, else 8 (a cluster whose cores are not known)."""
    given = settings.spark_conf.get("spark.sql.shuffle.partitions")
    if given:
        return given
    cores = _local_cores(settings.spark_master) or int(
        settings.spark_conf.get("spark.cores.max", 0)
    )
    return str(2 * cores) if cores else DEFAULT_CONF["spark.sql.shuffle.partitions"]


def splink_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for Splink's SparkAPI from CDP_SPARK_CONF's ``splink.*`` keys.

    Lineage is cut with ``parquet`` by default (Splink's own default): each step's table is
    written to the checkpoint directory and read back, so the next step's query plan starts
    from a file scan. ``persist`` keeps the tables in the executors' cache instead, but the
    lineage then grows with every step and Spark analyses and optimises it again for each
    of the ~40 queries of a run: 2.5 times slower on 2k records here (docs/scale.md)."""
    given = {
        key.removeprefix(SPLINK_PREFIX): value
        for key, value in settings.spark_conf.items()
        if key.startswith(SPLINK_PREFIX)
    }
    unknown = sorted(SPLINK_PREFIX + key for key in set(given) - set(SPLINK_OPTIONS))
    if unknown:
        raise SparkEngineError(
            f"CDP_SPARK_CONF holds unknown Splink options {unknown}: use "
            + ", ".join(SPLINK_PREFIX + o for o in SPLINK_OPTIONS)
        )
    method = given.get("break_lineage_method", "parquet")
    if method not in LINEAGE_METHODS:
        raise SparkEngineError(
            f"CDP_SPARK_CONF: splink.break_lineage_method {method!r} is not one of "
            f"{', '.join(LINEAGE_METHODS)}"
        )
    options: dict[str, Any] = {"break_lineage_method": method}
    if "num_partitions_on_repartition" in given:
        options["num_partitions_on_repartition"] = int(given["num_partitions_on_repartition"])
    return options


def session_conf(settings: Settings, jars: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
    """Every property the session is built with, settings winning over defaults."""
    conf = dict(DEFAULT_CONF)
    master = settings.spark_master
    if master.startswith("local") or "127.0.0.1" in master or "localhost" in master:
        conf.update(LOOPBACK_CONF)
        conf.update(LOCAL_JVM_CONF)
    conf.update((k, v) for k, v in settings.spark_conf.items() if not k.startswith(SPLINK_PREFIX))
    conf["spark.sql.shuffle.partitions"] = shuffle_partitions(settings)
    if jars:
        given = [j for j in conf.get("spark.jars", "").split(",") if j]
        conf["spark.jars"] = ",".join(dict.fromkeys([*given, *jars]))
    return conf


def spark_session(settings: Settings, jars: list[str] | tuple[str, ...] = ()) -> SparkSession:
    """The process's Spark session for ``settings.spark_master`` (created on first use)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkEngineError(
            "CDP_ENGINE=spark needs pyspark: `pip install 'cdp-rcu[spark]'` (make install "
            "does it) and a Java runtime (`make java`)"
        ) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        # an empty master means "the session spark-submit or the platform made" (Databricks)
        if settings.spark_master in ("", active.sparkContext.master):
            return active
        log.info(
            "stopping the Spark session on %s for %s",
            active.sparkContext.master,
            settings.spark_master,
        )
        active.stop()
    builder = SparkSession.builder
    if settings.spark_master:
        builder = builder.master(settings.spark_master)
    for key, value in session_conf(settings, jars).items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as error:  # py4j and JVM launch errors have no common type
        raise SparkEngineError(
            f"cannot start Spark on {settings.spark_master!r} ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}); check that `java -version` "
            "works (`make java`) and that CDP_SPARK_MASTER points at a running master"
        ) from error
    session.sparkContext.setLogLevel("ERROR")
    return session


def stop_spark_session() -> None:
    """Stop the process's Spark session, if any (tests, and before switching masters)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return
    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
