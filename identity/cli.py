"""`cdp identity ...`: thin wrappers around the identity package.

train, resolve, evaluate, model, explain, explain-pair; the stewards' governance commands
(decide, review export, stability) are ``identity.stewards_cli``'s, mounted here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from identity.stewards_cli import stewards_app

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


identity_app.add_typer(stewards_app)  # no name: its commands sit beside these


def register(app: typer.Typer) -> None:
    """Mount `cdp identity ...`."""
    app.add_typer(identity_app, name="identity")
