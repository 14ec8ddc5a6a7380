"""``cdp lake export``: the warehouse's raw and identity tables as the Parquet lake Spark
reads (core/lake.py, docs/scale.md)."""

from __future__ import annotations

import typer

lake_app = typer.Typer(
    help="The Parquet lake (CDP_LAKE_URI) the Spark engine and the dbt-spark target read.",
    no_args_is_help=True,
)


@lake_app.command("export")
def export_command(
    raw: bool = typer.Option(True, "--raw/--no-raw", help="raw/<table>/batch_id=<batch>/"),
    identity: bool = typer.Option(True, "--identity/--no-identity", help="identity/<table>/"),
) -> None:
    """Write the lake from the warehouse, replacing each table's files."""
    from core.lake import export
    from core.settings import Settings

    settings = Settings()
    written = export(settings, raw=raw, identity=identity)
    for table, rows in written.items():
        typer.echo(f"{table}: {rows} rows")
    typer.echo(f"lake written at {settings.lake_uri} ({len(written)} tables)")


def register(app: typer.Typer) -> None:
    """Mount ``cdp lake``."""
    app.add_typer(lake_app, name="lake")
