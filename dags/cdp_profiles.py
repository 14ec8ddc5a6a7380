"""Profiles DAG (``cdp_profiles``): dbt marts, their quality checks, then the exports.

Cosmos in watcher mode: one ``dbt build``, tests included (the producer task, in the
one-slot writer pool: DuckDB takes one writer per file) and one task per model that watches
it, so the UI still shows which model failed; a failed dbt test fails its model's task.
The tasks are rendered from the manifest ``dbt parse`` writes
(``python -m cdp.airflow_env setup``): parsing this file runs no dbt.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Asset, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from cdp.dbt_model_tasks import run_tests_in_build
from cdp.dbt_watcher import report_finished_nodes_only
from cdp.orchestration import (
    DATA_ERRORS,
    DBT_ERRORS,
    IDENTITY_ASSET_URI,
    MARTS_ASSET_URI,
    freeze_heap_in_dags_test,
    load_orchestration,
    watch_after_build,
)
from core.settings import Settings
from profiles.build import dbt_profile, manifest_path  # no dbt import while parsing
from profiles.spark_target import dbt_environment, target_for

SETTINGS = Settings()
ORCHESTRATION = load_orchestration(SETTINGS)
freeze_heap_in_dags_test()  # in `airflow dags test` only (docs/performance-log.md)
MARTS = Asset(MARTS_ASSET_URI)
DBT_DIR = SETTINGS.dbt_project_dir
MANIFEST = manifest_path(SETTINGS)

if not (DBT_DIR / "dbt_project.yml").exists():
    raise FileNotFoundError(
        f"{DBT_DIR / 'dbt_project.yml'} not found: the profiles DAG renders that dbt project; "
        f"set CDP_DBT_PROJECT_DIR to the folder holding dbt_project.yml"
    )
if not MANIFEST.exists():
    raise FileNotFoundError(
        f"{MANIFEST} not found: the profiles DAG renders its tasks from dbt's manifest; write "
        f"it with `python -m cdp.airflow_env setup` (make demo and make airflow run it)"
    )
DBT_PROFILE, DEFAULT_TARGET = dbt_profile(SETTINGS)
# The engine setting picks the profiles.yml output: its default (the DuckDB file), or spark
# (dbt-spark's own session on CDP_SPARK_MASTER, sources in the lake; docs/scale.md).
DBT_TARGET = target_for(SETTINGS, default=DEFAULT_TARGET)
# dbt's committed profiles.yml reads the warehouse path, and the Spark master and lake, here.
DBT_ENV = {"CDP_DUCKDB_PATH": str(SETTINGS.duckdb_path), **dbt_environment(SETTINGS)}
# How often a model's task looks at the build's progress (seconds).
WATCH_INTERVAL = 2


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

1. `consent`: the consent signals of the raw layer (`consent.signals`), from which dbt
   decides the consent in force (`marts.customer_consent`, read by the profile, the exports,
   the audiences and the API).
   `feedback`: topics and sentiment of customer messages (`cdp feedback analyse`), which
   the feedback marts and profile columns read.
2. `dbt`: one `dbt build` of `dbt_project/` (`dbt_producer_watcher`, staging →
   intermediate → marts, every dbt test included) and, watching it, each model's `run`
   task, which finishes as dbt reports that model and its tests. A failed model, or a
   failed test (named in the error), fails the model's own task: fix the input or the SQL,
   then clear that task: it builds that model and runs its tests alone. With `CDP_ENGINE=spark`
   the build is dbt's `spark` target: Spark SQL on `CDP_SPARK_MASTER` over the Parquet
   lake (consent and feedback are written there first), marts in `<lake>/warehouse/`.
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
        """Consent signals extracted from the raw layer, before dbt reads them."""
        from cdp.pipeline import extract_consent_signals

        return extract_consent_signals(Settings())

    @task(pool=ORCHESTRATION.writer_pool)
    def feedback() -> dict:
        """Customer messages analysed into feedback.message_analysis, before dbt reads it."""
        from cdp.pipeline import analyse_feedback

        return analyse_feedback(Settings())

    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(DBT_DIR, manifest_path=MANIFEST, env_vars=DBT_ENV),
        profile_config=ProfileConfig(
            profile_name=DBT_PROFILE,
            target_name=DBT_TARGET,
            profiles_yml_filepath=DBT_DIR / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            # dbt in the task's own process: no interpreter start, no dbt import per task
            invocation_mode=InvocationMode.DBT_RUNNER,
            # only the one build writes: it alone takes the writer pool's slot. --quiet: dbt
            # writes no JSON line to stdout for Cosmos to parse back and drop (its callback
            # still gets every event and logs each node's line in the task log). No file
            # log: Cosmos' --log-format json made dbt turn each of its ~6,500 events into
            # JSON for a debug log in the build's temporary project, deleted after it
            setup_operator_args={
                "pool": ORCHESTRATION.writer_pool,
                "dbt_cmd_global_flags": ["--quiet", "--log-level-file", "none"],
            },
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            # no task per test: the tests run in the one build (run_tests_in_build below)
            # and a model's task fails when one of its tests failed
            test_behavior=TestBehavior.NONE,
            emit_datasets=False,
        ),
        operator_args={
            "install_deps": False,
            # The watching tasks only read the build's progress, so they wait outside the
            # writer pool (in it, they would queue behind the build they watch). A failed
            # model fails its task at once: retrying it would re-run dbt for that model only
            # after the data or SQL is fixed, which is a clear by hand.
            "pool": "default_pool",
            "retries": 0,
            "poke_interval": WATCH_INTERVAL,
        },
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

    # the build pushes a node's event to XCom once it finished, not at each step
    report_finished_nodes_only(dbt)
    run_tests_in_build(dbt)

    published = publish("{{ run_id }}")
    watch_after_build(dbt, after=consent() >> feedback())
    dbt >> published >> check_marts() >> export_golden_records() >> export_audiences()


cdp_profiles()
