"""The Parquet lake of a test warehouse, and what the Spark build of the marts wrote.

The layout is the Spark engine's (docs/scale.md): ``raw/<table>/batch_id=<batch>/`` and
``identity/<table>/``, written by DuckDB's ``COPY`` straight from the warehouse (no row
passes through Python). The profiles build adds ``consent/`` and ``feedback/`` itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def write_lake(settings) -> None:
    """Every raw and identity table of ``settings.duckdb_path`` into ``settings.lake_uri``."""
    import duckdb

    lake = Path(settings.lake_uri)
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'identity') and table_catalog = current_database()"
        ).fetchall()
        for schema, table in tables:
            target = lake / schema / table
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            columns = {
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ?",
                    [schema, table],
                ).fetchall()
            }
            if (
                "_batch_id" in columns
                and con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            ):
                con.execute(
                    f'copy (select *, _batch_id as batch_id from {schema}."{table}") '
                    f"to '{target}' (format parquet, partition_by (batch_id), "
                    "overwrite_or_ignore true)"
                )
            else:
                con.execute(
                    f"copy {schema}.\"{table}\" to '{target / 'data_0.parquet'}' (format parquet)"
                )
    finally:
        con.close()


def spark_table(settings, schema: str, table: str) -> str:
    """A ``read_parquet`` of the table the spark target built (its warehouse directory)."""
    location = Path(settings.lake_uri) / "warehouse" / f"{schema}.db" / table
    if not any(location.glob("*.parquet")):
        raise AssertionError(f"the Spark build wrote no Parquet files under {location}")
    return f"read_parquet('{location}/*.parquet')"
