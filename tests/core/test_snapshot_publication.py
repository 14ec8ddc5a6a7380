"""The published snapshot readers open, the writer lock's bounded wait, and ops.step_runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from core.snapshot import (
    SnapshotMissingError,
    open_snapshot,
    publish_snapshot,
    read_manifest,
    republish_if_published,
    snapshot_path,
)
from core.step_runs import IncompleteStepError, recorded_step, require_finished
from core.warehouse import WarehouseLockedError, connect


def _warehouse(settings, answer: int = 42) -> None:
    with connect(settings) as con:
        con.execute(
            "create schema if not exists marts; "
            f"create or replace table marts.t as select {answer} as answer from range(3)"
        )


def test_publishing_writes_the_snapshot_and_a_manifest_naming_the_run(settings):
    _warehouse(settings)

    info = publish_snapshot(settings, "run-1")

    assert info.path == str(snapshot_path(settings))
    assert info.tables["marts.t"] == 3
    manifest = json.loads((settings.published_dir / "manifest.json").read_text())
    assert manifest["run_id"] == "run-1"
    assert manifest["storage_version"] == settings.snapshot_storage_version == "v1.0.0"
    assert read_manifest(settings) == info
    with open_snapshot(settings) as con:
        assert con.execute("select run_id from ops.snapshot_info").fetchone() == ("run-1",)
        assert con.execute("select count(*) from marts.t").fetchone() == (3,)
        with pytest.raises(Exception, match="read-only"):
            con.execute("delete from marts.t")
        tags = con.execute(
            "select tags['storage_version'] from duckdb_databases() "
            "where database_name = 'snapshot'"
        ).fetchone()
    assert tags == ("v1.0.0+",)  # an old format: DuckDB 1.x clients open it


def test_a_reader_keeps_its_run_while_the_next_one_is_swapped_in(settings):
    _warehouse(settings, answer=1)
    publish_snapshot(settings, "run-1")
    reader = open_snapshot(settings)
    try:
        _warehouse(settings, answer=2)
        publish_snapshot(settings, "run-2")  # the reader's open file does not block it

        assert reader.execute("select distinct answer from marts.t").fetchall() == [(1,)]
    finally:
        reader.close()
    with open_snapshot(settings) as fresh:
        assert fresh.execute("select distinct answer from marts.t").fetchall() == [(2,)]
        assert fresh.execute("select run_id from ops.snapshot_info").fetchone() == ("run-2",)


def test_a_killed_publication_leaves_the_previous_snapshot_and_its_leftover_is_removed(settings):
    _warehouse(settings)
    publish_snapshot(settings, "run-1")
    leftover = settings.published_dir / f"{snapshot_path(settings).name}.publishing-99999"
    leftover.write_bytes(b"torn half of a database file")

    with open_snapshot(settings) as con:  # what readers see meanwhile: the whole run-1
        assert con.execute("select run_id from ops.snapshot_info").fetchone() == ("run-1",)
    publish_snapshot(settings, "run-2")

    assert sorted(p.name for p in settings.published_dir.iterdir()) == [
        snapshot_path(settings).name,
        "manifest.json",
    ]


def test_opening_before_anything_is_published_says_what_to_run(settings):
    _warehouse(settings)

    with pytest.raises(SnapshotMissingError, match="cdp profiles build"):
        open_snapshot(settings)
    assert republish_if_published(settings, "erasure") is None  # nothing to refresh


def _hold_lock(settings, seconds: float) -> subprocess.Popen:
    code = textwrap.dedent(
        f"""
        import duckdb, sys, time
        con = duckdb.connect({str(settings.duckdb_path)!r})
        print("locked", flush=True)
        time.sleep({seconds})
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_writer_fails_in_one_line_naming_the_holder(settings):
    _warehouse(settings)
    holder = _hold_lock(settings, 30)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseLockedError) as caught:
            with connect(settings.model_copy(update={"writer_lock_wait_seconds": 1.0})):
                pass
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    message = str(caught.value)
    assert "\n" not in message
    assert f"PID {holder.pid}" in message and "duckdb.connect" in message
    assert 1.0 <= waited < 10


def test_a_second_writer_waits_for_the_first_to_finish(settings):
    _warehouse(settings)
    holder = _hold_lock(settings, 1.5)
    try:
        with connect(settings.model_copy(update={"writer_lock_wait_seconds": 20.0})) as con:
            assert con.execute("select count(*) from marts.t").fetchone() == (3,)
    finally:
        holder.wait()


def test_the_cli_prints_the_lock_error_as_one_line(settings):
    _warehouse(settings)
    holder = _hold_lock(settings, 30)
    env = {
        **os.environ,
        "CDP_DATA_DIR": str(settings.data_dir),
        "CDP_WRITER_LOCK_WAIT_SECONDS": "0.5",
    }
    try:
        result = subprocess.run(
            [sys.executable, "-m", "cdp.cli", "snapshot", "publish"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "WARNING" not in line]
    assert errors == [errors[0]] and errors[0].startswith("error: warehouse ")
    assert f"locked by PID {holder.pid}" in errors[0]


def test_a_step_killed_mid_run_is_flagged_and_blocks_readers_of_its_tables(settings):
    _warehouse(settings)
    killed = subprocess.run(  # a process that records its step, then dies like kill -9
        [
            sys.executable,
            "-c",
            "import os, signal\n"
            "from core.settings import Settings\n"
            "from core.step_runs import recorded_step\n"
            f"s = Settings(data_dir={str(settings.data_dir)!r})\n"
            "with recorded_step(s, 'profiles build', 'run-killed'):\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n",
        ],
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert killed.returncode == -9

    with connect(settings) as con, pytest.raises(IncompleteStepError, match="run-killed"):
        require_finished(con, "profiles build", "rebuild")
    with recorded_step(settings, "profiles build", "run-next") as interrupted:
        assert [run.run_id for run in interrupted] == []  # flagged already, once
    with connect(settings) as con:
        require_finished(con, "profiles build", "rebuild")  # the next whole run clears it
        rows = con.execute(
            "select run_id, status, finished_at is not null from ops.step_runs order by started_at"
        ).fetchall()
    assert rows == [("run-killed", "interrupted", False), ("run-next", "succeeded", True)]


def test_snapshot_status_names_the_run_readers_see(settings, monkeypatch):
    from typer.testing import CliRunner

    from cdp.cli import app

    monkeypatch.setenv("CDP_DATA_DIR", str(settings.data_dir))
    _warehouse(settings)
    before = CliRunner().invoke(app, ["snapshot", "status"])
    publish_snapshot(settings, "run-7")

    after = CliRunner().invoke(app, ["snapshot", "status"])

    assert before.exit_code == 1 and "nothing published yet" in before.output
    assert after.exit_code == 0 and "run run-7 as of" in after.output
