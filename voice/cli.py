"""`cdp feedback analyse`: topics and sentiment of every customer message in the warehouse."""

from __future__ import annotations

import typer

feedback_app = typer.Typer(help="Voice of the customer: what they write.", no_args_is_help=True)


@feedback_app.command("analyse")
def analyse_command() -> None:
    """Analyse call-center verbatims and reviews into feedback.message_analysis."""
    from core.settings import Settings
    from voice import analyse_feedback

    summary = analyse_feedback(Settings())
    typer.echo(f"{summary['messages']} message(s) analysed")
    for label, count in sorted(summary["sentiment"].items()):
        typer.echo(f"  {label:10} {count}")
    for topic, count in sorted(summary["topics"].items(), key=lambda item: -item[1]):
        typer.echo(f"  {count:6}  {topic}")


def register(app: typer.Typer) -> None:
    """Mount `cdp feedback` on the main CLI."""
    app.add_typer(feedback_app, name="feedback")
