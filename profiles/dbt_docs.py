"""The dbt project's documentation site: `dbt docs generate`, offline, and a local server."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from profiles.build import DbtBuildError, dbt_paths, invoke_dbt

if TYPE_CHECKING:
    from pathlib import Path

    from core.settings import Settings

log = logging.getLogger(__name__)


def generate_docs(settings: Settings) -> Path:
    """Run ``dbt docs generate`` (offline); returns the folder whose index.html opens from disk.

    dbt's index.html fetches manifest.json and catalog.json, which a browser refuses on
    file:// ("(loading)" forever); the static page inlines them, so it becomes index.html.
    """
    import shutil

    outcome = invoke_dbt(settings, ["docs", "generate", "--static"])
    target_path, log_path = dbt_paths(settings)
    if outcome.exception is not None or not outcome.success:
        raise DbtBuildError(
            f"dbt docs generate failed on {settings.duckdb_path}: {outcome.exception}; "
            f"details: {log_path / 'dbt.log'}"
        )
    static = target_path / "static_index.html"
    if static.exists():
        shutil.copyfile(static, target_path / "index.html")
    log.info("dbt docs written to %s", target_path)
    return target_path


def serve_docs(folder: Path, port: int = 8081):
    """An HTTP server for the docs folder on 127.0.0.1 (not started: call serve_forever)."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
            log.debug("docs server: " + format, *args)

    if not (folder / "index.html").exists():
        raise DbtBuildError(f"no index.html in {folder}: run `cdp profiles docs` first")
    return ThreadingHTTPServer(("127.0.0.1", port), partial(QuietHandler, directory=str(folder)))
