"""The dbt project's ``spark`` target: the same marts built with Spark SQL over the lake.

``cdp profiles build --target spark`` (or ``CDP_ENGINE=spark``) runs ``dbt build`` with the
``spark`` output of the committed profiles.yml: dbt-spark in session mode, so dbt starts its
own pyspark session on ``settings.spark_master`` (``local[2]``, ``spark://host:7077``) and
needs no Thrift server. The sources are the Parquet lake under ``settings.lake_uri``
(dbt_project/macros/register_lake_sources.sql); the marts are Parquet tables in the lake's
``warehouse/`` (``warehouse/marts.db/customer_profile/``). docs/scale.md tells the story.

What the profiles build computes in Python before dbt (consent signals, the feedback
analysis) is written to the lake here, beside identity's tables, so dbt on Spark reads it
like any other source.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

log = logging.getLogger(__name__)

SPARK = "spark"
DUCKDB = "duckdb"
TARGETS = (DUCKDB, SPARK)
# Tables the profiles build derives in Python and dbt reads as sources (schema, table).
PROFILE_INPUTS = (("consent", "signals"), ("feedback", "message_analysis"))


def target_for(settings: Settings, target: str | None = None, default: str = DUCKDB) -> str:
    """The dbt target to build: the one asked for, else the configured engine's (``spark``,
    or ``default``: the DuckDB output, whatever a profiles.yml names it)."""
    chosen = target or (SPARK if settings.engine == SPARK else default)
    if chosen not in (*TARGETS, default):
        raise ValueError(f"unknown dbt target {chosen!r}: use one of {', '.join(TARGETS)}")
    return chosen


def is_loopback(master: str) -> bool:
    """True for a master on this machine (local[n], spark://127.0.0.1:7077)."""
    return master.startswith("local") or "127.0.0.1" in master or "localhost" in master


def dbt_environment(settings: Settings) -> dict[str, str]:
    """What the spark output of profiles.yml and the lake-source macro read."""
    wanted = {
        "CDP_SPARK_MASTER": settings.spark_master,
        "CDP_LAKE_URI": settings.lake_uri,
        "CDP_DATA_DIR": str(settings.data_dir),
    }
    if is_loopback(settings.spark_master):
        # the driver and a local cluster talk over loopback: nothing listens on the network
        wanted["SPARK_LOCAL_IP"] = "127.0.0.1"
    return wanted


def marts_location(settings: Settings) -> str:
    """Where the spark target writes the marts (Spark's warehouse directory)."""
    return settings.lake_uri.rstrip("/") + "/warehouse/marts.db"


def publish_profile_inputs(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    tables: tuple[tuple[str, str], ...] = PROFILE_INPUTS,
) -> dict[str, int]:
    """Write consent signals and the feedback analysis to ``<lake>/<schema>/<table>/``.

    Each is replaced whole (``core.lake.copy_query``); a table the warehouse does not hold
    yet (no feedback analysed) is left out, and dbt on Spark reads it as empty (its columns
    are declared in its source YAML). Returns the rows written per table."""
    from core.lake import copy_query, uri
    from core.warehouse import table_exists

    written = {
        f"{schema}.{table}": copy_query(
            con, f"select * from {schema}.{table}", uri(settings, schema, table)
        )
        for schema, table in tables
        if table_exists(con, schema, table)
    }
    log.info("lake: profile inputs written under %s: %s", settings.lake_uri, written)
    return written


def publish_if_spark(settings: Settings, schema: str, table: str) -> None:
    """After a Python step rewrote a profile input: on the Spark engine, write it to the lake
    too (the profiles DAG's dbt build reads it there)."""
    if settings.engine != SPARK:
        return
    from core.warehouse import connect

    with connect(settings) as con:
        publish_profile_inputs(con, settings, ((schema, table),))


def stop_spark() -> None:
    """Stop the pyspark session dbt-spark started in this process, if any.

    dbt's session carries its own catalog (the Hive metastore) and properties; identity's
    Spark steps need theirs, and an idle driver holds 2 GB. dbt-spark creates the session in
    its worker thread, so the thread-local active session is not it: the instantiated one is.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return
    session = SparkSession._instantiatedSession
    if session is not None:
        session.stop()
