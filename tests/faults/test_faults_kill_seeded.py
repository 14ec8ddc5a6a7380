"""kill -9 at seeded points of ingest, resolve, profiles build and export (slow).

A tiny warehouse (30 people: ingested, resolved, built, published, exported once) is built
once; each case kills a ``cdp`` subprocess on a private copy after a delay drawn from its
seed (so the kill may land before, inside or after the step's writes: every outcome must
keep the invariants), then checks:

- the ledger reconciles: rows read = accepted + quarantined (+ suppressed), raw and
  quarantine hold exactly those rows, no file twice;
- readers see one whole run: the published snapshot is the last complete build's, every
  profile has a segment, run ids agree;
- the step's re-run completes, and after a killed build the next build rebuilds and publishes.
"""

from __future__ import annotations

import random

import pytest
from snapshot_fault_points import (
    assert_ledger_reconciles,
    assert_snapshot_is_one_whole_run,
    copy_data,
    run_and_kill,
    run_cli,
)

from core.warehouse import connect

pytestmark = pytest.mark.slow

SEEDS = (1, 2)
# (cdp arguments, window of kill delays in seconds after start, re-run arguments)
STEPS = {
    "ingest": (["ingest"], (0.5, 6.0), ["ingest"]),
    "resolve": (["identity", "resolve", "--full"], (1.0, 15.0), ["identity", "resolve"]),
    "build": (["profiles", "build"], (2.0, 40.0), None),
    "export": (["export", "--mode", "full"], (0.5, 8.0), ["export"]),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The tiny warehouse after one whole run, published and exported."""
    import shutil

    from cdp.pipeline import (
        build_marts,
        export_golden_records,
        generate_sample,
        ingest_sources,
        resolve_identities,
    )
    from core.settings import PROJECT_DIR, Settings

    root = tmp_path_factory.mktemp("built")
    shutil.copytree(PROJECT_DIR / "config", root / "config")
    settings = Settings(data_dir=root / "data", config_dir=root / "config", run_id="run-base")
    settings.ensure_dirs()
    generate_sample(settings, people=30, seed=7, batches=2)
    ingest_sources(settings)
    resolve_identities(settings)
    build_marts(settings)
    export_golden_records(settings, mode="full")
    assert assert_snapshot_is_one_whole_run(settings) == "run-base"
    return settings.model_copy(update={"run_id": None})


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("step", list(STEPS))
def test_a_step_killed_at_a_seeded_point_keeps_one_whole_run(built, tmp_path, step, seed):
    args, (low, high), rerun = STEPS[step]
    settings = copy_data(built, tmp_path, landing_only=step == "ingest")
    delay = random.Random(f"{step}-{seed}").uniform(low, high)

    outcome = run_and_kill(settings, args, after_seconds=delay)

    if not outcome.killed:
        assert outcome.returncode == 0, outcome.lines[-10:]
    with connect(settings) as con:
        assert_ledger_reconciles(con)
    if step != "ingest":
        run_id = assert_snapshot_is_one_whole_run(settings)
        if step != "build" or outcome.killed:
            assert run_id == "run-base"
    if rerun:
        run_cli(settings, rerun)
        with connect(settings) as con:
            assert_ledger_reconciles(con)
    if step == "ingest":
        with connect(settings) as con, connect(built) as whole:
            assert assert_ledger_reconciles(con) == assert_ledger_reconciles(whole)


def test_a_build_killed_inside_dbt_is_rebuilt_whole_and_published_by_the_next(built, tmp_path):
    from core.step_runs import last_run
    from profiles.build import BUILD_STEP

    settings = copy_data(built, tmp_path)

    outcome = run_and_kill(
        settings, ["profiles", "build"], after_line=r"profiles\.build: dbt: ", nth=5
    )

    assert outcome.killed, outcome.lines[-5:]
    assert assert_snapshot_is_one_whole_run(settings) == "run-base"
    with connect(settings) as con:
        assert last_run(con, BUILD_STEP).status == "running"
    log = run_cli(settings, ["profiles", "build", "--select", "customer_segments"])
    assert "never finished" in log and "building every model" in log
    new_run = assert_snapshot_is_one_whole_run(settings)
    assert new_run != "run-base"
    with connect(settings) as con:
        statuses = [
            run[0]
            for run in con.execute(
                "select status from ops.step_runs where step = ? order by started_at", [BUILD_STEP]
            ).fetchall()
        ]
    assert statuses == ["succeeded", "interrupted", "succeeded"]
    run_cli(settings, ["export"])  # exports read the rebuilt marts again
