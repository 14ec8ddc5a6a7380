"""Golden-record exports for downstream tools: full or incremental, atomic, with a manifest.

Each run lands in `export_dir/golden_records/<run timestamp>/` as Parquet, CSV and/or JSON
lines plus `manifest.json` and a copy of the JSON Schema the rows follow (CSV dialect:
`activation/export_dialect.py`). Rows follow `activation/schemas/golden_record.v1.json`,
generated from the pydantic model in `activation/golden_record.py`; the run fails before
publishing anything if the columns drift from it.

Incremental exports compare each customer's row hash with `ops.export_state` (the hash of
what was last exported): new and changed customers become `upsert` rows; customers no longer
exported become `delete` rows, with `merged_into_customer_id` naming the survivor when
identity resolution merged them (`identity.customer_aliases`), null when they were erased
or retired. Applying an incremental export to the previous export gives the next full one.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from activation import export_dialect, export_files
from activation.export_config import FORMATS, load_exports_config
from activation.golden_record import DISPLAYED_ATTRIBUTES, GOLDEN_ATTRIBUTES, SCHEMA_PATH
from core.warehouse import connect, scalar, table_exists, transaction
from profiles.build import require_complete_build

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

log = logging.getLogger(__name__)

KIND = "golden_records"
CURRENT = "_export_current"
CHANGES = "_export_changes"

STATE_DDL = """
create schema if not exists ops;
create table if not exists ops.export_state (customer_id varchar, row_hash varchar,
  run_id varchar);
create table if not exists ops.export_runs (run_id varchar, kind varchar, mode varchar,
  folder varchar, row_count bigint, upserts bigint, deletes bigint, previous_run_id varchar,
  started_at timestamp, finished_at timestamp);
"""


class ExportError(RuntimeError):
    """An export could not run; the message says which input is missing and what to run."""


class NothingToExportError(ExportError):
    """The warehouse holds nothing to export: publishing an empty file would be a false green."""


class ExportSchemaError(ExportError):
    """The exported columns no longer match the published JSON Schema."""


@dataclass
class ExportResult:
    """What one export run published."""

    kind: str
    run_id: str
    mode: str
    folder: Path
    row_count: int
    counts: dict[str, int] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)


@cache
def load_schema() -> dict[str, Any]:
    """The published golden-record JSON Schema."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def schema_columns() -> list[str]:
    """Export columns in order, as the schema publishes them."""
    return list(load_schema()["properties"])


def require_golden_records(con: duckdb.DuckDBPyConnection, settings: Settings, reader: str) -> str:
    """Refuse to export before the profiles build has written golden records
    (``marts.golden_records``), while the last build is unfinished or without the consent
    mart (the export and the audiences read all three); returns the relation to read consent
    from: the mart, with the refusals loaded since the build applied
    (:mod:`activation.consent_since_build`)."""
    from activation.consent_since_build import consent_for_sending

    require_complete_build(con)  # an interrupted first build leaves no golden records either
    if not table_exists(con, "marts", "golden_records"):
        raise NothingToExportError(
            f"nothing to export: marts.golden_records is missing in {settings.duckdb_path}; "
            "run `cdp ingest`, `cdp identity resolve` and `cdp profiles build` first"
        )
    return consent_for_sending(con, settings, reader)


def run_stamp(settings: Settings, kind: str, prefix: str) -> tuple[datetime, str, Path]:
    """When an export run starts, its id (``settings.run_id`` or ``<prefix>-<timestamp>``)
    and the dated folder it publishes (``export_dir/<kind>/<timestamp>``)."""
    started_at = datetime.now(UTC)
    stamp = export_files.run_timestamp(started_at)
    return started_at, settings.run_id or f"{prefix}-{stamp}", settings.export_dir / kind / stamp


def _consent_sql(consent: str, channel: str) -> str:
    """The channel's consent in force from ``consent`` (the mart's columns): null when never
    asked."""
    return (
        f"(select case when consent_status <> 'never_asked' then is_consent_granted end "
        f"from {consent} where customer_id = g.customer_id and channel = '{channel}')"
    )


def _current_sql(consent: str) -> str:
    updated = ", ".join(f"g.{a}_updated_at" for a in GOLDEN_ATTRIBUTES)
    displays = ", ".join(f"g.{a}_display" for a in DISPLAYED_ATTRIBUTES)
    return f"""
select g.customer_id, 'upsert' as operation, null::varchar as merged_into_customer_id,
  g.first_name, g.last_name, lower(trim(g.email)) as email, g.phone,
  cast(g.birth_date as date) as birth_date, g.address_line, g.postcode, g.city,
  {_consent_sql(consent, "email")} as email_consent,
  {_consent_sql(consent, "sms")} as sms_consent,
  cast(c.record_count as bigint) as source_record_count,
  cast(greatest({updated}) as timestamp) as updated_at, {displays}
from marts.golden_records g
left join identity.customers c using (customer_id)
where not coalesce(c.is_anonymous, false) and coalesce(c.is_active, true)"""


def _check_against_schema(con: duckdb.DuckDBPyConnection, select_sql: str) -> list[str]:
    """Columns of ``select_sql`` must equal the schema's, in order and type."""
    described = con.execute(f"describe {select_sql}").fetchall()
    actual = [(row[0], row[1]) for row in described]
    expected = list(load_schema()["x-duckdb-types"].items())
    if actual != expected or [name for name, _ in expected] != schema_columns():
        raise ExportSchemaError(
            f"golden-record columns {actual} differ from {SCHEMA_PATH.name} {expected}; "
            "publish a new schema version before changing the export"
        )
    return [name for name, _ in actual]


def _stage_rows(con: duckdb.DuckDBPyConnection, mode: str, consent: str) -> list[str]:
    """Build the current rows and this run's changes as temp tables; returns the columns."""
    current_sql = _current_sql(consent)
    columns = _check_against_schema(con, current_sql)
    hashed = ", ".join(c for c in columns if c not in ("operation", "merged_into_customer_id"))
    con.execute(
        f"create or replace temp table {CURRENT} as select *, "
        f"md5(to_json(struct_pack({hashed}))) as row_hash from ({current_sql})"
    )
    selected = ", ".join(columns)
    if mode == "full":
        con.execute(f"create or replace temp table {CHANGES} as select {selected} from {CURRENT}")
        return columns
    deleted_values = ", ".join(
        {
            "customer_id": "s.customer_id",
            "operation": "'delete'",
            "merged_into_customer_id": "survivor.customer_id",
        }.get(c, f"null as {c}")
        for c in columns
    )
    con.execute(f"""create or replace temp table {CHANGES} as
select {selected} from {CURRENT} c
where not exists (select 1 from ops.export_state s
                  where s.customer_id = c.customer_id and s.row_hash = c.row_hash)
union all
select {deleted_values}
from ops.export_state s
left join (select retired_customer_id, arg_max(customer_id, run_id) as customer_id
           from identity.customer_aliases group by retired_customer_id) a
  on a.retired_customer_id = s.customer_id
left join {CURRENT} survivor on survivor.customer_id = a.customer_id
where s.customer_id not in (select customer_id from {CURRENT})""")
    return columns


def _previous_run(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    row = con.execute(
        "select run_id, folder from ops.export_runs where kind = ? "
        "order by finished_at desc limit 1",
        [KIND],
    ).fetchone()
    return (row[0], row[1]) if row else None


def export_golden_records(
    settings: Settings, mode: str = "incremental", formats: list[str] | None = None
) -> ExportResult:
    """Export golden records (``mode`` full or incremental) in ``formats``; returns the run.

    An incremental export with no previous export is promoted to a full one.
    """
    if mode not in ("full", "incremental"):
        raise ExportError(f"mode must be 'full' or 'incremental', not {mode!r}")
    formats = formats or [*load_exports_config(settings.exports_config_path).golden_records.formats]
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ExportError(f"unknown export format(s) {sorted(unknown)}; use {list(FORMATS)}")
    started_at, run_id, folder = run_stamp(settings, KIND, "export")
    with connect(settings) as con:
        consent = require_golden_records(con, settings, "the golden-record export")
        con.execute(STATE_DDL)
        previous = _previous_run(con)
        if mode == "incremental" and previous is None:
            log.info("no previous golden-record export: writing a full export")
            mode = "full"
        columns = _stage_rows(con, mode, consent)
        counts = dict(
            con.execute(f"select operation, count(*) from {CHANGES} group by operation").fetchall()
        )
        row_count = sum(counts.values())
        if not row_count and not scalar(con, f"select count(*) from {CURRENT}"):
            raise NothingToExportError(
                f"nothing to export: marts.golden_records in {settings.duckdb_path} holds "
                "no identified, active customer; run `cdp ingest` and `cdp identity resolve` "
                "first (or point CDP_DUCKDB_PATH at the warehouse you meant)"
            )
        select_sql = f"select {', '.join(columns)} from {CHANGES} order by customer_id"
        with export_files.staged_folder(folder) as staging:
            files = [
                export_files.write_data_file(con, select_sql, staging, KIND, fmt) for fmt in formats
            ]
            schema = load_schema()
            export_dialect.write_schema(staging, SCHEMA_PATH.name, schema)
            export_files.write_manifest(
                staging,
                {
                    "kind": KIND,
                    "run_id": run_id,
                    "mode": mode,
                    "created_at": started_at,
                    "schema": SCHEMA_PATH.name,  # shipped in this folder
                    "csv_dialect": export_dialect.CSV_DIALECT,
                    "schema_id": schema["$id"],
                    "schema_version": schema["x-schema-version"],
                    "row_count": row_count,
                    "operations": {
                        "upsert": counts.get("upsert", 0),
                        "delete": counts.get("delete", 0),
                    },
                    "previous_export": (
                        {"run_id": previous[0], "folder": previous[1]} if previous else None
                    ),
                    "files": files,
                },
            )
        _record_run(con, run_id, mode, folder, row_count, counts, previous, started_at)
    log.info("exported %d golden-record rows (%s) to %s", row_count, mode, folder)
    return ExportResult(KIND, run_id, mode, folder, row_count, counts, files)


def _record_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    mode: str,
    folder: Path,
    row_count: int,
    counts: dict[str, int],
    previous: tuple[str, str] | None,
    started_at: datetime,
) -> None:
    """Move the export state to what was just published, after the folder is in place.

    If this fails the folder is already published and the next incremental export repeats
    its changes; upserts and deletes are idempotent, so a downstream tool stays right.
    """
    with transaction(con):
        con.execute(
            f"""create or replace table ops.export_state as
select c.customer_id, c.row_hash,
  case when s.row_hash = c.row_hash then s.run_id else ? end as run_id
from {CURRENT} c left join ops.export_state s using (customer_id)""",
            [run_id],
        )
        con.execute(
            "insert into ops.export_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                KIND,
                mode,
                str(folder),
                row_count,
                counts.get("upsert", 0),
                counts.get("delete", 0),
                previous[0] if previous else None,
                started_at.replace(tzinfo=None),
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )
