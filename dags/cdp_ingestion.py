"""Ingestion DAGs, one per source (``cdp_ingest_<source>``), each on its own cadence.

Cadences, owner and retries come from ``config/orchestration.yml``; paths from the project
settings (``CDP_*``). Heavy libraries load inside the tasks, never while Airflow parses.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Asset, dag, task
from airflow.sdk.exceptions import AirflowSkipException

from cdp.orchestration import freeze_heap_in_dags_test, load_orchestration, raw_asset_uri
from core.settings import Settings

ORCHESTRATION = load_orchestration(Settings())
freeze_heap_in_dags_test()  # in `airflow dags test` only (docs/performance-log.md)

DOC = """
### Ingest `{source}` exports

Loads the new export files under `landing/{source}/` into `raw.{source}__*` (one transaction
per file; bad rows go to `ops.quarantine`, every attempt to `ops.load_ledger`), then runs the
raw data-quality checks. Only when new files were loaded does it emit `{asset}`, which
triggers identity resolution.

- Files already loaded (same content hash) are skipped, so a re-run adds nothing.
- A file that cannot be read does not stop the others: the files loaded are checked and
  announced, then `report_failures` fails the run (no retry: the export must be fixed),
  naming each failed file with its reason (never a row's contents). Fix or replace the
  file and trigger the DAG again: only that file is new.
"""


def ingestion_dag(source: str, schedule: str | None):
    """The DAG that loads one source's new files and announces them."""
    asset = Asset(raw_asset_uri(source))

    @dag(
        dag_id=f"cdp_ingest_{source}",
        schedule=schedule,
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args=ORCHESTRATION.default_args(),
        tags=["cdp", "ingestion", source],
        doc_md=DOC.format(source=source, asset=asset.uri),
    )
    def ingest_source():
        @task(pool=ORCHESTRATION.writer_pool)
        def ingest() -> dict:
            """Load new landing files of this source; what was new, and what failed."""
            from cdp.pipeline import ingest_sources

            return ingest_sources(Settings(), [source], defer_failures=True)

        @task(pool=ORCHESTRATION.writer_pool)
        def check_raw(loaded: dict) -> dict:
            """Raw-layer quality checks; skipped (with what follows) when nothing was new."""
            if not loaded["files_loaded"]:
                raise AirflowSkipException(f"no new {source} files: nothing to check or announce")
            from cdp.pipeline import check

            return check(Settings(), "raw")

        @task(outlets=[asset])
        def announce(loaded: dict, *, outlet_events=None) -> None:
            """Emit the source's asset, with what was loaded as the event's extra."""
            outlet_events[asset].extra = {k: v for k, v in loaded.items() if k != "failures"}

        @task(trigger_rule="none_failed")
        def report_failures(loaded: dict) -> None:
            """Fail the run for the files that could not be loaded, once the others are out."""
            from cdp.pipeline import raise_ingest_failures

            raise_ingest_failures(loaded)

        loaded = ingest()
        # Airflow's @task typing does not model an XComArg argument (resolved at run time).
        check_raw(loaded) >> announce(loaded) >> report_failures(loaded)  # type: ignore[arg-type]

    return ingest_source()


for _source, _cadence in ORCHESTRATION.sources.items():
    ingestion_dag(_source, _cadence.schedule)
