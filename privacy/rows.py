"""The SQL that selects a person's rows in any table (the rule: :mod:`privacy.person`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.identifiers import email_key_sql, phone_key_sql, source_key_sql

if TYPE_CHECKING:
    import duckdb

    from privacy.person import Person


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


def _raw_key_conditions(person: Person, schema: str, table: str) -> list[str]:
    """Source keys and strong identifiers of the mappings reading ``raw.<table>``."""
    conditions = []
    for mapping in person.mappings:
        if mapping.raw_table != f"{schema}.{table}":
            continue
        conditions.append(
            _in(source_key_sql(mapping.source_key), person.values_of(mapping.identity_type))
        )
        conditions += [
            _in(source_key_sql(expr), person.values_of(kind))
            for kind, expr in mapping.strong_identifiers.items()
        ]
    return conditions


def row_predicate(person: Person, schema: str, table: str, columns: list[tuple[str, str]]) -> str:
    """SQL condition selecting the person's rows in ``schema.table`` (``false`` if none can)."""
    conditions = _raw_key_conditions(person, schema, table) if schema == "raw" else []
    keys = [v for k, v in person.tokens if k not in ("email", "phone")]
    for name, data_type in columns:
        if data_type != "VARCHAR":
            continue
        quoted, lowered = f'"{name}"', name.lower()
        if lowered == "customer_id" or lowered.endswith("_customer_id"):
            conditions.append(_in(quoted, person.customer_ids))
        if lowered.startswith("record_id"):
            conditions.append(_in(quoted, person.record_ids))
        if "email" in lowered:
            conditions.append(_in(email_key_sql(quoted, person.rules), person.emails))
        if "phone" in lowered:
            conditions.append(_in(phone_key_sql(quoted), person.phone_keys))
        if lowered == "identifier_value":
            # identity guard tables name the value itself: an e-mail, a phone or a card
            conditions.append(_in(email_key_sql(quoted, person.rules), person.emails))
            conditions.append(_in(phone_key_sql(quoted), person.phone_keys))
            conditions.append(_in(quoted, keys))
        if lowered == "raw_record":
            conditions += _contains_any(quoted, person.emails + keys)
            digits = f"regexp_replace({quoted}, '[^0-9]', '', 'g')"
            conditions += _contains_any(digits, person.phone_keys)
    conditions += _message_conditions(person, {name.lower() for name, _ in columns})
    conditions = [c for c in conditions if c != "false"]
    return " or ".join(f"coalesce({c}, false)" for c in conditions) or "false"


def _message_conditions(person: Person, names: set[str]) -> list[str]:
    """Rows keyed by (identity_type, message_id or author_key), as
    feedback.message_analysis is: the person's messages, text included, wherever the
    analysis copied them."""
    if not {"identity_type", "message_id"} <= names:
        return []
    kinds = {kind for kind, _ in person.tokens} - {"email", "phone"}
    # the author's identity key: the message id itself (a ticket), or the sender (an SMS)
    keys = [key for key in ("message_id", "author_key") if key in names]
    return [
        f"({_in('identity_type', [kind])} and {_in(key, person.values_of(kind))})"
        for kind in sorted(kinds)
        for key in keys
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
