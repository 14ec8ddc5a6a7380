"""`cdp export [--mode full|incremental] [--format ...]` and `cdp export audiences`."""

from __future__ import annotations

from typing import Annotated

import typer

export_app = typer.Typer(
    help="Export golden records (default) or audiences for downstream tools.",
    invoke_without_command=True,
)


def _settings():
    from core.settings import Settings

    return Settings()


def _fail(error: Exception) -> None:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=1) from error


@export_app.callback()
def export_command(
    ctx: typer.Context,
    mode: str = typer.Option("incremental", "--mode", help="full | incremental"),
    formats: str | None = typer.Option(
        None, "--format", help="Comma-separated: parquet,csv,jsonl (default: exports.yml)."
    ),
) -> None:
    """Golden records into export_dir/golden_records/<run timestamp>/ with a manifest."""
    if ctx.invoked_subcommand is not None:
        return
    from activation.export import ExportError, export_golden_records
    from activation.export_config import ExportConfigError

    chosen = [f.strip() for f in formats.split(",") if f.strip()] if formats else None
    try:
        from core.console import progress_step

        with progress_step("Exporting golden records"):
            result = export_golden_records(_settings(), mode=mode, formats=chosen)
    except (ExportError, ExportConfigError) as error:
        _fail(error)
    operations = ", ".join(f"{n} {op}" for op, n in sorted(result.counts.items()))
    if not result.row_count:
        # An incremental run with no change is normal on a quiet day: it is published (the
        # downstream tool sees the run) and said plainly, not dressed as an export of rows.
        typer.echo(f"no change since the previous export: empty incremental -> {result.folder}")
        return
    typer.echo(
        f"{result.mode} export {result.run_id}: {result.row_count} rows ({operations}) "
        f"-> {result.folder}"
    )


@export_app.command("audiences")
def audiences_command(
    names: Annotated[list[str] | None, typer.Option("--name", help="Only these audiences.")] = None,
) -> None:
    """Configured audiences (exports.yml), consented customers only."""
    from activation.audiences import export_audiences
    from activation.export import ExportError
    from activation.export_config import ExportConfigError

    try:
        from core.console import progress_step

        with progress_step("Exporting audiences"):
            result = export_audiences(_settings(), names=names or None)
    except (ExportError, ExportConfigError) as error:
        _fail(error)
    for name, rows in result.counts.items():
        note = "  (no consented customer matches its definition)" if not rows else ""
        typer.echo(f"{name}: {rows} rows{note}")
    typer.echo(f"-> {result.folder}")


def register(app: typer.Typer) -> None:
    """Mount `cdp export` on the main CLI."""
    app.add_typer(export_app, name="export")
