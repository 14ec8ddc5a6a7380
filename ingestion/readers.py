"""Open one landing file as text rows for the staging query, without losing a line.

Each reader checks what it cheaply can (the header), then returns the FROM clause through
which the staging query reads the file (alias ``s``): the file is scanned once, by the
staging query itself, into the temp table ``_scanned`` in file order. The temp view
``_staged`` numbers its records from their place in that table (``_k``, the record's
1-based ordinal among readable records) rather than with ``row_number()``, which would run
the whole scan and contract query on one thread.
Lines DuckDB cannot split into records (missing or extra columns, invalid UTF-8) go to its
rejects table; :func:`collect_rejects` turns them into ``_bad`` afterwards, and
:func:`row_number_sql` places every readable record at its data row in the file.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.warehouse import scalar
from ingestion.definitions import EntityDefinition
from ingestion.read_buffer import buffer_option
from ingestion.sql import ident, json_path, literal

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)
# 1 MB: a chunk read is hashed while it is still in the CPU's cache (0.09 s per 125 MB,
# against 0.15 s in 16 MB chunks)
_CHUNK = 1024 * 1024
_TEMP_TABLES = ("_bad", "_offsets", "_rejects", "_rejects_scan", "_scanned")
_INLINE_OFFSETS = 256
_REJECTS = "store_rejects = true, rejects_table = '_rejects', rejects_scan = '_rejects_scan'"


class FileReadError(Exception):
    """The file cannot be read at all with its definition (encoding, columns, format)."""


class LineTooLongError(FileReadError):
    """DuckDB met a line longer than its ``max_line_size``: worth a second read allowing it."""


@dataclass
class SourceRows:
    """How the staging query reads the file."""

    source_from: str
    raw_record: str
    describe: str
    unreadable: str | None = None
    skip: str = "false"  # SQL true for a record that is no row at all (a blank line)
    # False: no field starts or ends with a space and an empty one reads as NULL, so the
    # staging query takes the reader's values as they are (no trim, no empty-to-NULL)
    padded: bool = True


def file_sha256(path: Path) -> str:
    """Content hash of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


_SAFE_ERROR_LENGTH = 240
_QUERY_ERRORS = ("Binder Error", "Parser Error", "Catalog Error")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def error_text(error: BaseException, *paths: Path) -> str:
    """What went wrong, for the ledger and the logs, without the file's contents.

    DuckDB quotes the offending line (``Original Line: ...``), a value it could not convert
    or the JSON it could not parse; a source line carries names, cards and phone numbers.
    Kept: the first line of the message (error type, line number), quoted texts masked;
    ``paths`` (scratch copies) are named by their file name only.
    """
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    for path in paths:
        first = first.replace(str(path), path.name)
    first = first.split("Original Line:")[0].split("Input:")[0].rstrip(" :")
    if not first.startswith(_QUERY_ERRORS):  # these quote the definition's SQL, not data
        first = _QUOTED.sub(lambda m: m.group(0)[0] + "…" + m.group(0)[0], first)
    return first[:_SAFE_ERROR_LENGTH]


def is_line_too_long(error: BaseException) -> bool:
    """True when DuckDB stopped at a line longer than its ``max_line_size``."""
    text = str(error)
    return "Maximum line size" in text or "max_line_size" in text


def drop_temp_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Forget the previous file's temp tables."""
    con.execute("drop view if exists temp._staged")
    for table in _TEMP_TABLES:
        con.execute(f"drop table if exists temp.{table}")


def collect_rejects(con: duckdb.DuckDBPyConnection, entity: EntityDefinition) -> None:
    """Group DuckDB's rejects into ``_bad`` (one row per line) and their row offsets."""
    if entity.format == "parquet":
        con.execute(
            "create temp table _bad (_row bigint, raw_record varchar, reason varchar, "
            "_encoding_broken boolean)"
        )
    else:
        # Past the sniffer's sample DuckDB does not fail on a line over its max_line_size: it
        # rejects it, keeping 10,000 of its characters. Read again, it is quarantined whole.
        if scalar(con, "select count(*) from _rejects where error_type = 'LINE SIZE OVER MAXIMUM'"):
            raise LineTooLongError("a line is longer than DuckDB's max_line_size")
        header_lines = 1 if entity.format == "csv" and entity.header else 0
        # a reject of the whole line has no column: coalesce, or arg_min would give NULL, the
        # mark of an erased person's line (suppressed, not quarantined)
        con.execute(f"""
            create temp table _bad as
            select line - {header_lines} as _row,
                   -- DuckDB reports a short line once per missing column: keep the first.
                   arg_min(trim(csv_line, chr(13) || chr(10)), coalesce(column_idx, 0))
                     as raw_record,
                   arg_min('structure: ' || lower(cast(error_type as varchar)) || ' ('
                           || error_message || ')', coalesce(column_idx, 0)) as reason,
                   bool_or(error_type = 'INVALID ENCODING') as _encoding_broken
            from _rejects
            group by line
        """)
    # The k-th readable record sits at data row k + (bad lines before it); with t_i = r_i - i
    # for the i-th bad row r_i, that count is the largest i with t_i < k.
    con.execute("""
        create temp table _offsets as
        select t, max(n) as n from (
            select _row - row_number() over (order by _row) as t,
                   row_number() over (order by _row) as n
            from _bad
        ) group by t
    """)


def row_number_sql(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """FROM clause over ``_staged q`` and the expression giving each record's data row."""
    steps = con.execute("select t, n from _offsets order by t desc").fetchall()
    if not steps:
        return "_staged q", "q._k"
    if len(steps) <= _INLINE_OFFSETS:
        # A step function inlined as one CASE: cheaper than a join when bad lines are few.
        branches = " ".join(f"when q._k > {t} then {n}" for t, n in steps)
        return "_staged q", f"q._k + case {branches} else 0 end"
    return "_staged q asof left join _offsets o on q._k > o.t", "q._k + coalesce(o.n, 0)"


def _check_columns(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    entity: EntityDefinition,
    describe: str,
    path: Path,
) -> list[str]:
    try:
        columns = [row[0] for row in con.execute(f"describe select * from {relation}").fetchall()]
    except Exception as error:  # duckdb raises several families for unreadable input
        raise read_error(error, describe, path) from error
    expected = {source.column for source in entity.columns.values() if source.column}
    missing = sorted(expected - set(columns))
    if not missing:
        return columns
    if expected & set(columns):
        found = f"the file has {columns}"
    else:
        # No name in common: the first line is data (a missing header, another export) and
        # may be a customer's record, so its fields are counted, not shown.
        found = (
            f"the file's first line has {len(columns)} field(s), none of them a mapped "
            "column (not shown: it looks like data, not a header)"
        )
    raise FileReadError(
        f"missing column(s) {missing}; {found}. Check that the export is {describe}, or map "
        "the columns it really has in the source definition"
    )


def read_error(error: BaseException, describe: str, *paths: Path) -> FileReadError:
    """The reader's failure as a :class:`FileReadError` that quotes no row."""
    kind = LineTooLongError if is_line_too_long(error) else FileReadError
    hint = ""
    if "sniffing" in str(error):
        hint = (
            " (DuckDB found no layout matching the declared delimiter and quote: a quote "
            "left open, another delimiter, or not text at all)"
        )
    return kind(f"cannot be read as {describe}: {error_text(error, *paths)}{hint}")


def _line_size(max_line_size: int | None) -> str:
    return f", max_line_size = {max_line_size}" if max_line_size else ""


def open_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    entity: EntityDefinition,
    max_line_size: int | None = None,
    encoding: str | None = None,
    padded: bool = True,
) -> SourceRows:
    """A delimited file (already UTF-8, or latin-1) read as text, rejects kept; ``encoding``
    is DuckDB's for the file (default: the definition's, UTF-8 for a transcoded copy).
    ``padded`` False: a scan found no space beside a field boundary (:mod:`ingestion.csv_scan`).
    """
    encoding = encoding or ("latin-1" if entity.encoding == "latin-1" else "utf-8")
    quote = literal(entity.quote)
    options = (
        f"all_varchar = true, header = {literal(entity.header)}, "
        f"delim = {literal(entity.delimiter)}, quote = {quote}, escape = {quote}, "
        f"encoding = '{encoding}'{_line_size(max_line_size)}"
    )
    describe = f"{entity.encoding} CSV delimited by {entity.delimiter!r}"
    file = literal(str(path))
    # DuckDB reads an empty field, quoted or not, as NULL (nullstr '' and allow_quoted_nulls,
    # said here because an unpadded file's values are taken as they are)
    options += ", nullstr = '', allow_quoted_nulls = true"
    # ignore_errors, like store_rejects below, keeps a few short lines from failing the sniffer
    columns = _check_columns(
        con, f"read_csv({file}, {options}, ignore_errors = true)", entity, describe, path
    )
    fields = ", ".join(f"coalesce({ident(c)}, '')" for c in columns)
    return SourceRows(
        f"read_csv({file}, {options}, {_REJECTS}"
        f"{buffer_option(path, entity.quote, max_line_size)}) s",
        f"concat_ws({literal(entity.delimiter)}, {fields})",
        describe,
        padded=padded,
    )


def open_jsonl(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    entity: EntityDefinition,
    max_line_size: int | None = None,
) -> SourceRows:
    """Newline-delimited JSON read one line per record: a broken line is one bad record."""
    paths = sorted({source.column for source in entity.columns.values() if source.column})
    listed = ", ".join(literal(json_path(p)) for p in paths)
    parsed = ", ".join(f"_v[{i}] as {ident(p)}" for i, p in enumerate(paths, start=1))
    lines = (
        f"read_csv({literal(str(path))}, columns = {{'line': 'VARCHAR'}}, header = false, "
        f"delim = chr(1), quote = '', escape = '', {_REJECTS}{_line_size(max_line_size)}"
        f"{buffer_option(path, '', max_line_size)})"
    )
    # One parse per line for every mapped path; try() turns a malformed line into NULL.
    extracted = f"try(json_extract_string(line, [{listed}]))"
    return SourceRows(
        f"(select line, _v is null as _unparsable, {parsed} from "
        f"(select line, {extracted} as _v from {lines})) s",
        "line",
        "UTF-8 JSON lines",
        skip="line is null",  # a blank line: counted in the line numbers, not a record
        unreadable="case when _unparsable then 'line: not valid JSON, got ''' "
        "|| left(line, 80) || '''' end",
    )


def open_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, entity: EntityDefinition
) -> SourceRows:
    """A Parquet file; its typed columns are cast to text by the staging query."""
    relation = f"read_parquet({literal(str(path))})"
    columns = _check_columns(con, relation, entity, "Parquet", path)
    record = ", ".join(f"{literal(c)}: {ident(c)}" for c in columns)
    return SourceRows(
        f"{relation} s",
        f"cast(to_json({{{record}}}) as varchar)",
        "Parquet",
    )
