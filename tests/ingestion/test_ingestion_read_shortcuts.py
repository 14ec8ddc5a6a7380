"""Read shortcuts keep ingestion's guarantees: a line over DuckDB's line limit is quarantined
whole wherever it sits in the file, a large ``read_csv`` buffer is given only where no
record can reach that limit, and the row-by-row broken-encoding check is skipped only for a
UTF-8 file whose bytes cannot show broken encoding."""

from __future__ import annotations

import json

import pytest
from ingestion_landing import POS_HEADER, ga4_event, pos_line

import ingestion
from core.warehouse import connect
from ingestion import read_buffer, utf8_scan

# ~11.5 MB of 22-field lines: more than DuckDB's default buffer, and the over-long line
# sits past what its sniffer samples
_LINES = 120_000


def _big_pos_file(path, extra: dict[int, str] | None = None):
    lines = [pos_line(i) for i in range(1, _LINES + 1)]
    for index, line in (extra or {}).items():
        lines[index] = line
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join([POS_HEADER, *lines]) + "\n").encode("cp1252"))
    return path


def test_a_large_buffer_is_given_only_to_a_file_whose_records_are_all_short(tmp_path):
    short = _big_pos_file(tmp_path / "short.csv")
    option = read_buffer.buffer_option(short, '"', None)
    assert option.startswith(", buffer_size = ")
    assert int(option.rsplit(" ", 1)[1]) >= 8 * 1024 * 1024

    # a line of 1.5 MB: under DuckDB's limit, but not provably so from the windows
    long_line = _big_pos_file(tmp_path / "long.csv", {40_000: pos_line(1, product="x" * 1_500_000)})
    # a quote byte: a quoted field could hold line breaks, so records are not lines
    quoted = _big_pos_file(tmp_path / "quoted.csv", {10: pos_line(1, product='"Pain"')})
    small = tmp_path / "small.csv"
    small.write_text(POS_HEADER + "\n" + pos_line(1) + "\n", encoding="cp1252")

    assert read_buffer.buffer_option(long_line, '"', None) == ""
    assert read_buffer.buffer_option(quoted, '"', None) == ""
    assert read_buffer.buffer_option(small, '"', None) == ""
    assert read_buffer.buffer_option(short, '"', 4 * 1024 * 1024) == ""  # the long-line read


def test_a_line_over_2_mb_in_a_large_file_is_one_quarantined_row_and_the_others_load(settings):
    huge = "y" * (2 * 1024 * 1024 + 10)
    path = settings.landing_dir / "pos" / "pos_receipts_20240301.csv"
    _big_pos_file(path, {50_000: pos_line(50_001, product=huge)})

    report = ingestion.ingest(settings, sources=["pos"])

    assert (report.total("rows_read"), report.total("rows_quarantined")) == (_LINES, 1)
    with connect(settings) as con:
        row, reason = con.execute("select source_row, reason from ops.quarantine").fetchone()
        assert (row, reason) == (50_001, "line: longer than 2,097,152 bytes, quarantined whole")
        misplaced = con.execute(
            "select count(*) from raw.pos__receipt_lines "
            "where receipt_id <> 'T' || lpad(cast(_source_row as varchar), 6, '0')"
        ).fetchone()[0]
        assert misplaced == 0


@pytest.mark.parametrize(
    ("text", "json_escapes", "may_show"),
    [
        ("Crème brûlée, Œufs frais, l’été… à Nîmes", False, False),
        ("CrÃ©teil", False, True),  # é read as cp1252 then written as UTF-8
        ("Bon dâ€™achat", False, True),
        ("BÅ“uf", False, True),
        ("10 â‚¬", False, True),
        ("Cr\ufffdteil", False, True),
        # JSON spells characters as escapes: "CrÃ©teil" with Ã and © escaped
        (json.dumps({"city": "CrÃ©teil"}), True, True),
        (json.dumps({"city": "Crème"}), True, True),  # any \u escape: looked at row by row
        ('{"path": "C:\\\\users", "quote": "\\"x\\""}', True, False),  # escapes, none \u
    ],
)
def test_a_utf8_file_skips_the_row_check_only_when_its_bytes_cannot_show_broken_encoding(
    tmp_path, text, json_escapes, may_show
):
    path = tmp_path / "export.txt"
    # a long clean head: the telling bytes are found past the first slices searched
    path.write_bytes(b"a;b\n" * 200_000 + text.encode("utf-8"))

    assert utf8_scan.may_show_broken_encoding(path, json_escapes) is may_show


@pytest.mark.parametrize("ascii_only", [False, True], ids=["raw", "escaped"])
def test_broken_encoding_in_a_jsonl_export_is_quarantined_raw_or_escaped(settings, ascii_only):
    path = settings.landing_dir / "web" / "ga4_events_20240301.jsonl"
    path.parent.mkdir(parents=True)
    # 20 clean events in raw UTF-8 (Pâtes fraîches: no telling byte), then one event whose
    # user_id is UTF-8 read as cp1252, raw (bytes 0x83, 0x85) or escaped (\u00c3, \u00c5)
    clean = [json.dumps(ga4_event(n), ensure_ascii=False) for n in range(1, 21)]
    broken = json.dumps(ga4_event(21, user_id="CrÃ©teil BÅ“uf"), ensure_ascii=ascii_only)
    path.write_text("\n".join([*clean, broken]) + "\n", encoding="utf-8")

    report = ingestion.ingest(settings, sources=["web"])

    assert (report.total("rows_read"), report.total("rows_accepted")) == (21, 20)
    with connect(settings) as con:
        quarantined = con.execute(
            "select source_row, reason like 'user_id: broken encoding%' from ops.quarantine"
        ).fetchall()
    assert quarantined == [(21, True)]
