"""SQL expressions compiled from a contract and a source definition.

Per field: its cleaned text, its value cast to the contract type with the definition's
formats, and, per rule, the condition under which the rule is broken with the reason to
report (``quantity: must be >= 1, got '-2'``). :mod:`ingestion.staging` assembles them into
one vectorised query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from ingestion.contracts import ColumnRule
from ingestion.definitions import EntityDefinition

# UTF-8 decoded as a single-byte code page: a lead byte (Â Ã: Latin-1 letters; Ä Å: Latin
# Extended-A, œ Œ š ž ł; â€ â‚: punctuation ’ … and currency €) followed by what was a
# continuation byte (0x80-0xBF as latin-1, or its cp1252 character). U+FFFD marks a byte
# that cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D).
_CONTINUATION = "\\x{80}-\\x{BF}€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
BROKEN_ENCODING_PATTERN = f"[ÂÃÄÅ][{_CONTINUATION}]|â€|â‚|\\x{{FFFD}}"
# A match of the pattern needs one of these: text without them is clean, at memchr speed.
ENCODING_SUSPECTS = ("Â", "Ã", "Ä", "Å", "â€", "â‚", "\ufffd")


def may_show_broken_encoding(text: str) -> str:
    """SQL false when ``text`` cannot match :data:`BROKEN_ENCODING_PATTERN`."""
    return "(" + " or ".join(f"contains({text}, {literal(n)})" for n in ENCODING_SUSPECTS) + ")"


def literal(value: object) -> str:
    """A Python value as a DuckDB SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def json_path(column: str) -> str:
    """``ecommerce.transaction_id`` -> ``$.ecommerce.transaction_id``."""
    return column if column.startswith("$") else "$." + column


def macro_name(field: str) -> str:
    """Temp macro applying a definition's ``sql:`` expression to one field."""
    return f"_cdp_map_{field}"


def macro_ddl(entity: EntityDefinition) -> list[str]:
    """``create macro`` statements for every field mapped with an ``sql:`` expression."""
    return [
        f"create or replace temp macro {macro_name(field)}(value) as ({source.sql})"
        for field, source in entity.columns.items()
        if source.sql and not source.whole_row
    ]


def field_text(
    field: str,
    entity: EntityDefinition,
    parsed: dict[tuple[str, str], str],
    padded: bool = True,
) -> str:
    """SQL for a field's cleaned text (trimmed, empty as NULL), through its ``sql:`` if any;
    ``parsed`` names the columns already parsed into a definition's ``structure``;
    ``padded`` False: the reader's values need no cleaning (``readers.SourceRows.padded``)."""
    source = entity.columns[field]
    if source.whole_row or source.column is None:
        return _row_text(source)
    value = f"cast({ident(source.column)} as varchar)"
    text = field_text_plain(value, source, parsed, field, padded)
    return f"coalesce({text}, {_default(source)})" if source.default is not None else text


def _default(source) -> str:
    from ingestion.policy import default_text

    return literal(default_text(source.default))


def _row_text(source) -> str:
    """A field computed over the whole row (``sql:`` without ``column:``) or a constant."""
    if source.sql:
        text = f"nullif(trim(cast(({source.sql}) as varchar)), '')"
        return f"coalesce({text}, {_default(source)})" if source.default is not None else text
    return _default(source)


def field_text_plain(
    value: str, source, parsed: dict[tuple[str, str], str], field: str, padded: bool = True
) -> str:
    """A column's cleaned text, through its ``sql:`` when it has one."""
    if source.sql:
        argument = parsed.get((source.column, source.structure or ""), value)
        return f"nullif(trim(cast({macro_name(field)}({argument}) as varchar)), '')"
    if not padded:
        return value
    # trim() copies every string, and most values have no space to trim (it drops spaces only)
    return (
        f"case when starts_with({value}, ' ') or ends_with({value}, ' ') "
        f"then nullif(trim({value}), '') else nullif({value}, '') end"
    )


# An ISO 8601 time followed by an offset (``10:15:00+01:00``, ``10:15:00.5Z``, ``10:15+0100``)
ISO_OFFSET_PATTERN = r":[0-9]{2}(\.[0-9]*)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"


def iso_timestamp_sql(text: str) -> str:
    """ISO 8601 text as a UTC timestamp: an offset makes the value absolute (stored as UTC,
    like every ``*_at`` column); without one the value is taken as written. DuckDB's plain
    cast to TIMESTAMP would drop the offset and keep the local time."""
    upper = f"upper({text})"
    # DuckDB reads `10:15:00+01:00`, not `10:15:00 +0100` (Shopify): the space goes
    offset = f"regexp_replace({upper}, '\\s+([+-][0-9]{{2}}(:?[0-9]{{2}})?)$', '\\1')"
    return (
        f"case when regexp_matches({upper}, {literal(ISO_OFFSET_PATTERN)}) "
        f"then timezone('UTC', try_cast({offset} as TIMESTAMPTZ)) "
        f"else try_cast({text} as TIMESTAMP) end"
    )


def _parse_time(text: str, formats: list[str], target: str) -> str:
    parts = []
    patterns = [f for f in formats if "%" in f]
    if patterns:
        parsed = f"try_strptime({text}, [{', '.join(literal(f) for f in patterns)}])"
        if any("%z" in f or "%Z" in f for f in patterns):
            # an offset makes the value absolute: stored as UTC, like every *_at column
            parsed = f"timezone('UTC', {parsed})"
        parts.append(parsed)
    scale = {"epoch_s": 1_000_000, "epoch_ms": 1_000, "epoch_us": 1}
    for fmt in formats:
        if fmt in scale:
            parts.append(f"make_timestamp(try_cast({text} as BIGINT) * {scale[fmt]})")
        if fmt == "iso8601":
            parts.append(iso_timestamp_sql(text))
    if not parts:
        if target == "TIMESTAMP":
            return iso_timestamp_sql(text)
        return f"try_cast({text} as {target})"
    value = parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
    return value if target == "TIMESTAMP" else f"cast({value} as DATE)"


def one_of(value: str, values: Sequence[str]) -> str:
    """SQL true when ``value`` is one of ``values`` (NULL when it is NULL).

    Spelt as ``=`` comparisons: DuckDB 2.0 plans ``IN`` and ``list_contains`` over a constant
    list as a hash join per use, several times slower inside a projection.
    """
    return "(" + " or ".join(f"{value} = {literal(v)}" for v in values) + ")"


def typed(rule: ColumnRule, text: str, entity: EntityDefinition) -> str:
    """SQL casting a cleaned text column to the contract type; NULL when it does not parse."""
    if rule.sql_type == "VARCHAR":
        return text
    if rule.sql_type == "JSON":
        return f"try_cast({text} as JSON)"
    if rule.sql_type == "BOOLEAN":
        lowered = f"lower({text})"
        yes = one_of(lowered, [v.lower() for v in entity.booleans.true_values])
        no = one_of(lowered, [v.lower() for v in entity.booleans.false_values])
        return f"case when {yes} then true when {no} then false end"
    if rule.sql_type == "TIMESTAMP":
        return _parse_time(text, entity.timestamp_formats, "TIMESTAMP")
    if rule.sql_type == "DATE":
        return _parse_time(text, entity.date_formats, "DATE")
    if rule.sql_type.startswith("DECIMAL") and entity.decimal_separator == ",":
        text = f"replace({text}, ',', '.')"
    return f"try_cast({text} as {rule.sql_type})"


def _shown(text: str) -> str:
    return f"'''' || left({text}, 80) || ''''"


def _describe_type(rule: ColumnRule, entity: EntityDefinition) -> str:
    formats = {"TIMESTAMP": entity.timestamp_formats, "DATE": entity.date_formats}.get(
        rule.sql_type
    )
    if formats:
        return f"{rule.sql_type} in formats {formats}"
    if rule.sql_type == "BOOLEAN":
        return f"BOOLEAN ({entity.booleans.true_values} / {entity.booleans.false_values})"
    return rule.sql_type


def reasons(
    rule: ColumnRule, text: str, value: str, entity: EntityDefinition
) -> list[tuple[str, str]]:
    """``(broken, message)`` per rule of the column: SQL true when the rule is broken, and
    the SQL reason string to report then."""
    name = rule.name
    checks: list[tuple[str, str]] = []
    if rule.required:
        checks.append((f"{text} is null", literal(f"{name}: required, missing")))
    if rule.sql_type != "VARCHAR":  # a text column's value is its text: nothing to parse
        checks.append(
            (
                f"{text} is not null and {value} is null",
                literal(f"{name}: not a valid {_describe_type(rule, entity)}, got ")
                + " || "
                + _shown(text),
            )
        )
    if rule.ge is not None:
        checks.append(
            (
                f"{value} < {literal(rule.ge)}",
                literal(f"{name}: must be >= {rule.ge}, got ") + " || " + _shown(text),
            )
        )
    if rule.le is not None:
        checks.append(
            (
                f"{value} > {literal(rule.le)}",
                literal(f"{name}: must be <= {rule.le}, got ") + " || " + _shown(text),
            )
        )
    if rule.allowed:
        checks.append(
            (
                f"not {one_of(value, rule.allowed)}",
                literal(f"{name}: must be one of {list(rule.allowed)}, got ")
                + " || "
                + _shown(text),
            )
        )
    if rule.pattern:
        checks.append(
            (
                f"not regexp_full_match({value}, {literal(rule.pattern)})",
                literal(f"{name}: must match {rule.pattern}, got ") + " || " + _shown(text),
            )
        )
    if rule.not_in_future:
        limit = "cast(now() as timestamp) + interval 1 day"
        if rule.sql_type == "DATE":
            limit = f"cast({limit} as date)"
        checks.append(
            (
                f"{value} > {limit}",
                literal(f"{name}: must not be in the future, got ") + " || " + _shown(text),
            )
        )
    return checks


def encoding_reason(rule: ColumnRule, text: str) -> str:
    """Reason naming the column whose text shows broken encoding."""
    return (
        f"case when regexp_matches({text}, {literal(BROKEN_ENCODING_PATTERN)}) then "
        + literal(
            f"{rule.name}: broken encoding (undefined byte or UTF-8 read as a single-byte "
            "code page), got "
        )
        + " || "
        + _shown(text)
        + " end"
    )
