"""Data-subject rights: erase a person everywhere (`forget`), or hand over all we hold (`access`).

`forget` finds the person by any form of their identifiers (:mod:`privacy.person`),
deletes their rows from every table of the warehouse, redacts their identifiers quoted
anywhere else (quality example values, reports, Data Docs: :mod:`privacy.files`),
rewrites the export files that hold them and deletes half-written ones, writes salted-hash
tombstones of every identifier they have (`core.erasure`, read by ingestion so re-loading an
old file does not bring them back), records the request in `ops.erasure_requests` with counts
only, and finally rewrites the DuckDB file so no deleted byte remains (`core.compaction`).
Their customer ids stay in `ops.export_state` (row hash blanked), so the next incremental
export carries each erasure as a `delete`. What it does not reach: docs/privacy.md.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from activation.consent_published import publish_refusals
from activation.export_files import erase_from_exports
from core import compaction, erasure
from core.erasure import record_forgotten
from core.identifiers import email_typed_sql, phone_e164_sql, unsalted_sha256_sql
from core.snapshot import republish_if_published
from core.warehouse import connect, one_row, scalar, table_exists, transaction
from privacy.access import load_person
from privacy.files import (
    needle_pattern,
    redact_files,
    redact_tables,
    remove_partial_exports,
)
from privacy.person import KEPT_TABLES, Person
from privacy.rows import row_predicate, tables_with_columns

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

__all__ = ["ErasureReport", "forget"]

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


def _spellings(con: duckdb.DuckDBPyConnection, person: Person, tables: dict) -> set[str]:
    """Every value the person's raw rows hold in an identifier column, as written."""
    found: set[str] = set()
    for (schema, table), columns in tables.items():
        if schema != "raw":
            continue
        predicate = row_predicate(person, schema, table, columns)
        if predicate == "false":
            continue
        names = {name for name, data_type in columns if data_type == "VARCHAR"}
        wanted = {n for n in names if "email" in n.lower() or "phone" in n.lower()}
        for mapping in person.mappings:
            if mapping.raw_table == f"{schema}.{table}":
                exprs = [mapping.source_key, *mapping.strong_identifiers.values()]
                wanted |= {n for n in names if any(n in e for e in exprs)}
        for name in sorted(wanted):
            found |= {
                r[0]
                for r in con.execute(
                    f'select distinct "{name}" from "{schema}"."{table}" '
                    f'where ({predicate}) and "{name}" is not null'
                ).fetchall()
            }
    return found


def _needles(con: duckdb.DuckDBPyConnection, person: Person, spellings: set[str]) -> set[str]:
    """Values that mark the person in files: every spelling and key, hashed audience forms."""
    needles = set(person.customer_ids) | set(person.emails) | set(person.phones) | spellings
    needles |= {v for _, v in person.tokens}
    for value in list(needles):
        e164, typed = one_row(
            con, f"select {phone_e164_sql('$1')}, {email_typed_sql('$1')}", [value]
        )
        needles |= {e164, typed} - {None}
    hashed = {
        scalar(con, f"select {unsalted_sha256_sql('$1')}", [n])
        for n in needles
        if "@" in n or n.startswith("+")
    }
    return {n for n in needles | hashed if n}


def _delete_rows(con: duckdb.DuckDBPyConnection, person: Person, tables: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (schema, table), columns in tables.items():
        if (schema, table) in KEPT_TABLES:
            continue
        predicate = row_predicate(person, schema, table, columns)
        if predicate == "false":
            continue
        deleted = scalar(con, f'delete from "{schema}"."{table}" where {predicate}')
        if deleted:
            counts[f"{schema}.{table}"] = deleted
    if table_exists(con, "ops", "export_state"):
        con.execute(
            "update ops.export_state set row_hash = 'erased' "
            "where customer_id in (select unnest(?))",
            [person.customer_ids],
        )
    return counts


def _delete_access_reports(settings: Settings, needles: set[str]) -> int:
    """Delete earlier `access` answers about the person: they are copies of their data."""
    folder = settings.reports_dir / "privacy"
    quoted = [f'"{v.lower()}"' for v in needles]
    deleted = 0
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        text = path.read_text(encoding="utf-8").lower()
        if any(n in text for n in quoted):
            path.unlink()
            deleted += 1
    return deleted


def forget(settings: Settings, identifier: str) -> ErasureReport:
    """Erase the person ``identifier`` names (e-mail, phone, card, account, cookie or
    customer_id, in any spelling); see the module doc."""
    from identity import clear_stored_guards

    salts = erasure.salts(settings)
    request_id = f"erasure-{uuid.uuid4()}"
    now = datetime.now(UTC).replace(tzinfo=None)
    with connect(settings) as con:
        erasure.ensure_tombstones(con, salts)
        person = load_person(con, settings, identifier)
        tables = tables_with_columns(con)
        needles = _needles(con, person, _spellings(con, person, tables))
        pattern = needle_pattern(needles)
        con.execute(REQUESTS_DDL)
        compaction.owe(settings.duckdb_path)  # from here on, deleted bytes must not survive
        with transaction(con):
            counts = _delete_rows(con, person, tables)
            # per-value guard results: a shared value's, without the person's record, would
            # be wrong, and the person's own values must not survive there
            clear_stored_guards(con)
            redacted = redact_tables(con, tables, pattern, KEPT_TABLES)
            keys = [t for t in person.tokens if t[1]]
            tombstones = erasure.write_tombstones(con, salts, keys, request_id, now)
        # the published snapshot still holds the person until the next publish: the API
        # reads this list and answers 404 from now on
        record_forgotten(settings.data_dir, person.customer_ids)
        removed = erase_from_exports(con, settings.export_dir, needles, request_id)
        extra = {
            "partial_exports": remove_partial_exports(settings.export_dir)
            + remove_partial_exports(settings.published_dir),  # the API's consent refusals
            "access_reports": _delete_access_reports(settings, needles),
            "files_redacted": redact_files(settings, needles),
            "values_redacted": sum(redacted.values()),
        }
        removed |= {k: v for k, v in extra.items() if v}
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
        compaction.compact(con, settings.duckdb_path)  # still holding the writer lock
    republish_if_published(settings, f"erasure {request_id}")
    publish_refusals(settings)  # the consent refusals the API applies, the person's gone
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
