"""The ``cdp`` command line: every pipeline step, callable without Airflow.

Each package contributes its commands through a ``cli`` module exposing
``register(app: typer.Typer) -> None``; this module only mounts them, so the CLI
stays as thin as the DAGs. Heavy imports live inside the command functions.
"""

from __future__ import annotations

import importlib
import os
import sys
from importlib import metadata

import typer

from core.console import OWN_LOGGERS, configure_logging, quiet_libraries
from core.settings import describe_unknown, unknown_environment

# Libraries imported by a command module (or by Airflow's structlog set-up) log at INFO as
# they load; quiet them before anything imports them. `--verbose` turns them back on.
quiet_libraries("-v" in sys.argv[1:] or "--verbose" in sys.argv[1:])

COMMAND_MODULES = (
    "sample_data.cli",
    "ingestion.cli",
    "ingestion.sources_cli",
    "identity.cli",
    "profiles.cli",
    "activation.export_cli",
    "privacy.cli",
    "expectations.cli",
    "cdp.pipeline_cli",
    "cdp.sql_cli",
    "cdp.snapshot_cli",
    "cdp.lake_cli",
    "api.cli",
    "voice.cli",
)

app = typer.Typer(
    name="cdp",
    help="Customer Data Platform: ingest exports, resolve identities, build profiles, export.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def version() -> str:
    """The installed cdp-rcu version (the source tree's when run from a checkout)."""
    try:
        return metadata.version("cdp-rcu")
    except metadata.PackageNotFoundError:
        return "unknown (not installed: run `make install`)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"cdp-rcu {version()}")
        raise typer.Exit()


@app.callback()
def _configure(
    ctx: typer.Context,
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Library logs (dbt, Great Expectations, Airflow) too."
    ),
    show_version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
):
    configure_logging(verbose)
    unknown = unknown_environment(os.environ)
    if unknown:
        # A misspelt CDP_ variable would send the run to the default data/ folder unnoticed.
        for name, suggestion in unknown:
            typer.echo(f"error: {describe_unknown(name, suggestion)}", err=True)
        raise typer.Exit(2)
    if ctx.invoked_subcommand == "ingest":
        # An unsubscribe loaded by hand must reach the API before the next build, as one the
        # DAGs load does (cdp.pipeline.ingest_sources); the ingestion stage knows no consent.
        ctx.call_on_close(_publish_consent_refusals)


def _publish_consent_refusals() -> None:
    from cdp.pipeline import publish_consent_refusals
    from core.settings import Settings

    publish_consent_refusals(Settings())


def _mount_commands() -> None:
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            # A stage whose package or cli module is not installed contributes no commands.
            if error.name and module_name.startswith(error.name):
                continue
            raise
        module.register(app)


_mount_commands()

# Errors the platform raises on purpose carry a message that says what and what to do:
# the user gets that message, not a traceback (`--verbose` keeps the traceback).
_OWN_PACKAGES = (*OWN_LOGGERS, "api", "voice")


def _is_own_error(error: BaseException) -> bool:
    return type(error).__module__.split(".")[0] in _OWN_PACKAGES


def main() -> None:
    """Console entry point."""
    verbose = any(arg in ("-v", "--verbose") for arg in sys.argv[1:])
    try:
        app()
    except Exception as error:
        if verbose or not _is_own_error(error):
            raise
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
