"""`cdp profiles build [--select ...] [--vars ...]` and `cdp profiles docs`."""

from __future__ import annotations

import typer

profiles_app = typer.Typer(help="Build the 360° profile marts with dbt, and their docs.")


def _settings():
    from core.settings import Settings

    return Settings()


@profiles_app.command("build")
def build_command(
    select: str | None = typer.Option(
        None, "--select", "-s", help="dbt selection, e.g. 'customer_segments+' (default: all)."
    ),
    dbt_vars: str | None = typer.Option(
        None, "--vars", help="dbt vars as YAML/JSON, e.g. '{vip_min_revenue_12m: 1500}'."
    ),
    target: str | None = typer.Option(
        None,
        "--target",
        "-t",
        help="dbt target: duckdb, or spark (Spark SQL over the Parquet lake, on "
        "CDP_SPARK_MASTER). Default: the engine setting (CDP_ENGINE).",
    ),
) -> None:
    """Run `dbt build` (models, data tests, unit tests) on the configured warehouse."""
    import yaml

    from profiles.build import DbtBuildError, build_profiles

    try:
        overrides = yaml.safe_load(dbt_vars) if dbt_vars else None
        if overrides is not None and not isinstance(overrides, dict):
            raise typer.BadParameter(f"--vars must be a mapping, got {dbt_vars!r}")
        from core.console import progress_step

        with progress_step("dbt build"):
            result = build_profiles(_settings(), select=select, dbt_vars=overrides, target=target)
    except (DbtBuildError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result.statuses.items()))
    typer.echo(f"dbt build ok in {result.elapsed_seconds:.1f} s: {counts}")


@profiles_app.command("docs")
def docs_command(
    serve: bool = typer.Option(False, "--serve", help="Then serve them on 127.0.0.1."),
    port: int = typer.Option(8081, "--port", help="Port for --serve."),
) -> None:
    """Run `dbt docs generate` (works offline); index.html opens from disk or with --serve."""
    from profiles.build import DbtBuildError
    from profiles.dbt_docs import generate_docs, serve_docs

    try:
        folder = generate_docs(_settings())
        server = serve_docs(folder, port) if serve else None
    except (DbtBuildError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    typer.echo(f"dbt docs: {folder / 'index.html'} (opens from disk, self-contained)")
    if server is not None:
        host, bound = server.server_address[:2]
        typer.echo(f"serving on http://{host}:{bound}/ (Ctrl+C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


def register(app: typer.Typer) -> None:
    """Mount `cdp profiles` on the main CLI."""
    app.add_typer(profiles_app, name="profiles")
