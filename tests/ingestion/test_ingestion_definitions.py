"""Onboarding by definition, erasure suppression, definition errors, the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ingestion_landing import write_pos
from typer.testing import CliRunner

import ingestion
from core import erasure
from core.identifiers import configured_email_rules, email_key_sql, phone_key_sql
from core.settings import Settings
from core.warehouse import connect
from ingestion.definitions import DefinitionError, load_definitions

PROJECT_SOURCES = Path(__file__).resolve().parents[2] / "config" / "sources"

VENDOR_B = """
source: pos_vendor_b
entities:
  receipt_lines:
    contract: pos_receipt_line
    files: pos_vendor_b/sales_*.csv
    format: csv
    delimiter: ","
    encoding: utf-8
    timestamp_formats: ["%Y-%m-%dT%H:%M:%S"]
    date_formats: ["%Y-%m-%d"]
    booleans: {true_values: ["yes"], false_values: ["no"]}
    columns:
      store_id: Store
      receipt_id: Receipt
      line_number: Line
      sold_at: Sold At
      sku: Sku
      product_name: Product
      quantity: Qty
      unit_price: Unit Price
      payment_method: Payment
      loyalty_card_id: Card
      customer_birth_date: Birth Date
      email_opt_in: Email Optin
"""


def _sources(tmp_path: Path, extra: dict[str, str]) -> Path:
    folder = tmp_path / "sources"
    shutil.copytree(PROJECT_SOURCES, folder)
    for name, text in extra.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_new_definition_loads_a_differently_shaped_export(tmp_path):
    settings = Settings(
        data_dir=tmp_path / "data", sources_dir=_sources(tmp_path, {"pos_vendor_b.yml": VENDOR_B})
    )
    export = settings.landing_dir / "pos_vendor_b" / "sales_2024-02-03.csv"
    export.parent.mkdir(parents=True)
    export.write_text(
        "Store,Receipt,Line,Sold At,Sku,Product,Qty,Unit Price,Payment,Card,Birth Date,"
        "Email Optin\n"
        'S9,R1,1,2024-02-03T10:15:00,A1,"Œufs bio, x6",2,3.49,CB,C77,1990-05-01,yes\n'
        "S9,R1,2,2024-02-03T10:15:00,A2,Lait,1,1.10,AMEX,C77,1990-05-01,no\n"
        "S9,R2,1,2024-02-03 10:20,A3,Beurre,1,2.30,CB,,,\n",  # wrong timestamp shape
        encoding="utf-8",
    )

    report = ingestion.ingest(settings, sources=["pos_vendor_b"])

    assert [(r.rows_read, r.rows_accepted, r.rows_quarantined) for r in report.files] == [(3, 2, 1)]
    with connect(settings) as con:
        rows = con.execute(
            "select receipt_id, product_name, quantity, unit_price, sold_at, "
            "customer_birth_date, email_opt_in from raw.pos_vendor_b__receipt_lines "
            "order by line_number"
        ).fetchall()
        assert [(r[0], r[1], r[2], str(r[3]), str(r[4]), str(r[5]), r[6]) for r in rows] == [
            ("R1", "Œufs bio, x6", 2, "3.49", "2024-02-03 10:15:00", "1990-05-01", True),
            ("R1", "Lait", 1, "1.10", "2024-02-03 10:15:00", "1990-05-01", False),
        ]
        assert (
            con.execute("select reason from ops.quarantine")
            .fetchone()[0]
            .startswith("sold_at: not a valid TIMESTAMP")
        )


def test_a_second_till_system_feeds_the_same_raw_table_and_identities(tmp_path):
    # Vendor B's tills (acquired stores) write raw.pos__receipt_lines, as the sample's do:
    # the marts, consent and the loyalty_card identities of pos.yml read both.
    shared = VENDOR_B.replace(
        "    contract: pos_receipt_line\n",
        "    contract: pos_receipt_line\n    table: pos__receipt_lines\n",
    )
    settings = Settings(
        data_dir=tmp_path / "data", sources_dir=_sources(tmp_path, {"pos_vendor_b.yml": shared})
    )
    write_pos(settings.landing_dir)
    export = settings.landing_dir / "pos_vendor_b" / "sales_2024-02-03.csv"
    export.parent.mkdir(parents=True)
    export.write_text(
        "Store,Receipt,Line,Sold At,Sku,Product,Qty,Unit Price,Payment,Card,Birth Date,"
        "Email Optin\n"
        "S9,R1,1,2024-02-03T10:15:00,A1,Lait,2,1.10,CB,C77,1990-05-01,yes\n",
        encoding="utf-8",
    )

    report = ingestion.ingest(settings, sources=["pos", "pos_vendor_b"])

    assert all(r.status == "loaded" for r in report.files)
    with connect(settings) as con:
        by_file = dict(
            con.execute(
                "select regexp_extract(_source_file, '[^/]+$'), count(*) "
                "from raw.pos__receipt_lines group by 1"
            ).fetchall()
        )
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    assert by_file["sales_2024-02-03.csv"] == 1 and by_file["pos_receipts_20240203.csv"] > 1
    assert tables == [("pos__receipt_lines",)]
    from identity import identity_mappings

    loyalty = next(m for m in identity_mappings(settings) if m.identity_type == "loyalty_card")
    assert loyalty.raw_table == "raw.pos__receipt_lines"


def test_one_raw_table_takes_one_contract(tmp_path):
    clash = """
source: crm
entities:
  contacts:
    contract: contact
    table: pos__receipt_lines
    files: crm/*.csv
    format: csv
    columns: {contact_id: id}
"""
    with pytest.raises(DefinitionError, match="one raw table holds one contract"):
        load_definitions(_sources(tmp_path, {"crm.yml": clash}))


def test_rows_of_an_erased_person_are_suppressed_everywhere(settings):
    write_pos(settings.landing_dir)
    broken = settings.landing_dir / "pos" / "pos_receipts_20240204.csv"
    # a structurally broken line (too few columns) that still carries the erased phone
    broken.write_bytes(
        write_pos(settings.landing_dir, broken.name)["path"].read_bytes()
        + b"M012;T999999;1;03/02/2024 10:15;06.12.34.56.78\r\n"
    )
    rules = configured_email_rules(settings.identity_config_path)
    with connect(settings) as con:
        keys = con.execute(
            f"select {email_key_sql('$1', rules)}, {phone_key_sql('$2')}",
            [" chloe.martin@EXAMPLE.fr", "+33 6 12 34 56 78"],
        ).fetchone()
        erasure.write_tombstones(
            con,
            erasure.salts(settings),
            [("email", keys[0]), ("phone", keys[1])],
            "r1",
            "2024-01-01",
        )

    report = ingestion.ingest(settings, sources=["pos"])

    # the member's line (row 28) in each file, and the broken line of the second file
    assert [
        (r.rows_read, r.rows_accepted, r.rows_quarantined, r.rows_suppressed) for r in report.files
    ] == [(29, 21, 7, 1), (30, 21, 7, 2)]
    with connect(settings) as con:
        assert (
            con.execute(
                "select count(*) from raw.pos__receipt_lines where loyalty_card_id = 'C900'"
            ).fetchone()[0]
            == 0
        )
        assert (
            con.execute(
                "select count(*) from ops.quarantine where raw_record like '%T999999%' "
                "or raw_record ilike '%chloe%'"
            ).fetchone()[0]
            == 0
        )
        assert con.execute("select sum(rows_suppressed) from ops.load_ledger").fetchone()[0] == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "source: shop\nentities:\n  orders:\n    contract: pos_receipt_line\n    files: x.csv\n"
            "    format: xlsx\n    columns: {}\n",
            "entities.orders.format",
        ),
        (VENDOR_B.replace("      sku: Sku\n", ""), "requires ['sku']"),
        (VENDOR_B.replace("Qty\n", "Qty\n      colour: Colour\n"), "['colour'] are not fields"),
        (VENDOR_B.replace("encoding: utf-8", "encoding: ebcdic"), "encoding"),
        (VENDOR_B.replace('["%Y-%m-%d"]', '["yyyy-mm-dd"]'), "neither a strptime format"),
        (
            VENDOR_B + "identities:\n  - {identity_type: card, entity: receipts, source_key: x}\n",
            "entry 0 reads entity 'receipts', which this source does not define",
        ),
    ],
)
def test_invalid_definitions_name_the_file_and_the_field(tmp_path, text, expected):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "shop.yml").write_text(text, encoding="utf-8")

    with pytest.raises(DefinitionError) as caught:
        load_definitions(folder)

    assert str(folder / "shop.yml") in str(caught.value) and expected in str(caught.value)


def test_project_definitions_cover_every_source_and_keep_identities():
    definitions = {d.source: d for d in load_definitions(PROJECT_SOURCES)}
    assert {f"{s}__{e}" for s, d in definitions.items() for e in d.entities} == {
        "pos__receipt_lines",
        "web__events",
        "web__accounts",
        "email__subscribers",
        "email__activity",
        "callcenter__tickets",
        "reviews__reviews",
        "reviews__mentions",
        "sms__activity",
    }
    assert all(d.identities for d in definitions.values())


def test_identity_reads_the_mappings_of_the_one_parse_of_each_definition():
    from identity import IdentityMapping
    from identity._config import load_identity_mappings

    definitions = {d.source: d for d in load_definitions(PROJECT_SOURCES)}
    mappings = load_identity_mappings(PROJECT_SOURCES)

    assert mappings == [m for d in definitions.values() for m in d.identities]
    assert IdentityMapping is type(mappings[0])  # identity's model is the definition's
    # each mapping knows its source and table, and its entity knows it (erasure at the door)
    (card,) = definitions["pos"].entities["receipt_lines"].identities
    assert (card.identity_type, card.source, card.raw_table) == (
        "loyalty_card",
        "pos",
        "raw.pos__receipt_lines",
    )


def test_cli_prints_one_row_per_file(settings, monkeypatch):
    from cdp.cli import app

    write_pos(settings.landing_dir)
    monkeypatch.setenv("CDP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("COLUMNS", "200")

    result = CliRunner().invoke(app, ["ingest", "--source", "pos"])

    assert result.exit_code == 0, result.output
    assert "pos_receipts_20240203.csv" in result.output and "loaded" in result.output
    assert "29" in result.output and "22" in result.output
