"""`cdp identity ...`: thin wrappers around the identity package.

train, resolve, evaluate, model, explain; and governance: decide (must-link, cannot-link, --file,
list, revoke), review export, stability.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

identity_app = typer.Typer(
    help="Identity resolution: one stable customer_id per person.", no_args_is_help=True
)


def _settings(link_only: tuple[str, str] | None = None):
    from core.settings import Settings

    settings = Settings()
    if link_only:
        return settings.model_copy(update={"identity_link_only": list(link_only)})
    return settings


_LINK_ONLY_HELP = (
    "Two identity types whose records are linked only to each other's, never within one "
    "type (two files to link against each other); a full run."
)


@identity_app.command("train")
def train_command(
    labels: Annotated[
        Path | None,
        typer.Option(
            help="labelled pairs (record_id_l, record_id_r, clerical_match_score) or clusters "
            "(identity_type, source_key, person_id, or source, key, person_id); the stewards' "
            "decisions join them: m from the matches, the threshold from their "
            "precision-recall curve"
        ),
    ] = None,
    link_only: Annotated[
        tuple[str, str] | None, typer.Option("--link-only", help=_LINK_ONLY_HELP)
    ] = None,
) -> None:
    """Retrain the matching model on current identity records (saved as JSON)."""
    import identity

    result = identity.train(_settings(link_only), labels)
    typer.echo(f"model trained on {result['records']} records: {result['model_path']}")
    if labels is not None:
        chosen = result["labels"]
        typer.echo(
            f"{result['labelled_pairs']} labelled pairs; "
            + (
                f"threshold {chosen['match_threshold']} (labelled precision "
                f"{chosen['precision']}, recall {chosen['recall']}, F1 {chosen['f1']}; "
                f"{chosen['matches']} matches, {chosen['non_matches']} non-matches), used by "
                "the next runs instead of match_threshold"
                if chosen
                else "no threshold picked (the labels need matches and non-matches)"
            )
        )


@identity_app.command("resolve")
def resolve_command(
    full: bool = typer.Option(False, "--full", help="Re-resolve every record."),
    approve_churn: bool = typer.Option(
        False, "--approve-churn", help="Accept a run changing more ids than `stability` allows."
    ),
    link_only: Annotated[
        tuple[str, str] | None, typer.Option("--link-only", help=_LINK_ONLY_HELP)
    ] = None,
):
    """Resolve identity records into customers (incremental unless --full)."""
    import identity

    try:
        from core.console import progress_step

        with progress_step("Resolving identities"):
            summary = identity.resolve(_settings(link_only), full=full, approve_churn=approve_churn)
    except identity.ChurnGateError as error:
        typer.secho(f"stability gate failed: {error}", fg="red", err=True)
        raise typer.Exit(1) from error
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in summary["stage_seconds"].items())
    typer.echo(
        f"{summary['mode']} run {summary['run_id']}: {summary['records']} records -> "
        f"{summary['customers']} customers ({summary['created']} created, {summary['merged']} "
        f"merged, {summary['split']} split, {summary['retired']} retired); links: "
        f"{summary['deterministic_links']} deterministic, {summary['probabilistic_links']} "
        f"probabilistic, {summary['refused_pairs']} refused by conflicts; "
        f"{summary['oversized_customers']} oversized; {100 * summary['changed_share']:.2f}% of "
        f"known records changed customer (gate {summary['churn_gate']}). {stages}"
    )
    for row in summary.get("standardisation_nulled", []):
        typer.secho(
            f"standardisation nulled {row['attribute']} of {row['source']} "
            f"({row['identity_type']}, country {row['country']}): {row['nulled']:,} of "
            f"{row['present']:,} values (see the log for the reason)",
            fg="yellow",
        )


@identity_app.command("evaluate")
def evaluate_command(
    truth: Annotated[
        Path | None,
        typer.Option(
            help="CSV of source, key, person_id (the source definition's name and the key as "
            "the export writes it), or identity_type, source_key, person_id; default: the "
            "generator's"
        ),
    ] = None,
    chart: Annotated[
        Path | None,
        typer.Option(
            help="Splink's threshold / precision / recall chart, an offline HTML page "
            "(default: identity_threshold_chart.html beside the model)"
        ),
    ] = None,
) -> None:
    """Pairwise and B-cubed precision/recall/F1 against the generator's truth."""
    from rich.console import Console
    from rich.table import Table

    import identity
    from identity._evaluate import write_threshold_chart

    settings = _settings()
    metrics = identity.evaluate(settings, truth)
    table = Table(title="Identity resolution vs truth")
    table.add_column("metric")
    for scope in ("identified", "all"):
        table.add_column(f"{scope} records")
    for name in metrics["identified"]:
        table.add_row(name, *(str(metrics[scope][name]) for scope in ("identified", "all")))
    console = Console()
    console.print(table)
    console.print(
        "identified = records with an identifying attribute or strong identifier; "
        "all = anonymous cookies included (unlinkable by any method). "
        f"Truth rows not loaded: {metrics['unmatched_truth_rows']}."
    )
    for case, pairs in metrics.get("false_merge_pairs_by_case", {}).items():
        console.print(f"wrongly merged pairs involving a '{case}' person: {pairs}")
    page = write_threshold_chart(
        settings, chart or settings.model_dir / "identity_threshold_chart.html", truth
    )
    console.print(f"threshold / precision / recall chart of the model (offline HTML): {page}")


@identity_app.command("model")
def model_command(
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Charts page (default: beside the model, .html)."),
    ] = None,
) -> None:
    """Show the trained model: m, u and match weight per comparison level, untrained flagged,
    and write Splink's match-weights and m/u charts as one offline HTML page."""
    from rich.console import Console
    from rich.table import Table

    from identity._model_report import describe, write_charts

    settings = _settings()
    report = describe(settings)
    table = Table(
        title=f"{report['model_path']} (prior {report['prior']:.3g}, "
        f"{report['prior_weight']} bits; trained on {report['records']} records)"
    )
    for column in ("comparison", "level", "m", "u", "weight", "note"):
        table.add_column(column)
    for row in report["levels"]:
        notes = [
            note
            for flag, note in (
                (row["untrained"], "[red]untrained: stated prior[/red]"),
                (row["fixed"], "fixed"),
                (row["tf_adjusted"], "term-frequency adjusted"),
            )
            if flag
        ]
        table.add_row(
            row["comparison"],
            row["level"],
            f"{row['m']:.4g}" if row["m"] is not None else "",
            f"{row['u']:.4g}" if row["u"] is not None else "",
            f"{row['match_weight']:+.2f}" if row["match_weight"] is not None else "",
            ", ".join(notes),
        )
    console = Console()
    console.print(table)
    path = Path(report["model_path"])
    out = write_charts(settings, html or path.with_suffix(".html"))
    console.print(f"charts (offline): {out}")


@identity_app.command("explain-pair")
def explain_pair_command(
    key_a: str = typer.Argument(..., help="record_id (identity_type:source_key)"),
    key_b: str = typer.Argument(..., help="record_id (identity_type:source_key)"),
) -> None:
    """Why two records did or did not end in one customer: score and threshold, the
    comparisons for and against, conflict, guard, decision."""
    from rich.console import Console

    from identity._explain_pair import explain_pair

    result = explain_pair(_settings(), key_a, key_b)
    console = Console()
    for record in result["records"]:
        shown = ("first_name", "last_name", "email", "phone", "birth_date", "postcode", "city")
        values = ", ".join(f"{c}={record[c]}" for c in shown if record.get(c) is not None)
        console.print(f"{record['record_id']} (customer {record['customer_id']}): {values}")
    score = result["score"]
    if "error" not in score:
        adjusted = score["match_weight"] - score["model_match_weight"]
        console.print(
            f"score: match weight {score['match_weight']:.2f}, probability "
            f"{score['match_probability']:.4f} (threshold {score['threshold']}); "
            f"{'found' if score['found_by_blocking'] else 'not found'} by the blocking rules"
            + (
                f"; the model's {score['model_match_weight']:.2f} {adjusted:+.2f} by the run's "
                "household-address cap or replaced-values rule"
                if abs(adjusted) >= 0.005
                else ""
            )
        )
        for side in ("for", "against"):
            for item in score[side]:
                console.print(
                    f"  {side:>7} {item['comparison']}: {item['level']} ({item['weight']:+.2f})"
                )
    for link in result["links"]:
        console.print(f"link: {link['link_type']} {link['rule'] or ''} {link['top_comparisons']}")
    for refused in result["refused"]:
        console.print(
            f"refused: {refused['conflict']} (match weight {refused['match_weight']:.2f})"
        )
    for event in result["guard_events"]:
        console.print(f"guard {event['event_type']}: {event['detail']}")
    console.print(f"[bold]{result['verdict']}[/bold]")


@identity_app.command("explain")
def explain_command(key: str = typer.Argument(..., help="customer_id, e-mail or phone")) -> None:
    """Show a customer's records and why each link holds."""
    from rich.console import Console
    from rich.table import Table

    import identity
    from identity._config import SHOWN_ATTRIBUTES
    from identity._explain import link_reason

    console = Console()
    for customer in identity.explain(_settings(), key)["customers"]:
        console.rule(f"customer {customer['customer_id']}")
        records = Table(title="records")
        columns = ("record_id", *SHOWN_ATTRIBUTES)
        for column in columns:
            records.add_column(column)
        for record in customer["records"]:
            records.add_row(*(str(record[c]) if record[c] is not None else "" for c in columns))
        console.print(records)
        _print_chain(console, customer)
        for decision in customer["decisions"]:
            console.print(
                f"  decision {decision['decision_id']} {decision['decision']} "
                f"({decision['record_id_l'] or decision['left_customer_id']} / "
                f"{decision['record_id_r'] or decision['right_customer_id']}) by "
                f"{decision['decided_by']} on {decision['decided_at']:%Y-%m-%d}: "
                f"{decision['reason']}"
            )
        for event in customer["guard_events"]:
            console.print(f"  guard {event['event_type']} ({event['run_id']}): {event['detail']}")
        console.print("every link inside the customer:")
        for link in customer["links"]:
            console.print(f"  {link['record_id_l']} ~ {link['record_id_r']}: {link_reason(link)}")
        for event in customer["history"]:
            console.print(f"  history {event['run_id']}: {event['event']} {event['detail']}")


def _print_chain(console, customer: dict) -> None:
    from rich.tree import Tree

    tree = Tree("why these records are one customer (links from the oldest record)")
    branches: dict[str, Tree] = {}
    for step in customer["chain"]:
        label = f"[bold]{step['record_id']}[/bold]  [dim]{step['reason']}[/dim]"
        parent = branches.get(step["via_record_id"], tree)
        branches[step["record_id"]] = parent.add(label)
    console.print(tree)


def _connect():
    from core.warehouse import connect

    return connect(_settings())


@identity_app.command("decide")
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
identity_app.add_typer(review_app, name="review")


@review_app.command("export")
def review_export_command(
    out: Annotated[
        Path | None, typer.Option("--out", help="CSV to write (default under reports_dir).")
    ] = None,
) -> None:
    """Borderline pairs and guard splits, side by side, with a decision column to fill."""
    from datetime import datetime

    from identity._review import export_queue

    settings = _settings()
    out = out or settings.reports_dir / f"identity_review_{datetime.now():%Y%m%dT%H%M%S}.csv"
    from core.warehouse import connect

    with connect(settings) as con:
        count = export_queue(con, out)
    typer.echo(
        f"{count} pairs to review written to {out}; fill `decision` (must-link / cannot-link), "
        "`decided_by`, `reason`, then `cdp identity decide --file` it"
    )


@identity_app.command("stability")
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


def register(app: typer.Typer) -> None:
    """Mount `cdp identity ...`."""
    app.add_typer(identity_app, name="identity")
