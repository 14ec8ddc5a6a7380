"""The Spark session of the Spark engine (``CDP_ENGINE=spark``, docs/scale.md).

One place builds it from settings: the master (``CDP_SPARK_MASTER``), the defaults below and
the installation's own properties (``CDP_SPARK_CONF``, which win). The session is shared by
everything in the process; asking for another master stops the running one first.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from core.settings import Settings

log = logging.getLogger(__name__)

# Small and quiet by default: an embedded local run shares the machine with DuckDB and
# Airflow. A cluster's own sizing goes into CDP_SPARK_CONF.
DEFAULT_CONF = {
    "spark.app.name": "cdp",
    "spark.driver.memory": "2g",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # Parquet dates and timestamps as written by DuckDB, without rebasing guesses
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
}
# The driver listens on loopback unless told otherwise: a local or 127.0.0.1 master needs
# nothing more, and nothing gets exposed on the network by default.
LOOPBACK_CONF = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}


class SparkEngineError(RuntimeError):
    """The Spark engine cannot start: pyspark or Java missing, or the master unreachable."""


def session_conf(settings: Settings, jars: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
    """Every property the session is built with, settings winning over defaults."""
    conf = dict(DEFAULT_CONF)
    master = settings.spark_master
    if master.startswith("local") or "127.0.0.1" in master or "localhost" in master:
        conf.update(LOOPBACK_CONF)
    conf.update(settings.spark_conf)
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
