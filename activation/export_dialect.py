"""How export files are written so other tools read them right: the CSV dialect, CSV-injection
neutralisation and the JSON Schema shipped beside every export.

CSV dialect (RFC 4180): UTF-8 without BOM, `,` separator, `"` quote doubled inside a cell,
`\\n` line ends, a header row. Every text cell is quoted (`"06000"`, `"+33612345678"`); numbers,
booleans (`true`/`false`), dates (`2024-05-01`) and timestamps (`2024-05-01 10:00:00`) are not;
a null is an empty unquoted cell. DuckDB's `read_csv` and spreadsheets that honour quotes keep
quoted cells as text. pandas guesses types from the characters whatever the quotes say, so a
postcode or phone read with bare `pandas.read_csv` loses its leading zero or `+`: pass the
text columns of the schema beside the file as `dtype=` (see `docs/exports.md`).

CSV injection (OWASP): a text cell starting with `=`, `+`, `-`, `@`, TAB or CR is a formula to a
spreadsheet, so it is written with a leading `'` (`'=HYPERLINK(...)`). A signed number such as
an E.164 phone (`+33612345678`) or `-12.50` is data, not a formula, and is written as it is.
Only CSV files are neutralised: Parquet and JSON lines keep values byte for byte.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Signed digit runs (E.164 phones, negative amounts) stay as they are.
_SIGNED_NUMBER = r"^[+-][0-9]+([.,][0-9]+)?$"
_TRIGGER_CLASS = "^[=+@\\t\\r-]"
CSV_DIALECT: dict[str, Any] = {
    "encoding": "utf-8",
    "delimiter": ",",
    "quotechar": '"',
    "escape": "quote doubled",
    "line_terminator": "\\n",
    "header": True,
    "text_cells": "always quoted",
    "null": "empty unquoted cell",
    "formula_prefix": "'",
}
_JSON_TYPES: dict[str, dict[str, Any]] = {
    "VARCHAR": {"type": ["string", "null"]},
    "BOOLEAN": {"type": ["boolean", "null"]},
    "DATE": {"type": ["string", "null"], "format": "date"},
    "TIMESTAMP": {
        "type": ["string", "null"],
        "pattern": "^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?$",
    },
}


def neutralised_sql(column: str) -> str:
    """SQL: the text ``column`` with a `'` before a leading formula character."""
    quoted = f'"{column}"'
    return (
        f"case when regexp_matches({quoted}, '{_TRIGGER_CLASS}') "
        f"and not regexp_matches({quoted}, '{_SIGNED_NUMBER}') "
        f"then '''' || {quoted} else {quoted} end as {quoted}"
    )


def neutralise(cell: str) -> str:
    """Python twin of :func:`neutralised_sql`, for files rewritten outside DuckDB."""
    if cell.startswith(FORMULA_TRIGGERS) and not re.match(_SIGNED_NUMBER, cell):
        return "'" + cell
    return cell


def original(cell: str) -> str:
    """The value a neutralised CSV cell stands for (erasure compares values, not cells)."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_TRIGGERS):
        return cell[1:]
    return cell


def described(con: duckdb.DuckDBPyConnection, select_sql: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a query, in order."""
    return [(row[0], row[1]) for row in con.execute(f"describe {select_sql}").fetchall()]


def csv_copy(con: duckdb.DuckDBPyConnection, select_sql: str) -> tuple[str, str]:
    """(query, COPY options) writing ``select_sql`` in the project's CSV dialect."""
    columns = described(con, select_sql)
    text = [name for name, kind in columns if kind == "VARCHAR"]
    selected = ", ".join(
        neutralised_sql(name) if kind == "VARCHAR" else f'"{name}"' for name, kind in columns
    )
    options = "format csv, header true, delimiter ',', quote '\"', new_line '\\n'"
    if text:
        options += ", force_quote (" + ", ".join(f'"{name}"' for name in text) + ")"
    return f"select {selected} from ({select_sql})", options


def json_schema(columns: list[tuple[str, str]], title: str, description: str) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for rows of ``columns``, with their DuckDB types."""
    properties = {}
    for name, kind in columns:
        if kind in _JSON_TYPES:
            properties[name] = dict(_JSON_TYPES[kind])
        elif kind in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER"):
            properties[name] = {"type": ["integer", "null"]}
        elif kind.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
            properties[name] = {"type": ["number", "null"]}
        else:
            properties[name] = {"type": ["string", "null"], "description": f"DuckDB {kind}"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "description": description,
        "type": "object",
        "additionalProperties": False,
        "required": [name for name, _ in columns],
        "properties": properties,
        "x-duckdb-types": dict(columns),
        "x-csv-dialect": CSV_DIALECT,
    }


def write_schema(folder: Path, name: str, schema: dict[str, Any]) -> str:
    """Write ``schema`` as ``folder/name``; returns the file name the manifest records."""
    (folder / name).write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    return name


def text_columns(schema: dict[str, Any]) -> list[str]:
    """Columns a reader must keep as text (pandas: ``dtype={c: "string"}``)."""
    return [name for name, kind in schema["x-duckdb-types"].items() if kind == "VARCHAR"]
