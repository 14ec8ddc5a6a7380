"""``cdp pipeline run``: every step in order, without Airflow (the DAGs call the same steps)."""

from __future__ import annotations

from typing import Annotated

import typer

pipeline_app = typer.Typer(help="The whole pipeline, end to end.", no_args_is_help=True)


@pipeline_app.command("run")
def run_command(
    people: Annotated[
        int | None,
        typer.Option("--people", min=1, help="Generate sample exports for N people first."),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Full identity re-resolution.")] = False,
) -> None:
    """Ingest, check, resolve identities, build the marts, check them and export."""
    from rich.console import Console
    from rich.table import Table

    from cdp.pipeline import run_pipeline
    from core.settings import Settings

    settings = Settings()
    settings.ensure_dirs()
    timings = run_pipeline(settings, people=people, full=full)
    table = Table(title=f"cdp pipeline run → {settings.duckdb_path}")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    for step, seconds in timings.items():
        table.add_row(step, f"{seconds:.1f}")
    table.add_row("[bold]total[/bold]", f"[bold]{sum(timings.values()):.1f}[/bold]")
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Mount ``cdp pipeline`` on the main CLI."""
    app.add_typer(pipeline_app, name="pipeline")
