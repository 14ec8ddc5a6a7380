"""The published snapshot opens in the DuckDB 1.5.x line, the one the DuckDB CLI, DBeaver and
other 1.x tools embed (the warehouse itself, written by 2.0, does not).

Needs a throwaway venv with ``duckdb==1.5.*`` and ``duckdb-cli==1.5.*`` from the package
index: built once under the system temp folder and reused; the test skips when it cannot be
built (offline).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from core.snapshot import publish_snapshot, snapshot_path
from core.warehouse import connect

pytestmark = pytest.mark.slow

VENV = Path(tempfile.gettempdir()) / "cdp-duckdb15-reader"

# Every table and view of the snapshot, read by the 1.x client, with its row count.
READ_ALL = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
objects = con.execute(
    "select schema_name, table_name from duckdb_tables() union all "
    "select schema_name, view_name from duckdb_views() where not internal"
).fetchall()
counts = {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]
          for s, t in objects}
print(json.dumps({"version": duckdb.__version__, "counts": counts}))
"""


def _duckdb15_python() -> Path:
    python = VENV / "bin" / "python"
    if not (VENV / "bin" / "duckdb").exists():
        built = subprocess.run(
            f"{sys.executable} -m venv {VENV} && "
            f"{VENV}/bin/pip install -q 'duckdb==1.5.*' 'duckdb-cli==1.5.*'",
            shell=True,
            capture_output=True,
            timeout=300,
        )
        if built.returncode != 0:
            pytest.skip(f"no DuckDB 1.5 venv: {built.stderr.decode()[-300:]}")
    return python


def test_duckdb_1_5_reads_every_table_and_view_of_the_snapshot(settings):
    python = _duckdb15_python()
    with connect(settings) as con:
        con.execute(
            """
            create schema raw; create schema marts;
            create table marts.people as select range as id, 'Zoé ' || range as name,
              timestamp '2024-01-01' + to_days(range::int) as seen_at,
              {'a': range} as extra, [range, range + 1] as pair
            from range(1000);
            create view marts.recent as select id, name from marts.people where id > 990;
            create table raw.people as select * from marts.people;
            create view marts.recent_loaded as select id, name from raw.people where id > 995;
            """
        )
    publish_snapshot(settings, "run-1")  # raw is left out: recent_loaded becomes a table

    read = subprocess.run(
        [str(python), "-c", READ_ALL, str(snapshot_path(settings))],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert read.returncode == 0, read.stderr
    answer = json.loads(read.stdout)
    assert answer["version"].startswith("1.5.")
    assert answer["counts"] == {
        "marts.people": 1000,
        "marts.recent_loaded": 4,
        "ops.snapshot_info": 1,
        "marts.recent": 9,
    }


def test_the_duckdb_1_5_cli_reads_the_snapshot_read_only_as_documented(settings):
    cli = _duckdb15_python().with_name("duckdb")
    with connect(settings) as con:
        con.execute("create schema marts; create table marts.t as select 42 as answer")
    publish_snapshot(settings, "run-1")
    path = str(snapshot_path(settings))

    read = subprocess.run(
        [str(cli), "-readonly", path, "-csv", "-c", "select answer from marts.t"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    write = subprocess.run(
        [str(cli), "-readonly", path, "-c", "create table marts.u as select 1"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (read.returncode, read.stdout.split()) == (0, ["answer", "42"])
    assert "read-only" in write.stderr + write.stdout
