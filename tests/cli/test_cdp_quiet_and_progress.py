"""Quiet by default: library logs only with --verbose; long steps show progress; the demo
announces each stage as it starts."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from core.console import progress_step
from core.warehouse import connect

PROJECT = Path(__file__).parents[2]


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cdp.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT), **env},
        cwd=PROJECT,
        timeout=300,
        check=False,
    )


def test_importing_the_stack_prints_nothing(tmp_path):
    # A script, not `python -c`: under -c pyspark's connect module takes the run for a
    # doctest and exits the interpreter in the middle of the imports.
    script = tmp_path / "import_stack.py"
    script.write_text("import cdp.cli, airflow, dbt, great_expectations\n")
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        timeout=300,
        check=True,
    )
    # Great Expectations logged 216 lines here through Airflow's log set-up
    assert done.stdout == done.stderr == ""


# Slow (two Great Expectations runs); by default the stack-import test covers the quiet set-up.
@pytest.mark.slow
def test_a_quality_check_prints_its_result_not_the_libraries_logs(settings):
    with connect(settings) as con:
        con.execute(
            "create schema raw; create table raw.email__subscribers as select "
            "'a' || i || '@example.org' as email, 'subscribed' as status, "
            "timestamp '2024-01-01' as opted_in_at, timestamp '2024-01-01' as status_changed_at "
            "from range(20) t(i)"
        )
    env = {"CDP_DATA_DIR": str(settings.data_dir), "CDP_CONFIG_DIR": str(settings.config_dir)}

    quiet = _cli("quality", "check", "--stage", "raw", env=env)
    verbose = _cli("--verbose", "quality", "check", "--stage", "raw", env=env)

    assert quiet.returncode == 0, quiet.stderr
    output = quiet.stdout + quiet.stderr
    assert "expectations passed" in output
    assert "great_expectations" not in output
    assert len(output.splitlines()) <= 12, output
    assert verbose.returncode == 0
    assert len((verbose.stdout + verbose.stderr).splitlines()) > len(output.splitlines())


def test_a_long_step_shows_a_spinner_with_its_latest_message_then_a_tick():
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with progress_step("Resolving identities", console=console):
        logging.getLogger("identity.example").info("scoring 1,000 pairs")

    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())
    assert "Resolving identities: scoring 1,000 pairs" in shown
    assert shown.rstrip().endswith("✓ Resolving identities")


def test_make_demo_announces_each_stage_before_it_runs(settings, monkeypatch):
    """The parent announces setup and sample; the child that runs the DAGs (one process for
    all of them) announces each DAG, numbered on from there."""
    import types

    import airflow.dag_processing.dagbag

    import cdp.airflow_env
    import cdp.pipeline
    from cdp import demo

    screen = io.StringIO()
    events: list[tuple[str, str]] = []
    dag_ids: list[str] = []
    monkeypatch.setattr(demo, "console", Console(file=screen, width=200))
    monkeypatch.setattr("core.settings.Settings", lambda: settings)

    def last_line() -> str:
        return screen.getvalue().strip().splitlines()[-1]

    def record(name, result):
        def step(*args, **kwargs):
            events.append((name, last_line()))  # what was printed when the step started
            return result

        return step

    class FakeDag:
        def __init__(self, dag_id):
            self.dag_id = dag_id

        def test(self):
            events.append((self.dag_id, last_line()))
            state = types.SimpleNamespace(state="success")
            return types.SimpleNamespace(state="success", get_task_instance=lambda _: state)

    class FakeBag:
        import_errors: dict = {}

        def __init__(self, dag_folder):
            self.dags = {d: FakeDag(d) for d in dag_ids}

    def run_dags_here(ids, env, s):
        dag_ids.extend(ids)
        (s.airflow_home / "demo").mkdir(parents=True, exist_ok=True)  # as run_dags does
        assert demo._test_dags_here(ids) == 0  # the child's loop, in this process
        return dict.fromkeys(ids, 0.0)

    monkeypatch.setattr(cdp.airflow_env, "prepare", record("prepare", {}))
    monkeypatch.setattr(cdp.pipeline, "generate_sample", record("generate", {}))
    monkeypatch.setattr(airflow.dag_processing.dagbag, "DagBag", FakeBag)
    monkeypatch.setattr(demo, "run_dags", run_dags_here)
    monkeypatch.setattr(demo, "mart_counts", lambda s: {})
    monkeypatch.setattr(demo, "a_customer_email", lambda s: None)

    assert demo.main() == 0

    total = len(events)
    assert total == 2 + len(dag_ids) and "cdp_profiles" in dag_ids
    for number, (name, line) in enumerate(events, start=1):
        assert line.startswith(f"[{number}/{total}]"), (name, line)
    assert "cdp_identity" in events[-2][1] and "cdp_profiles" in events[-1][1]
