"""Build the profile marts: ``dbt build`` (and ``dbt docs generate``) run in-process.

dbt runs through :class:`dbt.cli.main.dbtRunner` against the project in
``settings.dbt_project_dir`` and the warehouse file ``settings.duckdb_path``. The committed
``profiles.yml`` reads that path from ``CDP_DUCKDB_PATH``, which is set for the duration of
the call only. dbt's target and log folders go under ``settings.data_dir / "dbt"``, so runs
never write into the source tree and two test warehouses never share a manifest.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

    from cdp.settings import Settings

log = logging.getLogger(__name__)

FAILED_STATUSES = {"error", "fail", "runtime error"}
# What dbt needs in its environment; telemetry off, so an offline run never waits on it.
_DBT_ENV = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DO_NOT_TRACK": "1"}
# dbt events worth relaying to the platform log: one line per finished node.
_RELAYED_EVENTS = {"LogModelResult", "LogTestResult"}
# The step name in ops.step_runs (cdp.step_runs) that exports check before reading marts.
BUILD_STEP = "profiles build"


class DbtBuildError(RuntimeError):
    """``dbt build`` failed; ``failed_nodes`` names each failed model or test."""

    def __init__(self, message: str, failed_nodes: list[str] | None = None):
        super().__init__(message)
        self.failed_nodes = failed_nodes or []


@dataclass
class BuildResult:
    """What one ``dbt build`` did: node counts by status, failures, time, mart row counts."""

    command: str
    select: str | None
    elapsed_seconds: float
    statuses: dict[str, int] = field(default_factory=dict)
    failed_nodes: list[str] = field(default_factory=list)
    target_path: str = ""

    @property
    def success(self) -> bool:
        """True when no node failed."""
        return not self.failed_nodes


def dbt_paths(settings: Settings) -> tuple[Path, Path]:
    """(target path, log path) dbt writes into for this warehouse."""
    base = settings.data_dir / "dbt"
    return base / "target", base / "logs"


@contextmanager
def _dbt_environment(settings: Settings) -> Iterator[None]:
    """Set the variables the committed profiles.yml reads, restoring them afterwards."""
    wanted = {"CDP_DUCKDB_PATH": str(settings.duckdb_path), **_DBT_ENV}
    previous = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _relay(event: Any) -> None:
    if event.info.name in _RELAYED_EVENTS:
        log.info("dbt: %s", event.info.msg)


def _release_warehouse() -> None:
    """Close dbt-duckdb's cached connection so other code (or processes) can open the file."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        try:
            environment.close()
        finally:
            DuckDBConnectionManager.close_all_connections()


def _require_inputs(settings: Settings) -> None:
    project_dir = settings.dbt_project_dir
    if not (project_dir / "dbt_project.yml").exists():
        raise DbtBuildError(
            f"no dbt_project.yml in {project_dir}: set CDP_DBT_PROJECT_DIR to the dbt project"
        )
    if not settings.duckdb_path.exists():
        raise DbtBuildError(
            f"warehouse {settings.duckdb_path} does not exist: run `cdp ingest` and "
            f"`cdp identity resolve` first (or set CDP_DUCKDB_PATH)"
        )


def _invoke(settings: Settings, command: list[str]) -> Any:
    from dbt.cli.main import dbtRunner

    _require_inputs(settings)
    project_dir = settings.dbt_project_dir
    target_path, log_path = dbt_paths(settings)
    args = [
        *command,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path),
        "--no-send-anonymous-usage-stats",
        "--quiet",
        "--no-use-colors",
    ]
    with _dbt_environment(settings):
        try:
            return dbtRunner(callbacks=[_relay]).invoke(args)
        finally:
            _release_warehouse()


def require_complete_build(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse to read the marts while the last profiles build is unfinished or was killed
    (``cdp.step_runs.IncompleteStepError``): they may mix two runs."""
    from cdp.step_runs import require_finished

    require_finished(con, BUILD_STEP, "run `cdp profiles build` (it rebuilds every model) first")


def refresh_consent(settings: Settings) -> dict[str, int]:
    """Rebuild the consent tables dbt reads (``consent.history``) from the raw layer."""
    from cdp.warehouse import connect
    from profiles.consent import build_consent

    with connect(settings) as con:
        return build_consent(con, settings)


def build_profiles(
    settings: Settings,
    select: str | None = None,
    dbt_vars: dict[str, Any] | None = None,
    publish: bool = True,
) -> BuildResult:
    """Rebuild consent, run ``dbt build`` (models, tests, unit tests), then publish the
    readers' snapshot; raise :class:`DbtBuildError` on failure (nothing is published).

    ``select`` is a dbt selection (``customer_profile+``, ``tag:x``); ``dbt_vars`` override
    the project's vars (RFM boundaries, windows, ``as_of_date``). The run is recorded in
    ``ops.step_runs``: when the previous build never finished (killed), its marts may mix
    two runs, so a selection is widened to every model.
    """
    from cdp.snapshot import publish_snapshot
    from cdp.step_runs import new_run_id, recorded_step
    from cdp.warehouse import wait_for_writer_lock

    _require_inputs(settings)
    wait_for_writer_lock(settings)
    run_id = settings.run_id or new_run_id("profiles")

    def publish_from(con: duckdb.DuckDBPyConnection) -> None:
        publish_snapshot(settings, run_id, con=con)

    then = publish_from if publish else None
    with recorded_step(settings, BUILD_STEP, run_id, then=then) as interrupted:
        if interrupted and select:
            log.warning("previous build interrupted: building every model, not %r", select)
            select = None
        result = _build(settings, select, dbt_vars)
    return result


def _build(settings: Settings, select: str | None, dbt_vars: dict[str, Any] | None):
    import json

    refresh_consent(settings)
    command = ["build"]
    if select:
        command += ["--select", select]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    started = time.perf_counter()
    outcome = _invoke(settings, command)
    elapsed = round(time.perf_counter() - started, 2)
    statuses: Counter[str] = Counter()
    failed: list[str] = []
    for node_result in getattr(outcome.result, "results", None) or []:
        status = str(node_result.status)
        statuses[status] += 1
        if status in FAILED_STATUSES:
            failed.append(f"{node_result.node.unique_id}: {(node_result.message or '').strip()}")
    target_path, _ = dbt_paths(settings)
    result = BuildResult("build", select, elapsed, dict(statuses), failed, str(target_path))
    if outcome.exception is not None or not outcome.success:
        reason = outcome.exception or f"{len(failed)} node(s) failed"
        listing = "\n  ".join(failed) if failed else "(no node ran)"
        raise DbtBuildError(
            f"dbt build failed on {settings.duckdb_path}: {reason}\n  {listing}\n"
            f"Details: {dbt_paths(settings)[1] / 'dbt.log'}",
            failed,
        )
    log.info("dbt build: %s in %.1f s", dict(statuses), elapsed)
    return result


def generate_docs(settings: Settings) -> Path:
    """Run ``dbt docs generate`` (offline, static page too); returns the docs folder."""
    outcome = _invoke(settings, ["docs", "generate", "--static"])
    target_path, log_path = dbt_paths(settings)
    if outcome.exception is not None or not outcome.success:
        raise DbtBuildError(
            f"dbt docs generate failed on {settings.duckdb_path}: {outcome.exception}; "
            f"details: {log_path / 'dbt.log'}"
        )
    log.info("dbt docs written to %s", target_path)
    return target_path
