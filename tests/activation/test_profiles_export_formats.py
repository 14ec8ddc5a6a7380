"""Golden-record exports: every format readable downstream and valid against the schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from activation.export import SCHEMA_PATH, ExportSchemaError, export_golden_records, schema_columns
from activation.export_files import MANIFEST, sha256_file

READER = Path(__file__).with_name("downstream_reader.py")
IDENTIFIED = ["cust-0001", "cust-0002", "cust-0003", "cust-0004", "cust-0005"]


def read_downstream(path: Path, fmt: str) -> dict:
    """Run the downstream reader in its own Python process."""
    done = subprocess.run(
        [sys.executable, str(READER), str(path), fmt, str(SCHEMA_PATH)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_each_format_is_read_by_another_process_and_matches_the_schema(warehouse):
    result = export_golden_records(warehouse, mode="full", formats=["parquet", "csv", "jsonl"])

    for entry in result.files:
        summary = read_downstream(result.folder / entry["name"], entry["format"])
        assert summary["errors"] == [], entry["name"]
        # five identified customers; the anonymous cookie customer (cust-0006) is not exported
        assert summary["customer_ids"] == IDENTIFIED, entry["name"]
        assert summary["columns"] == schema_columns(), entry["name"]


def test_manifest_lists_checksums_rows_and_schema_version(warehouse):
    result = export_golden_records(warehouse, mode="full", formats=["parquet", "csv"])
    manifest = json.loads((result.folder / MANIFEST).read_text())
    schema = json.loads(SCHEMA_PATH.read_text())

    assert manifest["schema_version"] == schema["x-schema-version"]
    assert manifest["row_count"] == 5 and manifest["mode"] == "full"
    assert manifest["run_id"] == result.run_id and manifest["previous_export"] is None
    for entry in manifest["files"]:
        assert entry["sha256"] == sha256_file(result.folder / entry["name"])
        assert entry["rows"] == 5
    # the manifest is the last file written
    newest = max(result.folder.iterdir(), key=lambda p: p.stat().st_mtime_ns)
    assert newest.name == MANIFEST
    # nothing half-written is left beside the published folder
    assert [p.name for p in result.folder.parent.iterdir()] == [result.folder.name]


def test_second_export_names_the_previous_one(warehouse):
    first = export_golden_records(warehouse, mode="full", formats=["parquet"])
    second = export_golden_records(warehouse, mode="incremental", formats=["parquet"])
    manifest = json.loads((second.folder / MANIFEST).read_text())

    assert manifest["previous_export"]["run_id"] == first.run_id
    assert manifest["row_count"] == 0  # nothing changed in between


def test_exported_parquet_columns_and_types_follow_the_published_schema(warehouse):
    import pyarrow.parquet as pq

    result = export_golden_records(warehouse, mode="full", formats=["parquet"])
    arrow_schema = pq.read_schema(result.folder / "golden_records.parquet")
    schema = json.loads(SCHEMA_PATH.read_text())
    arrow_family = {
        "string": "string",
        "large_string": "string",
        "bool": "boolean",
        "int64": "integer",
        "date32[day]": "date",
        "timestamp[us]": "timestamp",
    }
    duckdb_family = {
        "VARCHAR": "string",
        "BOOLEAN": "boolean",
        "BIGINT": "integer",
        "DATE": "date",
        "TIMESTAMP": "timestamp",
    }

    assert arrow_schema.names == list(schema["properties"])
    for field in arrow_schema:
        expected = duckdb_family[schema["x-duckdb-types"][field.name]]
        assert arrow_family[str(field.type)] == expected, field.name


def test_a_column_drifting_from_the_schema_stops_the_export(warehouse, monkeypatch):
    import activation.export as export

    original = export._current_sql
    monkeypatch.setattr(
        export,
        "_current_sql",
        lambda consent: original(consent).replace("g.city,", "g.city as town,"),
    )

    with pytest.raises(ExportSchemaError, match="golden_record.v1.json"):
        export.export_golden_records(warehouse, mode="full", formats=["parquet"])
    assert not (warehouse.export_dir / "golden_records").exists() or not any(
        (warehouse.export_dir / "golden_records").iterdir()
    )


def test_a_failure_mid_export_publishes_nothing_and_keeps_the_state(warehouse, monkeypatch):
    import activation.export_files as export_files
    from core.warehouse import connect

    def broken_manifest(folder, manifest):
        raise OSError("disk full")

    monkeypatch.setattr(export_files, "write_manifest", broken_manifest)
    with pytest.raises(OSError, match="disk full"):
        export_golden_records(warehouse, mode="full", formats=["parquet", "csv"])

    root = warehouse.export_dir / "golden_records"
    assert list(root.iterdir()) == []  # neither the folder nor its partial twin
    with connect(warehouse) as con:
        assert con.execute("select count(*) from ops.export_state").fetchone()[0] == 0
        assert con.execute("select count(*) from ops.export_runs").fetchone()[0] == 0
