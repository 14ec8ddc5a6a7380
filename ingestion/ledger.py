"""Operational tables: the load ledger (one row per file attempt) and the quarantine.

Times are UTC. The ledger's ``started_at`` / ``finished_at`` are ``timestamptz`` (instants,
comparable with any other clock the warehouse keeps, ``ops.step_runs`` included); the raw
tables' ``_loaded_at``, the quarantine's ``quarantined_at`` and ``ops.field_issues``'s
``recorded_at`` are ``timestamp`` holding UTC, as every ``<event>_at`` here. Warehouses
written before kept the writer's local time in all of them: :func:`ensure_ops_tables`
converts them once (:func:`_migrate_local_times`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from core import erasure
from core.warehouse import columns_of, one_row, scalar, transaction
from ingestion.contracts import ColumnRule

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

OPS_DDL = """
create schema if not exists raw;
create schema if not exists ops;
create table if not exists ops.load_ledger (
    batch_id varchar not null,
    source varchar not null,
    entity varchar not null,
    file_path varchar not null,
    file_hash varchar,
    file_size_bytes bigint,
    rows_read bigint,
    rows_accepted bigint,
    rows_quarantined bigint,
    rows_suppressed bigint,
    status varchar not null,          -- loaded | failed | skipped_duplicate | replaced
    error varchar,
    started_at timestamptz not null,   -- UTC instants (module docstring)
    finished_at timestamptz
);
create table if not exists ops.quarantine (
    batch_id varchar not null,
    source varchar not null,
    entity varchar not null,
    file_path varchar not null,
    source_row bigint,
    raw_record varchar,
    reason varchar not null,
    quarantined_at timestamp not null
);
"""

LINEAGE_COLUMNS = {
    "_source_file": "VARCHAR",
    "_source_row": "BIGINT",
    "_batch_id": "VARCHAR",
    "_loaded_at": "TIMESTAMP",
}


@dataclass
class FileResult:
    """What happened to one file: the ledger row, as the CLI and callers see it."""

    source: str
    entity: str
    file_path: str
    batch_id: str
    status: str = "failed"
    file_hash: str | None = None
    file_size_bytes: int | None = None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    rows_suppressed: int = 0
    error: str | None = None
    started_at: datetime = field(default_factory=lambda: utc_now())
    finished_at: datetime | None = None
    seconds: float = 0.0
    field_issues: dict[str, int] = field(default_factory=dict)  # "field: reason" -> rows
    rows_replaced: int = 0  # raw rows of earlier loads of the file a reload deleted

    @property
    def fields_nulled(self) -> int:
        """Values nulled in the accepted rows (``on_invalid: null``)."""
        return sum(self.field_issues.values())


def utc_now() -> datetime:
    """Now, as an aware UTC datetime (the ledger's ``timestamptz`` columns take it as is)."""
    return datetime.now(UTC)


def naive_utc(moment: datetime) -> datetime:
    """``moment`` in UTC without its zone, for the ``timestamp`` columns that hold UTC.

    An aware datetime bound to a ``timestamp`` column would be converted to the session's
    time zone (the machine's local time) instead."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def ensure_ops_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and ops schemas, the ledger, the quarantine and the tombstone table;
    convert a ledger written in local time (before UTC) once."""
    con.execute(OPS_DDL)
    con.execute(erasure.TOMBSTONE_DDL)
    _migrate_local_times(con)


def _migrate_local_times(con: duckdb.DuckDBPyConnection) -> None:
    """A ledger whose ``started_at`` is a plain ``timestamp`` was written in the writer's local
    time, and so were the quarantine's and raw tables' load times of that warehouse. Read
    them as this machine's local time (DuckDB's session zone defaults to it: the zone
    ``datetime.now()`` wrote in), in one transaction: the ledger becomes ``timestamptz``,
    the others UTC. On a machine running in UTC nothing changes but the ledger's type."""
    kind = scalar(
        con,
        "select data_type from information_schema.columns where table_schema = 'ops' "
        "and table_name = 'load_ledger' and column_name = 'started_at'",
    )
    if kind != "TIMESTAMP":
        return
    # naive local -> instant (session zone) -> naive UTC
    to_utc = "timezone('UTC', {0}::timestamptz)"
    loaded = [
        f"raw.{name}"
        for (name,) in con.execute(
            "select table_name from information_schema.columns where table_schema = 'raw' "
            "and column_name = '_loaded_at' and data_type = 'TIMESTAMP'"
        ).fetchall()
    ]
    with transaction(con):
        for column in ("started_at", "finished_at"):
            con.execute(f"alter table ops.load_ledger alter {column} set data type timestamptz")
        for table, column in [
            ("ops.quarantine", "quarantined_at"),
            ("ops.field_issues", "recorded_at"),
            *((t, "_loaded_at") for t in loaded),
        ]:
            if column in columns_of(con, table):
                converted = to_utc.format(column)
                con.execute(
                    f"update {table} set {column} = {converted} "
                    f"where {column} is distinct from {converted}"
                )
    log.info("ops.load_ledger: local times converted to UTC (%d raw tables)", len(loaded))


def ensure_raw_table(con: duckdb.DuckDBPyConnection, table: str, rules: list[ColumnRule]) -> None:
    """Create ``raw.<source>__<entity>`` from the contract if it does not exist yet, and add
    the fields a newer contract gained (``other_phone``) to a table created before."""
    columns = [f'"{rule.name}" {rule.sql_type}' for rule in rules]
    columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS.items()]
    con.execute(f"create table if not exists {table} ({', '.join(columns)})")
    present = set(columns_of(con, table))
    for rule in rules:
        if rule.name not in present:
            con.execute(f'alter table {table} add column "{rule.name}" {rule.sql_type}')


def already_loaded(
    con: duckdb.DuckDBPyConnection, source: str, entity: str, file_hash: str
) -> str | None:
    """The batch that already loaded this content for this entity, if any."""
    row = con.execute(
        "select batch_id from ops.load_ledger where source = ? and entity = ? and file_hash = ? "
        "and status = 'loaded' limit 1",
        [source, entity, file_hash],
    ).fetchone()
    return row[0] if row else None


def size_loaded(con: duckdb.DuckDBPyConnection, source: str, entity: str, size: int) -> bool:
    """True when a file of exactly ``size`` bytes was loaded for this entity (content may match)."""
    return bool(
        scalar(
            con,
            "select count(*) from ops.load_ledger where source = ? and entity = ? "
            "and file_size_bytes = ? and status = 'loaded'",
            [source, entity, size],
        )
    )


def record(con: duckdb.DuckDBPyConnection, result: FileResult) -> None:
    """Append the file's ledger row."""
    con.execute(
        "insert into ops.load_ledger values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.batch_id,
            result.source,
            result.entity,
            result.file_path,
            result.file_hash,
            result.file_size_bytes,
            result.rows_read,
            result.rows_accepted,
            result.rows_quarantined,
            result.rows_suppressed,
            result.status,
            result.error,
            result.started_at,
            result.finished_at,
        ],
    )


def loaded_files_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """Which files the raw layer holds, in one comparable string (count and a hash of the
    loaded batches): equal fingerprints mean no file was loaded in between."""
    ensure_ops_tables(con)
    count, digest = one_row(
        con,
        "select count(*), md5(coalesce(string_agg(batch_id, ',' order by batch_id), '')) "
        "from ops.load_ledger where status = 'loaded'",
    )
    return f"{count}:{digest}"


def loaded_since(con: duckdb.DuckDBPyConnection, since_utc: datetime) -> list[tuple[str, str, str]]:
    """(batch, source, entity) of the files loaded at or after ``since_utc`` (naive UTC, as
    ``ops.step_runs`` keeps it, or aware), oldest first."""
    ensure_ops_tables(con)
    return [
        (batch, source, entity)
        for batch, source, entity in con.execute(
            "select batch_id, source, entity from ops.load_ledger where status = 'loaded' "
            "and finished_at >= ? order by finished_at, batch_id",
            [since_utc if since_utc.tzinfo else since_utc.replace(tzinfo=UTC)],
        ).fetchall()
    ]
