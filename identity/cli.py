"""`cdp identity train|resolve|evaluate|explain`: thin wrappers around the identity package."""

from __future__ import annotations

import typer

identity_app = typer.Typer(
    help="Identity resolution: one stable customer_id per person.", no_args_is_help=True
)


def _settings():
    from cdp.settings import Settings

    return Settings()


@identity_app.command("train")
def train_command() -> None:
    """Retrain the matching model on current identity records (saved as JSON)."""
    import identity

    result = identity.train(_settings())
    typer.echo(f"model trained on {result['records']} records: {result['model_path']}")


@identity_app.command("resolve")
def resolve_command(full: bool = typer.Option(False, "--full", help="Re-resolve every record.")):
    """Resolve identity records into customers (incremental unless --full)."""
    import identity

    summary = identity.resolve(_settings(), full=full)
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in summary["stage_seconds"].items())
    typer.echo(
        f"{summary['mode']} run {summary['run_id']}: {summary['records']} records -> "
        f"{summary['customers']} customers ({summary['created']} created, {summary['merged']} "
        f"merged, {summary['split']} split, {summary['retired']} retired); links: "
        f"{summary['deterministic_links']} deterministic, {summary['probabilistic_links']} "
        f"probabilistic, {summary['refused_pairs']} refused by conflicts; "
        f"{summary['oversized_customers']} oversized. {stages}"
    )


@identity_app.command("evaluate")
def evaluate_command() -> None:
    """Pairwise and B-cubed precision/recall/F1 against the generator's truth."""
    from rich.console import Console
    from rich.table import Table

    import identity

    metrics = identity.evaluate(_settings())
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


@identity_app.command("explain")
def explain_command(key: str = typer.Argument(..., help="customer_id, e-mail or phone")) -> None:
    """Show a customer's records and why each link holds."""
    from rich.console import Console
    from rich.table import Table

    import identity

    console = Console()
    for customer in identity.explain(_settings(), key)["customers"]:
        console.rule(f"customer {customer['customer_id']}")
        records = Table(title="records")
        for column in (
            "record_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "birth_date",
            "postcode",
            "city",
        ):
            records.add_column(column)
        for record in customer["records"]:
            records.add_row(
                *(
                    str(record[c]) if record[c] is not None else ""
                    for c in (
                        "record_id",
                        "first_name",
                        "last_name",
                        "email",
                        "phone",
                        "birth_date",
                        "postcode",
                        "city",
                    )
                )
            )
        console.print(records)
        for link in customer["links"]:
            if link["link_type"] == "deterministic":
                reason = f"rule {link['rule']} {link['top_comparisons']}"
            else:
                parts = ", ".join(
                    f"{c['comparison']}: {c['level']} ({c['weight']:+.1f})"
                    for c in link["top_comparisons"] or []
                )
                reason = (
                    f"match weight {link['match_weight']:.1f} "
                    f"(p={link['match_probability']:.3f}): {parts}"
                )
            console.print(f"  {link['record_id_l']} ~ {link['record_id_r']}: {reason}")
        for event in customer["history"]:
            console.print(f"  history {event['run_id']}: {event['event']} {event['detail']}")


def register(app: typer.Typer) -> None:
    """Mount `cdp identity ...`."""
    app.add_typer(identity_app, name="identity")
