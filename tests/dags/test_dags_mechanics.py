"""DAG mechanics with the stage steps replaced: what runs, what is skipped, what is announced.

The stages themselves run for real in test_dags_end_to_end.py; here the steps are swapped
for recorders so each orchestration rule is checked in isolation and in seconds.
"""

from __future__ import annotations

import pytest
from dag_test_helpers import asset_events, load_dags, task_states

import cdp.pipeline
from cdp.orchestration import IDENTITY_ASSET_URI, raw_asset_uri


@pytest.fixture(scope="module")
def dags(airflow_db):
    return load_dags().dags


@pytest.fixture
def calls(monkeypatch, dag_settings):
    """Replace the pipeline steps by recorders; returns the list of calls made."""
    made: list[tuple] = []

    def ingest_sources(settings, sources=None, defer_failures=False):
        assert defer_failures  # the loaded files are announced before failures fail the run
        made.append(("ingest", tuple(sources)))
        return {"files_loaded": LOADED[sources[0]], "rows_accepted": 10 * LOADED[sources[0]]}

    def check(settings, stage):
        made.append(("check", stage))
        return {"stage": stage, "success": True}

    def resolve_identities(settings, full=False, approve_churn=False):
        assert approve_churn is False  # the gate is approved only when an operator asks
        made.append(("resolve", full))
        return {"mode": "full" if full else "incremental", "customers": 3}

    for name, step in (
        ("ingest_sources", ingest_sources),
        ("check", check),
        ("resolve_identities", resolve_identities),
    ):
        monkeypatch.setattr(cdp.pipeline, name, step)
    return made


LOADED = {"pos": 2, "web": 0}


def test_new_files_are_checked_then_announced_with_what_was_loaded(dags, calls):
    before = len(asset_events(raw_asset_uri("pos")))

    run = dags["cdp_ingest_pos"].test()

    assert task_states(run) == {
        "ingest": "success",
        "check_raw": "success",
        "announce": "success",
        "report_failures": "success",
    }
    assert calls == [("ingest", ("pos",)), ("check", "raw")]
    events = asset_events(raw_asset_uri("pos"))
    assert len(events) == before + 1
    assert events[-1]["source_dag_id"] == "cdp_ingest_pos"
    assert events[-1]["extra"] == {"files_loaded": 2, "rows_accepted": 20}


def test_nothing_new_skips_checks_and_announces_nothing(dags, calls):
    before = len(asset_events(raw_asset_uri("web")))

    run = dags["cdp_ingest_web"].test()

    assert str(run.state) == "success"
    assert task_states(run) == {
        "ingest": "success",
        "check_raw": "skipped",
        "announce": "skipped",
        "report_failures": "success",
    }
    assert calls == [("ingest", ("web",))]
    assert len(asset_events(raw_asset_uri("web"))) == before


@pytest.mark.parametrize("conf, full", [(None, False), ({"full": True}, True)])
def test_identity_resolves_incrementally_unless_full_is_asked(dags, calls, conf, full):
    before = len(asset_events(IDENTITY_ASSET_URI))

    run = dags["cdp_identity"].test(run_conf=conf)

    assert set(task_states(run).values()) == {"success"}
    assert calls == [("resolve", full), ("check", "identity")]
    events = asset_events(IDENTITY_ASSET_URI)
    assert len(events) == before + 1
    assert events[-1]["extra"]["mode"] == ("full" if full else "incremental")


def test_bad_input_fails_at_once_without_burning_retries(dags, calls, monkeypatch):
    from ingestion import IngestionError, IngestReport

    def broken(settings, sources=None, defer_failures=False):
        raise IngestionError(IngestReport())

    monkeypatch.setattr(cdp.pipeline, "ingest_sources", broken)

    run = dags["cdp_ingest_pos"].test()

    assert str(run.state) == "failed"
    ingest = run.get_task_instance("ingest")
    assert (str(ingest.state), ingest.try_number) == ("failed", 1)
    assert task_states(run)["announce"] == "upstream_failed"


def test_an_identity_run_that_changes_nothing_announces_nothing(dags, calls, monkeypatch):
    runs = iter(
        [
            {"mode": "incremental", "changed_customers": 3, "raw_files": "4:a"},
            {"mode": "incremental", "changed_customers": 0, "raw_files": "4:a"},  # nothing new
            {"mode": "incremental", "changed_customers": 0, "raw_files": "5:b"},  # new receipts
        ]
    )
    monkeypatch.setattr(cdp.pipeline, "resolve_identities", lambda *a, **k: next(runs))
    dag = dags["cdp_identity"]
    states = []
    for _ in range(3):
        before = len(asset_events(IDENTITY_ASSET_URI))
        states.append(task_states(dag.test())["announce"])
        states.append(len(asset_events(IDENTITY_ASSET_URI)) - before)

    # announced, then skipped (no event: profiles neither rebuild nor re-export), then
    # announced again because raw files arrived since, even with no customer changed
    assert states == ["success", 1, "skipped", 0, "success", 1]
    assert asset_events(IDENTITY_ASSET_URI)[-1]["extra"]["rebuild_reason"] == (
        "raw files were loaded since the marts were last rebuilt"
    )


def test_airflow_dags_test_keeps_the_collector_off_the_startup_heap_and_at_exit(tmp_path):
    """In ``airflow dags test`` the DAG files freeze the heap when parsed, and again from an
    exit hook (parsed twice, one hook): objects alive then are not walked by the collector
    during the run, nor at exit. Any other process that parses them runs and exits as usual."""
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "parse_twice.py"
    script.write_text(
        "import atexit, gc, sys\n"
        # registered first, so run last: after the DAG files' hook
        "atexit.register(lambda: print(gc.get_freeze_count() > 0, len(gc.get_objects(2))))\n"
        "started = [[i] for i in range(100_000)]\n"
        "from cdp.orchestration import freeze_heap_in_dags_test\n"
        "freeze_heap_in_dags_test()\n"
        "freeze_heap_in_dags_test()\n"
        "print(gc.get_freeze_count() >= 100_000)\n"
        "alive = [[i] for i in range(100_000)]\n"
    )
    root = Path(__file__).resolve().parents[2]

    def exit_state(*argv: str) -> tuple[bool, bool, int]:
        done = subprocess.run(
            [sys.executable, str(script), *argv],
            capture_output=True,
            text=True,
            cwd=root,
            check=True,
            env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        )
        at_parse, frozen, oldest = done.stdout.split()
        return at_parse == "True", frozen == "True", int(oldest)

    at_parse, frozen, oldest = exit_state("dags", "test", "cdp_profiles")
    assert at_parse  # the lists built before the DAG files were parsed: frozen then
    assert frozen and oldest < 100_000  # and those built later, at exit
    at_parse, frozen, oldest = exit_state("dags", "list")
    assert not at_parse and not frozen and oldest > 100_000
