"""``make demo``: sample exports, then the real Airflow DAGs end to end, then what came out.

Runs each DAG as ``airflow dags test`` does (``dag.test()``) in the order the scheduler's
assets would chain them (the four ingestion DAGs, identity, profiles), all in one child
process, against a local Airflow home with a SQLite metadata DB under the data folder. Each
DAG's full log goes to ``<airflow_home>/demo/<dag_id>.log``.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)
# The demo's own erasure salt: the pipeline refuses the shipped default, and the demo's
# sample people are fictitious. An installation sets CDP_ERASURE_SALT (docs/privacy.md).
DEMO_ERASURE_SALT = "demo-only-erasure-salt-never-for-real-data"
console = Console(soft_wrap=True)  # paths must stay copyable, unbroken


def run_dags(dag_ids: list[str], env: dict[str, str], settings: Settings) -> dict[str, float]:
    """Run the DAGs one after the other, each as ``airflow dags test`` does (``dag.test()``),
    in one child process; seconds per DAG. Raises with the failed DAG's log tail.

    One process for all of them: each ``airflow dags test`` would import Airflow, parse the
    DAG folder and start the in-process execution API again, several seconds per DAG."""
    log_dir = settings.airflow_home / "demo"
    log_dir.mkdir(parents=True, exist_ok=True)
    timings = log_dir / "timings.json"
    timings.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "cdp.demo", "dags", *dag_ids], env=env, cwd=settings.project_dir
    )
    seconds = json.loads(timings.read_text(encoding="utf-8")) if timings.exists() else {}
    if result.returncode != 0:
        failed = next((d for d in dag_ids if d not in seconds), dag_ids[-1])
        log_file = log_dir / f"{failed}.log"
        tail = "\n".join(log_file.read_text(encoding="utf-8").splitlines()[-40:])
        raise RuntimeError(
            f"DAG {failed} failed (exit {result.returncode}); last lines of {log_file}:\n{tail}"
        )
    return seconds


@contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Send this process's stdout and stderr to ``path``: Airflow's task logs and dbt write to
    the file descriptors directly, past any ``sys.stdout`` swap."""

    with path.open("w", encoding="utf-8") as log:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, original in zip((1, 2), saved, strict=True):
                os.dup2(original, fd)
                os.close(original)


def _test_dags_here(dag_ids: list[str]) -> int:
    """The child of :func:`run_dags`: each DAG's ``dag.test()``, its output (every task's
    log) into ``<airflow_home>/demo/<dag_id>.log``, progress on the console."""
    from core.settings import Settings

    settings = Settings()
    log_dir = settings.airflow_home / "demo"
    with _output_to(log_dir / "dag_folder.log"):
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(dag_folder=str(settings.project_dir / "dags"))
    if bag.import_errors:
        console.print(
            f"DAG import errors (log: {log_dir / 'dag_folder.log'}): {bag.import_errors}",
            markup=False,
        )
        return 1
    seconds: dict[str, float] = {}
    announced = True
    total = 2 + len(dag_ids)  # the stages main() numbers: setup, sample, then each DAG
    for number, dag_id in enumerate(dag_ids, start=3):
        if dag_id == "cdp_profiles" and not announced:
            # the scheduler would not start it either: no identity event, nothing to rebuild
            console.print("cdp_profiles not triggered: the identity run announced no change")
            continue
        console.print(
            stage_line(number, total, f"airflow dags test {dag_id}")
            + f"  (log: {log_dir / dag_id}.log)"
        )
        started = time.perf_counter()
        with _output_to(log_dir / f"{dag_id}.log"):
            run = bag.dags[dag_id].test()
        if str(run.state) != "success":
            return 1
        seconds[dag_id] = round(time.perf_counter() - started, 1)
        if dag_id == "cdp_identity":
            announced = str(run.get_task_instance("announce").state) == "success"
        (log_dir / "timings.json").write_text(json.dumps(seconds), encoding="utf-8")
    return 0


def mart_counts(settings: Settings) -> dict[str, int]:
    """Row count of every table in the ``marts`` schema."""
    from core.warehouse import connect, scalar

    with connect(settings) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by table_name"
            ).fetchall()
        ]
        return {t: scalar(con, f'select count(*) from marts."{t}"') for t in tables}


def a_customer_email(settings: Settings) -> str | None:
    """The e-mail of a customer seen in the most sources (then the biggest spender): a good
    first one to look at."""
    from core.warehouse import connect

    with connect(settings) as con:
        row = con.execute(
            "select email from marts.customer_profile where email is not null "
            "order by source_count desc, lifetime_revenue desc, customer_id limit 1"
        ).fetchone()
    return row[0] if row else None


def _latest(folder: Path, pattern: str) -> Path | None:
    found = sorted(folder.glob(pattern)) if folder.exists() else []
    return found[-1] if found else None


def latest_full_export(export_dir: Path) -> Path | None:
    """Manifest of the newest full golden-record export: after a re-run the newest export is
    an incremental one, often empty, which is not where a newcomer should look."""
    import json

    folder = export_dir / "golden_records"
    manifests = sorted(folder.glob("*/manifest.json"), reverse=True) if folder.exists() else []
    for manifest in manifests:
        if json.loads(manifest.read_text(encoding="utf-8")).get("mode") == "full":
            return manifest
    return manifests[0] if manifests else None


def where_results_are(settings: Settings, email: str | None = None) -> str:
    """The paths a new user looks at after the demo, and how to query the warehouse."""
    gx_docs = _latest(settings.reports_dir, "gx/**/data_docs/local_site/index.html")
    lines = {
        "Warehouse (DuckDB)": settings.duckdb_path,
        "Golden records": latest_full_export(settings.export_dir),
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


def stage_line(number: int, total: int, text: str) -> str:
    """``[n/N] what`` printed as a stage starts, so a long step is never a silent one."""
    return f"[bold][{number}/{total}][/bold] {text}"


def demo_settings() -> Settings:
    """The environment's settings, with the demo's own erasure salt unless one is set (the
    demo and `make airflow` on its warehouse; the pipeline refuses the shipped default)."""
    from core.erasure import DEFAULT_SALT
    from core.settings import Settings

    settings = Settings()
    if settings.erasure_salt == DEFAULT_SALT:
        settings = settings.model_copy(update={"erasure_salt": DEMO_ERASURE_SALT})
    return settings


def main() -> int:
    """Run the demo; returns the process exit code."""
    from cdp.airflow_env import prepare
    from cdp.orchestration import load_orchestration
    from cdp.pipeline import generate_sample
    from core.console import quiet_libraries

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    quiet_libraries()
    started = time.perf_counter()
    settings = demo_settings()
    settings.ensure_dirs()
    timings: dict[str, float] = {}
    dag_ids = [f"cdp_ingest_{s}" for s in load_orchestration(settings).sources]
    dag_ids += ["cdp_identity", "cdp_profiles"]
    total = 2 + len(dag_ids)

    step = time.perf_counter()
    console.print(stage_line(1, total, "Airflow setup: SQLite metadata DB and pool"))
    env = prepare(settings)
    timings["Airflow setup (metadata DB, pool, dbt manifest)"] = time.perf_counter() - step

    step = time.perf_counter()
    console.print(stage_line(2, total, f"Generating sample exports into {settings.landing_dir}"))
    generate_sample(settings)
    timings["generate sample exports"] = time.perf_counter() - step

    step = time.perf_counter()
    try:
        per_dag = run_dags(dag_ids, env, settings)
    except RuntimeError as error:
        console.print(f"[red]{error}[/red]")
        return 1
    timings["Airflow start (import, parse the DAG folder)"] = (
        time.perf_counter() - step - sum(per_dag.values())
    )
    timings.update(per_dag)

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
    if sys.argv[1:2] == ["dags"]:
        code = _test_dags_here(sys.argv[2:])
        # Every DAG has ended and its tables are closed; a normal exit would spend 13-16 s in
        # the garbage collector walking Airflow's heap (docs/performance-log.md), so flush and go.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(main())
