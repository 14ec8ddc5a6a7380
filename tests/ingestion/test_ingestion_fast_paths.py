"""The shortcuts that make ingestion fast keep its guarantees: line numbers from the scan
order, the file-level encoding check, the hash computed beside staging, parse-once JSON."""

from __future__ import annotations

import json
import shutil

import pytest
from ingestion_landing import POS_HEADER, ga4_event, pos_line, write_web_events

import ingestion
from core.warehouse import connect
from ingestion import cp1252, readers
from ingestion.definitions import DefinitionError, load_definition


def test_row_numbers_follow_the_file_across_parallel_scan_chunks(settings):
    """300k lines (~30 MB) are split between DuckDB's threads; every row keeps its line."""
    import duckdb

    rows = 300_000
    path = settings.landing_dir / "pos" / "pos_receipts_20240301.csv"
    path.parent.mkdir(parents=True)
    utf8 = settings.data_dir / "big.utf8.csv"
    # receipt i // 3 + 1, line i % 3 + 1 encode the data row; one line in 1,000 is invalid
    duckdb.connect().execute(f"""
        copy (select 'M' || (i % 120) as CODE_MAGASIN, 'T' || (i // 3 + 1) as NUM_TICKET,
                     i % 3 + 1 as NUM_LIGNE, '03/02/2024 10:15' as DATE_HEURE,
                     'SKU' || (i % 97) as CODE_ARTICLE, 'Bon d’achat 10 €' as LIBELLE_ARTICLE,
                     'Épicerie' as FAMILLE,
                     case when i % 1000 = 7 then '-1' else '2' end as QUANTITE,
                     '12,99' as PRIX_UNITAIRE, '0,00' as REMISE, '' as PRIX_ACHAT,
                     'CB' as MODE_PAIEMENT, '' as NUM_CARTE_FIDELITE, '' as NOM_CLIENT,
                     '' as PRENOM_CLIENT, '' as EMAIL_CLIENT, '' as TEL_CLIENT, '' as CP_CLIENT,
                     '' as VILLE_CLIENT, '' as DATE_NAISSANCE_CLIENT, '' as OPTIN_EMAIL,
                     '' as OPTIN_SMS
              from range({rows}) t(i)) to '{utf8}' (delimiter ';', header true)
    """)
    path.write_bytes(utf8.read_bytes().decode("utf-8").encode("cp1252"))

    report = ingestion.ingest(settings, sources=["pos"])

    assert (report.total("rows_read"), report.total("rows_quarantined")) == (rows, rows // 1000)
    with connect(settings) as con:
        misplaced = con.execute("""
            select count(*) from raw.pos__receipt_lines
            where receipt_id <> 'T' || ((_source_row - 1) // 3 + 1)
               or line_number <> (_source_row - 1) % 3 + 1
        """).fetchone()[0]
        assert misplaced == 0
        quarantined = [
            r[0]
            for r in con.execute(
                "select source_row from ops.quarantine order by source_row limit 3"
            ).fetchall()
        ]
        assert quarantined == [8, 1008, 2008]
        assert (
            con.execute(
                "select count(*) from raw.pos__receipt_lines where product_name = ?",
                ["Bon d’achat 10 €"],
            ).fetchone()[0]
            == rows - rows // 1000
        )


@pytest.mark.parametrize(
    ("text", "suspect"),
    [
        ("Cœur de bœuf, 10 €, l’été…", False),
        # UTF-8 read as cp1252, in a file that is not UTF-8 throughout (see tests/faults for
        # a file that is: it is refused whole)
        ("CrÃ©teil, Noël", True),
        ("Bon dâ€™achat à 10 €", True),
        ("BÅ“uf à 10 â‚¬", True),
        ("Bon à 10 â‚¬", True),
    ],
)
def test_transcoding_flags_only_files_that_may_show_broken_encoding(tmp_path, text, suspect):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(text.encode("cp1252"))

    assert cp1252.transcode_cp1252(source, target) is suspect
    assert target.read_text(encoding="utf-8") == text


def test_transcoding_sees_broken_encoding_split_across_chunks(tmp_path, monkeypatch):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    # "â" ends the first 4-byte chunk; the cp1252 dash makes the file no UTF-8 in disguise
    source.write_bytes("abcâ€™d – e".encode("cp1252"))
    monkeypatch.setattr(cp1252, "_CHUNK", 4)

    assert cp1252.transcode_cp1252(source, target) is True
    assert target.read_text(encoding="utf-8") == "abcâ€™d – e"
    source.write_bytes(b"ab\x81cd")  # a byte cp1252 leaves undefined
    assert cp1252.transcode_cp1252(source, target) is True


def test_blank_lines_of_a_jsonl_export_count_in_line_numbers_only(settings):
    path = settings.landing_dir / "web" / "ga4_events_20240301.jsonl"
    path.parent.mkdir(parents=True)
    good, bad = json.dumps(ga4_event(1)), json.dumps(ga4_event(2, "télé port"))
    path.write_text("\n".join([good, "", good, "", "", bad, good]) + "\n", encoding="utf-8")

    report = ingestion.ingest(settings, sources=["web"])

    assert (report.total("rows_read"), report.total("rows_accepted")) == (4, 3)
    with connect(settings) as con:
        accepted = con.execute("select _source_row from raw.web__events order by 1").fetchall()
        assert [r[0] for r in accepted] == [1, 3, 7]
        assert con.execute("select source_row from ops.quarantine").fetchall() == [(6,)]


def test_a_copy_under_another_name_is_skipped_and_a_same_size_file_loads(settings):
    first = write_web_events(settings.landing_dir)["path"]
    ingestion.ingest(settings, sources=["web"])
    shutil.copy(first, first.with_name("ga4_events_20240302.jsonl"))
    # same length, different content: the size alone must not make it a duplicate
    changed = first.read_text(encoding="utf-8").replace('"Lyon"', '"Lens"')
    first.with_name("ga4_events_20240303.jsonl").write_text(changed, encoding="utf-8")

    report = ingestion.ingest(settings, sources=["web"])

    statuses = {r.file_path: (r.status, r.file_hash is not None) for r in report.files}
    assert statuses == {
        "web/ga4_events_20240203.jsonl": ("skipped_duplicate", True),
        "web/ga4_events_20240302.jsonl": ("skipped_duplicate", True),
        "web/ga4_events_20240303.jsonl": ("loaded", True),
    }
    with connect(settings) as con:
        batches = con.execute(
            "select count(distinct batch_id), count(distinct file_hash) from ops.load_ledger "
            "where status = 'loaded'"
        ).fetchone()
        assert batches == (2, 2)


def test_a_structure_needs_the_sql_that_reads_it(tmp_path):
    definition = tmp_path / "shop.yml"
    definition.write_text(
        "entities:\n  events:\n    contract: web_event\n    files: x/*.jsonl\n"
        "    format: jsonl\n    columns:\n      event_at: event_timestamp\n"
        "      event_name: event_name\n      user_pseudo_id: user_pseudo_id\n"
        "      session_id: {column: event_params, structure: '[\"JSON\"]'}\n",
        encoding="utf-8",
    )

    with pytest.raises(DefinitionError, match=r"session_id.*`structure:` parses the column"):
        load_definition(definition)


def test_spaces_around_values_are_trimmed_and_blank_values_are_missing(settings):
    path = settings.landing_dir / "pos" / "pos_receipts_20240301.csv"
    path.parent.mkdir(parents=True)
    lines = [
        pos_line(1, product="  Pain de campagne ", email="   ", quantity=" 2"),
        pos_line(2, product="Café", city=" Créteil"),
    ]
    path.write_bytes(("\n".join([POS_HEADER, *lines]) + "\n").encode("cp1252"))

    ingestion.ingest(settings, sources=["pos"])

    with connect(settings) as con:
        rows = con.execute(
            "select product_name, customer_email, quantity, customer_city "
            "from raw.pos__receipt_lines order by _source_row"
        ).fetchall()
    assert rows == [("Pain de campagne", None, 2, None), ("Café", None, 1, "Créteil")]


@pytest.mark.parametrize(
    ("text", "suspect"),
    [("Crème brûlée, Noël à Nîmes", False), ("CrÃ©teil, Noël", True)],
)
def test_a_cp1252_file_without_cp1252_only_bytes_is_read_as_latin1_without_a_copy(
    tmp_path, text, suspect
):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(text.encode("cp1252"))  # no € œ ’ …: the same bytes as latin-1

    assert cp1252.read_cp1252(source, target) == (source, "latin-1", suspect, True)
    assert not target.exists()


def test_a_cp1252_file_with_cp1252_only_bytes_is_transcoded(tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes("Bon d’achat 10 €, Cœur de bœuf…".encode("cp1252"))

    assert cp1252.read_cp1252(source, target) == (target, "utf-8", False, True)
    assert target.read_text(encoding="utf-8") == "Bon d’achat 10 €, Cœur de bœuf…"


def test_utf8_declared_cp1252_is_refused_even_without_cp1252_only_bytes(tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes("Crème brûlée".encode())  # UTF-8: é is C3 A9, no byte in 0x80-0x9F

    with pytest.raises(readers.FileReadError, match="is UTF-8"):
        cp1252.read_cp1252(source, tmp_path / "out.csv")


def test_every_character_cp1252_defines_over_latin1_round_trips_exactly(settings):
    """The 27 characters cp1252 puts in bytes 0x80-0x9F (where latin-1 has none) come back
    exactly: in a loaded row, in a row the contract quarantines and in a line DuckDB rejects."""
    defined = bytes(b for b in range(0x80, 0xA0) if b not in b"\x81\x8d\x8f\x90\x9d")
    specials = defined.decode("cp1252")
    assert len(specials) == 27 and "€" in specials and "Ÿ" in specials
    product = f"Lot {specials} é"
    path = settings.landing_dir / "pos" / "pos_receipts_20240301.csv"
    path.parent.mkdir(parents=True)
    lines = [
        pos_line(1, product=product, city=f"Saint-{specials}"),
        pos_line(2, product=product, quantity="-1"),  # the contract quarantines it
        f"M012;T000003;1;{specials}",  # too few fields: DuckDB rejects the line
    ]
    path.write_bytes(("\n".join([POS_HEADER, *lines]) + "\n").encode("cp1252"))

    report = ingestion.ingest(settings, sources=["pos"])

    assert (report.total("rows_accepted"), report.total("rows_quarantined")) == (1, 2)
    with connect(settings) as con:
        loaded = con.execute(
            "select product_name, customer_city from raw.pos__receipt_lines"
        ).fetchall()
        quarantined = con.execute(
            "select raw_record from ops.quarantine order by source_row"
        ).fetchall()
    assert loaded == [(product, f"Saint-{specials}")]
    assert [r[0] for r in quarantined] == lines[1:]
