"""Issue #20 item 4: a file that fails leaves line numbers and reasons, never row contents.

The ledger's ``error``, the CLI's output and the logs (which Airflow keeps as task logs) are
read by people who may not see customer data; only ``raw.*`` and ``ops.quarantine`` hold it.
"""

from __future__ import annotations

import logging

import yaml
from ingest_fault_files import (
    good_lines,
    private_values,
    secret_line,
    write_pos_lines,
)
from typer.testing import CliRunner

from core.warehouse import connect


def _failing_exports(settings) -> dict[str, str]:
    """Three exports that each fail whole, with a member's record where errors used to quote
    it; returns what each failure must say instead."""
    landing = settings.landing_dir
    # a quote opened in the member's name and never closed: DuckDB cannot split the file
    write_pos_lines(
        landing,
        "pos_receipts_20240301.csv",
        [*good_lines(1, 3), secret_line(4, last='"' + "X" * 11_000)],
    )
    # the header line is missing: the first line, read as the header, is the member's record
    path = write_pos_lines(landing, "pos_receipts_20240302.csv", [secret_line(5)])
    path.write_bytes(path.read_bytes().split(b"\r\n", 1)[1])
    return {
        "pos/pos_receipts_20240301.csv": "cannot be read as cp1252 CSV",
        "pos/pos_receipts_20240302.csv": "not shown: it looks like data",
    }


def test_failed_files_leave_reasons_in_ledger_cli_and_logs_but_no_row(
    settings, monkeypatch, caplog
):
    from cdp.cli import app

    expected = _failing_exports(settings)
    write_pos_lines(settings.landing_dir, "pos_receipts_20240303.csv", good_lines(10, 2))
    monkeypatch.setenv("CDP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CDP_CONFIG_DIR", str(settings.config_dir))
    monkeypatch.setenv("COLUMNS", "200")
    caplog.set_level(logging.DEBUG)

    result = CliRunner().invoke(app, ["ingest", "--source", "pos"])

    assert result.exit_code == 1, result.output
    with connect(settings) as con:
        ledger = dict(
            con.execute(
                "select file_path, error from ops.load_ledger where status = 'failed'"
            ).fetchall()
        )
        assert con.execute("select count(*) from raw.pos__receipt_lines").fetchone()[0] == 2
    assert set(ledger) == set(expected)
    for file_path, reason in expected.items():
        assert reason in ledger[file_path]
        assert file_path.split("/")[1] in result.output
    for value in private_values():
        for where, text in (("ledger", str(ledger)), ("cli", result.output), ("logs", caplog.text)):
            assert value not in text, f"{value!r} leaked into the {where}"


def test_a_definition_sql_that_breaks_on_a_value_does_not_quote_it(settings, caplog):
    """DuckDB's conversion errors quote the value: the ledger keeps the error, masked."""
    import ingestion

    definition = settings.sources_dir / "pos.yml"
    data = yaml.safe_load(definition.read_text(encoding="utf-8"))
    data["entities"]["receipt_lines"]["columns"]["customer_last_name"] = {
        "column": "NOM_CLIENT",
        "sql": "cast(cast(value as integer) as varchar)",  # a mapping mistake
    }
    definition.write_text(yaml.safe_dump(data), encoding="utf-8")
    write_pos_lines(settings.landing_dir, "pos_receipts_20240304.csv", [secret_line(1)])
    caplog.set_level(logging.DEBUG)

    try:
        ingestion.ingest(settings, sources=["pos"])
        raise AssertionError("the file should have failed")
    except ingestion.IngestionError as error:
        message = str(error)

    assert "Conversion Error" in message and "'…'" in message
    with connect(settings) as con:
        (stored,) = con.execute("select error from ops.load_ledger").fetchone()
    for value in private_values():
        assert value not in message and value not in stored and value not in caplog.text
