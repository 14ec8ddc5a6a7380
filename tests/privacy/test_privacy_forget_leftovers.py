"""Forget reaches what no table row says is the person's: quoted example values, reports,
half-written exports; and an interrupted forget leaves no deleted bytes in the DuckDB file."""

from __future__ import annotations

import json

import duckdb
from privacy_scan import rewritten_person

from core import compaction
from core.warehouse import connect
from privacy.erase import forget


def test_forget_cleans_partial_exports_quality_examples_and_reports(resolved):
    _, raw_email = rewritten_person(resolved)
    partial = resolved.export_dir / "golden_records" / ".20261101T000000.partial"
    partial.mkdir(parents=True)
    (partial / "golden_records.csv").write_text(f"customer_id,email\nC1,{raw_email}\n")
    gx = resolved.reports_dir / "gx" / "validations" / "raw_pos.json"
    gx.parent.mkdir(parents=True)
    gx.write_text(json.dumps({"partial_unexpected_list": [raw_email, "other@example.org"]}))
    page = resolved.reports_dir / "quality" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(f"<td>{raw_email.upper()}</td><td>other@example.org</td>")
    with connect(resolved) as con:
        con.execute(
            "create schema quality; create table quality.validation_results as "
            "select 'email_format' as expectation, ?::json as example_values, "
            "'2 unexpected' as message",
            [json.dumps([raw_email, "other@example.org"])],
        )

    report = forget(resolved, raw_email)

    assert not partial.exists() and report.export_rows_removed["partial_exports"] == 1
    assert json.loads(gx.read_text())["partial_unexpected_list"] == [
        "[erased]",
        "other@example.org",
    ]
    assert page.read_text() == "<td>[erased]</td><td>other@example.org</td>"
    with connect(resolved) as con:
        kept = con.execute("select example_values, message from quality.validation_results")
        examples, message = kept.fetchone()
    assert json.loads(examples) == ["[erased]", "other@example.org"] and message == "2 unexpected"


def test_an_interrupted_compaction_is_finished_by_the_next_connection(settings):
    with connect(settings) as con:
        con.execute(
            "create table t as select 'zoe.secret-' || i || '@example.org' as email "
            "from range(2000) r(i)"
        )
        con.execute("checkpoint")
        compaction.owe(settings.duckdb_path)  # forget's first step
        con.execute("delete from t where email like 'zoe.secret-1%'")
        con.execute("checkpoint")
    # killed here: the deleted rows' bytes are still in the file
    assert b"zoe.secret-1999@" in settings.duckdb_path.read_bytes()
    stale = settings.duckdb_path.with_name(f".{settings.duckdb_path.name}.compact")
    stale.write_bytes(b"half a copy from a killed compaction")

    with connect(settings) as con:
        left = con.execute("select count(*) from t").fetchone()[0]

    assert left == 2000 - 1111
    assert b"zoe.secret-1999@" not in settings.duckdb_path.read_bytes()
    assert not compaction.marker(settings.duckdb_path).exists() and not stale.exists()
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from t").fetchone()[0] == 889


def test_the_next_export_deletes_partial_folders_a_killed_export_left(resolved):
    from activation.export_files import staged_folder

    kind = resolved.export_dir / "golden_records"
    left = kind / ".20261101T000000.partial"
    left.mkdir(parents=True)
    (left / "golden_records.csv").write_text("customer_id,email\nC1,someone@example.org\n")

    with staged_folder(kind / "20261102T000000") as staging:
        (staging / "golden_records.csv").write_text("customer_id\n")

    assert not left.exists() and (kind / "20261102T000000" / "golden_records.csv").exists()


def test_no_other_writer_slips_in_while_forget_compacts(resolved, monkeypatch):
    import subprocess
    import sys

    _, raw_email = rewritten_person(resolved)
    attempts = []
    compact = compaction.compact

    def compact_under_a_second_writer(con, path):
        attempts.append(
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import duckdb, sys; duckdb.connect(sys.argv[1])"
                    ".execute('create table intruder as select 1 as a')",
                    str(path),
                ],
                capture_output=True,
                text=True,
            )
        )
        compact(con, path)

    monkeypatch.setattr(compaction, "compact", compact_under_a_second_writer)
    forget(resolved, raw_email)

    assert attempts[0].returncode != 0 and "lock" in attempts[0].stderr.lower()
    with connect(resolved) as con:
        assert (
            con.execute(
                "select count(*) from information_schema.tables where table_name = 'intruder'"
            ).fetchone()[0]
            == 0
        )


def test_forget_removes_a_half_written_consent_refusals_file(resolved):
    """A crash while publishing the API's consent refusals leaves a hidden partial file
    beside the snapshot, holding customer ids: forget sweeps it as it sweeps exports'."""
    customer_id, raw_email = rewritten_person(resolved)
    partial = resolved.published_dir / ".consent_refusals.parquet.partial"
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_text(f"customer_id\n{customer_id}\n")

    forget(resolved, raw_email)

    assert not partial.exists()
