"""The whole pipeline as plain Python: the steps the DAG tasks and ``cdp pipeline run`` call.

Each step is one call into a stage package (imported inside the step, so DAG files that
import this module stay cheap to parse) and returns a small JSON-able summary, which Airflow
keeps as the task's XCom. Steps raise the stage's own error on failure.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)

CHECK_STAGES = ("raw", "identity", "marts")


def _jsonable(value: Any) -> Any:
    """A summary Airflow can store as XCom: dataclasses and datetimes become plain JSON."""
    from dataclasses import asdict, is_dataclass

    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    elif hasattr(value, "model_dump"):
        value = value.model_dump()
    return json.loads(json.dumps(value, default=str))


def generate_sample(settings: Settings, people: int = 5000, seed: int = 42, batches: int = 2):
    """Write the sample landing exports and their truth."""
    from sample_data import generate

    return _jsonable(generate(settings, people=people, seed=seed, batches=batches))


def ingest_sources(
    settings: Settings, sources: list[str] | None = None, *, defer_failures: bool = False
) -> dict[str, Any]:
    """Load new landing files of ``sources`` (all when None); counts of what was new.

    A file that fails raises ``ingestion.IngestionError`` after the others are loaded; with
    ``defer_failures`` the failures are returned under ``failures`` instead, so that the
    files this call did commit can be announced before :func:`raise_ingest_failures` fails.
    """
    from ingestion import IngestionError, ingest

    try:
        report = ingest(settings, sources=sources)
    except IngestionError as error:
        if not defer_failures:
            raise
        report = error.report
    summary: dict[str, Any] = {
        "files_loaded": sum(1 for f in report.files if f.status == "loaded"),
        "files_skipped": sum(1 for f in report.files if f.status == "skipped_duplicate"),
        "files_failed": len(report.failed),
        "rows_accepted": report.total("rows_accepted"),
        "rows_quarantined": report.total("rows_quarantined"),
    }
    log.info("ingested %s: %s", ", ".join(sources or ["all sources"]), summary)
    if summary["files_loaded"]:
        publish_consent_refusals(settings)
    if report.failed:
        # the ledger's error texts: file, line and reason, never a row's contents
        summary["failures"] = [
            {"source": f.source, "entity": f.entity, "file_path": f.file_path, "error": f.error}
            for f in report.failed
        ]
    return summary


def raise_ingest_failures(summary: dict[str, Any]) -> None:
    """Raise ``ingestion.IngestionError`` for the failures :func:`ingest_sources` deferred."""
    failures = summary.get("failures") or []
    if not failures:
        return
    from ingestion import FileResult, IngestionError, IngestReport

    report = IngestReport([FileResult(**failure, batch_id="") for failure in failures])
    raise IngestionError(report)


def check(settings: Settings, stage: str):
    """Run the data-quality checks guarding ``stage`` (raw, identity, marts)."""
    if stage not in CHECK_STAGES:
        raise ValueError(f"unknown quality stage {stage!r}; expected one of {CHECK_STAGES}")
    from expectations import run_checks

    summary = _jsonable(run_checks(settings, stage))
    # The rows' values (examples, observed values, a failure's message quoting one) stay in
    # quality.validation_results, which forget redacts: this summary is a DAG task's XCom,
    # kept in Airflow's metadata database, which forget cannot rewrite.
    summary["outcomes"] = [
        {key: outcome[key] for key in _OUTCOME_WITHOUT_VALUES} for outcome in summary["outcomes"]
    ]
    return summary


_OUTCOME_WITHOUT_VALUES = (
    "suite",
    "expectation",
    "severity",
    "success",
    "unexpected_count",
    "unexpected_percent",
)


def resolve_identities(settings: Settings, full: bool = False, approve_churn: bool = False):
    """Resolve identity records into customers (incremental unless ``full``); a run above the
    stability ceiling raises ``identity.ChurnGateError`` unless ``approve_churn``.

    The summary also holds ``raw_files``, the raw layer's loaded files as this run saw them,
    for :func:`marts_rebuild_reason`, and the engine Splink ran on (with its Spark master)."""
    from core.warehouse import connect
    from identity import resolve
    from ingestion.ledger import loaded_files_fingerprint

    summary = _jsonable(resolve(settings, full=full, approve_churn=approve_churn))
    with connect(settings) as con:
        summary["raw_files"] = loaded_files_fingerprint(con)
    # where Splink ran, for the DAG's XCom and asset event (CDP_ENGINE, CDP_SPARK_MASTER)
    summary["engine"] = settings.engine
    if settings.engine == "spark":
        summary["spark_master"] = settings.spark_master
    return summary


def marts_rebuild_reason(summary: dict, last_announced: dict | None) -> str | None:
    """Why the marts must be rebuilt after this identity run, or None when a rebuild would
    reproduce them: no customer changed and no raw file was loaded since the run that last
    announced new identities (``last_announced``, that announcement's summary)."""
    changed = summary.get("changed_customers")
    if changed is None:
        return "the identity run did not count the customers it changed"
    if changed:
        return f"{changed} customers changed"
    if last_announced is None:
        return "no identity run was announced before"
    if last_announced.get("raw_files") != summary.get("raw_files"):
        return "raw files were loaded since the marts were last rebuilt"
    return None


def analyse_feedback(settings: Settings):
    """Topics and sentiment of every customer message, into feedback.message_analysis."""
    from profiles.spark_target import publish_if_spark
    from voice import analyse_feedback as analyse

    analysed = analyse(settings)
    publish_if_spark(settings, "feedback", "message_analysis")  # dbt on Spark reads the lake
    return _jsonable(analysed)


def build_marts(settings: Settings, select: str | None = None):
    """dbt build of the profile marts (all models, or a dbt selection), then the readers'
    snapshot is published (``core.snapshot``)."""
    from profiles import build_profiles

    built = build_profiles(settings, select=select)
    publish_consent_refusals(settings)
    return _jsonable(built)


def publish_built_marts(settings: Settings, run_id: str | None = None):
    """After dbt ran elsewhere (the profiles DAG's Cosmos tasks): record the build as
    finished in ``ops.step_runs`` and publish the readers' snapshot."""
    from core.snapshot import publish_snapshot
    from core.step_runs import new_run_id, record_finished
    from profiles.build import BUILD_STEP

    run_id = run_id or settings.run_id or new_run_id("profiles")
    published = []
    record_finished(
        settings,
        BUILD_STEP,
        run_id,
        "dbt run by the profiles DAG",
        then=lambda con: published.append(publish_snapshot(settings, run_id, con=con)),
    )
    publish_consent_refusals(settings)
    return _jsonable(published[0])


def publish_consent_refusals(settings: Settings) -> None:
    """The refusals loaded since the last build, beside the snapshot, for the API (an
    unsubscribe must stop the API answering the customer as sendable before the next build)."""
    from activation.consent_published import publish_refusals

    publish_refusals(settings)


def extract_consent_signals(settings: Settings):
    """Rebuild consent.signals from the raw layer (dbt decides the consent in force from it)."""
    from profiles import extract_consent_signals as extract
    from profiles.spark_target import publish_if_spark

    extracted = extract(settings)
    publish_if_spark(settings, "consent", "signals")  # dbt on Spark reads the lake
    return _jsonable(extracted)


def export_golden_records(settings: Settings, mode: str = "incremental"):
    """Export golden records (incremental by default) with their manifest."""
    from activation import export_golden_records as export

    return _jsonable(export(settings, mode=mode))


def export_audiences(settings: Settings):
    """Export the configured audiences, consented customers only."""
    from activation import export_audiences as export

    return _jsonable(export(settings))


def run_pipeline(settings: Settings, people: int | None = None, full: bool = False):
    """Every step in order, as the DAGs chain them; generate sample data first if ``people``.

    One run id (``settings.run_id``, or a new ``pipeline-...``) names the identity run, the
    profiles build and the snapshot published after it, so readers can tell which run
    they see.
    """
    from core.step_runs import new_run_id

    settings = settings.model_copy(update={"run_id": settings.run_id or new_run_id("pipeline")})
    steps: list[tuple[str, Any]] = []
    if people:
        steps.append(("generate", lambda: generate_sample(settings, people=people)))
    steps += [
        ("ingest", lambda: ingest_sources(settings)),
        ("check raw", lambda: check(settings, "raw")),
        ("resolve identities", lambda: resolve_identities(settings, full=full)),
        ("check identity", lambda: check(settings, "identity")),
        ("analyse feedback", lambda: analyse_feedback(settings)),
        ("build marts", lambda: build_marts(settings)),
        ("check marts", lambda: check(settings, "marts")),
        ("export golden records", lambda: export_golden_records(settings)),
        ("export audiences", lambda: export_audiences(settings)),
    ]
    timings: dict[str, float] = {}
    for name, step in steps:
        started = time.perf_counter()
        log.info("step %s", name)
        step()
        timings[name] = round(time.perf_counter() - started, 1)
        log.info("step %s done in %.1f s", name, timings[name])
    return timings
