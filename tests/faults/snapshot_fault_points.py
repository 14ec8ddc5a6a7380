"""Helpers of the kill -9 fault suite: run a ``cdp`` step in a subprocess, SIGKILL it at a
chosen point, then check what a crash must never break.

A kill point is either the n-th log line matching a pattern (deterministic: "after the second
file is committed", "after dbt's first model") or a delay drawn from a seeded RNG (the seeded
loop). The invariants read the warehouse the way a restarted writer would, and the published
snapshot the way a reader would.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import PROJECT_DIR, Settings


@dataclass
class KillOutcome:
    """How the run ended: killed by us (and at which log line), or finished on its own."""

    killed: bool
    returncode: int
    lines: list[str] = field(default_factory=list)


def cli_env(settings: Settings) -> dict[str, str]:
    """Environment under which ``python -m cdp.cli`` works on ``settings``' folders."""
    return {
        **os.environ,
        "PYTHONPATH": str(PROJECT_DIR),
        "CDP_DATA_DIR": str(settings.data_dir),
        "CDP_CONFIG_DIR": str(settings.config_dir),
        "CDP_WRITER_LOCK_WAIT_SECONDS": "5",
    }


def run_and_kill(
    settings: Settings,
    args: list[str],
    *,
    after_line: str | None = None,
    nth: int = 1,
    after_seconds: float | None = None,
    timeout: float = 300,
) -> KillOutcome:
    """Run ``cdp <args>``; SIGKILL it at the ``nth`` log line matching ``after_line``, or
    ``after_seconds`` after start, whichever comes first (unless it finished before)."""
    process = subprocess.Popen(
        # --verbose: the kill points are the platform's INFO lines (quiet by default)
        [sys.executable, "-m", "cdp.cli", "--verbose", *args],
        env=cli_env(settings),
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    reached = threading.Event()
    pattern = re.compile(after_line) if after_line else None

    def read() -> None:
        matches = 0
        for line in process.stderr:
            lines.append(line.rstrip("\n"))
            if pattern and pattern.search(line):
                matches += 1
                if matches >= nth:
                    reached.set()
        reached.set()  # end of output: the process is finishing on its own

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reached.wait(after_seconds if after_seconds is not None else timeout)
    killed = process.poll() is None
    if killed:
        os.kill(process.pid, signal.SIGKILL)
    returncode = process.wait(timeout=timeout)
    reader.join(timeout=10)
    return KillOutcome(killed and returncode == -signal.SIGKILL, returncode, lines)


def run_cli(settings: Settings, args: list[str], timeout: float = 400) -> str:
    """Run ``cdp <args>`` to completion; its stderr, or an assertion error naming it."""
    done = subprocess.run(
        [sys.executable, "-m", "cdp.cli", *args],
        env=cli_env(settings),
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"cdp {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done.stderr


def copy_data(source: Settings, target_root: Path, *, landing_only: bool = False) -> Settings:
    """A private copy of ``source``'s data folder (or only its landing files) and config."""
    config = target_root / "config"
    shutil.copytree(source.config_dir, config)
    data = target_root / "data"
    if landing_only:
        shutil.copytree(source.landing_dir, data / "landing")
    else:
        shutil.copytree(source.data_dir, data)
    copied = Settings(data_dir=data, config_dir=config)
    copied.ensure_dirs()
    return copied


def _raw_batches(con) -> dict[str, int]:
    """Rows per ``_batch_id`` over every raw table."""
    tables = con.execute(
        "select distinct table_name from information_schema.columns "
        "where table_schema = 'raw' and column_name = '_batch_id'"
    ).fetchall()
    counts: dict[str, int] = {}
    for (table,) in tables:
        for batch, rows in con.execute(
            f'select _batch_id, count(*) from raw."{table}" group by 1'
        ).fetchall():
            counts[batch] = counts.get(batch, 0) + rows
    return counts


def assert_ledger_reconciles(con) -> int:
    """Every loaded file: rows read = accepted + quarantined (+ suppressed by erasure), and the
    raw and quarantine tables hold exactly those rows; no raw row without its ledger line.
    Returns the number of files loaded."""
    ledger = con.execute(
        "select batch_id, file_hash, rows_read, rows_accepted, rows_quarantined, "
        "rows_suppressed from ops.load_ledger where status = 'loaded'"
    ).fetchall()
    quarantined = dict(
        con.execute("select batch_id, count(*) from ops.quarantine group by 1").fetchall()
    )
    raw = _raw_batches(con)
    for batch, _, read, accepted, rejected, suppressed in ledger:
        assert read == accepted + rejected + suppressed, batch
        assert raw.get(batch, 0) == accepted, batch
        assert quarantined.get(batch, 0) == rejected, batch
    assert set(raw) <= {row[0] for row in ledger}, "raw rows from a batch the ledger lacks"
    hashes = [row[1] for row in ledger]
    assert len(hashes) == len(set(hashes)), "a file's content loaded twice"
    return len(ledger)


def assert_snapshot_is_one_whole_run(settings: Settings) -> str:
    """The published snapshot is one complete run: manifest and ``ops.snapshot_info`` agree,
    that run's build finished, marts agree with each other and with identity, and the raw
    layer is not in it. Returns the run id."""
    from core.snapshot import open_snapshot, read_manifest

    manifest = read_manifest(settings)
    assert manifest is not None, "nothing published"
    with open_snapshot(settings) as con:
        [(run_id,)] = con.execute("select run_id from ops.snapshot_info").fetchall()
        assert run_id == manifest.run_id
        tables = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }
        if "ops.step_runs" in tables:
            builds = dict(
                con.execute(
                    "select run_id, status from ops.step_runs where step = 'profiles build'"
                ).fetchall()
            )
            assert "running" not in builds.values(), builds
            if "marts.customer_profile" in tables:
                assert builds.get(run_id) == "succeeded", (run_id, builds)
        if "marts.customer_profile" in tables:
            without_segment = con.execute(
                "select count(*) from marts.customer_profile p anti join "
                "marts.customer_segments s using (customer_id)"
            ).fetchone()[0]
            orphan_segments = con.execute(
                "select count(*) from marts.customer_segments s anti join "
                "marts.customer_profile p using (customer_id)"
            ).fetchone()[0]
            unknown = con.execute(
                "select count(*) from marts.customer_profile p anti join "
                "identity.customers c using (customer_id)"
            ).fetchone()[0]
            assert (without_segment, orphan_segments, unknown) == (0, 0, 0)
            assert con.execute("select count(*) from marts.customer_profile").fetchone()[0] > 0
        # the raw layer stays in the warehouse (where the callers reconcile the ledger)
        assert not any(table.startswith("raw.") for table in tables), tables
    return run_id
