"""kill -9 during ingest and profiles build, short version (default suite).

A tiny warehouse (30 simulated people, ingested and resolved) is built once for the module;
each test works on a private copy. The seeded loop over ingest, resolve, build and export
is test_faults_kill_seeded.py (slow).
"""

from __future__ import annotations

import pytest
from snapshot_fault_points import (
    assert_ledger_reconciles,
    assert_snapshot_is_one_whole_run,
    copy_data,
    run_and_kill,
)

from core.warehouse import connect

# One line per file ingestion commits (ingestion.load logs it after the commit).
FILE_COMMITTED = r"ingestion\.load: .*: loaded read="
# The build's first write (consent signals the marts read): from here the warehouse mixes
# runs until dbt finishes. The seeded loop (slow) also kills inside dbt itself.
BUILD_FIRST_WRITE = r"profiles\.consent: consent: "


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    """Landing files of 30 people, ingested and resolved, and a snapshot of that state."""
    import shutil

    from cdp.pipeline import generate_sample, ingest_sources, resolve_identities
    from core.settings import PROJECT_DIR, Settings
    from core.snapshot import publish_snapshot

    root = tmp_path_factory.mktemp("resolved")
    shutil.copytree(PROJECT_DIR / "config", root / "config")
    settings = Settings(data_dir=root / "data", config_dir=root / "config")
    settings.ensure_dirs()
    generate_sample(settings, people=30, seed=7, batches=2)
    ingest_sources(settings)
    resolve_identities(settings)
    publish_snapshot(settings, "run-resolved")
    return settings


def test_ingest_killed_between_files_keeps_every_ledger_line_whole(resolved, tmp_path):
    settings = copy_data(resolved, tmp_path, landing_only=True)

    outcome = run_and_kill(settings, ["ingest"], after_line=FILE_COMMITTED, nth=2)

    assert outcome.killed, outcome.lines[-5:]
    with connect(settings) as con:
        assert assert_ledger_reconciles(con) >= 2  # what was committed is whole
    from cdp.pipeline import ingest_sources

    ingest_sources(settings)  # the re-run loads the rest, nothing twice
    with connect(settings) as con:
        loaded = assert_ledger_reconciles(con)
    with connect(resolved) as con:
        assert loaded == assert_ledger_reconciles(con)  # same files as an uninterrupted run


def test_build_killed_mid_run_leaves_readers_on_the_last_whole_run(resolved, tmp_path):
    from activation import export_golden_records
    from core.snapshot import snapshot_path
    from core.step_runs import IncompleteStepError, last_run
    from profiles.build import BUILD_STEP

    settings = copy_data(resolved, tmp_path)
    before = snapshot_path(settings).stat()

    outcome = run_and_kill(settings, ["profiles", "build"], after_line=BUILD_FIRST_WRITE)

    assert outcome.killed, outcome.lines[-5:]
    assert snapshot_path(settings).stat().st_ino == before.st_ino  # nothing published
    assert assert_snapshot_is_one_whole_run(settings) == "run-resolved"
    with connect(settings) as con:
        assert last_run(con, BUILD_STEP).status == "running"
    # Marts in the warehouse may now mix two runs: exports refuse them, naming the build.
    with pytest.raises(IncompleteStepError, match="profiles build .* interrupted"):
        export_golden_records(settings)
    with connect(settings) as con:
        assert last_run(con, BUILD_STEP).status == "interrupted"
