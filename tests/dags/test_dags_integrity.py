"""The DAG folder parses cleanly and every DAG is one an on-call engineer can trust."""

from __future__ import annotations

import pytest
from dag_test_helpers import DAGS_FOLDER, load_dags

from cdp.orchestration import IDENTITY_ASSET_URI, SOURCES, raw_asset_uri

DBT_PROJECT_READY = (DAGS_FOLDER.parent / "dbt_project" / "dbt_project.yml").exists()
EXPECTED = {f"cdp_ingest_{source}" for source in SOURCES} | {"cdp_identity"}
if DBT_PROJECT_READY:
    EXPECTED.add("cdp_profiles")


@pytest.fixture(scope="module")
def dagbag(airflow_db):
    return load_dags()


def test_dag_folder_imports_without_errors(dagbag):
    errors = dict(dagbag.import_errors)
    if not DBT_PROJECT_READY:
        errors = {f: e for f, e in errors.items() if not f.endswith("cdp_profiles.py")}
    assert errors == {}
    assert EXPECTED <= set(dagbag.dags)


def test_every_dag_has_owner_tags_retries_and_docs(dagbag):
    for dag_id in EXPECTED:
        dag = dagbag.dags[dag_id]
        assert dag.tags and "cdp" in dag.tags, dag_id
        assert dag.doc_md and len(dag.doc_md) > 100, dag_id
        for task in dag.tasks:
            assert task.owner == "data-platform", (dag_id, task.task_id)
            if task.task_id.startswith("dbt."):
                # the one dbt build and the tasks watching it do not retry: a failed model is
                # fixed, then its task cleared (docs/airflow.md); Cosmos' no-op gate aside
                assert task.retries == 0 or task.task_id.endswith("_done"), task.task_id
                continue
            assert task.retries >= 1, (dag_id, task.task_id)
            assert task.retry_exponential_backoff, (dag_id, task.task_id)


def test_dags_have_no_cycles(dagbag):
    from airflow.utils.dag_cycle_tester import check_cycle

    for dag_id in EXPECTED:
        check_cycle(dagbag.dags[dag_id])  # raises AirflowDagCycleException on a cycle


def test_identity_dag_is_scheduled_on_every_ingestion_asset(dagbag):
    condition = dagbag.dags["cdp_identity"].timetable.asset_condition
    assert type(condition).__name__ == "AssetAny"
    assert {asset.uri for asset in condition.objects} == {raw_asset_uri(s) for s in SOURCES}
    for source in SOURCES:
        outlets = {o.uri for t in dagbag.dags[f"cdp_ingest_{source}"].tasks for o in t.outlets}
        assert outlets == {raw_asset_uri(source)}
    identity_outlets = {o.uri for t in dagbag.dags["cdp_identity"].tasks for o in t.outlets}
    assert identity_outlets == {IDENTITY_ASSET_URI}


def test_warehouse_writers_share_the_one_slot_pool(dagbag):
    writers = {
        "ingest",
        "check_raw",
        "resolve",
        "check_identity",
        "consent",
        "dbt.dbt_producer_watcher",  # the one dbt build; the tasks watching it write nothing
        "publish",
        "check_marts",
        "export_golden_records",
        "export_audiences",
    }
    for dag_id in EXPECTED:
        for task in dagbag.dags[dag_id].tasks:
            if task.task_id in writers:
                assert task.pool == "duckdb_writer", (dag_id, task.task_id)


def test_ingestion_cadences_come_from_config(dagbag):
    import yaml

    config = yaml.safe_load((DAGS_FOLDER.parent / "config" / "orchestration.yml").read_text())
    for source, entry in config["sources"].items():
        assert dagbag.dags[f"cdp_ingest_{source}"].schedule == entry["schedule"]


def test_an_operator_overrides_cadences_with_their_own_config(tmp_path, monkeypatch, airflow_db):
    import yaml

    config = yaml.safe_load((DAGS_FOLDER.parent / "config" / "orchestration.yml").read_text())
    config["sources"]["pos"]["schedule"] = "*/5 * * * *"
    config["sources"]["email"]["schedule"] = None
    override = tmp_path / "orchestration.yml"
    override.write_text(yaml.safe_dump(config))
    monkeypatch.setenv("CDP_ORCHESTRATION_CONFIG_PATH", str(override))

    dags = load_dags().dags

    assert dags["cdp_ingest_pos"].schedule == "*/5 * * * *"
    assert dags["cdp_ingest_email"].schedule is None


def test_a_bad_cadence_is_reported_with_the_file_and_field(tmp_path, settings):
    from cdp.orchestration import OrchestrationError, load_orchestration

    bad = tmp_path / "orchestration.yml"
    settings.orchestration_config_path = bad

    bad.write_text("sources:\n  pos:\n    schedule: every hour\n")
    with pytest.raises(OrchestrationError) as error:
        load_orchestration(settings)
    assert str(bad) in str(error.value)
    assert "sources.pos.schedule" in str(error.value)
    assert "'every hour' is not a cron expression" in str(error.value)

    bad.write_text("sources:\n  ftp:\n    schedule: '@daily'\n")
    with pytest.raises(OrchestrationError, match=r"unknown source\(s\) \['ftp'\]"):
        load_orchestration(settings)


def test_parsing_the_dags_loads_no_heavy_library(airflow_db):
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"DagBag(dag_folder={str(DAGS_FOLDER)!r})\n"
        "heavy = ('duckdb', 'pandas', 'splink', 'great_expectations', 'pyspark')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
