"""``make demo``: sample exports, then the real Airflow DAGs end to end, then what came out.

Runs ``airflow dags test`` on each DAG in the order the scheduler's assets would chain them
(the four ingestion DAGs, identity, profiles), against a local Airflow home with a SQLite
metadata DB under the data folder. Each DAG's full log goes to ``<airflow_home>/demo/``.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from cdp.settings import Settings

log = logging.getLogger(__name__)
console = Console()


def run_dag(dag_id: str, env: dict[str, str], settings: Settings) -> float:
    """``airflow dags test <dag_id>``; raises with the log's tail when the run fails."""
    log_dir = settings.airflow_home / "demo"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"{dag_id}.log"
    started = time.perf_counter()
    with log_file.open("w", encoding="utf-8") as out:
        result = subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), "dags", "test", dag_id],
            env=env,
            cwd=settings.project_dir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        tail = "\n".join(log_file.read_text(encoding="utf-8").splitlines()[-40:])
        raise RuntimeError(
            f"DAG {dag_id} failed (exit {result.returncode}); last lines of {log_file}:\n{tail}"
        )
    return seconds


def mart_counts(settings: Settings) -> dict[str, int]:
    """Row count of every table in the ``marts`` schema."""
    from cdp.warehouse import connect

    with connect(settings) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by table_name"
            ).fetchall()
        ]
        return {t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in tables}


def _data_docs(settings: Settings) -> Path | None:
    pages = sorted(settings.reports_dir.rglob("index.html"))
    return pages[0] if pages else None


def main() -> int:
    """Run the demo; returns the process exit code."""
    from cdp.airflow_env import prepare
    from cdp.orchestration import load_orchestration
    from cdp.pipeline import generate_sample
    from cdp.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    started = time.perf_counter()
    settings = Settings()
    settings.ensure_dirs()
    timings: dict[str, float] = {}

    step = time.perf_counter()
    env = prepare(settings)
    timings["airflow setup (SQLite metadata DB, pool)"] = time.perf_counter() - step

    step = time.perf_counter()
    console.print(f"[bold]Generating sample exports[/bold] into {settings.landing_dir}")
    generate_sample(settings)
    timings["generate sample exports"] = time.perf_counter() - step

    dag_ids = [f"cdp_ingest_{s}" for s in load_orchestration(settings).sources]
    dag_ids += ["cdp_identity", "cdp_profiles"]
    for dag_id in dag_ids:
        console.print(f"[bold]airflow dags test {dag_id}[/bold]")
        try:
            timings[dag_id] = run_dag(dag_id, env, settings)
        except RuntimeError as error:
            console.print(f"[red]{error}[/red]")
            return 1

    table = Table(title="Marts")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in mart_counts(settings).items():
        table.add_row(f"marts.{name}", f"{rows:,}")
    console.print(table)

    steps = Table(title="Timings")
    steps.add_column("step")
    steps.add_column("seconds", justify="right")
    for name, seconds in timings.items():
        steps.add_row(name, f"{seconds:.1f}")
    steps.add_row("[bold]total[/bold]", f"[bold]{time.perf_counter() - started:.1f}[/bold]")
    console.print(steps)

    docs = _data_docs(settings)
    console.print(
        f"\n[bold]Warehouse[/bold]  {settings.duckdb_path}\n"
        f"[bold]Exports[/bold]    {settings.export_dir}\n"
        f"[bold]Reports[/bold]    {settings.reports_dir}\n"
        f"[bold]Data Docs[/bold]  {docs or '(none built)'}\n"
        f"[bold]DAG logs[/bold]   {settings.airflow_home / 'demo'}\n\n"
        f"Query it:  duckdb -readonly {settings.duckdb_path}   (DuckDB CLI 2.0)\n"
        f"      or:  .venv/bin/python -c \"import duckdb; duckdb.connect('{settings.duckdb_path}',"
        f" read_only=True).sql('select * from marts.customer_profile limit 5').show()\"\n"
        f"Airflow UI on your DAGs:  make airflow"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
