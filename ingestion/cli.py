"""``cdp ingest``: load new landing files and show what happened to each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from ingestion import IngestReport


def register(app: typer.Typer) -> None:
    """Mount ``cdp ingest`` on the main CLI."""

    @app.command("ingest")
    def ingest_command(
        source: Annotated[
            list[str] | None,
            typer.Option("--source", "-s", help="Only these sources (repeatable); default all."),
        ] = None,
        reload: Annotated[
            list[str] | None,
            typer.Option(
                "--reload",
                help="Load every file of this source again, replacing what it loaded "
                "(after fixing its definition; repeatable).",
            ),
        ] = None,
        reload_file: Annotated[
            list[str] | None,
            typer.Option(
                "--reload-file",
                help="Load this landing file again (path under the landing folder), "
                "replacing what it loaded (repeatable).",
            ),
        ] = None,
    ) -> None:
        """Load new landing files into raw.*, quarantining rows that break their contract."""
        from rich.console import Console

        from core.settings import Settings
        from ingestion import DefinitionError, IngestionError, ingest
        from ingestion.reload import ReloadRequest

        console = Console()
        settings = Settings()
        reloading = ReloadRequest(frozenset(reload or ()), frozenset(reload_file or ()))
        only = sorted(set(source or ()) | set(reload or ())) or None
        try:
            from core.console import progress_step

            with progress_step("Ingesting landing files"):
                report = ingest(settings, sources=only, reloading=reloading)
            error = None
        except DefinitionError as problem:
            console.print(f"[red]{problem}[/red]")
            raise typer.Exit(2) from problem
        except IngestionError as problem:
            report, error = problem.report, problem
        _print_report(console, report, str(settings.duckdb_path))
        if error is not None:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1)


def _print_report(console: Console, report: IngestReport, target: str) -> None:
    from rich.table import Table

    table = Table(title=f"cdp ingest → {target}")
    numbers = ("read", "accepted", "quarantined", "suppressed", "nulled", "replaced", "seconds")
    for column in ("source", "entity", "file", *numbers[:-1], "status", "seconds"):
        table.add_column(column, justify="right" if column in numbers else "left")
    colours = {"loaded": "green", "skipped_duplicate": "dim", "failed": "red"}
    for r in report.files:
        table.add_row(
            r.source,
            r.entity,
            r.file_path,
            f"{r.rows_read:,}",
            f"{r.rows_accepted:,}",
            f"{r.rows_quarantined:,}",
            f"{r.rows_suppressed:,}",
            f"{r.fields_nulled:,}",
            f"{r.rows_replaced:,}",
            f"[{colours.get(r.status, 'white')}]{r.status}[/]",
            f"{r.seconds:.2f}",
        )
    console.print(table)
    issues = [(r, label, n) for r in report.files for label, n in r.field_issues.items()]
    if issues:
        nulled = Table(title="values nulled, rows kept (ops.field_issues)")
        for column in ("source", "entity", "file", "field: reason", "rows"):
            nulled.add_column(column, justify="right" if column == "rows" else "left")
        for r, label, n in issues:
            nulled.add_row(r.source, r.entity, r.file_path, label, f"{n:,}")
        console.print(nulled)
