"""The published snapshot: the one read-only copy of the warehouse every reader opens.

The pipeline's writer keeps the warehouse (``settings.duckdb_path``) and its single-writer
lock. After each successful profiles build it publishes a copy of what readers read,
``<published_dir>/<warehouse name>`` plus ``manifest.json``: the copy is written to a
temporary file beside it and swapped in with ``os.replace``, so a reader sees either the
previous run or the new one, never a mix, and never waits on the writer (a reader holding
the old file keeps reading the old inode until it reconnects).

The copy holds every schema but ``settings.snapshot_left_out_schemas`` (the raw layer,
dbt's staging and intermediate layers: no reader reads them, and they were two thirds of
the rows copied) and every table but ``settings.snapshot_left_out_tables`` (identity's
state between its runs); a view of a published schema that reads a left-out one is
published as a table of its rows.

The copy is written in an older DuckDB storage format
(``settings.snapshot_storage_version``, default ``v1.0.0``) so DuckDB 1.x clients (the
DuckDB CLI, DBeaver's driver) open it; ``docs/analyst_clients.md`` has their commands.

Public API (the API service imports exactly these)::

    publish_snapshot(settings, run_id) -> SnapshotInfo   # writer side, after a build
    snapshot_path(settings) -> Path                      # where readers find it
    open_snapshot(settings) -> duckdb.DuckDBPyConnection # read-only; usable as `with`

Inside the snapshot, ``ops.snapshot_info`` holds the same run_id and as_of as the
manifest, so a reader can tell which run it reads from the connection alone.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from core.warehouse import fsync_path

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
# The catalog name a reader's connection gives the snapshot (the API uses the same).
SNAPSHOT_CATALOG = "snapshot"
_TEMP_MARK = ".publishing-"
_ALIAS = "cdp_snapshot_target"


class SnapshotMissingError(FileNotFoundError):
    """No snapshot has been published yet for this data folder."""


@dataclass(frozen=True)
class SnapshotInfo:
    """What one publication wrote (also the content of ``manifest.json``)."""

    path: str
    run_id: str
    as_of: str
    storage_version: str
    written_by_duckdb: str
    source: str
    tables: dict[str, int]
    size_bytes: int
    publish_seconds: float


def snapshot_path(settings: Settings) -> Path:
    """The published DuckDB file readers open (named like the warehouse, so views that
    name its catalog keep resolving)."""
    return settings.published_dir / settings.duckdb_path.name


def manifest_path(settings: Settings) -> Path:
    """The JSON manifest beside the snapshot."""
    return settings.published_dir / MANIFEST_NAME


def read_manifest(settings: Settings) -> SnapshotInfo | None:
    """The manifest of the current snapshot, or None when nothing is published."""
    path = manifest_path(settings)
    if not path.exists():
        return None
    return SnapshotInfo(**json.loads(path.read_text(encoding="utf-8")))


def open_snapshot(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot (close it, or use it in ``with``).

    Never touches the warehouse or its lock; raises :class:`SnapshotMissingError` when
    nothing has been published yet. The file is attached, read-only, to a private in-memory
    database (catalog ``snapshot``, the default schema search path): ``duckdb.connect(path)``
    would hand back the instance this process may already hold on that path (DuckDB's
    instance cache), still reading the file a publication has since replaced.
    """
    import duckdb

    path = snapshot_path(settings)
    if not path.exists():
        raise SnapshotMissingError(
            f"no published snapshot at {path}: readers use the copy the pipeline publishes "
            "after each profiles build; run `cdp profiles build` (or `cdp snapshot publish` "
            "on an already built warehouse) first"
        )
    con = duckdb.connect()
    try:
        escaped = str(path).replace("'", "''")
        con.execute(f"attach '{escaped}' as {SNAPSHOT_CATALOG} (read_only)")
        con.execute(f"use {SNAPSHOT_CATALOG}")
    except BaseException:
        con.close()
        raise
    return con


def _remove_leftovers(folder: Path) -> None:
    """Temporary files a killed publication left (only the writer publishes, so any
    temporary file found while holding the warehouse lock is an orphan)."""
    for leftover in folder.glob(f"*{_TEMP_MARK}*"):
        log.info("removing %s, left by an interrupted publication", leftover)
        leftover.unlink(missing_ok=True)


def _write_copy(con: duckdb.DuckDBPyConnection, settings: Settings, temp: Path, info: dict):
    """The published schemas into ``temp``, in the configured storage version, plus
    ``ops.snapshot_info``; returns the row count of every table copied.

    ``COPY FROM DATABASE ... (SCHEMA)`` copies every definition (schemas, tables, views,
    macros, ...), the left-out schemas are dropped from the copy, and only then are the
    remaining tables filled: the rows of the raw and dbt's intermediate layers, most of the
    warehouse, are never written.
    """
    from core.warehouse import scalar

    source = scalar(con, "select current_database()")
    version = settings.snapshot_storage_version.replace("'", "")
    con.execute(f"attach '{temp}' as {_ALIAS} (storage_version '{version}')")
    try:
        con.execute(f'copy from database "{source}" to {_ALIAS} (schema)')
        for schema in _left_out(con, settings):
            con.execute(f'drop schema {_ALIAS}."{schema}" cascade')
        for schema, table in _objects(con, "tables"):
            if f"{schema}.{table}" in settings.snapshot_left_out_tables:
                con.execute(f'drop table {_ALIAS}."{schema}"."{table}"')
        for schema, table in _objects(con, "tables"):
            con.execute(
                f'insert into {_ALIAS}."{schema}"."{table}" '
                f'select * from "{source}"."{schema}"."{table}"'
            )
        _tables_for_broken_views(con, source)
        con.execute(f"create schema if not exists {_ALIAS}.ops")
        con.execute(
            f"create or replace table {_ALIAS}.ops.snapshot_info as select "
            "?::varchar as run_id, ?::timestamp as as_of, ?::varchar as storage_version, "
            "?::varchar as written_by_duckdb",
            [info["run_id"], info["as_of"], version, info["written_by_duckdb"]],
        )
        tables = con.execute(
            "select schema_name || '.' || table_name, estimated_size from duckdb_tables() "
            "where database_name = ? order by 1",
            [_ALIAS],
        ).fetchall()
    finally:
        con.execute(f"detach {_ALIAS}")
    return {name: int(rows) for name, rows in tables}


def _left_out(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[str]:
    """The configured left-out schemas the copy holds."""
    present = con.execute(
        "select schema_name from duckdb_schemas() where database_name = ?", [_ALIAS]
    ).fetchall()
    return [name for (name,) in present if name in settings.snapshot_left_out_schemas]


def _objects(con: duckdb.DuckDBPyConnection, kind: str) -> list[tuple[str, str]]:
    """(schema, name) of the copy's tables or views."""
    name = "table_name" if kind == "tables" else "view_name"
    internal = "" if kind == "tables" else " and not internal"
    return con.execute(
        f"select schema_name, {name} from duckdb_{kind}() where database_name = ?{internal} "
        "order by 1, 2",
        [_ALIAS],
    ).fetchall()


def _binds(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    import duckdb

    try:
        con.execute(f"select * from {relation} limit 0")
    except duckdb.Error:
        return False
    return True


def _tables_for_broken_views(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """A copied view that reads a left-out schema no longer works in the snapshot: it is
    published as a table of the rows it shows in the warehouse now, so readers query it as
    before. (A view already broken in the warehouse is copied as it is.)"""
    # with the Python client, a missing table's name would otherwise be looked up among
    # this process's variables (a replacement scan) before failing
    from core.warehouse import scalar

    replacements = scalar(con, "select current_setting('python_enable_replacements')")
    con.execute("set python_enable_replacements = false")
    try:
        for schema, view in _objects(con, "views"):
            copied = f'{_ALIAS}."{schema}"."{view}"'
            original = f'"{source}"."{schema}"."{view}"'
            if _binds(con, copied) or not _binds(con, original):
                continue
            log.info("snapshot: %s.%s reads a left-out schema: published as a table", schema, view)
            con.execute(f"drop view {copied}")
            con.execute(f"create table {copied} as select * from {original}")
    finally:
        con.execute(f"set python_enable_replacements = {str(replacements).lower()}")


def publish_snapshot(
    settings: Settings, run_id: str | None = None, *, con: duckdb.DuckDBPyConnection | None = None
) -> SnapshotInfo:
    """Copy the warehouse's published schemas to a new snapshot and swap it in atomically;
    returns its manifest.

    Holds the writer's lock from the copy to the swap (waiting like any writer), so two
    publications never cross and no write lands between "what was copied" and "what is
    published". Give ``con``, an open warehouse connection, to publish from inside a writer
    that holds it. ``run_id`` names the run whose state is published.
    """
    from core.warehouse import connect

    if con is not None:
        return _publish(con, settings, run_id)
    if not settings.duckdb_path.exists():
        raise FileNotFoundError(
            f"no warehouse at {settings.duckdb_path} to publish: run the pipeline first"
        )
    with connect(settings) as own:
        return _publish(own, settings, run_id)


def _publish(
    con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str | None
) -> SnapshotInfo:
    import duckdb

    started = time.perf_counter()
    folder = settings.published_dir
    folder.mkdir(parents=True, exist_ok=True)
    target = snapshot_path(settings)
    temp = folder / f"{target.name}{_TEMP_MARK}{os.getpid()}"
    as_of = datetime.now(UTC).replace(tzinfo=None)
    fields = {
        "run_id": run_id or settings.run_id or f"publish-{as_of:%Y%m%dT%H%M%S%fZ}",
        "as_of": as_of.isoformat(timespec="seconds") + "Z",
        "written_by_duckdb": duckdb.__version__,
    }
    _remove_leftovers(folder)
    tables = _write_copy(con, settings, temp, fields)
    fsync_path(temp)
    os.replace(temp, target)
    fsync_path(folder)
    info = SnapshotInfo(
        path=str(target),
        storage_version=settings.snapshot_storage_version,
        source=str(settings.duckdb_path),
        tables=tables,
        size_bytes=target.stat().st_size,
        publish_seconds=round(time.perf_counter() - started, 2),
        **fields,
    )
    manifest_temp = folder / f"{MANIFEST_NAME}{_TEMP_MARK}{os.getpid()}"
    manifest_temp.write_text(json.dumps(asdict(info), indent=2) + "\n", encoding="utf-8")
    os.replace(manifest_temp, manifest_path(settings))
    log.info(
        "published snapshot %s (run %s, %d tables, %.1f MB) in %.1f s",
        target,
        info.run_id,
        len(tables),
        info.size_bytes / 1e6,
        info.publish_seconds,
    )
    return info


def republish_if_published(settings: Settings, reason: str) -> SnapshotInfo | None:
    """Publish again under the current run id, when a snapshot exists: for writes readers
    must see at once though no build ran (an erasure must leave no copy of the person)."""
    current = read_manifest(settings)
    if current is None and not snapshot_path(settings).exists():
        return None
    log.info("republishing the snapshot: %s", reason)
    return publish_snapshot(settings, current.run_id if current else None)
