"""``cdp ingest``: load new landing files and show what happened to each."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Mount ``cdp ingest`` on the main CLI."""

    @app.command("ingest")
    def ingest_command(
        source: Annotated[
            list[str] | None,
            typer.Option("--source", "-s", help="Only these sources (repeatable); default all."),
        ] = None,
    ) -> None:
        """Load new landing files into raw.*, quarantining rows that break their contract."""
        from rich.console import Console
        from rich.table import Table

        from cdp.settings import Settings
        from ingestion import DefinitionError, IngestionError, ingest

        console = Console()
        settings = Settings()
        try:
            from cdp.console import progress_step

            with progress_step("Ingesting landing files"):
                report = ingest(settings, sources=source or None)
            error = None
        except DefinitionError as problem:
            console.print(f"[red]{problem}[/red]")
            raise typer.Exit(2) from problem
        except IngestionError as problem:
            report, error = problem.report, problem
        table = Table(title=f"cdp ingest → {settings.duckdb_path}")
        for column in (
            "source",
            "entity",
            "file",
            "read",
            "accepted",
            "quarantined",
            "suppressed",
            "status",
            "seconds",
        ):
            table.add_column(
                column,
                justify="right"
                if column in ("read", "accepted", "quarantined", "suppressed", "seconds")
                else "left",
            )
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
                f"[{colours.get(r.status, 'white')}]{r.status}[/]",
                f"{r.seconds:.2f}",
            )
        console.print(table)
        if error is not None:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1)
