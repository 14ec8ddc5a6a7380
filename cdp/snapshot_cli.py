"""``cdp snapshot publish|status``: the readers' snapshot by hand (the pipeline publishes it
after each profiles build)."""

from __future__ import annotations

import typer

snapshot_app = typer.Typer(
    help="The published read-only snapshot analysts, `cdp sql` and the API read.",
    no_args_is_help=True,
)


@snapshot_app.command("publish")
def publish_command(
    run_id: str | None = typer.Option(None, "--run-id", help="Run id recorded in the manifest."),
) -> None:
    """Publish the warehouse as it is now (waits for the writer lock like any writer)."""
    from core.settings import Settings
    from core.snapshot import publish_snapshot

    info = publish_snapshot(Settings(), run_id)
    typer.echo(
        f"published {info.path} (run {info.run_id}, storage {info.storage_version}, "
        f"{len(info.tables)} tables, {info.size_bytes / 1e6:.1f} MB) in {info.publish_seconds} s"
    )


@snapshot_app.command("status")
def status_command() -> None:
    """Which run readers see, and whether a step was interrupted since."""
    from core.settings import Settings
    from core.snapshot import read_manifest, snapshot_path

    settings = Settings()
    info = read_manifest(settings)
    if info is None:
        typer.echo(f"nothing published yet at {snapshot_path(settings)}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"{info.path}: run {info.run_id} as of {info.as_of}, storage {info.storage_version}, "
        f"{len(info.tables)} tables, {info.size_bytes / 1e6:.1f} MB"
    )


def register(app: typer.Typer) -> None:
    """Mount ``cdp snapshot``."""
    app.add_typer(snapshot_app, name="snapshot")
