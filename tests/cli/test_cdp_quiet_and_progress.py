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

from rich.console import Console

from cdp.console import progress_step
from cdp.warehouse import connect

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


def test_importing_the_stack_prints_nothing():
    done = subprocess.run(
        [sys.executable, "-c", "import cdp.cli, airflow, dbt, great_expectations"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        timeout=300,
        check=True,
    )
    # Great Expectations logged 216 lines here through Airflow's log set-up
    assert done.stdout == done.stderr == ""


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
    import cdp.airflow_env
    import cdp.pipeline
    from cdp import demo

    screen = io.StringIO()
    events: list[str] = []
    monkeypatch.setattr(demo, "console", Console(file=screen, width=200))
    monkeypatch.setattr(demo, "Settings", lambda: settings, raising=False)
    monkeypatch.setattr("cdp.settings.Settings", lambda: settings)

    def record(name):
        def step(*args, **kwargs):
            # what was printed when the step started
            events.append((name, screen.getvalue().strip().splitlines()[-1]))
            return 0.0 if name.startswith("cdp_") else {}

        return step

    monkeypatch.setattr(cdp.airflow_env, "prepare", record("prepare"))
    monkeypatch.setattr(cdp.pipeline, "generate_sample", record("generate"))
    monkeypatch.setattr(demo, "run_dag", lambda dag_id, env, s: record(dag_id)())
    monkeypatch.setattr(demo, "mart_counts", lambda s: {})
    monkeypatch.setattr(demo, "a_customer_email", lambda s: None)

    assert demo.main() == 0

    total = len(events)
    assert total >= 4
    for number, (name, last_line) in enumerate(events, start=1):
        assert last_line.startswith(f"[{number}/{total}]"), (name, last_line)
    assert "cdp_identity" in events[-2][1] and "cdp_profiles" in events[-1][1]
