"""``cdp quality check``: run the data-quality suites of one stage and show the results."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Mount ``cdp quality check`` on the main CLI."""
    quality = typer.Typer(help="Data-quality checks (Great Expectations).", no_args_is_help=True)
    app.add_typer(quality, name="quality")

    @quality.command("check")
    def check_command(
        stage: Annotated[
            str,
            typer.Option(
                "--stage",
                "-s",
                help="raw (after cdp ingest) | identity (after cdp identity resolve) | "
                "marts (after cdp profiles build)",
            ),
        ] = "raw",
        show_passed: Annotated[
            bool, typer.Option("--all", help="List passing expectations too.")
        ] = False,
    ) -> None:
        """Validate one stage; exit 1 when a blocking expectation fails."""
        from rich.console import Console
        from rich.table import Table

        from core.settings import Settings
        from expectations import (
            STAGES,
            BlockingQualityError,
            NothingToCheckError,
            QualityConfigError,
            run_checks,
        )

        console = Console(soft_wrap=True)
        if stage not in STAGES:
            console.print(f"[red]unknown stage {stage!r}: use one of {', '.join(STAGES)}[/red]")
            raise typer.Exit(2)
        settings = Settings()
        try:
            from core.console import progress_step

            with progress_step(f"Quality checks, stage {stage}"):
                report, error = run_checks(settings, stage), None
        except QualityConfigError as problem:
            console.print(f"[red]{problem}[/red]")
            raise typer.Exit(2) from problem
        except NothingToCheckError as problem:
            console.print(f"[red]{problem}[/red]")
            raise typer.Exit(1) from problem
        except BlockingQualityError as problem:
            report, error = problem.report, problem
        table = Table(title=f"cdp quality check --stage {stage} (run {report.run_id})")
        for column in ("suite", "expectation", "severity", "result", "unexpected", "example"):
            table.add_column(column, justify="right" if column == "unexpected" else "left")
        shown = report.outcomes if show_passed else [o for o in report.outcomes if not o.success]
        for o in shown:
            colour = "green" if o.success else ("red" if o.severity == "blocking" else "yellow")
            example = o.example_values or o.observed_value or ""
            table.add_row(
                o.suite,
                o.expectation,
                o.severity,
                f"[{colour}]{'pass' if o.success else 'FAIL'}[/]",
                "" if o.unexpected_count is None else f"{o.unexpected_count:,}",
                example[:80],
            )
        passed = sum(o.success for o in report.outcomes)
        if shown:
            console.print(table)
        console.print(
            f"{passed}/{len(report.outcomes)} expectations passed, "
            f"{len(report.blocking_failures)} blocking failures, {len(report.warnings)} warnings "
            f"in {report.seconds:.1f}s"
        )
        console.print(f"summary page: {report.summary_page}")
        console.print(f"GX Data Docs: {report.docs_index}")
        if error is not None:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1)
