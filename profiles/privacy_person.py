"""Who a data-subject request is about, and which rows of the warehouse hold them.

A request names an e-mail, a phone or a customer_id. The person is every customer that
identifier resolves to (with the retired ids merged into them), all their source identities,
and every e-mail and phone those identities carry. A row belongs to the person when:

- it sits in a raw table and one of its source-key columns holds one of their source keys
  (loyalty card, e-shop account, cookie, ticket, subscriber e-mail), or an e-mail / phone
  column matches one of their e-mails / phones (normalised as `cdp.erasure` does);
- it sits anywhere else and a `customer_id`-like column holds one of their customer ids, a
  `record_id`-like column one of their record ids, or an e-mail / phone column their value;
- it is a quarantined line (`raw_record`) whose text holds one of their e-mails, phones
  (as digits) or source keys.

Rows matching an e-mail or phone are matched even when they belong to someone else sharing
it (a household address): the erasure tombstone suppresses those values on re-ingestion
anyway, so keeping them would be inconsistent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cdp.erasure import email_key_sql, phone_key_sql
from cdp.warehouse import table_exists

if TYPE_CHECKING:
    import duckdb

    from cdp.settings import Settings

# Source-key columns of the raw tables (docs/architecture.md, identity types table).
RAW_SOURCE_KEYS = {
    "pos__receipt_lines": {"loyalty_card_id": "loyalty_card"},
    "web__accounts": {"account_id": "web_account"},
    "web__events": {"user_id": "web_account", "user_pseudo_id": "web_cookie"},
    "email__subscribers": {"email": "email_subscriber"},
    "email__activity": {"email": "email_subscriber"},
    "callcenter__tickets": {"ticket_id": "callcenter_caller", "loyalty_card_id": "loyalty_card"},
}
# Tables that must keep their rows: the erasure's own records, holding no personal data.
KEPT_TABLES = {
    ("ops", "erasure_tombstones"),
    ("ops", "erasure_requests"),
    ("ops", "export_state"),
    ("ops", "export_runs"),
}


class PersonNotFoundError(LookupError):
    """Nothing in the warehouse matches the identifier of a request."""


@dataclass
class Person:
    """Everything that identifies one data subject in the warehouse."""

    identifier_kind: str
    customer_ids: list[str] = field(default_factory=list)
    record_ids: list[str] = field(default_factory=list)
    source_keys: dict[str, list[str]] = field(default_factory=dict)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    phone_keys: list[str] = field(default_factory=list)
    # raw table -> (identity_type, source_key SQL) of every identity mapping reading it
    mapped_keys: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def identifier_kind(con: duckdb.DuckDBPyConnection, identifier: str) -> str:
    """'email', 'customer_id' or 'phone', from the identifier's shape and the customer ids."""
    if "@" in identifier:
        return "email"
    for schema, table, column in (
        ("identity", "customers", "customer_id"),
        ("identity", "customer_aliases", "retired_customer_id"),
    ):
        if (
            table_exists(con, schema, table)
            and con.execute(
                f"select count(*) from {schema}.{table} where {column} = ?", [identifier]
            ).fetchone()[0]
        ):
            return "customer_id"
    if len(re.sub(r"\D", "", identifier)) >= 9:
        return "phone"
    raise PersonNotFoundError(
        f"{identifier!r} is neither an e-mail, a phone (9+ digits) nor a "
        "known customer_id; check the value and retry"
    )


def _values(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[str]:
    return sorted({row[0] for row in con.execute(sql, params).fetchall() if row[0] is not None})


def find_person(con: duckdb.DuckDBPyConnection, identifier: str) -> Person:
    """Resolve a request's identifier to the person's ids, source keys, e-mails and phones."""
    kind = identifier_kind(con, identifier)
    person = Person(kind)
    has_identity = table_exists(con, "identity", "identity_records") and table_exists(
        con, "identity", "customer_records"
    )
    key = con.execute(
        f"select {email_key_sql('$1')}, {phone_key_sql('$1')}", [identifier]
    ).fetchone()
    if kind == "customer_id":
        seeds = [identifier]
    elif has_identity:
        column, value = (
            (email_key_sql("r.email"), key[0])
            if kind == "email"
            else (phone_key_sql("r.phone"), key[1])
        )
        seeds = _values(
            con,
            f"select m.customer_id from identity.identity_records r "
            f"join identity.customer_records m using (record_id) "
            f"where {column} = ?",
            [value],
        )
    else:
        seeds = []
    aliases = table_exists(con, "identity", "customer_aliases")
    if seeds and aliases:
        survivors = _values(
            con,
            "select coalesce(a.customer_id, s.id) from unnest(?) s(id) "
            "left join identity.customer_aliases a "
            "on a.retired_customer_id = s.id",
            [seeds],
        )
        retired = _values(
            con,
            "select retired_customer_id from identity.customer_aliases "
            "where customer_id in (select unnest(?))",
            [survivors],
        )
        seeds = sorted(set(seeds) | set(survivors) | set(retired))
    person.customer_ids = seeds
    if has_identity and seeds:
        records = con.execute(
            "select r.record_id, r.identity_type, r.source_key, r.email, r.phone "
            "from identity.identity_records r join identity.customer_records m using (record_id) "
            "where m.customer_id in (select unnest(?))",
            [seeds],
        ).fetchall()
        person.record_ids = sorted({r[0] for r in records})
        for _, identity_type, source_key, _, _ in records:
            person.source_keys.setdefault(identity_type, []).append(source_key)
        emails = {r[3] for r in records} | ({identifier} if kind == "email" else set())
        phones = {r[4] for r in records} | ({identifier} if kind == "phone" else set())
    else:
        emails = {identifier} if kind == "email" else set()
        phones = {identifier} if kind == "phone" else set()
    if table_exists(con, "identity", "golden_records") and seeds:
        for email, phone in con.execute(
            "select email, phone from identity.golden_records "
            "where customer_id in (select unnest(?))",
            [seeds],
        ).fetchall():
            emails.add(email)
            phones.add(phone)
    person.emails = sorted({e.strip().lower() for e in emails if e and e.strip()})
    person.phones = sorted({p for p in phones if p})
    person.phone_keys = sorted(
        {k for p in person.phones if (k := re.sub(r"\D", "", p)[-9:]) and len(k) == 9}
    )
    if not (person.customer_ids or person.emails or person.phone_keys):
        raise PersonNotFoundError(f"no customer, e-mail or phone matches {identifier!r}")
    return person


def _in(expression: str, values: list[str]) -> str:
    if not values:
        return "false"
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{expression} in ({quoted})"


def _contains_any(column: str, needles: list[str]) -> list[str]:
    return [
        "contains(lower(" + column + "), '" + n.lower().replace("'", "''") + "')"
        for n in needles
        if len(n) >= 5
    ]


def row_predicate(person: Person, schema: str, table: str, columns: list[tuple[str, str]]) -> str:
    """SQL condition selecting the person's rows in ``schema.table`` (``false`` if none can)."""
    conditions: list[str] = []
    keys = RAW_SOURCE_KEYS.get(table, {}) if schema == "raw" else {}
    if schema == "raw":
        conditions += _mapped_key_conditions(person, table)
    for name, data_type in columns:
        if data_type != "VARCHAR":
            continue
        quoted, lowered = f'"{name}"', name.lower()
        if name in keys:
            values = person.source_keys.get(keys[name], [])
            if keys[name] == "email_subscriber":
                conditions.append(_in(email_key_sql(quoted), values))
            else:
                conditions.append(_in(quoted, values))
        if lowered == "customer_id" or lowered.endswith("_customer_id"):
            conditions.append(_in(quoted, person.customer_ids))
        if lowered.startswith("record_id"):
            conditions.append(_in(quoted, person.record_ids))
        if "email" in lowered:
            conditions.append(_in(email_key_sql(quoted), person.emails))
        if "phone" in lowered:
            conditions.append(_in(phone_key_sql(quoted), person.phone_keys))
        if lowered == "identifier_value":
            # identity guard tables name the value itself: an e-mail, a phone or a card
            source_keys = [k for ks in person.source_keys.values() for k in ks]
            conditions.append(_in(email_key_sql(quoted), person.emails))
            conditions.append(_in(phone_key_sql(quoted), person.phone_keys))
            conditions.append(_in(quoted, source_keys))
        if lowered == "raw_record":
            source_keys = [k for ks in person.source_keys.values() for k in ks]
            conditions += _contains_any(quoted, person.emails + source_keys)
            digits = f"regexp_replace({quoted}, '[^0-9]', '', 'g')"
            conditions += _contains_any(digits, person.phone_keys)
    conditions += _keyed_message_conditions(person, {name.lower() for name, _ in columns})
    conditions = [c for c in conditions if c != "false"]
    return " or ".join(f"coalesce({c}, false)" for c in conditions) or "false"


def _keyed_message_conditions(person: Person, names: set[str]) -> list[str]:
    """Rows keyed by (identity_type, message_id | source_key), as feedback.message_analysis
    is: the person's messages whatever table copied them."""
    key = next((k for k in ("message_id", "source_key") if k in names), None)
    if "identity_type" not in names or key is None:
        return []
    return [
        f"({_in('identity_type', [kind])} and {_in(key, keys)})"
        for kind, keys in person.source_keys.items()
        if keys
    ]


def tables_with_columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list]:
    """Every base table of the warehouse with its (column, type) list."""
    rows = con.execute("""
        select c.table_schema, c.table_name, c.column_name, c.data_type
        from information_schema.columns c join information_schema.tables t
          on t.table_schema = c.table_schema and t.table_name = c.table_name
         and t.table_catalog = c.table_catalog
        where t.table_type = 'BASE TABLE' and t.table_catalog = current_database()
          and c.table_schema not in ('information_schema', 'pg_catalog')
        order by c.table_schema, c.table_name, c.ordinal_position""").fetchall()
    tables: dict[tuple[str, str], list] = {}
    for schema, table, column, data_type in rows:
        tables.setdefault((schema, table), []).append((column, data_type))
    return tables


def mapped_raw_keys(settings: Settings) -> dict[str, list[tuple[str, str]]]:
    """Per raw table, the identity mappings' ``(identity_type, source_key SQL)``: a person's
    rows in any source with an ``identities:`` entry (a CRM, a person file keyed by SSN)
    are found by the same expression that keyed their identity records."""
    import identity
    from identity._config import IdentityConfigError

    try:
        mappings = identity.identity_mappings(settings)
    except IdentityConfigError:
        return {}
    keys: dict[str, list[tuple[str, str]]] = {}
    for mapping in mappings:
        table = mapping.raw_table.split(".", 1)[1]
        keys.setdefault(table, []).append((mapping.identity_type, mapping.source_key))
    return keys


def _mapped_key_conditions(person: Person, table: str) -> list[str]:
    return [
        _in(f"cast(({source_key}) as varchar)", person.source_keys.get(identity_type, []))
        for identity_type, source_key in person.mapped_keys.get(table, [])
    ]
