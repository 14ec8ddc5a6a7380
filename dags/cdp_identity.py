"""Identity DAG (``cdp_identity``): resolves identities when any source loaded new data."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from airflow.sdk import Asset, Param, dag, task
from airflow.sdk.exceptions import AirflowSkipException

from cdp.orchestration import (
    IDENTITY_ASSET_URI,
    freeze_heap_in_dags_test,
    load_orchestration,
    raw_asset_uri,
)
from core.settings import Settings

if TYPE_CHECKING:
    from airflow.sdk.definitions.asset import BaseAsset

ORCHESTRATION = load_orchestration(Settings())
freeze_heap_in_dags_test()  # in `airflow dags test` only (docs/performance-log.md)
IDENTITY = Asset(IDENTITY_ASSET_URI)
RAW_ASSETS = [Asset(raw_asset_uri(source)) for source in ORCHESTRATION.sources]


def _any_of(assets: list[Asset]) -> BaseAsset:
    schedule: BaseAsset = assets[0]
    for asset in assets[1:]:
        schedule = schedule | asset
    return schedule


@dag(
    dag_id="cdp_identity",
    schedule=_any_of(RAW_ASSETS),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=ORCHESTRATION.default_args(),
    params={
        "full": Param(
            False,
            type="boolean",
            description="Re-resolve every record from scratch instead of only what changed.",
        ),
        "approve_churn": Param(
            False,
            type="boolean",
            description="Accept a run that changes more customer_ids than the stability "
            "ceiling of config/identity.yml allows (after checking identity.run_stability).",
        ),
    },
    tags=["cdp", "identity"],
    doc_md="""
### Resolve identities (the RCU)

Runs when any ingestion DAG announced new raw data (`cdp://raw/<source>`, any of them).
Resolution is incremental: new and changed identity records are matched against the current
customers, keeping `customer_id`s stable (merges and splits land in `identity.id_history`).
Trigger with `full = true` to re-resolve everything (after retraining the model, say).
With `CDP_ENGINE=spark` (docs/scale.md), `resolve` is the Spark driver: Splink's term
frequencies, blocking, scoring and clustering are submitted to `CDP_SPARK_MASTER` (a
standalone, YARN or Kubernetes master; `CDP_SPARK_CONF` sizes the executors) and the lake
under `CDP_LAKE_URI` receives the identity tables; the summary it returns and announces names
the engine and master. Configuration, not code: the same DAG runs on either engine.
A run changing more customer_ids than the stability ceiling fails before anything is written
(`identity.run_stability`); after checking it, trigger with `approve_churn = true`.
Then the identity quality checks; on success it emits `cdp://identity/customers`, which rebuilds the
profiles, unless the run changed no customer (`changed_customers` = 0 in `identity.runs`) and no
raw file was loaded since the last announcement: then `announce` is skipped and nothing is
rebuilt or re-exported.
""",
)
def cdp_identity():
    @task(pool=ORCHESTRATION.writer_pool)
    def resolve(*, params=None) -> dict:
        """Incremental resolution, or full when the `full` param is set, on the configured
        engine (Settings().engine: DuckDB, or Splink's Spark backend on CDP_SPARK_MASTER)."""
        from cdp.pipeline import resolve_identities

        return resolve_identities(
            Settings(),
            full=bool(params["full"]),
            approve_churn=bool(params.get("approve_churn", False)),
        )

    @task(pool=ORCHESTRATION.writer_pool)
    def check_identity() -> dict:
        """Identity quality checks (one customer per record, no oversized clusters, ...)."""
        from cdp.pipeline import check

        return check(Settings(), "identity")

    @task(outlets=[IDENTITY], inlets=[IDENTITY])
    def announce(summary: dict, *, outlet_events=None, inlet_events=None) -> None:
        """Emit `cdp://identity/customers` with the resolution summary as extra, unless
        nothing the marts read changed since the last announcement (skipped then)."""
        from cdp.pipeline import marts_rebuild_reason

        last = list(inlet_events[IDENTITY].ascending(False).limit(1))
        reason = marts_rebuild_reason(summary, dict(last[0].extra or {}) if last else None)
        if reason is None:
            raise AirflowSkipException(
                "no customer changed and no raw file was loaded since the last announcement: "
                "the marts are up to date, nothing to rebuild"
            )
        outlet_events[IDENTITY].extra = {**summary, "rebuild_reason": reason}

    summary = resolve()
    # Airflow's @task typing does not model an XComArg argument (resolved when the task runs).
    summary >> check_identity() >> announce(summary)  # type: ignore[arg-type]


cdp_identity()
