"""`cdp sql --format`: tables for people, CSV / JSON / Markdown for other tools; a title per
query of a script; nothing cut when the output is not a terminal."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from cdp.cli import app
from cdp.sql_output import statement_title
from core.snapshot import publish_snapshot
from core.warehouse import connect

LONG_ID = "C35E7539F0A94C6BB0D1E2F3A4B5C6D7E8F90123456789ABCDEF"
SCRIPT = """-- Header of the file.

-- 1. Customers by city.
select city, count(*) as customers from people group by city order by city;

-- 2. The long ids.
select id, revenue from people order by id;
"""


@pytest.fixture
def people(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("CDP_DUCKDB_PATH", str(settings.duckdb_path))
    monkeypatch.setenv("CDP_PUBLISHED_DIR", str(settings.published_dir))
    with connect(settings) as con:
        con.execute(
            "create table people as select * from (values "
            f"('{LONG_ID}', 'Paris', 12.50::decimal(14, 2), '06000'), "
            "('B', 'Nice | Côte', null, '=cmd')) t(id, city, revenue, postcode)"
        )
    publish_snapshot(settings, "run-1")  # `cdp sql` reads the published snapshot
    script = tmp_path / "queries.sql"
    script.write_text(SCRIPT, encoding="utf-8")
    return script


def _run(*args: str) -> str:
    outcome = CliRunner().invoke(app, ["sql", *args])
    assert outcome.exit_code == 0, outcome.output
    return outcome.output


def test_a_piped_table_keeps_whole_ids_however_wide(people):
    output = _run("select id, city, postcode, revenue, id as again from people order by id")

    assert output.count(LONG_ID) == 2  # CliRunner's stdout is not a terminal
    assert "…" not in output


def test_csv_carries_every_row_and_neutralises_formulas(people):
    output = _run("--format", "csv", "--max-rows", "1", "select * from people order by id")
    rows = list(csv.DictReader(io.StringIO(output)))

    assert [r["id"] for r in rows] == ["B", LONG_ID]
    assert rows[0]["postcode"] == "'=cmd" and rows[1]["postcode"] == "06000"
    assert rows[0]["revenue"] == "" and rows[1]["revenue"] == "12.50"


def test_json_rows_are_objects_with_numbers_as_numbers(people):
    rows = json.loads(_run("--format", "json", "select id, revenue from people order by id"))

    assert rows == [{"id": "B", "revenue": None}, {"id": LONG_ID, "revenue": 12.5}]


def test_a_script_gives_one_titled_result_per_query_in_every_format(people):
    table = _run("--file", str(people))
    markdown = _run("--file", str(people), "--format", "markdown")
    results = json.loads(_run("--file", str(people), "--format", "json"))
    csv_text = _run("--file", str(people), "--format", "csv")

    for text in (table, markdown, csv_text):
        assert "1. Customers by city." in text and "2. The long ids." in text
        assert "Header of the file" not in text
    assert [r["title"] for r in results] == ["1. Customers by city.", "2. The long ids."]
    assert results[0]["rows"] == [
        {"city": "Nice | Côte", "customers": 1},
        {"city": "Paris", "customers": 1},
    ]
    assert "| Nice \\| Côte | 1 |" in markdown
    assert "### 2. The long ids." in markdown


def test_an_unknown_format_is_refused(people):
    outcome = CliRunner().invoke(app, ["sql", "--format", "xml", "select 1"])

    assert outcome.exit_code == 2 and "table, csv, json, markdown" in outcome.output


def test_a_statement_title_is_its_last_comment_line():
    assert statement_title("-- a\n-- b\nselect 1") == "b"
    assert statement_title("select 1 -- trailing") is None
