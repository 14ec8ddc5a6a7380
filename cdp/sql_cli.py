"""``cdp sql``: run analyst SQL, read-only, without a DuckDB client installed.

Queries run on the published snapshot (``core.snapshot``), never on the warehouse itself, so
they work while the pipeline writes and never hold up a writer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

MAX_ROWS_SHOWN = 50


def split_statements(text: str) -> list[str]:
    """The SQL statements of a script: split on `;` at line ends, comment-only parts dropped."""
    parts = [part.strip() for part in re.split(r";\s*$", text, flags=re.MULTILINE)]
    return [
        part
        for part in parts
        if any(line.strip() and not line.strip().startswith("--") for line in part.splitlines())
    ]


def run_statements(settings, statements: list[str]) -> list[tuple[list[str], list[tuple]]]:
    """Each statement's column names and rows, on a read-only connection to the snapshot."""
    from core.snapshot import open_snapshot

    results = []
    with open_snapshot(settings) as con:
        for statement in statements:
            cursor = con.execute(statement)
            columns = [column[0] for column in cursor.description or []]
            results.append((columns, cursor.fetchall()))
    return results


def sql_command(
    query: Annotated[str | None, typer.Argument(help="A SQL query on the warehouse.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", exists=True, help="A .sql script to run.")
    ] = None,
    max_rows: Annotated[
        int, typer.Option(help="Rows of a terminal table (csv and json print every row).")
    ] = MAX_ROWS_SHOWN,
    output_format: Annotated[
        str, typer.Option("--format", help="table | csv | json | markdown.")
    ] = "table",
) -> None:
    """Run SQL on the published snapshot of the warehouse (read-only) and print the results."""
    import sys

    from rich.console import Console

    from cdp.sql_output import FORMATS, Result, print_results, statement_title
    from core.settings import Settings

    if file is not None and query is None:
        query = file.read_text(encoding="utf-8")
    elif file is not None or query is None:
        raise typer.BadParameter("give either a query or --file, not both")
    if output_format not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    statements = split_statements(query)
    import duckdb

    # Not a terminal (a pipe, a file): as wide as the widest cell, nothing cut.
    console = Console() if sys.stdout.isatty() else Console(width=1_000_000, soft_wrap=True)
    try:
        results = run_statements(Settings(), statements)
    except (duckdb.Error, FileNotFoundError) as error:
        Console(stderr=True).print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    titled = [
        Result(statement_title(statement) if file else None, columns, rows)
        for statement, (columns, rows) in zip(statements, results, strict=True)
    ]
    print_results(titled, output_format, max_rows, console)


def register(app: typer.Typer) -> None:
    """Mount ``cdp sql``."""
    app.command("sql")(sql_command)
