"""The Parquet lake of a test warehouse, and what the Spark build of the marts wrote.

The layout is the Spark engine's (docs/scale.md, core/lake.py): ``raw/<table>/batch_id=<batch>/``
and ``identity/<table>/``. The profiles build adds ``consent/`` and ``feedback/`` itself.
"""

from __future__ import annotations

from pathlib import Path


def write_lake(settings) -> None:
    """Every raw and identity table of ``settings.duckdb_path`` into ``settings.lake_uri``,
    as the Spark engine writes them (``core.lake.export``)."""
    from core.lake import export

    export(settings)


def spark_table(settings, schema: str, table: str) -> str:
    """A ``read_parquet`` of the table the spark target built (its warehouse directory)."""
    location = Path(settings.lake_uri) / "warehouse" / f"{schema}.db" / table
    if not any(location.glob("*.parquet")):
        raise AssertionError(f"the Spark build wrote no Parquet files under {location}")
    return f"read_parquet('{location}/*.parquet')"
