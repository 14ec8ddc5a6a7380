"""``airflow dags test <dag_id>`` with the process's CPU seconds recorded per task.

    python -m bench.dag_task_cpu <dag_id> <out.json>

Under ``airflow dags test`` every task runs in the one process (``dag.test()``'s
``_run_task``), the in-process execution API in its own thread and dbt's build in its own
threads. This wraps ``_run_task`` with the process's user + system time before and after
(all threads: a task's API calls and dbt threads count for the task that made them) and
writes, at exit, each task's CPU seconds, the CPU spent before the first task (Airflow's
import, the DAG folder), the in-process execution API's start and the total.

The execution API builds its routes at its first request (about 5 s of CPU here), which
would count for whichever task comes first (``consent``); a request made just before the
first task starts it there instead, so that the first task's figure is its own work.
Used by ``bench.profiles_dag_bench``; what runs is ``airflow dags test <dag_id>``.
"""

from __future__ import annotations

import atexit
import json
import resource
import sys
from pathlib import Path
from typing import Any


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def record_task_cpu(out: Path) -> None:
    """Wrap ``dag.test()``'s task runner; write the figures to ``out`` at exit."""
    from airflow.sdk.definitions import dag as dag_module

    tasks: dict[str, float] = {}
    marks: dict[str, float] = {}
    run_task = dag_module._run_task

    def timed_run_task(*, ti: Any, task: Any, **kwargs: Any) -> Any:
        if "first_task" not in marks:
            marks["first_task"] = _cpu()
            start_execution_api(task.dag)
            marks["api_started"] = _cpu()
        started = _cpu()
        try:
            return run_task(ti=ti, task=task, **kwargs)
        finally:
            marks["last_task"] = _cpu()
            tasks[ti.task_id] = round(tasks.get(ti.task_id, 0.0) + marks["last_task"] - started, 3)

    def write() -> None:
        total = _cpu()
        api = marks.get("api_started", 0.0) - marks.get("first_task", 0.0)
        figures = {
            "tasks": tasks,
            "before_first_task": round(marks.get("first_task", total), 3),
            "execution_api_start": round(api, 3),
            "after_last_task": round(total - marks.get("last_task", total), 3),
            "total": round(total, 3),
        }
        out.write_text(json.dumps(figures, indent=1), encoding="utf-8")

    dag_module._run_task = timed_run_task
    atexit.register(write)


def start_execution_api(dag: Any) -> None:
    """One request to the in-process execution API ``dag.test()`` gives its tasks."""
    from airflow.sdk.execution_time.supervisor import InProcessTestSupervisor

    InProcessTestSupervisor._api_client(dag).get("health/ping")


def main() -> None:
    dag_id, out = sys.argv[1], Path(sys.argv[2])
    record_task_cpu(out)
    from airflow.__main__ import main as airflow

    sys.argv = ["airflow", "dags", "test", dag_id]  # what the DAG files see (gc at exit)
    airflow()


if __name__ == "__main__":
    main()
