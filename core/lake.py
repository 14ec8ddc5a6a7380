"""The Parquet lake: the warehouse's raw and identity tables as files Spark reads directly.

Layout under ``settings.lake_uri`` (a directory or an object-store URI; docs/scale.md):

- ``raw/<raw table>/batch_id=<batch>/*.parquet``: what ingestion accepted, one partition
  per load batch (``raw/pos__receipts/batch_id=20261206T.../data_0.parquet``);
- ``identity/<table>/*.parquet``: identity's outputs (``identity_records``, ``customers``,
  ``customer_records``, ``golden_records``, ``links``, ``customer_aliases``, ...);
- ``_work/<name>/*.parquet``: the Spark engine's working tables for one run (Splink's
  input, its results coming back), replaced by the next run.

DuckDB writes every file with ``COPY ... (FORMAT parquet)`` straight from the warehouse:
no row passes through Python. A table is replaced whole (a batch partition when batches are
named), so a re-run gives the same files.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from core.warehouse import scalar, sql_literal

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

log = logging.getLogger(__name__)

RAW = "raw"
IDENTITY = "identity"
WORK = "_work"
BATCH_COLUMN = "_batch_id"  # every raw table carries its load batch (ingestion.load)


def uri(settings: Settings, *parts: str) -> str:
    """A location in the lake, ``/``-joined whatever the lake is (path or URI)."""
    return "/".join([settings.lake_uri.rstrip("/"), *parts])


def files(location: str) -> str:
    """The glob DuckDB and Spark read a dataset directory with (partitions included)."""
    return location.rstrip("/") + "/**/*.parquet"


def is_local(location: str) -> bool:
    return "://" not in location or location.startswith("file://")


def copy_query(
    con: duckdb.DuckDBPyConnection, sql: str, location: str, partition_by: str | None = None
) -> int:
    """Write a query's rows as a Parquet dataset at ``location``, replacing it; row count.

    An empty result still leaves one file with the schema, so Spark can read it. The query
    runs once: ``COPY`` reports the rows it wrote (the Spark engine's input is a join)."""
    if is_local(location):
        target = Path(location.removeprefix("file://"))
        shutil.rmtree(target, ignore_errors=True)  # stale files of a bigger earlier write
        target.mkdir(parents=True, exist_ok=True)
    if partition_by is None:
        # one file per writer thread keeps big tables parallel to write and to read
        options = "format parquet, per_thread_output true, overwrite_or_ignore true"
    else:
        options = f"format parquet, partition_by ({partition_by}), overwrite_or_ignore true"
    rows = int(scalar(con, f"copy ({sql}) to {sql_literal(location)} ({options})") or 0)
    if rows == 0:
        # whatever files an empty write left (none, when partitioned): one with the schema
        if is_local(location):
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy ({sql}) to {sql_literal(location + '/data_0.parquet')} (format parquet)")
    return rows


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_catalog = current_database() order by 1",
            [schema],
        ).fetchall()
    ]


def export_raw(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, int]:
    """Every raw table as ``raw/<table>/batch_id=<batch>/``; rows written per table."""
    from core.warehouse import columns_of

    written = {}
    for table in _tables(con, RAW):
        has_batch = BATCH_COLUMN in columns_of(con, f"{RAW}.{table}")
        sql = f'select *{f", {BATCH_COLUMN} as batch_id" if has_batch else ""} from raw."{table}"'
        written[table] = copy_query(
            con, sql, uri(settings, RAW, table), "batch_id" if has_batch else None
        )
    log.info("lake: %d raw tables written to %s", len(written), uri(settings, RAW))
    return written


def _lake_batches(con: duckdb.DuckDBPyConnection, location: str) -> set[str]:
    if is_local(location):
        root = Path(location.removeprefix("file://"))
        return (
            {p.name.split("=", 1)[1] for p in root.glob("batch_id=*")} if root.exists() else set()
        )
    found = con.execute(f"select file from glob({sql_literal(location + '/batch_id=*/*.parquet')})")
    return {f.rsplit("/batch_id=", 1)[1].split("/", 1)[0] for (f,) in found.fetchall()}


def sync_raw(con: duckdb.DuckDBPyConnection, settings: Settings, tables: list[str]) -> int:
    """Bring the lake's batch partitions of raw ``tables`` in line with the warehouse: write
    the batches it lacks, delete (local lakes) those a reload replaced; batches written.

    What ingestion calls after a load on the Spark engine: a batch is written once, not the
    whole table again. Rows changed inside a batch (``cdp forget``) need ``export_raw``."""
    written = 0
    for table in tables:
        location = uri(settings, RAW, table)
        present = {
            b
            for (b,) in con.execute(f'select distinct {BATCH_COLUMN} from raw."{table}"').fetchall()
        }
        in_lake = _lake_batches(con, location)
        missing = sorted(present - in_lake)
        if missing:
            if is_local(location):
                Path(location.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
            batches = ", ".join(sql_literal(b) for b in missing)
            con.execute(
                f'copy (select *, {BATCH_COLUMN} as batch_id from raw."{table}" '
                f"where {BATCH_COLUMN} in ({batches})) to {sql_literal(location)} "
                "(format parquet, partition_by (batch_id), overwrite_or_ignore true)"
            )
            written += len(missing)
        if is_local(location):
            for stale in in_lake - present:
                shutil.rmtree(Path(location.removeprefix("file://")) / f"batch_id={stale}")
    log.info("lake: %d raw batches written under %s", written, uri(settings, RAW))
    return written


def export_identity(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, int]:
    """Every identity table as ``identity/<table>/``; rows written per table."""
    written = {
        table: copy_query(con, f'select * from identity."{table}"', uri(settings, IDENTITY, table))
        for table in _tables(con, IDENTITY)
    }
    log.info("lake: %d identity tables written to %s", len(written), uri(settings, IDENTITY))
    return written


def export(settings: Settings, raw: bool = True, identity: bool = True) -> dict[str, int]:
    """Write the lake from the warehouse (``cdp lake export``); rows per ``layer/table``."""
    from core.warehouse import connect

    written: dict[str, int] = {}
    with connect(settings) as con:
        if raw:
            written |= {f"{RAW}/{t}": n for t, n in export_raw(con, settings).items()}
        if identity:
            written |= {f"{IDENTITY}/{t}": n for t, n in export_identity(con, settings).items()}
    return written


def remove_work(settings: Settings) -> None:
    """Delete the Spark engine's working tables (personal data: kept no longer than a run)."""
    location = uri(settings, WORK)
    if is_local(location):
        shutil.rmtree(Path(location.removeprefix("file://")), ignore_errors=True)
