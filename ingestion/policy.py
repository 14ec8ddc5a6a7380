"""Field-level policy of a source definition: what is required, derived, defaulted or nulled.

A contract says what a valid row is; a definition says how strict one source is about it:
- required fields must be mapped, unless the contract can derive them (a till export
  without line numbers numbers each receipt's lines in file order);
- ``default:`` gives a field the export lacks a constant;
- ``on_invalid: null`` drops an invalid value and keeps the row (counted per batch, field
  and reason in ``ops.field_issues``); ``quarantine`` sends the row to ``ops.quarantine``.
  Optional fields default to ``null``; required ones can only quarantine;
- birth-date bounds per source (``birth_dates: {min: ..., max: ...}``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import TYPE_CHECKING

from ingestion.contracts import ColumnRule, column_rules

if TYPE_CHECKING:
    import duckdb

    from ingestion.definitions import EntityDefinition

# contract -> field -> the fields grouping the rows it numbers (in file order, from 1)
DERIVED_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "pos_receipt_line": {"line_number": ("store_id", "receipt_id")},
}


def derived_fields(entity: EntityDefinition) -> dict[str, tuple[str, ...]]:
    """Fields of this entity the load derives because the definition does not map them."""
    derivable = DERIVED_FIELDS.get(entity.contract, {})
    return {name: group for name, group in derivable.items() if name not in entity.columns}


def check_field_policies(entity: EntityDefinition, rules: dict[str, ColumnRule]) -> None:
    """Raise ValueError (a definition error) when required fields are unmapped or lenient."""
    derivable = DERIVED_FIELDS.get(entity.contract, {})
    missing = [
        name
        for name, rule in rules.items()
        if rule.required and name not in entity.columns and name not in derivable
    ]
    if missing:
        raise ValueError(
            f"contract {entity.contract!r} requires {missing}: map them under `columns:` "
            "(a `column:`, an `sql:` over the row, or a `default:`)"
        )
    lenient = [
        name
        for name, source in entity.columns.items()
        if source.on_invalid == "null" and rules[name].required
    ]
    if lenient:
        raise ValueError(
            f"{lenient} identify the row (required by {entity.contract!r}): an invalid value "
            "quarantines the row; drop `on_invalid: null` there"
        )


def entity_rules(entity: EntityDefinition) -> list[ColumnRule]:
    """The contract's rules with this source's birth-date bounds applied."""
    bounds = entity.birth_dates
    rules = []
    for rule in column_rules(entity.contract_model):
        if rule.birth_date:
            rule = dataclasses.replace(
                rule,
                ge=bounds.min,
                le=bounds.max,
                not_in_future=bounds.max is None,
            )
        rules.append(rule)
    return rules


def on_invalid(rule: ColumnRule, entity: EntityDefinition) -> str:
    """``null`` or ``quarantine``: what an invalid value of this field does to its row."""
    source = entity.columns.get(rule.name)
    if source is not None and source.on_invalid:
        return source.on_invalid
    return "quarantine" if rule.required else "null"


_LEADING_LITERAL = re.compile(r"^'((?:[^']|'')*)'")


def issue_label(message_sql: str) -> str:
    """The value-free part of a reason (``birth_date: must be >= 1800-01-01``): field issues
    are counted by it, and never hold row contents."""
    match = _LEADING_LITERAL.match(message_sql)
    text = match.group(1).replace("''", "'") if match else message_sql
    return text.removesuffix(", got ").removesuffix(" got ").strip()


def default_text(value: object) -> str:
    """A ``default:`` as the text the staging query casts like any export value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def derive_fields(con: duckdb.DuckDBPyConnection, entity: EntityDefinition) -> None:
    """Number the rows of each group in file order for every derived field of ``_scanned``.

    Runs after the scan: ``_scanned`` keeps file order in its rowid. Every record of a
    group counts, quarantined ones included, so a line keeps its number when a corrected
    file is reloaded.
    """
    for name, group in derived_fields(entity).items():
        keys = ", ".join(f'"{g}"' for g in group)
        con.execute(f"""
            update _scanned set "{name}" = d.n
            from (select rowid as rid,
                         row_number() over (partition by {keys} order by rowid) as n
                  from _scanned where not _skip) d
            where _scanned.rowid = d.rid
        """)
