"""`cdp serve`: the API and console on 127.0.0.1; `cdp serve add-key` creates an API key;
`cdp console add-user` a console user."""

from __future__ import annotations

from typing import Annotated

import typer

serve_app = typer.Typer(help="Serve the profile and identity API (and the console).")


def _settings():
    from core.settings import Settings

    return Settings()


@serve_app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(help="Address to bind; 127.0.0.1 unless given (CDP_API_HOST)."),
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (CDP_API_PORT, default 8600).")] = None,
) -> None:
    """Serve the API on http://127.0.0.1:8600 (OpenAPI page at /docs)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from api.app import create_app

    settings = _settings()
    # access_log off: uvicorn's log line holds the query string (e-mails, phones); the app
    # logs route templates and customer ids instead
    uvicorn.run(
        create_app(settings),
        host=host or settings.api_host,
        port=port or settings.api_port,
        access_log=False,
        log_level="info",
    )


@serve_app.command("add-key")
def add_key_command(
    name: Annotated[str, typer.Argument(help="Who or what uses the key (e-shop, call-center).")],
    scopes: Annotated[
        list[str],
        typer.Option("--scopes", "-s", help="profiles:read, identify, admin (repeat or comma)."),
    ],
) -> None:
    """Create an API key; it is printed once and only its hash is kept."""
    from api.keys import ApiKeyError, add_key

    settings = _settings()
    wanted = [s.strip() for value in scopes for s in value.split(",") if s.strip()]
    try:
        key = add_key(settings.api_keys_path, name, wanted)
    except ApiKeyError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    typer.echo(key)
    typer.echo(
        f"key {name!r} ({', '.join(wanted)}) stored as a hash in {settings.api_keys_path}; "
        "copy it now, it cannot be shown again",
        err=True,
    )


console_app = typer.Typer(help="The console's local users (sign-in besides API keys).")


@console_app.command("add-user")
def add_user_command(
    name: Annotated[str, typer.Argument(help="The user's sign-in name.")],
    scopes: Annotated[
        list[str],
        typer.Option("--scopes", "-s", help="profiles:read, identify, admin (repeat or comma)."),
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="New password and scopes for an existing user.")
    ] = False,
) -> None:
    """Create a console user; the password is asked (or read from stdin), only its hash kept."""
    import sys

    from api.console.auth import UserError, add_user

    settings = _settings()
    wanted = [s.strip() for value in scopes for s in value.split(",") if s.strip()]
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:  # piped: the first line is the password (scripts, tests)
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        add_user(settings.console_users_path, name, wanted, password, replace=replace)
    except UserError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    typer.echo(
        f"user {name!r} ({', '.join(wanted)}) stored with a scrypt hash of the password in "
        f"{settings.console_users_path}",
        err=True,
    )


def register(app: typer.Typer) -> None:
    """Mount `cdp serve` and `cdp console` on the main CLI."""
    app.add_typer(serve_app, name="serve")
    app.add_typer(console_app, name="console")
