"""How ``cdp sql`` prints results: a table for the terminal, CSV, JSON or Markdown for others.

Nothing is cut when the output is not a terminal (a pipe, a file): a table is as wide as its
widest cell, and the machine formats (CSV, JSON) always carry every row. In a terminal, long
cells fold onto the next line instead of ending in `…`, so ids stay whole.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

FORMATS = ("table", "csv", "json", "markdown")
_NUMBERED = re.compile(r"^\s*--\s*(.+?)\s*$")


@dataclass
class Result:
    """One statement's output."""

    title: str | None
    columns: list[str]
    rows: list[tuple]


def statement_title(statement: str) -> str | None:
    """The last comment line before a statement's SQL (``-- 1. Win-back list``), if any."""
    title = None
    for line in statement.splitlines():
        match = _NUMBERED.match(line)
        if match:
            title = match.group(1)
        elif line.strip():
            break
    return title


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        # a whole count stays an int; amounts (any scale) become JSON numbers
        whole = value == value.to_integral_value() and value.as_tuple().exponent == 0
        return int(value) if whole else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, dt.timedelta | bytes):
        return str(value)
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def to_csv(result: Result) -> str:
    """RFC 4180 CSV with a header; formula-like text cells get a leading `'` (OWASP)."""
    from activation.export_dialect import neutralise

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([neutralise(v) if isinstance(v, str) else _cell(v) for v in row])
    return buffer.getvalue()


def to_json(results: list[Result]) -> str:
    """One statement: its rows as objects. Several: ``[{"title", "rows"}, ...]``."""
    objects = [
        [dict(zip(r.columns, map(_plain, row), strict=True)) for row in r.rows] for r in results
    ]
    if len(results) == 1:
        payload: Any = objects[0]
    else:
        payload = [
            {"title": r.title, "rows": rows} for r, rows in zip(results, objects, strict=True)
        ]
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n"


def to_markdown(result: Result) -> str:
    """A GitHub-flavoured Markdown table (pipes in cells escaped)."""

    def escape(value: Any) -> str:
        return _cell(value).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(escape(c) for c in result.columns) + " |",
        "|" + "|".join("---" for _ in result.columns) + "|",
    ]
    lines += ["| " + " | ".join(escape(v) for v in row) + " |" for row in result.rows]
    heading = f"### {result.title}\n\n" if result.title else ""
    return heading + "\n".join(lines) + f"\n\n{len(result.rows):,} row(s)\n"


def print_results(results: list[Result], fmt: str, max_rows: int, console) -> None:
    """Write ``results`` to ``console`` in ``fmt``; ``max_rows`` limits the terminal table."""
    if fmt == "json":
        console.file.write(to_json(results))
        return
    for number, result in enumerate(results):
        if fmt == "csv":
            if len(results) > 1:
                console.file.write(("\n" if number else "") + f"# {result.title or ''}\n")
            console.file.write(to_csv(result))
        elif fmt == "markdown":
            console.file.write(("\n" if number else "") + to_markdown(result))
        else:
            console.print(_table(result, max_rows, folded=console.is_terminal))


def _table(result: Result, max_rows: int, folded: bool):
    from rich.table import Table

    shown = result.rows[:max_rows]
    caption = f"{len(result.rows):,} row(s)"
    if len(shown) < len(result.rows):
        caption += f", first {len(shown):,} shown (--max-rows, or --format csv for all)"
    table = Table(title=result.title, caption=caption)
    for column in result.columns:
        table.add_column(column, overflow="fold" if folded else "ignore", no_wrap=not folded)
    for row in shown:
        table.add_row(*(_cell(value) for value in row))
    return table
