"""A member file with two phones per row (`phone: [mobile, landline]`) and timestamps with
UTC offsets, onboarded by a definition a newcomer writes: both phones land, erasure at the
door matches either, and every offset is honoured."""

from __future__ import annotations

from datetime import datetime

import pytest

import ingestion
from core import erasure
from core.identifiers import phone_key_sql
from core.warehouse import connect
from ingestion.definitions import DefinitionError, load_definition

MEMBERS = """
source: members
entities:
  contacts:
    contract: contact
    files: members/members_*.csv
    format: csv
    delimiter: ";"
    personal_data: {{phone: [phone]}}
    {formats}
    columns:
      contact_id: "N° carte"
      last_name: NOM
      phone: ["Tél. portable", "Tél. domicile"]
      created_at: "Créé le"
"""
# m1 has both phones, m2 only a landline, m3 only a mobile; three spellings of an offset
# (m3's none) and one Shopify writes with a space (m2)
MEMBERS_CSV = """N° carte;NOM;Tél. portable;Tél. domicile;Créé le
m1;MARTIN;06 12 34 56 71;01 43 57 21 96;2026-03-01T10:15:00+01:00
m2;DURAND;;02 40 11 22 33;2026-07-01 10:15:00 -0400
m3;PETIT;07 88 12 40 77;;2026-03-01T10:15:00
"""


def _setup(settings, formats: str = "", definition: str = MEMBERS) -> None:
    for existing in settings.sources_dir.glob("*.yml"):
        existing.unlink()
    path = settings.sources_dir / "members.yml"
    path.write_text(definition.format(formats=formats), encoding="utf-8")
    folder = settings.landing_dir / "members"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "members_2026-03-02.csv").write_text(MEMBERS_CSV, encoding="utf-8")


def _rows(settings) -> list[tuple]:
    with connect(settings) as con:
        return con.execute(
            "select contact_id, phone, other_phone, strftime(created_at, '%H:%M') "
            "from raw.members__contacts order by contact_id"
        ).fetchall()


@pytest.mark.parametrize("formats", ["", "timestamp_formats: [iso8601]"])
def test_both_phones_land_and_offsets_are_stored_as_utc(settings, formats):
    _setup(settings, formats)
    (result,) = ingestion.ingest(settings).files
    assert (result.rows_accepted, result.rows_quarantined) == (3, 0)
    # 10:15 at +01:00 is 09:15 UTC, 10:15 at -04:00 is 14:15 UTC; no offset: as written
    assert _rows(settings) == [
        ("m1", "06 12 34 56 71", "01 43 57 21 96", "09:15"),
        ("m2", None, "02 40 11 22 33", "14:15"),
        ("m3", "07 88 12 40 77", None, "10:15"),
    ]


def test_the_second_phone_is_personal_data_erased_at_the_door(settings):
    _setup(settings)
    definition = load_definition(settings.sources_dir / "members.yml")
    assert definition.entities["contacts"].personal_data == {"phone": ["phone", "other_phone"]}
    # m1 was forgotten by her landline, typed another way
    with connect(settings) as con:
        salts = erasure.salts(settings)
        erasure.ensure_tombstones(con, salts)
        key = con.execute(f"select {phone_key_sql('$1')}", ["+33 1 43 57 21 96"]).fetchone()
        erasure.write_tombstones(con, salts, [("phone", key[0])], "r1", datetime.now())
    (result,) = ingestion.ingest(settings).files
    assert (result.rows_accepted, result.rows_suppressed) == (2, 1)
    assert [row[0] for row in _rows(settings)] == ["m2", "m3"]


@pytest.mark.parametrize(
    ("phone", "why"),
    [
        ('["Tél. portable", "Tél. domicile", "Tél. pro"]', "give two column names"),
        ("[NOM, NOM]", "a list of columns is for a person's e-mails or phones"),
    ],
)
def test_a_list_of_columns_says_what_it_is_for(settings, phone, why):
    if "NOM, NOM" in phone:
        text = MEMBERS.replace("last_name: NOM", f"last_name: {phone}")
    else:
        text = MEMBERS.replace('phone: ["Tél. portable", "Tél. domicile"]', f"phone: {phone}")
    _setup(settings, definition=text)
    with pytest.raises(DefinitionError, match=why):
        load_definition(settings.sources_dir / "members.yml")


def test_a_raw_table_created_before_the_second_phone_gains_its_column(settings):
    from ingestion.contracts import Contact, column_rules
    from ingestion.ledger import LINEAGE_COLUMNS

    # the raw table as an earlier version created it, without other_email / other_phone
    old = [r for r in column_rules(Contact) if not r.name.startswith("other_")]
    columns = [f'"{r.name}" {r.sql_type}' for r in old]
    columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS.items()]
    with connect(settings) as con:
        con.execute("create schema if not exists raw")
        con.execute(f"create table raw.members__contacts ({', '.join(columns)})")
    _setup(settings)
    (result,) = ingestion.ingest(settings).files
    assert result.rows_accepted == 3
    assert [row[2] for row in _rows(settings)] == ["01 43 57 21 96", "02 40 11 22 33", None]
