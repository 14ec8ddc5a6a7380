"""Issue #20 items 4 and 5: ingestion reads only the landing folder and leaves nothing outside
the data folder.

A definition's ``files:`` glob cannot climb out of the landing folder nor be absolute, a link
pointing out of it is refused unread, and the UTF-8 scratch copy of a cp1252 export lives
under ``data/tmp`` (removed at the next run if a killed ingest left it).
"""

from __future__ import annotations

import pytest
import yaml
from ingest_fault_files import SECRET, good_lines, secret_line, write_pos_lines

import ingestion
from core.warehouse import connect
from ingestion import cp1252
from ingestion.definitions import DefinitionError, load_definitions


def _set_glob(settings, pattern: str) -> None:
    definition = settings.sources_dir / "pos.yml"
    data = yaml.safe_load(definition.read_text(encoding="utf-8"))
    data["entities"]["receipt_lines"]["files"] = pattern
    definition.write_text(yaml.safe_dump(data), encoding="utf-8")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("../../../../../../etc/passw*", "climbs out of the landing folder"),
        ("pos/../../outside/*.csv", "climbs out of the landing folder"),
        ("/etc/*.conf", "is absolute"),
        ("~/exports/*.csv", "is absolute"),
    ],
)
def test_a_glob_reaching_out_of_the_landing_folder_is_refused_clearly(settings, pattern, message):
    _set_glob(settings, pattern)

    with pytest.raises(DefinitionError) as caught:
        load_definitions(settings.sources_dir)

    assert "pos.yml" in str(caught.value) and message in str(caught.value)
    assert "receipt_lines.files" in str(caught.value)


def test_links_out_of_the_landing_folder_are_refused_unread(settings):
    outside = settings.data_dir.parent / "outside"
    target = write_pos_lines(outside, "pos_receipts_private.csv", [secret_line(1)])
    landing = settings.landing_dir / "pos"
    landing.mkdir(parents=True)
    (landing / "pos_receipts_20240301.csv").symlink_to(target)
    # a link inside the landing folder is fine: its target is a landing file
    inside = write_pos_lines(settings.landing_dir, "archive/2024.csv", good_lines(1, 2))
    (landing / "pos_receipts_20240302.csv").symlink_to(inside)

    with pytest.raises(ingestion.IngestionError) as caught:
        ingestion.ingest(settings, sources=["pos"])

    assert "pos_receipts_20240301.csv" in str(caught.value)
    assert "pointing outside the landing folder: refused" in str(caught.value)
    with connect(settings) as con:
        ledger = con.execute(
            "select file_path, status, file_hash, file_size_bytes, error from ops.load_ledger "
            "order by file_path"
        ).fetchall()
        rows = con.execute("select count(*) from raw.pos__receipt_lines").fetchone()[0]
    assert [(r[0], r[1]) for r in ledger] == [
        ("pos/pos_receipts_20240301.csv", "failed"),
        ("pos/pos_receipts_20240302.csv", "loaded"),
    ]
    refused = ledger[0]
    assert refused[2] is None and refused[3] is None  # not hashed, not even its size
    assert str(target.parent) not in refused[4]  # where the link points is not told
    assert SECRET not in str(ledger) and rows == 2


def test_a_linked_folder_out_of_the_landing_folder_is_refused(settings):
    outside = settings.data_dir.parent / "elsewhere"
    write_pos_lines(outside, "pos_receipts_private.csv", [secret_line(1)])
    settings.landing_dir.mkdir(parents=True, exist_ok=True)
    (settings.landing_dir / "pos").symlink_to(outside / "pos", target_is_directory=True)

    with pytest.raises(ingestion.IngestionError):
        ingestion.ingest(settings, sources=["pos"])

    with connect(settings) as con:
        assert con.execute(
            "select status, error like '%outside the landing folder%' from ops.load_ledger"
        ).fetchall() == [("failed", True)]


def test_the_scratch_copy_stays_in_the_data_folder_and_a_killed_runs_copy_is_removed(
    settings, monkeypatch
):
    leftover = settings.tmp_dir / "cdp_ingest_killed" / "pos_receipts_20240229.csv.utf8"
    leftover.parent.mkdir(parents=True)
    leftover.write_text(secret_line(1), encoding="utf-8")  # what a kill -9 mid-load leaves
    unrelated = settings.tmp_dir / "keep.txt"
    unrelated.write_text("not ingestion's", encoding="utf-8")
    # a € (0x80 in cp1252): only a file with a byte latin-1 lacks is copied as UTF-8
    lines = [line.replace("Pain de campagne", "Bon d’achat 10 €") for line in good_lines(1, 3)]
    assert any("€" in line for line in lines)
    write_pos_lines(settings.landing_dir, "pos_receipts_20240301.csv", lines)
    copies = []
    transcode = cp1252.transcode_cp1252

    def recording(path, target, *watches):
        copies.append(target)
        return transcode(path, target, *watches)

    monkeypatch.setattr(cp1252, "transcode_cp1252", recording)

    report = ingestion.ingest(settings, sources=["pos"])

    assert report.total("rows_accepted") == 3
    assert len(copies) == 1 and copies[0].is_relative_to(settings.tmp_dir)
    assert not copies[0].exists()  # removed once the file is loaded
    assert not leftover.parent.exists()
    assert unrelated.exists()
    assert list(settings.tmp_dir.iterdir()) == [unrelated]
