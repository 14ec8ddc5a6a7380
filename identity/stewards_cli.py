"""`cdp identity decide | review export | stability`: the stewards' commands, thin wrappers
around the identity package (decisions, the review queue, the runs' churn). Mounted on
`cdp identity` beside the resolution commands (``identity.cli``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# commands without a group of their own: ``identity.cli`` adds them to `cdp identity`
stewards_app = typer.Typer()


def _connect():
    from core.settings import Settings
    from core.warehouse import connect

    return connect(Settings())


@stewards_app.command("decide")
def decide_command(
    action: str = typer.Argument(
        None, help="must-link | cannot-link | list | revoke (omit with --file)"
    ),
    a: str = typer.Argument(None, help="record_id or customer_id (revoke: the decision_id)"),
    b: str = typer.Argument(None, help="record_id or customer_id"),
    by: str = typer.Option("", "--by", help="Who decides (steward's name)."),
    reason: str = typer.Option("", "--reason", help="Why."),
    file: Annotated[
        Path | None, typer.Option("--file", help="CSV of reviewed pairs (docs/identity.md).")
    ] = None,
    include_revoked: bool = typer.Option(False, "--all", help="list: revoked decisions too."),
) -> None:
    """Record stewards' must-link / cannot-link decisions; list or revoke them."""
    from identity._decisions import DecisionError, list_decisions, record_decision, revoke
    from identity._review import import_decisions

    try:
        with _connect() as con:
            if file is not None:
                imported = import_decisions(con, file, by=by, reason=reason)
                typer.echo(f"{len(imported)} decisions recorded from {file}")
            elif action == "list":
                _print_decisions(list_decisions(con, include_revoked))
            elif action == "revoke":
                if not a:
                    raise DecisionError("revoke needs the decision_id (see `decide list`)")
                revoke(con, a, by, reason)
                typer.echo(f"decision {a} revoked; the next `cdp identity resolve` applies it")
            elif action in ("must-link", "cannot-link", "must_link", "cannot_link"):
                if not (a and b):
                    raise DecisionError(f"{action} needs two record_ids or customer_ids")
                done = record_decision(con, action, a, b, by, reason)
                typer.echo(
                    f"decision {done['decision_id']}: {done['decision']} {a} "
                    f"({done['records_l']} records) / {b} ({done['records_r']} records); "
                    "the next `cdp identity resolve` applies it"
                )
            else:
                raise DecisionError(
                    "give must-link A B, cannot-link A B, list, revoke ID, or --file FILE"
                )
    except DecisionError as error:
        typer.secho(str(error), fg="red", err=True)
        raise typer.Exit(2) from error


def _print_decisions(decisions: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="identity decisions")
    for column in ("decision_id", "decision", "left", "right", "by", "at", "reason", "revoked"):
        table.add_column(column, overflow="fold")
    for d in decisions:
        table.add_row(
            d["decision_id"],
            d["decision"],
            f"{d['record_id_l'] or d['left_customer_id']} ({d['records_l']})",
            f"{d['record_id_r'] or d['right_customer_id']} ({d['records_r']})",
            d["decided_by"],
            f"{d['decided_at']:%Y-%m-%d %H:%M}",
            d["reason"],
            f"{d['revoked_at']:%Y-%m-%d} by {d['revoked_by']}" if d["revoked_at"] else "",
        )
    Console().print(table)


review_app = typer.Typer(help="The stewards' review queue.", no_args_is_help=True)
stewards_app.add_typer(review_app, name="review")


@review_app.command("export")
def review_export_command(
    out: Annotated[
        Path | None, typer.Option("--out", help="CSV to write (default under reports_dir).")
    ] = None,
) -> None:
    """Borderline pairs and guard splits, side by side, with a decision column to fill."""
    from datetime import datetime

    from core.settings import Settings
    from identity._review import export_queue

    settings = Settings()
    out = out or settings.reports_dir / f"identity_review_{datetime.now():%Y%m%dT%H%M%S}.csv"
    from core.warehouse import connect

    with connect(settings) as con:
        count = export_queue(con, out)
    typer.echo(
        f"{count} pairs to review written to {out}; fill `decision` (must-link / cannot-link), "
        "`decided_by`, `reason`, then `cdp identity decide --file` it"
    )


@stewards_app.command("stability")
def stability_command(limit: int = typer.Option(10, "--limit", help="Runs to show.")) -> None:
    """Churn of the latest runs against their previous run (identity.run_stability)."""
    from rich.console import Console
    from rich.table import Table

    from identity._stability import history

    with _connect() as con:
        rows = history(con, limit)
    table = Table(title="identity run stability")
    for column in (
        "run_id",
        "mode",
        "changed",
        "share",
        "ceiling",
        "merges",
        "splits",
        "new",
        "retired",
    ):
        table.add_column(column, overflow="fold")
    table.add_column("gate", no_wrap=True, min_width=8)
    for row in rows:
        table.add_row(
            row["run_id"],
            row["mode"],
            f"{row['changed_records']}/{row['previous_records']}",
            f"{100 * row['changed_share']:.2f}%",
            f"{100 * row['ceiling']:.2f}%",
            *(str(row[c]) for c in ("merges", "splits", "new_customers", "retired_customers")),
            row["gate"],
        )
    Console().print(table)
