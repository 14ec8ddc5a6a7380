"""`cdp sql`: analysts run SQL on the published snapshot, read-only, from a query or a script."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cdp.cli import app
from cdp.sql_cli import run_statements, split_statements
from core.snapshot import publish_snapshot
from core.warehouse import connect


def test_a_script_splits_into_its_statements_and_skips_comment_only_parts():
    script = "-- header only\n\nselect 1;\n-- 2. second\nselect 'a;b' as x\n;\n"

    assert split_statements(script) == [
        "-- header only\n\nselect 1",
        "-- 2. second\nselect 'a;b' as x",
    ]


def test_queries_run_read_only_on_the_published_snapshot(settings):
    with connect(settings) as con:
        con.execute("create schema marts; create table marts.t as select 42 as answer")
    publish_snapshot(settings, "run-1")

    # A writer holding the warehouse does not stop the reader, which sees the published run.
    with connect(settings) as writer:
        writer.execute("update marts.t set answer = 0")
        [(columns, rows)] = run_statements(settings, ["select answer from marts.t"])

    assert (columns, rows) == (["answer"], [(42,)])
    with pytest.raises(Exception, match="read-only"):
        run_statements(settings, ["insert into marts.t values (1)"])


def test_the_command_prints_the_result(settings, monkeypatch):
    monkeypatch.setenv("CDP_DUCKDB_PATH", str(settings.duckdb_path))
    monkeypatch.setenv("CDP_PUBLISHED_DIR", str(settings.published_dir))
    with connect(settings) as con:
        con.execute("create table answers as select 'quarante-deux' as word")
    publish_snapshot(settings)

    result = CliRunner().invoke(app, ["sql", "select word from answers"])

    assert result.exit_code == 0, result.output
    assert "quarante-deux" in result.output


def test_nothing_published_yet_is_a_clear_error(settings):
    with pytest.raises(FileNotFoundError, match="no published snapshot .*cdp profiles build"):
        run_statements(settings, ["select 1"])
