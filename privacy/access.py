"""`access`: everything held on a person, in one JSON file, and only theirs.

The person is found as `forget` finds them (:mod:`privacy.person`). When identity
merged into their customer a record that shares none of the requester's identifiers (a
namesake), handing over the customer would disclose someone else's data: such records are
listed without their data, customer-level data (golden record, profile, segments, timeline,
consents, history) is withheld, and the answer says ``needs_review: true`` so a steward
splits the customer (``cdp identity`` decisions) before answering in full.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.warehouse import connect, table_exists
from core.warehouse import rows as dict_rows
from privacy.person import Person, find_person, verified_records
from privacy.rows import row_predicate, tables_with_columns
from profiles.build import CONSENT_MART
from profiles.consent import SIGNALS_TABLE

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

log = logging.getLogger(__name__)

_CUSTOMER_LEVEL = {
    "golden_record": ("marts", "golden_records"),
    "profile": ("marts", "customer_profile"),
    "segments": ("marts", "customer_segments"),
    "timeline": ("marts", "customer_timeline"),
    "feedback": ("marts", "customer_feedback"),
    "identity_history": ("identity", "id_history"),
}


def load_person(con: duckdb.DuckDBPyConnection, settings: Settings, identifier: str) -> Person:
    """The request's person, keyed with this installation's e-mail rules and mappings."""
    from core.identifiers import configured_email_rules
    from identity import identity_mappings

    rules = configured_email_rules(settings.identity_config_path)
    return find_person(con, identifier, rules, identity_mappings(settings))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else str(value)


def _customer_level(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, Any]:
    def by_customer(schema: str, table: str) -> list[dict]:
        if not table_exists(con, schema, table):
            return []
        return dict_rows(
            con, f"select * from {schema}.{table} where customer_id in (select unnest(?))", [ids]
        )

    section: dict[str, Any] = {k: by_customer(*where) for k, where in _CUSTOMER_LEVEL.items()}
    # in force and reachable as the last profiles build decided; every signal behind it
    section["consents"] = {
        "in_force": by_customer(*CONSENT_MART.split(".")),
        "signals": by_customer(*SIGNALS_TABLE.split(".")),
    }
    return section


def _source_rows(con: duckdb.DuckDBPyConnection, person: Person) -> tuple[dict, list]:
    """Raw rows and quarantined lines of ``person`` (already restricted to verified records)."""
    raw: dict[str, list[dict]] = {}
    quarantine: list[dict] = []
    for (schema, table), columns in tables_with_columns(con).items():
        if schema != "raw" and (schema, table) != ("ops", "quarantine"):
            continue
        predicate = row_predicate(person, schema, table, columns)
        if predicate == "false":
            continue
        rows = dict_rows(con, f'select * from "{schema}"."{table}" where {predicate}')
        if schema == "raw" and rows:
            raw[f"raw.{table}"] = rows
        elif rows:
            quarantine = rows
    return raw, quarantine


def access(settings: Settings, identifier: str, out: Path | None = None) -> Path:
    """Write everything held on the person into one JSON file; returns its path."""
    request_id = f"access-{uuid.uuid4()}"
    out = out or settings.reports_dir / "privacy" / f"{request_id}.json"
    with connect(settings) as con:
        person = load_person(con, settings, identifier)
        verified = verified_records(person)
        unverified = sorted(set(person.record_ids) - verified)
        own = person.restricted_to(verified) if unverified else person
        identities = (
            dict_rows(
                con,
                "select m.customer_id, r.* from identity.identity_records r "
                "join identity.customer_records m using (record_id) "
                "where record_id in (select unnest(?)) order by record_id",
                [own.record_ids],
            )
            if own.record_ids
            else []
        )
        withheld = [
            {"record_id": r, "identity_type": r.split(":", 1)[0], "data": "withheld"}
            for r in unverified
        ]
        document: dict[str, Any] = {
            "request": {
                "request_id": request_id,
                "identifier_kind": person.identifier_kind,
                "generated_at": datetime.now(UTC).isoformat(),
            },
            "needs_review": bool(unverified),
            "customer_ids": person.customer_ids,
            "source_identities": identities,
            "unverified_records": withheld,
        }
        if unverified:
            document["customer_level_data"] = (
                "withheld: the customer holds records that share none of the requester's "
                "identifiers; a steward must review the merge before a full answer"
            )
        else:
            document |= _customer_level(con, person.customer_ids)
        document["raw"], document["quarantine"] = _source_rows(con, own)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    partial.write_text(
        json.dumps(document, indent=2, ensure_ascii=False, default=_json_default) + "\n",
        encoding="utf-8",
    )
    partial.replace(out)
    log.info(
        "access %s: %d source identities, %d withheld, %d raw tables written to %s",
        request_id,
        len(identities),
        len(unverified),
        len(document["raw"]),
        out,
    )
    return out
