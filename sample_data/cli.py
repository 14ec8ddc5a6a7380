"""``cdp generate``: write the sample exports and their truth."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer


def generate_command(
    people: Annotated[int, typer.Option("--people", min=10, help="People to simulate.")] = 5000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")] = 42,
    batches: Annotated[
        int, typer.Option("--batches", min=1, max=52, help="Files per source: history, then weeks.")
    ] = 2,
    end_date: Annotated[
        datetime, typer.Option("--end-date", formats=["%Y-%m-%d"], help="Last day of history.")
    ] = datetime(2026, 10, 31),
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            help="Population: default, or hard (dense namesakes, family e-mails, apartment "
            "buildings, e-mail-only subscribers).",
        ),
    ] = "default",
) -> None:
    """Generate seeded sample exports of a French retailer into the landing folder."""
    from rich.console import Console
    from rich.table import Table

    from core.settings import Settings
    from sample_data import generate

    settings = Settings()
    settings.ensure_dirs()
    from core.console import progress_step

    with progress_step(f"Generating sample exports for {people:,} people"):
        summary = generate(
            settings,
            people=people,
            seed=seed,
            batches=batches,
            end_date=end_date.date(),
            profile=profile,
        )
    table = Table(title=f"cdp generate: {people} people, seed {seed} → {settings.landing_dir}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in summary["files"].items():
        table.add_row(name, f"{rows:,}")
    table.add_row("[bold]total[/bold]", f"[bold]{sum(summary['files'].values()):,}[/bold]")
    console = Console()
    console.print(table)
    identities = ", ".join(f"{kind} {count:,}" for kind, count in summary["identities"].items())
    console.print(f"identities: {identities}")
    console.print(f"truth: {settings.truth_dir} ({summary['seconds']:.1f} s)")


def register(app: typer.Typer) -> None:
    """Mount ``cdp generate`` on the main CLI."""
    app.command("generate")(generate_command)
