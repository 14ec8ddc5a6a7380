"""A local Airflow for the project: AIRFLOW_HOME under the data folder, SQLite, no telemetry.

``environment`` is what every Airflow process of the project runs with (``make demo``,
``make airflow``, the DAG tests); ``setup_metadata_db`` migrates the metadata database and
creates the one-slot pool DuckDB writers queue in; ``write_dbt_manifest`` runs ``dbt parse``
so the profiles DAG renders its tasks from the manifest; ``serve`` runs Airflow's components
on 127.0.0.1 until interrupted. Usage: ``python -m cdp.airflow_env setup|serve``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)

API_HOST = "127.0.0.1"
API_PORT = 8080
TELEMETRY_OFF = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "true",
}


def settings_env(settings: Settings) -> dict[str, str]:
    """``CDP_*`` variables that rebuild these exact settings in another process (a task)."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is not None:
            # a mapping (CDP_SPARK_CONF) is read back as JSON, not as Python's repr
            text = json.dumps(value) if isinstance(value, dict | list) else str(value)
            env[f"CDP_{name.upper()}"] = text
    return env


def environment(settings: Settings, parallelism: int | None = None) -> dict[str, str]:
    """Environment variables for Airflow processes working on this project's settings."""
    home = settings.airflow_home
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.project_dir / "dags"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__API__HOST": API_HOST,
        "AIRFLOW__API__PORT": str(API_PORT),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{API_HOST}:{API_PORT}/execution/",
        # dbt's profiles.yml reads the warehouse path from here.
        "CDP_DUCKDB_PATH": str(settings.duckdb_path),
        # Cosmos' watcher producer otherwise rewrites its whole XCom backup (an Airflow
        # Variable, compressed JSON of every status so far) at each of the build's ~400
        # status pushes: a third of the profiles DAG's execution-API time. Off, the backup is
        # written once, by the producer's failure callback, which is what a retry reads.
        "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
        # Cosmos keeps the dbt build's saved parse under <cache_dir>/<dag>__<group>, by default
        # in the machine's /tmp: shared by every Airflow home, a test's tiny dbt project there
        # made the next demo or bench build re-parse the whole project (docs/performance-log.md).
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos"),
        **TELEMETRY_OFF,
        **settings_env(settings),
    }
    if parallelism is not None:
        env["AIRFLOW__CORE__PARALLELISM"] = str(parallelism)
    return env


def setup_metadata_db(pool: str) -> None:
    """Migrate the metadata DB of the current AIRFLOW_HOME and create the writer pool.

    Call it in a process whose environment already holds :func:`environment`: Airflow reads
    its configuration once, at first import.
    """
    from airflow.configuration import write_default_airflow_configuration_if_needed
    from airflow.models.pool import Pool
    from airflow.utils.db import initdb

    # airflow.cfg holds the generated fernet key and JWT secret: it must exist before the
    # api-server, scheduler and workers start, or each would generate its own.
    write_default_airflow_configuration_if_needed()
    initdb()
    Pool.create_or_update_pool(
        pool,
        slots=1,
        description="DuckDB takes one writer per file: warehouse writers run one at a time",
        include_deferred=False,
    )


def write_dbt_manifest(settings: Settings) -> Path:
    """``dbt parse`` of the project: the profiles DAG reads the manifest instead of running
    dbt each time Airflow parses it. Re-run it after editing the dbt project (``prepare`` does,
    so ``make demo`` and ``make airflow`` always start from a fresh one)."""
    from profiles.build import parse_project

    return parse_project(settings)


def prepare(settings: Settings) -> dict[str, str]:
    """Create the Airflow home, migrate it when needed, ensure the pool, write the dbt
    manifest; returns the env."""
    from cdp.orchestration import load_orchestration

    pool = load_orchestration(settings).writer_pool
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    # Airflow components start further `airflow` processes: the venv's must come first.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, **environment(settings), "PATH": path}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cdp.airflow_env", "setup", pool],
        env=env,
        check=True,
        cwd=settings.project_dir,
    )
    log.info(
        "Airflow home %s ready in %.1f s", settings.airflow_home, time.perf_counter() - started
    )
    return env


def _airflow(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("airflow")), *args]


def serve(settings: Settings, parallelism: int = 4) -> int:
    """Run api-server, scheduler, dag-processor and triggerer on loopback until Ctrl-C.

    ``airflow standalone`` would start the same components, but its log servers listen on
    every interface (0.0.0.0:8793/8794) with no setting to change it; with LocalExecutor the
    API server reads task logs from the shared log folder, so they are skipped here.
    """
    env = {**prepare(settings), **environment(settings, parallelism=parallelism)}
    commands = {
        "api-server": _airflow("api-server", "--host", API_HOST, "--port", str(API_PORT)),
        "scheduler": _airflow("scheduler", "--skip-serve-logs"),
        "dag-processor": _airflow("dag-processor"),
        "triggerer": _airflow("triggerer", "--skip-serve-logs"),
    }
    processes = {
        name: subprocess.Popen(command, env=env, cwd=settings.project_dir)
        for name, command in commands.items()
    }
    passwords = settings.airflow_home / "simple_auth_manager_passwords.json.generated"
    log.info(
        "Airflow starting on http://%s:%d (user admin, password in %s); Ctrl-C stops it",
        API_HOST,
        API_PORT,
        passwords,
    )
    try:
        while all(process.poll() is None for process in processes.values()):
            time.sleep(1)
        stopped = [name for name, process in processes.items() if process.poll() is not None]
        log.error("Airflow component(s) %s exited; stopping the others", ", ".join(stopped))
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def main(argv: list[str]) -> int:
    """``setup <pool>`` (inside a prepared environment: metadata DB, pool, dbt manifest) or
    ``serve``."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if argv[:1] == ["setup"] and len(argv) == 2:
        if "AIRFLOW_HOME" not in os.environ:
            sys.stderr.write("setup runs inside prepare()'s environment: AIRFLOW_HOME is not set\n")
            return 2
        from core.settings import Settings

        setup_metadata_db(argv[1])
        write_dbt_manifest(Settings())
        return 0
    if argv == ["serve"]:
        from cdp.demo import demo_settings

        return serve(demo_settings())  # `make airflow` serves the demo's warehouse
    sys.stderr.write("usage: python -m cdp.airflow_env setup <pool> | serve\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
