"""Data-subject rights: erase a person everywhere (`forget`), or hand over all we hold (`access`).

`forget` deletes the person's rows from every table of the warehouse (raw, quarantine,
identity, consent, marts and any other schema, see :mod:`profiles.privacy_person` for the
rule), rewrites the export files that hold them, writes salted-hash tombstones of their
e-mails and phones (`cdp.erasure`, read by ingestion so re-loading an old file does not bring
them back) and records the request in `ops.erasure_requests` with counts only, no personal
data. Their customer ids stay in `ops.export_state` (row hash blanked), so the next
incremental export carries each erasure as a `delete`.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdp.erasure import TOMBSTONE_DDL, TOMBSTONE_TABLE, email_key_sql, hash_sql, phone_key_sql
from cdp.warehouse import connect, table_exists
from profiles.audiences import normalised_email_sql, normalised_phone_sql
from profiles.consent import build_consent
from profiles.export_files import erase_from_exports
from profiles.privacy_person import (
    KEPT_TABLES,
    Person,
    find_person,
    mapped_raw_keys,
    row_predicate,
    tables_with_columns,
)

if TYPE_CHECKING:
    import duckdb

    from cdp.settings import Settings

log = logging.getLogger(__name__)

REQUESTS_DDL = """
create schema if not exists ops;
create table if not exists ops.erasure_requests (request_id varchar, requested_at timestamp,
  identifier_kind varchar, customers_erased bigint, rows_deleted bigint, table_counts json,
  export_rows_removed json, tombstones bigint)
"""


@dataclass
class ErasureReport:
    """What a `forget` request removed; holds no personal data."""

    request_id: str
    identifier_kind: str
    customers_erased: int
    table_counts: dict[str, int] = field(default_factory=dict)
    export_rows_removed: dict[str, int] = field(default_factory=dict)
    tombstones: int = 0

    @property
    def rows_deleted(self) -> int:
        """Rows deleted from warehouse tables, all tables together."""
        return sum(self.table_counts.values())


def _salt_literal(settings: Settings) -> str:
    return "'" + settings.erasure_salt.replace("'", "''") + "'"


def _write_tombstones(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    person: Person,
    request_id: str,
    now: datetime,
) -> int:
    con.execute(TOMBSTONE_DDL)
    salt = _salt_literal(settings)
    values = [("email", e) for e in person.emails] + [("phone", p) for p in person.phones]
    if not values:
        return 0
    con.execute("create or replace temp table _erasure_values(kind varchar, value varchar)")
    con.executemany("insert into _erasure_values values (?, ?)", values)
    con.execute(
        f"""insert into {TOMBSTONE_TABLE}
select distinct kind, case kind when 'email' then {hash_sql(email_key_sql("value"), salt)}
                                else {hash_sql(phone_key_sql("value"), salt)} end, ?, ?
from _erasure_values
where case kind when 'email' then {email_key_sql("value")} else {phone_key_sql("value")} end
      is not null
  and (kind, case kind when 'email' then {hash_sql(email_key_sql("value"), salt)}
                       else {hash_sql(phone_key_sql("value"), salt)} end)
      not in (select identifier_kind, identifier_hash from {TOMBSTONE_TABLE})""",
        [request_id, now],
    )
    con.execute("drop table _erasure_values")
    return con.execute(
        f"select count(*) from {TOMBSTONE_TABLE} where request_id = ?", [request_id]
    ).fetchone()[0]


def _export_needles(con: duckdb.DuckDBPyConnection, person: Person) -> set[str]:
    """Values that mark the person's rows in export files, hashed audience columns included."""
    needles = set(person.customer_ids) | set(person.emails) | set(person.phones)
    for email in person.emails:
        needles.add(
            con.execute(f"select sha256({normalised_email_sql('?')})", [email]).fetchone()[0]
        )
    for phone in person.phones:
        needles.add(
            con.execute(f"select sha256({normalised_phone_sql('?')})", [phone]).fetchone()[0]
        )
    return {n for n in needles if n}


def _compact_warehouse(settings: Settings) -> None:
    """Rewrite the warehouse into a fresh file and swap it in.

    DuckDB marks deleted rows but leaves their bytes in the file's blocks (a checkpoint does
    not clear them); copying the database leaves only live rows, so nothing erased can be
    read back from the file.
    """
    import os

    target = settings.duckdb_path
    compacted = target.with_name(f".{target.name}.compact")
    compacted.unlink(missing_ok=True)
    escaped = str(compacted).replace("'", "''")
    with connect(settings) as con:
        database = con.execute("select current_database()").fetchone()[0]
        con.execute(f"attach '{escaped}' as _erasure_compacted")
        try:
            con.execute(f'copy from database "{database}" to _erasure_compacted')
        finally:
            con.execute("detach _erasure_compacted")
    os.replace(compacted, target)
    Path(f"{compacted}.wal").unlink(missing_ok=True)
    log.info("warehouse rewritten without erased rows: %s", target)


def _delete_access_reports(settings: Settings, person: Person) -> int:
    """Delete earlier `access` answers about the person: they are copies of their data."""
    folder = settings.reports_dir / "privacy"
    needles = [f'"{v}"' for v in (*person.customer_ids, *person.emails)]
    deleted = 0
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        text = path.read_text(encoding="utf-8").lower()
        if any(n.lower() in text for n in needles):
            path.unlink()
            deleted += 1
    return deleted


def forget(settings: Settings, identifier: str) -> ErasureReport:
    """Erase the person ``identifier`` (e-mail, phone or customer_id) names; see module doc."""
    request_id = f"erasure-{uuid.uuid4()}"
    now = datetime.now(UTC).replace(tzinfo=None)
    with connect(settings) as con:
        person = find_person(con, identifier)
        person.mapped_keys = mapped_raw_keys(settings)
        con.execute(REQUESTS_DDL)
        counts: dict[str, int] = {}
        con.execute("begin transaction")
        try:
            for (schema, table), columns in tables_with_columns(con).items():
                if (schema, table) in KEPT_TABLES:
                    continue
                predicate = row_predicate(person, schema, table, columns)
                if predicate == "false":
                    continue
                deleted = con.execute(
                    f'delete from "{schema}"."{table}" where {predicate}'
                ).fetchone()[0]
                if deleted:
                    counts[f"{schema}.{table}"] = deleted
            if table_exists(con, "ops", "export_state"):
                con.execute(
                    "update ops.export_state set row_hash = 'erased' "
                    "where customer_id in (select unnest(?))",
                    [person.customer_ids],
                )
            tombstones = _write_tombstones(con, settings, person, request_id, now)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        removed = erase_from_exports(
            con, settings.export_dir, _export_needles(con, person), request_id
        )
        reports = _delete_access_reports(settings, person)
        if reports:
            removed["access_reports"] = reports
        report = ErasureReport(
            request_id,
            person.identifier_kind,
            len(person.customer_ids),
            counts,
            removed,
            tombstones,
        )
        con.execute(
            "insert into ops.erasure_requests values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                request_id,
                now,
                person.identifier_kind,
                report.customers_erased,
                report.rows_deleted,
                json.dumps(counts),
                json.dumps(removed),
                tombstones,
            ],
        )
    _compact_warehouse(settings)
    log.info(
        "erasure %s: %d customer id(s), %d rows in %d tables, export rows %s, %d tombstones",
        request_id,
        report.customers_erased,
        report.rows_deleted,
        len(counts),
        removed,
        tombstones,
    )
    return report


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def access(settings: Settings, identifier: str, out: Path | None = None) -> Path:
    """Write everything held on the person into one JSON file; returns its path."""
    request_id = f"access-{uuid.uuid4()}"
    out = out or settings.reports_dir / "privacy" / f"{request_id}.json"
    with connect(settings) as con:
        person = find_person(con, identifier)
        person.mapped_keys = mapped_raw_keys(settings)
        build_consent(con, settings)
        tables = tables_with_columns(con)
        ids = person.customer_ids

        def by_customer(schema: str, table: str) -> list[dict]:
            if not table_exists(con, schema, table):
                return []
            return _rows(
                con,
                f"select * from {schema}.{table} where customer_id in (select unnest(?))",
                [ids],
            )

        document: dict[str, Any] = {
            "request": {
                "request_id": request_id,
                "identifier_kind": person.identifier_kind,
                "generated_at": datetime.now(UTC).isoformat(),
            },
            "customer_ids": ids,
            "source_identities": _rows(
                con,
                "select m.customer_id, r.* from identity.identity_records r "
                "join identity.customer_records m using (record_id) "
                "where record_id in (select unnest(?)) order by record_id",
                [person.record_ids],
            )
            if person.record_ids
            else [],
            "golden_record": by_customer("identity", "golden_records"),
            "profile": by_customer("marts", "customer_profile"),
            "segments": by_customer("marts", "customer_segments"),
            "timeline": by_customer("marts", "customer_timeline"),
            "feedback": by_customer("marts", "customer_feedback"),
            "consents": {
                "current": by_customer("consent", "current"),
                "history": by_customer("consent", "history"),
            },
            "identity_history": by_customer("identity", "id_history"),
            "raw": {},
            "quarantine": [],
        }
        for (schema, table), columns in tables.items():
            if schema != "raw" and (schema, table) != ("ops", "quarantine"):
                continue
            predicate = row_predicate(person, schema, table, columns)
            if predicate == "false":
                continue
            rows = _rows(con, f'select * from "{schema}"."{table}" where {predicate}')
            if schema == "raw" and rows:
                document["raw"][f"raw.{table}"] = rows
            elif rows:
                document["quarantine"] = rows
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    partial.write_text(
        json.dumps(document, indent=2, ensure_ascii=False, default=_json_default) + "\n",
        encoding="utf-8",
    )
    partial.replace(out)
    log.info(
        "access %s: %d source identities, %d raw tables written to %s",
        request_id,
        len(document["source_identities"]),
        len(document["raw"]),
        out,
    )
    return out
