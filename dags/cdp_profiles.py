"""Profiles DAG (``cdp_profiles``): dbt marts, their quality checks, then the exports.

Cosmos renders each dbt model as its own run + test tasks, so a failed model is a failed
task an operator can retry alone. The whole group queues in the one-slot writer pool:
DuckDB takes one writer per file.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import yaml
from airflow.sdk import Asset, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, TestBehavior, TestIndirectSelection

from cdp.orchestration import (
    DATA_ERRORS,
    DBT_ERRORS,
    IDENTITY_ASSET_URI,
    MARTS_ASSET_URI,
    load_orchestration,
)
from cdp.settings import Settings

SETTINGS = Settings()
ORCHESTRATION = load_orchestration(SETTINGS)
MARTS = Asset(MARTS_ASSET_URI)
DBT_DIR = SETTINGS.dbt_project_dir

if not (DBT_DIR / "dbt_project.yml").exists():
    raise FileNotFoundError(
        f"{DBT_DIR / 'dbt_project.yml'} not found: the profiles DAG renders that dbt project; "
        f"set CDP_DBT_PROJECT_DIR to the folder holding dbt_project.yml"
    )
DBT_PROFILE = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["profile"]
DBT_TARGET = yaml.safe_load((DBT_DIR / "profiles.yml").read_text(encoding="utf-8"))[DBT_PROFILE][
    "target"
]
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")  # the venv's, PATH or not
# dbt's committed profiles.yml reads the warehouse path from this variable.
DBT_ENV = {"CDP_DUCKDB_PATH": str(SETTINGS.duckdb_path)}


@dag(
    dag_id="cdp_profiles",
    schedule=Asset(IDENTITY_ASSET_URI),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=ORCHESTRATION.default_args(data_errors=DATA_ERRORS + DBT_ERRORS),
    tags=["cdp", "profiles", "dbt", "exports"],
    doc_md="""
### Build the 360° profiles and export them

Runs when identity resolution emitted `cdp://identity/customers`.

1. `consent`: consent history per customer and channel, from the raw layer (what the
   profile's consent columns and the audiences both read).
   `feedback`: topics and sentiment of customer messages (`cdp feedback analyse`), which
   the feedback marts and profile columns read.
2. `dbt`: every model of `dbt_project/` (staging → intermediate → marts) as a `run` task
   followed by its `test` task. A failed model fails its own task: fix and clear it alone.
3. `publish`: records the build in `ops.step_runs` and publishes the readers' snapshot
   (`data/published/`, swapped atomically): analysts, `cdp sql` and the API read it.
4. `check_marts`: the marts quality checks (blocking failures stop the exports).
5. `export_golden_records` (incremental: upserts and deletes since the last export) and
   `export_audiences` (consented customers only), under `data/exports/`.

Emits `cdp://marts/profiles` when the exports are written.
""",
)
def cdp_profiles():
    @task(pool=ORCHESTRATION.writer_pool)
    def consent() -> dict:
        """Consent tables rebuilt from the raw layer, before dbt reads them."""
        from cdp.pipeline import refresh_consent

        return refresh_consent(Settings())

    @task(pool=ORCHESTRATION.writer_pool)
    def feedback() -> dict:
        """Customer messages analysed into feedback.message_analysis, before dbt reads it."""
        from cdp.pipeline import analyse_feedback

        return analyse_feedback(Settings())

    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(DBT_DIR, env_vars=DBT_ENV),
        profile_config=ProfileConfig(
            profile_name=DBT_PROFILE,
            target_name=DBT_TARGET,
            profiles_yml_filepath=DBT_DIR / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            dbt_executable_path=DBT_EXECUTABLE,
            # A model's test task runs only the tests whose every parent is built by then;
            # tests spanning several models get their own task after all of them.
            test_indirect_selection=TestIndirectSelection.CAUTIOUS,
        ),
        render_config=RenderConfig(
            test_behavior=TestBehavior.AFTER_EACH,
            emit_datasets=False,
            should_detach_multiple_parents_tests=True,
        ),
        operator_args={"pool": ORCHESTRATION.writer_pool, "install_deps": False},
    )

    @task(pool=ORCHESTRATION.writer_pool)
    def publish(dag_run_id: str) -> dict:
        """The readers' snapshot of this run, once every dbt model and test passed."""
        from cdp.pipeline import publish_built_marts

        return publish_built_marts(Settings(), run_id=dag_run_id)

    @task(pool=ORCHESTRATION.writer_pool)
    def check_marts() -> dict:
        """Marts quality checks; blocking failures stop the exports."""
        from cdp.pipeline import check

        return check(Settings(), "marts")

    @task(pool=ORCHESTRATION.writer_pool)
    def export_golden_records() -> dict:
        """Incremental golden-record export with its manifest."""
        from cdp.pipeline import export_golden_records

        return export_golden_records(Settings(), mode="incremental")

    @task(pool=ORCHESTRATION.writer_pool, outlets=[MARTS])
    def export_audiences() -> dict:
        """Audience files for the activation tools."""
        from cdp.pipeline import export_audiences

        return export_audiences(Settings())

    published = publish("{{ run_id }}")
    consent() >> feedback() >> dbt >> published
    published >> check_marts() >> export_golden_records() >> export_audiences()


cdp_profiles()
