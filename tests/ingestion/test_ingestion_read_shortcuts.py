"""Read shortcuts keep ingestion's guarantees: a line over DuckDB's line limit is quarantined
whole wherever it sits in the file."""

from __future__ import annotations

from ingestion_landing import POS_HEADER, pos_line

import ingestion
from core.warehouse import connect

# ~11.5 MB of 22-field lines: the over-long line sits past what the sniffer samples
_LINES = 120_000


def _big_pos_file(path, extra: dict[int, str] | None = None):
    lines = [pos_line(i) for i in range(1, _LINES + 1)]
    for index, line in (extra or {}).items():
        lines[index] = line
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join([POS_HEADER, *lines]) + "\n").encode("cp1252"))
    return path


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
