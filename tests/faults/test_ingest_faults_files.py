"""Issue #20 items 9 and 13: odd files get an accurate outcome and loads keep reconciling.

UTF-8 declared cp1252 is refused (its œ € would be stored as Å“ â‚¬) while real cp1252
keeps € œ ’; a stray UTF-8 row in a real cp1252 file is quarantined; a line over 2 MB is one
quarantined row, not a failed file; empty and UTF-16 files are named as such.
"""

from __future__ import annotations

import json

import pytest
from ingest_fault_files import POS_HEADER, good_lines, secret_line, write_pos_lines
from ingestion_landing import pos_line

import ingestion
from core.warehouse import connect


def _ledger(settings) -> dict[str, tuple]:
    with connect(settings) as con:
        rows = con.execute(
            "select file_path, status, rows_read, rows_accepted, rows_quarantined, error "
            "from ops.load_ledger"
        ).fetchall()
    return {r[0].split("/")[-1]: r[1:] for r in rows}


def _ingest(settings, sources: list[str]) -> None:
    try:
        ingestion.ingest(settings, sources=sources)
    except ingestion.IngestionError:
        pass  # the ledger says which file failed and why


def test_utf8_declared_cp1252_is_refused_even_when_few_rows_are_not_ascii(settings):
    # 20 rows, two of them with œ, Œ or €, the rest ASCII: read as cp1252 every row would
    # pass the contract, with "BÅ“uf" and "10 â‚¬" stored
    rows = good_lines(1, 18) + [
        pos_line(19, product="Cœur de bœuf"),
        pos_line(20, product="Œufs x6 à 3 €"),
    ]
    write_pos_lines(settings.landing_dir, "pos_receipts_20240301.csv", rows, encoding="utf-8")

    _ingest(settings, ["pos"])

    status, read, accepted, _, error = _ledger(settings)["pos_receipts_20240301.csv"]
    assert (status, read, accepted) == ("failed", 0, 0)
    assert "is UTF-8" in error and "first on line 20" in error and "encoding: utf-8" in error


def test_real_cp1252_keeps_its_characters_and_a_stray_utf8_row_is_quarantined(settings):
    special = "Bon d’achat 10 € – Cœur de bœuf, Œufs…"
    rows = [*good_lines(1, 3), pos_line(4, product=special)]
    write_pos_lines(settings.landing_dir, "pos_receipts_20240301.csv", rows)
    mixed = write_pos_lines(
        settings.landing_dir,
        "pos_receipts_20240302.csv",
        [pos_line(5, product="Crème brûlée"), *good_lines(6, 18)],
    )
    # a row appended by a tool writing UTF-8: its œ and € would read as Å“ and â‚¬
    mixed.write_bytes(mixed.read_bytes() + pos_line(24, product="Bœuf 10 €").encode() + b"\r\n")

    report = ingestion.ingest(settings, sources=["pos"])

    assert report.total("rows_read") == 4 + 20
    assert (report.total("rows_accepted"), report.total("rows_quarantined")) == (23, 1)
    with connect(settings) as con:
        names = {
            r[0] for r in con.execute("select product_name from raw.pos__receipt_lines").fetchall()
        }
        reason = con.execute("select source_row, reason from ops.quarantine").fetchall()
    assert special in names and "Crème brûlée" in names
    assert reason[0][0] == 20 and "product_name: broken encoding" in reason[0][1]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_line_over_2_mb_is_one_quarantined_row_and_the_others_load(settings, fmt):
    huge = "y" * (2 * 1024 * 1024 + 10)
    if fmt == "csv":
        rows = [*good_lines(1, 2), secret_line(3, last=huge), *good_lines(4, 2)]
        write_pos_lines(settings.landing_dir, "pos_receipts_20240301.csv", rows)
        source, name = "pos", "pos_receipts_20240301.csv"
    else:
        from ingestion_landing import ga4_event

        events = [ga4_event(i) for i in range(5)]
        events[2]["page_title"] = huge
        path = settings.landing_dir / "web" / "ga4_events_20240301.jsonl"
        path.parent.mkdir(parents=True)
        path.write_text("\n".join(json.dumps(e) for e in events) + "\n", encoding="utf-8")
        source, name = "web", "ga4_events_20240301.jsonl"

    _ingest(settings, [source])

    status, read, accepted, quarantined, error = _ledger(settings)[name]
    assert (status, read, accepted, quarantined, error) == ("loaded", 5, 4, 1, None)
    with connect(settings) as con:
        row, reason = con.execute("select source_row, reason from ops.quarantine").fetchone()
    assert row == 3 and reason == "line: longer than 2,097,152 bytes, quarantined whole"


def test_empty_and_utf16_files_are_named_for_what_they_are(settings):
    landing = settings.landing_dir / "pos"
    landing.mkdir(parents=True)
    (landing / "pos_receipts_20240301.csv").write_bytes(b"")
    text = "\r\n".join([POS_HEADER, *good_lines(1, 2)]) + "\r\n"
    (landing / "pos_receipts_20240302.csv").write_bytes(text.encode("utf-16"))
    (landing / "pos_receipts_20240303.csv").write_bytes(text.encode("utf-16-le"))  # no BOM
    write_pos_lines(settings.landing_dir, "pos_receipts_20240304.csv", good_lines(3, 2))

    _ingest(settings, ["pos"])

    ledger = _ledger(settings)
    assert "is empty (0 bytes, not even the header line)" in ledger["pos_receipts_20240301.csv"][4]
    for name in ("pos_receipts_20240302.csv", "pos_receipts_20240303.csv"):
        assert ledger[name][0] == "failed" and "is UTF-16" in ledger[name][4]
    assert ledger["pos_receipts_20240304.csv"][:3] == ("loaded", 2, 2)


def test_an_empty_jsonl_export_is_zero_events_not_an_error(settings):
    path = settings.landing_dir / "web" / "ga4_events_20240301.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")

    _ingest(settings, ["web"])

    status, read, accepted, quarantined, error = _ledger(settings)["ga4_events_20240301.jsonl"]
    assert (status, read, accepted, quarantined) == ("loaded", 0, 0, 0), error
