"""`cdp privacy forget|access <identifier>`: the data subject's rights (docs/privacy.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

_IDENTIFIER_HELP = "E-mail or phone in any spelling, loyalty card, account id, cookie, customer_id."
privacy_app = typer.Typer(help="Data-subject rights: erasure and access.", no_args_is_help=True)


def _settings():
    from core.settings import Settings

    return Settings()


@privacy_app.command("forget")
def forget_command(
    identifier: str = typer.Argument(..., help=_IDENTIFIER_HELP),
):
    """Erase the person everywhere and tombstone every identifier they have."""
    from privacy.erase import forget
    from privacy.person import PersonNotFoundError

    try:
        report = forget(_settings(), identifier)
    except PersonNotFoundError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    typer.echo(
        f"{report.request_id}: {report.customers_erased} customer id(s), "
        f"{report.rows_deleted} rows deleted in {len(report.table_counts)} tables, "
        f"export rows removed {report.export_rows_removed or 'none'}, "
        f"{report.tombstones} tombstone(s)"
    )


@privacy_app.command("access")
def access_command(
    identifier: str = typer.Argument(..., help=_IDENTIFIER_HELP),
    out: Annotated[Path | None, typer.Option("--out", help="JSON file to write.")] = None,
) -> None:
    """Write everything held on the person into one JSON file."""
    from privacy.access import access
    from privacy.person import PersonNotFoundError

    try:
        path = access(_settings(), identifier, out)
    except PersonNotFoundError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    typer.echo(f"written: {path}")
    if '"needs_review": true' in path.read_text(encoding="utf-8"):
        typer.echo(
            "needs review: the customer holds records that share none of the requester's "
            "identifiers; their data and the customer-level data were withheld",
            err=True,
        )


def register(app: typer.Typer) -> None:
    """Mount `cdp privacy` on the main CLI."""
    app.add_typer(privacy_app, name="privacy")
