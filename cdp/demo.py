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
# The demo's own erasure salt: the pipeline refuses the shipped default, and the demo's
# sample people are fictitious. An installation sets CDP_ERASURE_SALT (docs/privacy.md).
DEMO_ERASURE_SALT = "demo-only-erasure-salt-never-for-real-data"
console = Console(soft_wrap=True)  # paths must stay copyable, unbroken


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


def a_customer_email(settings: Settings) -> str | None:
    """The e-mail of a customer seen in the most sources (then the biggest spender): a good
    first one to look at."""
    from cdp.warehouse import connect

    with connect(settings) as con:
        row = con.execute(
            "select email from marts.customer_profile where email is not null "
            "order by source_count desc, lifetime_revenue desc, customer_id limit 1"
        ).fetchone()
    return row[0] if row else None


def _latest(folder: Path, pattern: str) -> Path | None:
    found = sorted(folder.glob(pattern)) if folder.exists() else []
    return found[-1] if found else None


def where_results_are(settings: Settings, email: str | None = None) -> str:
    """The paths a new user looks at after the demo, and how to query the warehouse."""
    gx_docs = _latest(settings.reports_dir, "gx/**/data_docs/local_site/index.html")
    lines = {
        "Warehouse (DuckDB)": settings.duckdb_path,
        "Golden records": _latest(settings.export_dir, "golden_records/*/manifest.json"),
        "Audiences": _latest(settings.export_dir, "audiences/*/manifest.json"),
        "Quality summary": _latest(settings.reports_dir, "quality/index.html"),
        "GX Data Docs": gx_docs,
        "Airflow DAG logs": settings.airflow_home / "demo",
    }
    width = max(len(name) for name in lines)
    text = "\n".join(
        f"[bold]{name:<{width}}[/bold]  {path or '(not produced)'}" for name, path in lines.items()
    )
    return (
        f"\n{text}\n\n"
        'Query it:   .venv/bin/cdp sql "select segment, count(*) from marts.customer_segments '
        'group by 1"\n'
        "            .venv/bin/cdp sql --file docs/analyst_queries.sql\n"
        "Identity:   .venv/bin/cdp identity evaluate   (precision/recall against the truth)\n"
        + (
            f"            .venv/bin/cdp identity explain {email}   (why its records are one "
            "customer)\n"
            if email
            else ""
        )
        + "Airflow UI: make airflow"
    )


def main() -> int:
    """Run the demo; returns the process exit code."""
    from cdp.airflow_env import prepare
    from cdp.orchestration import load_orchestration
    from cdp.pipeline import generate_sample
    from cdp.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    started = time.perf_counter()
    from cdp.erasure import DEFAULT_SALT

    settings = Settings()
    if settings.erasure_salt == DEFAULT_SALT:
        settings = settings.model_copy(update={"erasure_salt": DEMO_ERASURE_SALT})
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

    console.print(where_results_are(settings, a_customer_email(settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
