"""Build the profile marts: ``dbt build`` (and ``dbt docs generate``) run in-process.

The ``spark`` target builds the same models with Spark SQL over the Parquet lake
(:mod:`profiles.spark_target`); what follows describes the default, DuckDB.

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

    from core.settings import Settings

log = logging.getLogger(__name__)

FAILED_STATUSES = {"error", "fail", "runtime error"}
# What dbt needs in its environment; telemetry off, so an offline run never waits on it.
_DBT_ENV = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DO_NOT_TRACK": "1"}
# dbt events worth relaying to the platform log: one line per finished node.
_RELAYED_EVENTS = {"LogModelResult", "LogTestResult"}
# The step name in ops.step_runs (core.step_runs) that exports check before reading marts.
BUILD_STEP = "profiles build"
# The extraction of consent signals from the raw layer: when it started is when the consent
# a build decides was read, so files loaded later are not in the mart (activation applies
# their refusals, activation/consent_since_build.py).
CONSENT_STEP = "consent signals"


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
    from profiles.spark_target import dbt_environment

    wanted = {"CDP_DUCKDB_PATH": str(settings.duckdb_path), **_DBT_ENV}
    wanted |= dbt_environment(settings)
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


def manifest_path(settings: Settings) -> Path:
    """The manifest the Airflow DAG renders its dbt tasks from (``dbt parse`` writes it).

    It describes the project, not a warehouse, so it lives in the project's own (ignored)
    ``target/``, where every data folder's Airflow finds it."""
    return settings.dbt_project_dir / "target" / "manifest.json"


def _require_inputs(settings: Settings, needs_warehouse: bool = True) -> None:
    project_dir = settings.dbt_project_dir
    if not (project_dir / "dbt_project.yml").exists():
        raise DbtBuildError(
            f"no dbt_project.yml in {project_dir}: set CDP_DBT_PROJECT_DIR to the dbt project"
        )
    if needs_warehouse and not settings.duckdb_path.exists():
        raise DbtBuildError(
            f"warehouse {settings.duckdb_path} does not exist: run `cdp ingest` and "
            f"`cdp identity resolve` first (or set CDP_DUCKDB_PATH)"
        )


def invoke_dbt(
    settings: Settings,
    command: list[str],
    target_path: Path | None = None,
    needs_warehouse: bool = True,
    target: str | None = None,
) -> Any:
    from dbt.cli.main import dbtRunner

    from profiles.spark_target import SPARK, stop_spark

    _require_inputs(settings, needs_warehouse)
    project_dir = settings.dbt_project_dir
    default_target, log_path = dbt_paths(settings)
    target_path = target_path or default_target
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
    if target:
        args += ["--target", target]
    with _dbt_environment(settings):
        if target == SPARK:
            stop_spark()  # another session's catalog and properties are not dbt's
        try:
            return dbtRunner(callbacks=[_relay]).invoke(args)
        finally:
            if target == SPARK:
                stop_spark()
            else:
                _release_warehouse()


def dbt_profile(settings: Settings) -> tuple[str, str]:
    """The profile ``dbt_project.yml`` names, and that profile's default target in the
    project's ``profiles.yml``."""
    import yaml

    project_dir = settings.dbt_project_dir
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    profiles = yaml.safe_load((project_dir / "profiles.yml").read_text(encoding="utf-8"))
    return project["profile"], profiles[project["profile"]]["target"]


def parse_project(settings: Settings) -> Path:
    """``dbt parse`` into :func:`manifest_path`, so DAG files render dbt tasks without running
    dbt; raises :class:`DbtBuildError` when the project does not parse.

    Parsed with ``--profile`` and ``--target`` named, as Cosmos invokes dbt: dbt reuses a saved
    parse (``partial_parse.msgpack``, which Cosmos copies into the DAG's build) only when these
    arguments are the same, even when they name the defaults. Without them the profiles DAG's
    build parsed the whole project again at every run (20 s of its wall time at load 14).
    """
    path = manifest_path(settings)
    started = time.perf_counter()
    profile, target = dbt_profile(settings)
    outcome = invoke_dbt(
        settings,
        ["parse", "--profile", profile],
        target_path=path.parent,
        needs_warehouse=False,
        target=target,
    )
    if outcome.exception is not None or not outcome.success or not path.exists():
        raise DbtBuildError(
            f"dbt parse of {settings.dbt_project_dir} failed: {outcome.exception}; "
            f"details: {dbt_paths(settings)[1] / 'dbt.log'}"
        )
    log.info("dbt manifest written to %s in %.1f s", path, time.perf_counter() - started)
    return path


def require_complete_build(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse to read the marts while the last profiles build is unfinished or was killed
    (``core.step_runs.IncompleteStepError``): they may mix two runs."""
    from core.step_runs import require_finished

    require_finished(con, BUILD_STEP, "run `cdp profiles build` (it rebuilds every model) first")


CONSENT_MART = "marts.customer_consent"


class MissingMartError(RuntimeError):
    """A reader needs a mart the last profiles build did not leave; says what to run."""


def require_customer_consent(con: duckdb.DuckDBPyConnection, reader: str) -> str:
    """The consent mart's name, once the last profiles build finished and left it; else
    raise :class:`MissingMartError` saying what to run (``reader`` names who asked)."""
    from core.warehouse import table_exists

    require_complete_build(con)
    schema, table = CONSENT_MART.split(".")
    if not table_exists(con, schema, table):
        raise MissingMartError(
            f"{reader} reads consent from {CONSENT_MART}, which is missing in the warehouse: "
            "run `cdp profiles build` (it decides the consent in force) first"
        )
    return CONSENT_MART


def extract_consent_signals(settings: Settings) -> dict[str, int]:
    """Rebuild ``consent.signals``, which dbt reads, from the raw layer (recorded in
    ``ops.step_runs`` as :data:`CONSENT_STEP`)."""
    from core.step_runs import new_run_id, recorded_step
    from core.warehouse import connect
    from profiles import consent

    with recorded_step(settings, CONSENT_STEP, new_run_id("consent")), connect(settings) as con:
        return {"signals": consent.extract_consent_signals(con, settings)}


def build_profiles(
    settings: Settings,
    select: str | None = None,
    dbt_vars: dict[str, Any] | None = None,
    publish: bool = True,
    target: str | None = None,
) -> BuildResult:
    """Extract consent signals, run ``dbt build`` (models, tests, unit tests), then publish the
    readers' snapshot; raise :class:`DbtBuildError` on failure (nothing is published).

    ``target`` is the dbt target (``duckdb``, ``spark``; default: ``settings.engine``). On
    Spark the marts are Parquet tables in the lake (:mod:`profiles.spark_target`): the
    readers' snapshot, which copies DuckDB's marts, is not published.

    ``select`` is a dbt selection (``customer_profile+``, ``tag:x``); ``dbt_vars`` override
    the project's vars (RFM boundaries, windows, ``as_of_date``). The run is recorded in
    ``ops.step_runs``: when the previous build never finished (killed), its marts may mix
    two runs, so a selection is widened to every model.
    """
    from core.snapshot import publish_snapshot
    from core.step_runs import new_run_id, recorded_step
    from core.warehouse import wait_for_writer_lock
    from profiles.spark_target import SPARK, target_for

    target = target_for(settings, target)
    publish = publish and target != SPARK
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
        result = _build(settings, select, dbt_vars, target)
    return result


def _build(settings: Settings, select: str | None, dbt_vars: dict[str, Any] | None, target: str):
    import json

    from profiles.spark_target import SPARK, publish_profile_inputs

    extract_consent_signals(settings)
    if target == SPARK:  # dbt on Spark reads consent and feedback from the lake
        from core.warehouse import connect

        with connect(settings) as con:
            publish_profile_inputs(con, settings)
    command = ["build"]
    if select:
        command += ["--select", select]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    started = time.perf_counter()
    # duckdb is the profile's default output (a test project may name it otherwise)
    outcome = invoke_dbt(settings, command, target=target if target == SPARK else None)
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
        where = settings.lake_uri if target == SPARK else settings.duckdb_path
        raise DbtBuildError(
            f"dbt build ({target}) failed on {where}: {reason}\n  {listing}\n"
            f"Details: {dbt_paths(settings)[1] / 'dbt.log'}",
            failed,
        )
    log.info("dbt build (%s): %s in %.1f s", target, dict(statuses), elapsed)
    return result
