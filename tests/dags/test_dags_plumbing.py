"""The plain-Python pipeline and the local Airflow environment the DAGs run in."""

from __future__ import annotations

import pytest

import cdp.pipeline
from cdp.airflow_env import environment, settings_env
from core.settings import Settings


def test_tasks_rebuild_exactly_the_settings_of_whoever_started_airflow(tmp_path, monkeypatch):
    started_with = Settings(data_dir=tmp_path / "data", duckdb_path=tmp_path / "w" / "x.duckdb")
    for name, value in settings_env(started_with).items():
        monkeypatch.setenv(name, value)

    assert Settings() == started_with


def test_airflow_runs_local_on_sqlite_under_the_data_folder_with_telemetry_off(settings):
    env = environment(settings, parallelism=4)

    assert env["AIRFLOW_HOME"] == str(settings.data_dir / "airflow")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == (
        f"sqlite:///{settings.data_dir / 'airflow' / 'airflow.db'}"
    )
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__CORE__PARALLELISM"] == "4"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(settings.project_dir / "dags")
    # a dbt build's saved parse is kept per Airflow home, never shared through /tmp
    assert env["AIRFLOW__COSMOS__CACHE_DIR"] == str(settings.data_dir / "airflow" / "cosmos")
    assert env["DO_NOT_TRACK"] == "1" and env["SCARF_NO_ANALYTICS"] == "true"
    assert env["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "False"
    assert env["CDP_DUCKDB_PATH"] == str(settings.duckdb_path)


def test_pipeline_run_chains_the_steps_in_the_order_the_dags_do(settings, monkeypatch):
    calls = []
    steps = {
        "generate_sample": lambda s, people: calls.append(("generate", people)),
        "ingest_sources": lambda s: calls.append(("ingest",)),
        "check": lambda s, stage: calls.append(("check", stage)),
        "resolve_identities": lambda s, full: calls.append(("resolve", full)),
        "analyse_feedback": lambda s: calls.append(("feedback",)),
        "build_marts": lambda s: calls.append(("dbt",)),
        "export_golden_records": lambda s: calls.append(("golden_records",)),
        "export_audiences": lambda s: calls.append(("audiences",)),
    }
    for name, step in steps.items():
        monkeypatch.setattr(cdp.pipeline, name, step)

    timings = cdp.pipeline.run_pipeline(settings, people=50)

    assert calls == [
        ("generate", 50),
        ("ingest",),
        ("check", "raw"),
        ("resolve", False),
        ("check", "identity"),
        ("feedback",),
        ("dbt",),
        ("check", "marts"),
        ("golden_records",),
        ("audiences",),
    ]
    assert len(timings) == len(calls)


def test_an_unknown_quality_stage_is_refused_before_anything_runs(settings):
    with pytest.raises(ValueError, match="unknown quality stage 'gold'"):
        cdp.pipeline.check(settings, "gold")


def test_a_quality_steps_summary_carries_no_row_value(settings, monkeypatch):
    """The summary is a DAG task's XCom, stored in Airflow's metadata database, which forget
    cannot rewrite: a failing check's examples, observed value and message stay in
    quality.validation_results (redacted by forget) and out of it."""
    from datetime import datetime

    import expectations
    from expectations import QualityReport
    from expectations._gx import Outcome

    email = "jeanne.dupont@example.org"
    failing = Outcome(
        run_id="r1",
        stage="raw",
        suite="raw.web__accounts",
        expectation="expect_column_values_to_match_regex(email)",
        severity="warning",
        success=False,
        unexpected_count=1,
        unexpected_percent=0.5,
        example_values=f'[{{"email": "{email}"}}]',
        observed_value=f'"{email}"',
        validated_at=datetime(2026, 12, 7),
        message=f'raw.web__accounts: email failed on 1 of 200 rows, e.g. {{"email": "{email}"}}',
    )
    report = QualityReport(run_id="r1", stage="raw", outcomes=[failing])
    monkeypatch.setattr(expectations, "run_checks", lambda settings, stage: report)

    summary = cdp.pipeline.check(settings, "raw")

    assert email not in str(summary)
    assert summary["outcomes"] == [
        {
            "suite": "raw.web__accounts",
            "expectation": "expect_column_values_to_match_regex(email)",
            "severity": "warning",
            "success": False,
            "unexpected_count": 1,
            "unexpected_percent": 0.5,
        }
    ]
