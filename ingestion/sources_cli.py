"""``cdp sources infer`` (a definition proposed from a sample export) and ``cdp sources check``
(a definition dry-run against its files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

sources_app = typer.Typer(help="Onboard an export: propose a source definition, dry-run it.")


@sources_app.command("infer")
def infer_command(
    file: Annotated[Path, typer.Argument(help="A sample export (CSV, JSON lines or Parquet).")],
    name: Annotated[str | None, typer.Option(help="Source name (default: from the file).")] = None,
    contract: Annotated[
        str | None, typer.Option(help="Contract to map onto (default: the best match).")
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(help="Where to write: a path, or - for stdout (default: the sources dir)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing definition.")] = False,
) -> None:
    """Sniff a sample export and write a proposed source definition, each guess commented."""
    from core.settings import Settings
    from ingestion.infer import InferError, propose

    settings = Settings()
    try:
        landing = file.resolve().relative_to(settings.landing_dir.resolve())
        files = str(landing.parent / "*") if landing.parent != Path(".") else None
    except ValueError:
        files = None
    try:
        proposal = propose(file, source=name, contract=contract)
    except InferError as error:
        typer.secho(str(error), fg="red", err=True)
        raise typer.Exit(2) from error
    if files:  # a file already under the landing folder: its own folder, dated names as *
        proposal.files = str(Path(files).parent / Path(proposal.files).name)
    text = proposal.to_yaml()
    if output == "-":
        typer.echo(text, nl=False)
        return
    target = Path(output) if output else settings.sources_dir / f"{proposal.source}.yml"
    if target.exists() and not force:
        typer.secho(f"{target} exists: pass --force, or --output elsewhere", fg="red", err=True)
        raise typer.Exit(1)
    target.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {target}: contract {proposal.contract}, {len(proposal.columns)} fields")
    if proposal.missing_required:
        typer.secho(f"required and not found: {proposal.missing_required}", fg="yellow")
    typer.echo(f"read its comments, then: cdp sources check {proposal.source}")


@sources_app.command("check")
def check_command(
    name: Annotated[str, typer.Argument(help="Source name (config/sources/<name>.yml).")],
    file: Annotated[
        list[Path] | None, typer.Option(help="Check these files instead of the landing glob.")
    ] = None,
) -> None:
    """Dry-run a definition on its files: accepted, nulled and quarantined per reason."""
    from rich.console import Console
    from rich.table import Table

    from core.settings import Settings
    from ingestion import DefinitionError
    from ingestion.check import check_source

    console = Console()
    try:
        results = check_source(Settings(), name, file or None)
    except DefinitionError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    if not results:
        console.print(f"[yellow]no file matches the globs of {name}[/yellow]")
        raise typer.Exit(1)
    table = Table(title=f"cdp sources check {name} (dry run, nothing written)")
    numbers = ("read", "accepted", "quarantined", "nulled values")
    for column in ("entity", "file", *numbers):
        table.add_column(column, justify="right" if column in numbers else "left")
    details = Table(title="why")
    for column in ("file", "outcome", "field: reason", "rows"):
        details.add_column(column, justify="right" if column == "rows" else "left")
    for r in results:
        table.add_row(
            r.entity,
            r.file_path,
            f"{r.rows_read:,}",
            f"{r.rows_accepted:,}",
            f"{r.rows_quarantined:,}",
            f"{sum(r.nulled.values()):,}",
        )
        if r.error:
            details.add_row(r.file_path, "[red]unreadable[/red]", r.error, "")
        for why, n in r.quarantined.most_common():
            details.add_row(r.file_path, "[red]quarantined[/red]", why, f"{n:,}")
        for why, n in r.nulled.most_common():
            details.add_row(r.file_path, "[yellow]nulled, row kept[/yellow]", why, f"{n:,}")
    console.print(table)
    if details.row_count:
        console.print(details)
    if any(not r.accepted_all for r in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Mount ``cdp sources`` on the main CLI."""
    app.add_typer(sources_app, name="sources")
