"""``cdp sql``: run analyst SQL, read-only, without a DuckDB client installed.

Queries run on the published snapshot (``cdp.snapshot``), never on the warehouse itself, so
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
    from cdp.snapshot import open_snapshot

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
    max_rows: Annotated[int, typer.Option(help="Rows printed per result.")] = MAX_ROWS_SHOWN,
) -> None:
    """Run SQL on the published snapshot of the warehouse (read-only) and print the results."""
    from rich.console import Console
    from rich.table import Table

    from cdp.settings import Settings

    if (query is None) == (file is None):
        raise typer.BadParameter("give either a query or --file, not both")
    statements = split_statements(file.read_text(encoding="utf-8") if file else query)
    import duckdb

    console = Console()
    try:
        results = run_statements(Settings(), statements)
    except (duckdb.Error, FileNotFoundError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    for columns, rows in results:
        table = Table(*columns, caption=f"{len(rows):,} row(s)")
        for row in rows[:max_rows]:
            table.add_row(*("" if value is None else str(value) for value in row))
        console.print(table)


def register(app: typer.Typer) -> None:
    """Mount ``cdp sql``."""
    app.command("sql")(sql_command)
