"""Three exports shaped unlike the sample, onboarded by YAML alone (issue #13).

- a British till export: no line numbers, UK postcodes and phones (`country: GB`);
- a US person file: the address in two columns, birth dates before 1900 and impossible ones
  (nulled, the person kept), an SSN as strong identifier;
- a help-desk export with neither channel nor status.
Counts reconcile (read = accepted + quarantined), nulled values are counted per field and
reason, and identity reads postcodes, phones and SSNs by country.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

import identity
import ingestion
from core.warehouse import connect

TILLS = """
source: uk_tills
country: GB                      # postcodes and phones read the British way
entities:
  sales:
    contract: pos_receipt_line   # no line number in the export: numbered per receipt
    files: uk_tills/sales_*.csv
    format: csv
    timestamp_formats: ["%d/%m/%Y %H:%M"]
    columns:
      store_id: Store
      receipt_id: Receipt
      sold_at: Date
      sku: SKU
      product_name: Description
      quantity: Qty
      unit_price: Price
      loyalty_card_id: Card
      customer_last_name: Surname
      customer_first_name: Forename
      customer_postcode: Postcode
identities:
  - identity_type: uk_till_card
    entity: sales
    source_key: loyalty_card_id
    where: loyalty_card_id is not null
    attributes: {first_name: customer_first_name, last_name: customer_last_name,
                 postcode: customer_postcode}
    first_seen_at: sold_at
    last_seen_at: sold_at
    strong_identifiers: {loyalty_card: loyalty_card_id}
"""
# Receipt R1: 3 lines, R2: 2 lines, then a line with a negative quantity (quarantined).
TILLS_CSV = """Store,Receipt,Date,SKU,Description,Qty,Price,Card,Surname,Forename,Postcode
LDN1,R1,15/03/2024 10:30,TEA1,Earl Grey,1,3.50,GB100,Smith,Alice,sw1a 1aa
LDN1,R1,15/03/2024 10:30,SCN2,Scones,2,1.20,GB100,Smith,Alice,sw1a 1aa
LDN1,R1,15/03/2024 10:30,JAM3,Jam,1,2.10,GB100,Smith,Alice,sw1a 1aa
MAN2,R2,16/03/2024 11:00,TEA1,Earl Grey,1,3.50,GB200,Patel,Ravi,M11AE
MAN2,R2,16/03/2024 11:00,MUG4,Mug,1,6.00,GB200,Patel,Ravi,M11AE
MAN2,R3,16/03/2024 12:00,MUG4,Mug,-1,6.00,,,,
"""

PEOPLE = """
source: people
country: US
entities:
  persons:
    contract: contact
    files: people/persons_*.csv
    format: csv
    date_formats: ["%m/%d/%Y"]
    columns:
      contact_id: person_id
      first_name: given_name
      last_name: family_name
      # any column of the row, by its export name
      address_line:
        sql: "concat_ws(' ', street_number, street_name)"
      postcode: zip
      city: city
      birth_date: dob            # optional: an impossible date is nulled, the person kept
      national_id: ssn
identities:
  - identity_type: person_file
    entity: persons
    source_key: contact_id
    min_birth_date: 1800-01-01   # this file holds people born before 1900
    attributes: {first_name: first_name, last_name: last_name, address_line: address_line,
                 postcode: postcode, city: city, birth_date: birth_date}
    strong_identifiers:
      national_id: {sql: national_id, standardise: us_ssn}
"""
# P1 and P2 are one person (one SSN, spelled two ways); P3's birth date is in the future
# (year 6978), P1's before the source's floor (1696): both nulled. P4 was born in 1885.
# The last row has no id: quarantined.
PEOPLE_CSV = """person_id,given_name,family_name,street_number,street_name,zip,city,dob,ssn
P1,John,Smith,12,Main Street,02134,Boston,07/28/1696,123-45-6789
P2,Jon,Smyth,12,Main St,02134-1234,Boston,04/02/1961,123456789
P3,Mary,Jones,5,Elm Road,10001,New York,07/03/6978,234-56-7890
P4,Edith,Clark,7,Oak Lane,60601,Chicago,03/15/1885,345-67-8901
,Nobody,Known,1,Nowhere,00000,Nowhere,01/01/1990,456-78-9012
"""

HELPDESK = """
source: helpdesk
country: GB
entities:
  tickets:
    contract: callcenter_ticket   # no channel, no status in this export
    files: helpdesk/tickets_*.csv
    format: csv
    timestamp_formats: ["%Y-%m-%d %H:%M:%S"]
    columns:
      ticket_id: Ticket
      opened_at: Created
      caller_name: Requester
      caller_phone: Phone
      reason: Subject
      csat: Rating               # optional: a rating of 9 is nulled, the ticket kept
identities:
  - identity_type: helpdesk_requester
    entity: tickets
    source_key: ticket_id
    attributes: {full_name: caller_name, phone: caller_phone}
    first_seen_at: opened_at
"""
HELPDESK_CSV = """Ticket,Created,Requester,Phone,Subject,Rating
H1,2024-03-17 09:00:00,Alice Smith,07700 900123,Late delivery,4
H2,2024-03-18 10:00:00,Ravi Patel,+44 7700 900456,Refund,9
"""


@pytest.fixture
def unlike_sample(settings):
    """Only the three definitions, their exports landed; an SSN belongs to one person."""
    for definition in settings.sources_dir.glob("*.yml"):
        definition.unlink()
    for name, text, folder, export, csv in (
        ("uk_tills", TILLS, "uk_tills", "sales_2024-03-16.csv", TILLS_CSV),
        ("people", PEOPLE, "people", "persons_2024-03-16.csv", PEOPLE_CSV),
        ("helpdesk", HELPDESK, "helpdesk", "tickets_2024-03-18.csv", HELPDESK_CSV),
    ):
        (settings.sources_dir / f"{name}.yml").write_text(text, encoding="utf-8")
        (settings.landing_dir / folder).mkdir(parents=True, exist_ok=True)
        (settings.landing_dir / folder / export).write_text(csv, encoding="utf-8")
    config = yaml.safe_load(settings.identity_config_path.read_text(encoding="utf-8"))
    config["guards"]["max_people"]["national_id"] = 1
    config["guards"]["cannot_link"]["identifiers"].append("national_id")
    settings.identity_config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return settings


def test_three_unlike_exports_load_and_counts_reconcile(unlike_sample):
    report = ingestion.ingest(unlike_sample)

    by_source = {r.source: r for r in report.files}
    # worked out from the exports above: (read, accepted, quarantined)
    expected = {"uk_tills": (6, 5, 1), "people": (5, 4, 1), "helpdesk": (2, 2, 0)}
    for source, (read, accepted, quarantined) in expected.items():
        result = by_source[source]
        assert result.status == "loaded", result.error
        assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (
            read,
            accepted,
            quarantined,
        )
        assert result.rows_read == result.rows_accepted + result.rows_quarantined
    assert by_source["people"].field_issues == {
        "birth_date: must be >= 1800-01-01": 1,
        "birth_date: must not be in the future": 1,
    }
    assert by_source["helpdesk"].field_issues == {"csat: must be <= 5": 1}
    with connect(unlike_sample) as con:
        lines = con.execute(
            "select receipt_id, line_number, sku from raw.uk_tills__sales order by _source_row"
        ).fetchall()
        assert lines == [
            ("R1", 1, "TEA1"),
            ("R1", 2, "SCN2"),
            ("R1", 3, "JAM3"),
            ("R2", 1, "TEA1"),
            ("R2", 2, "MUG4"),
        ]
        people = dict(
            con.execute(
                "select contact_id, (address_line, birth_date, _nulled_fields) "
                "from raw.people__persons"
            ).fetchall()
        )
        assert people["P1"] == ("12 Main Street", None, "birth_date")
        assert people["P3"] == ("5 Elm Road", None, "birth_date")
        assert people["P4"] == ("7 Oak Lane", dt.date(1885, 3, 15), None)
        tickets = con.execute(
            "select contact_channel, status, csat from raw.helpdesk__tickets order by ticket_id"
        ).fetchall()
        assert tickets == [(None, None, 4), (None, None, None)]
        issues = con.execute(
            "select source, field, sum(rows_nulled) from ops.field_issues group by all "
            "order by 1, 2"
        ).fetchall()
        assert issues == [("helpdesk", "csat", 1), ("people", "birth_date", 2)]


def test_identity_reads_each_source_by_its_country_and_links_the_ssn(unlike_sample):
    ingestion.ingest(unlike_sample)

    summary = identity.resolve(unlike_sample)

    # nothing a country rule would reject was dropped: no postcode or phone nulled
    assert not [
        row for row in summary["standardisation_nulled"] if row["attribute"] != "birth_date"
    ]
    with connect(unlike_sample) as con:
        records = dict(
            con.execute(
                "select source_key, (postcode, phone, birth_date) from identity.identity_records"
            ).fetchall()
        )
        same = con.execute(
            "select count(distinct customer_id) from identity.customer_records "
            "where identity_type = 'person_file' and source_key in ('P1', 'P2')"
        ).fetchone()[0]
        ssns = con.execute(
            "select identifier_value from identity.record_identifiers "
            "where identifier_type = 'national_id' order by 1"
        ).fetchall()
    assert records["GB100"][0] == "SW1A 1AA" and records["GB200"][0] == "M1 1AE"
    assert records["H1"][1] == "+447700900123" and records["H2"][1] == "+447700900456"
    assert records["P2"][0] == "02134"
    assert records["P4"][2] == dt.date(1885, 3, 15)  # born before 1900, kept
    assert same == 1  # one SSN, two spellings of the name: one customer
    assert ssns == [("123456789",), ("123456789",), ("234567890",), ("345678901",)]


def test_a_source_without_its_country_reports_what_standardisation_nulled(unlike_sample):
    tills = unlike_sample.sources_dir / "uk_tills.yml"
    tills.write_text(tills.read_text(encoding="utf-8").replace("country: GB", ""), "utf-8")
    ingestion.ingest(unlike_sample)

    summary = identity.resolve(unlike_sample)

    nulled = [
        (row["source"], row["attribute"], row["country"], row["nulled"], row["present"])
        for row in summary["standardisation_nulled"]
        if row["source"] == "uk_tills"
    ]
    # two cards, each with a British postcode that is no French one
    assert nulled == [("uk_tills", "postcode", "FR", 2, 2)]


def test_evaluation_takes_the_truth_in_the_exports_terms(unlike_sample, tmp_path):
    ingestion.ingest(unlike_sample)
    identity.resolve(unlike_sample)
    truth = tmp_path / "truth.csv"
    # the source definitions' names and keys as the exports write them; Z9 was never loaded
    truth.write_text(
        "source,key,person_id\n"
        "people,P1,john\npeople,P2,john\npeople,P3,mary\npeople,Z9,nobody\n"
        "uk_tills,GB100,alice\nhelpdesk,H1,alice\n",
        encoding="utf-8",
    )

    metrics = identity.evaluate(unlike_sample, truth)

    assert metrics["unmatched_truth_rows"] == 1
    assert metrics["all"]["records"] == 5
    # P1-P2 (the SSN) is a true pair found; alice's card and ticket share no evidence here
    assert metrics["all"]["true_pairs"] == 2
    assert metrics["all"]["pairwise_precision"] == 1.0


def test_forgetting_a_person_erases_their_rows_of_a_custom_source(unlike_sample):
    from privacy.erase import forget

    ingestion.ingest(unlike_sample)
    identity.resolve(unlike_sample)
    with connect(unlike_sample) as con:
        customer = con.execute(
            "select customer_id from identity.customer_records where source_key = 'P1'"
        ).fetchone()[0]

    forget(unlike_sample, customer)

    with connect(unlike_sample) as con:
        left = con.execute("select contact_id from raw.people__persons order by 1").fetchall()
    # P1 and P2 share the SSN: one person, both rows erased through the identity mapping
    assert left == [("P3",), ("P4",)]
