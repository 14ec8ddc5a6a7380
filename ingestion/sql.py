"""Compile a contract and a source definition into one vectorised DuckDB query.

The query reads the file's rows as text (temp table ``_src``), cleans every mapped field
(trim, empty to NULL), casts it to the contract type with the definition's formats, and
builds, per row, the list of broken rules as one reason string (``quantity: must be >= 1,
got '-2'``). Reason strings are built inside ``case`` branches, which DuckDB evaluates only
for the rows that take them, so valid rows pay for the comparisons alone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cdp import erasure
from ingestion.contracts import ColumnRule
from ingestion.definitions import EntityDefinition

# UTF-8 decoded as a single-byte code page: a lead byte (Ã, Â, â€) followed by what was a
# continuation byte (0x80-0xBF as latin-1, or its cp1252 character). U+FFFD marks a byte
# that cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D).
_CONTINUATION = "\\x{80}-\\x{BF}€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
BROKEN_ENCODING_PATTERN = f"[ÃÂ][{_CONTINUATION}]|â€|\\x{{FFFD}}"


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
        if source.sql
    ]


def _text(field: str, entity: EntityDefinition) -> str:
    source = entity.columns[field]
    value = f"cast({ident(source.column)} as varchar)"
    if source.sql:
        value = f"cast({macro_name(field)}({value}) as varchar)"
    return f"nullif(trim({value}), '')"


def _parse_time(text: str, formats: list[str], target: str) -> str:
    parts = []
    patterns = [f for f in formats if "%" in f]
    if patterns:
        parts.append(f"try_strptime({text}, [{', '.join(literal(f) for f in patterns)}])")
    scale = {"epoch_s": 1_000_000, "epoch_ms": 1_000, "epoch_us": 1}
    for fmt in formats:
        if fmt in scale:
            parts.append(f"make_timestamp(try_cast({text} as BIGINT) * {scale[fmt]})")
    if not parts:
        return f"try_cast({text} as {target})"
    value = parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
    return value if target == "TIMESTAMP" else f"cast({value} as DATE)"


def typed(rule: ColumnRule, text: str, entity: EntityDefinition) -> str:
    """SQL casting a cleaned text column to the contract type; NULL when it does not parse."""
    if rule.sql_type == "VARCHAR":
        return text
    if rule.sql_type == "JSON":
        return f"try_cast({text} as JSON)"
    if rule.sql_type == "BOOLEAN":
        yes = ", ".join(literal(v.lower()) for v in entity.booleans.true_values)
        no = ", ".join(literal(v.lower()) for v in entity.booleans.false_values)
        return (
            f"case when list_contains([{yes}], lower({text})) then true "
            f"when list_contains([{no}], lower({text})) then false end"
        )
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


def reasons(rule: ColumnRule, text: str, value: str, entity: EntityDefinition) -> list[str]:
    """One ``case`` per rule of the column, each NULL when the rule holds."""
    name = rule.name
    checks: list[tuple[str, str]] = []
    if rule.required:
        checks.append((f"{text} is null", literal(f"{name}: required, missing")))
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
        allowed = ", ".join(literal(v) for v in rule.allowed)
        # list_contains stays a scalar function; a long IN list becomes a join.
        checks.append(
            (
                f"not list_contains([{allowed}], {value})",
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
    return [f"case when {cond} then {message} end" for cond, message in checks]


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


def suppression_condition(entity: EntityDefinition, text_of: dict[str, str], salt: str) -> str:
    """SQL true when one of the row's email/phone columns matches an erasure tombstone."""
    checks = []
    for kind, fields in entity.personal_data.items():
        key_sql = erasure.email_key_sql if kind == "email" else erasure.phone_key_sql
        hashes = (
            f"select identifier_hash from {erasure.TOMBSTONE_TABLE} "
            f"where identifier_kind = '{kind}'"
        )
        for field in fields:
            match = f"{erasure.hash_sql(key_sql(text_of[field]), literal(salt))} in ({hashes})"
            checks.append(f"coalesce({match}, false)")
    return " or ".join(checks) if checks else "false"


def raw_line_suppression(raw: str, salt: str) -> str:
    """SQL true when any token of an unparsed line hashes to a tombstone (email or phone)."""
    tokens = f"regexp_split_to_array(coalesce({raw}, ''), '[;,\"{{}}\\[\\]\\t|]')"
    email = erasure.hash_sql(erasure.email_key_sql("t"), literal(salt))
    phone = erasure.hash_sql(erasure.phone_key_sql("t"), literal(salt))
    return (
        f"list_has_any(list_transform({tokens}, lambda t: {email}) || "
        f"list_transform({tokens}, lambda t: {phone}), "
        f"(select coalesce(list(identifier_hash), []) from {erasure.TOMBSTONE_TABLE}))"
    )


def staging_query(
    entity: EntityDefinition,
    rules: list[ColumnRule],
    salt: str,
    source_from: str,
    raw_record: str,
    suppress: bool,
    unreadable: str | None = None,
) -> str:
    """The query typing the file's records: ``_k``, the canonical columns, ``_reason``,
    ``_encoding_broken``, ``_suppressed`` and ``_raw`` (the record's text, for quarantine)."""
    mapped = [rule for rule in rules if rule.name in entity.columns]
    text_of = {rule.name: ident("t__" + rule.name) for rule in mapped}
    value_of = {rule.name: ident("v__" + rule.name) for rule in mapped}
    texts = ",\n    ".join(
        f"{_text(rule.name, entity)} as {ident('t__' + rule.name)}" for rule in mapped
    )
    values = ",\n    ".join(
        f"{typed(rule, text_of[rule.name], entity)} as {ident('v__' + rule.name)}"
        for rule in mapped
    )
    rule_checks = [
        c for rule in mapped for c in reasons(rule, text_of[rule.name], value_of[rule.name], entity)
    ]
    text_rules = [rule for rule in mapped if rule.sql_type == "VARCHAR"]
    encoding_checks = [encoding_reason(rule, text_of[rule.name]) for rule in text_rules]
    any_text = "concat_ws(chr(31), " + ", ".join(text_of[r.name] for r in text_rules) + ")"
    encoding_flag = (
        f"regexp_matches({any_text}, {literal(BROKEN_ENCODING_PATTERN)})" if text_rules else "false"
    )
    reason = f"nullif(concat_ws('; ', {', '.join(rule_checks)}), '')"
    encoding = (
        f"nullif(concat_ws('; ', {', '.join(encoding_checks)}), '')" if text_rules else "NULL"
    )
    outputs = ",\n    ".join(
        f"{value_of.get(rule.name, f'cast(NULL as {rule.sql_type})')} as {ident(rule.name)}"
        for rule in rules
    )
    suppressed = suppression_condition(entity, text_of, salt) if suppress else "false"
    return f"""
with t as (
  select s.*, {unreadable or "NULL"} as _unreadable,
    {texts}
  from {source_from}
), v as (
  select t.*, {values}, {encoding_flag} as _encoding_broken
  from t
), r as (
  select v.*,
    case when _unreadable is not null then _unreadable
         when _encoding_broken then concat_ws('; ', {encoding}, {reason})
         else {reason} end as _reason,
    {suppressed} as _suppressed
  from v
)
select _k,
    {outputs},
    _reason, _encoding_broken, _suppressed,
    case when _reason is not null and not _suppressed then {raw_record} end as _raw
from r
"""
