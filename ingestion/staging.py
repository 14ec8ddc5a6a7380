"""The staging query: one file's records typed and checked against a contract in one pass.

Built from the expressions of :mod:`ingestion.sql`: every mapped field is cleaned (trim,
empty to NULL) and cast to its contract type; each row gets the reason string listing the
rules it broke and its broken-encoding flag; :mod:`ingestion.suppression` flags the rows of
erased people afterwards (``_suppressed``).
:func:`stage_file` runs it over one file into the temp view ``_staged`` (and ``_bad``), and
:func:`check_encoding` refuses a file whose rows mostly show broken encoding.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from core.warehouse import one_row, scalar
from ingestion import cp1252, csv_scan, readers, suppression, utf8_scan
from ingestion.contracts import ColumnRule
from ingestion.definitions import EntityDefinition
from ingestion.policy import derive_fields, entity_rules, issue_label, on_invalid
from ingestion.readers import FileReadError, SourceRows
from ingestion.sql import (
    BROKEN_ENCODING_PATTERN,
    encoding_reason,
    field_text,
    ident,
    literal,
    macro_ddl,
    may_show_broken_encoding,
    reasons,
    typed,
)

if TYPE_CHECKING:
    import duckdb

LONG_LINE_BYTES = 2 * 1024 * 1024  # DuckDB's default max_line_size


def _parsed_columns(entity: EntityDefinition) -> dict[tuple[str, str], str]:
    """One alias per distinct ``(column, structure)`` that `sql:` fields read parsed."""
    keys = sorted(
        {(c.column or "", c.structure) for c in entity.columns.values() if c.sql and c.structure}
    )
    return {key: f"_p{i}" for i, key in enumerate(keys, start=1)}


def staging_query(
    entity: EntityDefinition,
    rules: list[ColumnRule],
    rows: SourceRows,
    *,
    encoding_clean: bool = False,
) -> str:
    """The query typing the file's records, in file order: the canonical columns,
    ``_reason``, ``_encoding_broken``, ``_suppressed``, ``_raw`` (the record's text, for
    quarantine) and ``_skip`` (the record is no row, e.g. a blank line), read as ``rows``.

    ``encoding_clean`` says the reader found none of :data:`ENCODING_SUSPECTS` in the whole
    file, so no row is checked for broken encoding; otherwise only the rows whose texts hold
    one of them go through the regex.
    """
    mapped = [rule for rule in rules if rule.name in entity.columns]
    parsed = _parsed_columns(entity)
    text_of = {rule.name: ident("t__" + rule.name) for rule in mapped}
    value_of = {rule.name: ident("v__" + rule.name) for rule in mapped}
    texts = ",\n    ".join(
        f"{field_text(rule.name, entity, parsed, padded=rows.padded)} as {text_of[rule.name]}"
        for rule in mapped
    )
    parses = "".join(
        f", try(from_json(cast({ident(column)} as varchar), {literal(structure)})) as {alias}"
        for (column, structure), alias in parsed.items()
    )
    values = ",\n    ".join(
        f"{typed(rule, text_of[rule.name], entity)} as {value_of[rule.name]}" for rule in mapped
    )
    checks, nulling = split_checks(mapped, entity, text_of, value_of)
    # Valid rows pay for one boolean per rule; reason strings are built only for the rows
    # that broke one (a `case` branch is evaluated for the rows that take it).
    broken = " or ".join(f"({condition})" for condition, _ in checks) or "false"
    messages = ", ".join(
        f"case when {condition} then {message} end" for condition, message in checks
    )
    text_rules = [rule for rule in mapped if rule.sql_type == "VARCHAR"]
    if text_rules and not encoding_clean:
        any_text = "concat_ws(chr(31), " + ", ".join(text_of[r.name] for r in text_rules) + ")"
        encoding_flag = (
            f"coalesce({may_show_broken_encoding(any_text)}, false) and "
            f"regexp_matches({any_text}, {literal(BROKEN_ENCODING_PATTERN)})"
        )
        encoding = (
            "case when _encoding_broken then concat_ws('; ', "
            + ", ".join(encoding_reason(rule, text_of[rule.name]) for rule in text_rules)
            + ") end"
        )
    else:
        encoding_flag, encoding = "false", "NULL"
    outputs = ",\n    ".join(
        f"{kept_value(rule, value_of, nulling)} as {ident(rule.name)}" for rule in rules
    )
    return f"""
with t as (
  select s.*, {rows.unreadable or "NULL"} as _unreadable,
    {texts}
  from (select s.*{parses} from {rows.source_from}) s
), v as (
  select t.*, {values},
    {encoding_flag} as _encoding_broken
  from t
), r as (
  select v.*,
    case when _unreadable is not null then _unreadable
         when _encoding_broken or coalesce({broken}, false)
           then nullif(concat_ws('; ', {encoding}, {messages}), '') end as _reason,
    false as _suppressed,
    {nulled_list(nulling)} as _nulled
  from v
)
select {outputs},
    _reason, _encoding_broken, _suppressed, _nulled,
    case when _reason is not null and not _suppressed then {rows.raw_record} end as _raw,
    {rows.skip} as _skip
from r
"""


def split_checks(
    mapped: list[ColumnRule],
    entity: EntityDefinition,
    text_of: dict[str, str],
    value_of: dict[str, str],
) -> tuple[list[tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    """The checks that quarantine a row, and per field those that only null its value
    (``on_invalid: null``) as ``(broken, value-free label)``."""
    quarantining: list[tuple[str, str]] = []
    nulling: dict[str, list[tuple[str, str]]] = {}
    for rule in mapped:
        policy = on_invalid(rule, entity)
        for condition, message in reasons(rule, text_of[rule.name], value_of[rule.name], entity):
            if policy == "null" and not message.endswith("required, missing'"):
                nulling.setdefault(rule.name, []).append((condition, issue_label(message)))
            else:
                quarantining.append((condition, message))
    return quarantining, nulling


def _nulled_flag(name: str, nulling: dict[str, list[tuple[str, str]]]) -> str:
    return "coalesce(" + " or ".join(f"({c})" for c, _ in nulling[name]) + ", false)"


def kept_value(
    rule: ColumnRule, value_of: dict[str, str], nulling: dict[str, list[tuple[str, str]]]
) -> str:
    """The column's output: its typed value, NULL where a nulling check broke."""
    if rule.name not in value_of:
        return f"cast(NULL as {rule.sql_type})"
    if rule.name not in nulling:
        return value_of[rule.name]
    return f"case when {_nulled_flag(rule.name, nulling)} then NULL else {value_of[rule.name]} end"


def nulled_list(nulling: dict[str, list[tuple[str, str]]]) -> str:
    """SQL list of ``field: reason`` labels nulled in the row (NULL when none)."""
    if not nulling:
        return "cast(NULL as VARCHAR[])"
    any_flag = " or ".join(_nulled_flag(name, nulling) for name in nulling)
    labels = ", ".join(
        f"case when {condition} then {literal(label)} end"
        for checks in nulling.values()
        for condition, label in checks
    )
    return f"case when {any_flag} then list_filter([{labels}], lambda x: x is not null) end"


def stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    entity: EntityDefinition,
    suppress: suppression.Suppression | None,
    workdir: Path,
    long_lines: bool = False,
) -> None:
    """Read the file once and type its rows into ``_staged``; rejected lines into ``_bad``.

    With ``long_lines``, DuckDB may read lines as long as the file, and each line over its
    default limit is quarantined as one row instead of failing the file.
    """
    clean = False  # no character of the file could show broken encoding
    source = path
    max_line_size = max(path.stat().st_size + 1, LONG_LINE_BYTES) if long_lines else None
    if entity.format == "csv":
        encoding, padded = None, True
        if entity.encoding == "cp1252":
            padding = csv_scan.PaddingWatch(entity.delimiter, entity.quote, "cp1252")
            read = cp1252.read_cp1252(path, workdir / (path.name + ".utf8"), padding)
            path, encoding, clean, padded = read.path, read.encoding, not read.suspect, read.padded
        elif entity.encoding != "latin-1":
            clean = not utf8_scan.may_show_broken_encoding(path)
        rows = readers.open_csv(con, path, entity, max_line_size, encoding, padded)
    elif entity.format == "jsonl":
        clean = not utf8_scan.may_show_broken_encoding(path, json_escapes=True)
        rows = readers.open_jsonl(con, path, entity, max_line_size)
    else:
        rows = readers.open_parquet(con, path, entity)
    if long_lines:
        rows.unreadable = (
            f"case when strlen({rows.raw_record}) > {LONG_LINE_BYTES} then 'line: longer than "
            f"{LONG_LINE_BYTES:,} bytes, quarantined whole' else {rows.unreadable or 'NULL'} end"
        )
    for statement in macro_ddl(entity):
        con.execute(statement)
    rules = entity_rules(entity)
    query = staging_query(entity, rules, rows, encoding_clean=clean)
    if not scalar(con, "select current_setting('preserve_insertion_order')"):
        raise RuntimeError(
            "ingestion numbers rows by scan order: the connection must keep DuckDB's default "
            "preserve_insertion_order = true (see core.warehouse.connect)"
        )
    try:
        # Insertion order is preserved, so a record's rowid in _scanned is its ordinal.
        con.execute(f"create temp table _scanned as {query}")
        derive_fields(con, entity)
        con.execute(
            "create temp view _staged as select rowid + 1 as _k, * exclude (_skip) "
            "from _scanned where not _skip"
        )
    except Exception as error:
        if "Binder Error" in str(error) or "Parser Error" in str(error):
            raise  # a mistake in a definition's `sql:`, not in the file
        raise readers.read_error(error, rows.describe, path, source) from error
    readers.collect_rejects(con, entity)
    if suppress:
        suppress.apply(con)
        suppress.apply_to_lines(con)


def check_encoding(con: duckdb.DuckDBPyConnection, entity: EntityDefinition) -> None:
    broken, total = one_row(
        con,
        """
        select (select count(*) from _staged where _encoding_broken)
                 + (select count(*) from _bad where _encoding_broken),
               (select count(*) from _staged) + (select count(*) from _bad)
    """,
    )
    if total and broken / total > entity.max_encoding_error_ratio:
        raise FileReadError(
            f"{broken} of {total} rows are not valid {entity.encoding} (or are UTF-8 read as a "
            f"single-byte code page): is `encoding: {entity.encoding}` right for this export? "
            f"(more than max_encoding_error_ratio={entity.max_encoding_error_ratio})"
        )
