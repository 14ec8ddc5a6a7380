"""The standardised records a run stores, and the values it reports nulling, on full and
incremental runs (``identity._records``: one materialisation of the records, the columns
only the counts read dropped after counting; address lines standardised per distinct line)."""

from __future__ import annotations

from datetime import date, datetime

from identity_rows import account, add_rows, query

import identity
from identity._tables import RECORD_COLUMNS


def _web_postcodes_nulled(summary: dict) -> list[tuple[int, int]]:
    return [
        (row["nulled"], row["present"])
        for row in summary["standardisation_nulled"]
        if row["identity_type"] == "web_account" and row["attribute"] == "postcode"
    ]


def test_an_incremental_run_counts_the_nulled_values_of_the_records_it_standardised_only(
    warehouse,
):
    identity.resolve(warehouse)
    short, long = (
        account("AD1", "Anselme", "Quintavalle", postcode="ABC", at=datetime(2025, 9, 1)),
        account("AD2", "Anselme", "Quintavalle", postcode="75011", at=datetime(2025, 9, 2)),
    )
    short["address_line"], long["address_line"] = "12 R DE LA PAIX", "12  rue de la Paix"
    add_rows(warehouse, accounts=[short, long])

    summary = identity.resolve(warehouse)

    assert summary["mode"] == "incremental"
    # two web accounts standardised again, both with a postcode, one unreadable: the kept
    # records' values are not counted again
    assert _web_postcodes_nulled(summary) == [(1, 2)]
    stored = query(
        warehouse,
        "select record_id, postcode, address_line, address_line_display "
        "from identity.identity_records where record_id in ('web_account:AD1', "
        "'web_account:AD2') order by record_id",
    )
    assert stored == [
        ("web_account:AD1", None, "12 rue de la paix", "12 R DE LA PAIX"),
        ("web_account:AD2", "75011", "12 rue de la paix", "12 rue de la Paix"),
    ]


def test_a_full_run_stores_exactly_the_record_columns_and_counts_every_nulled_value(warehouse):
    add_rows(
        warehouse,
        accounts=[account("AD3", "Anselme", "Quintavalle", postcode="ABC")],
    )

    summary = identity.resolve(warehouse, full=True)

    nulled = _web_postcodes_nulled(summary)
    assert len(nulled) == 1 and nulled[0][0] >= 1
    # every web account with a postcode is counted on a full run (the base population's too)
    assert nulled[0][1] > 1
    columns = query(
        warehouse,
        "select column_name from information_schema.columns where table_schema = 'identity' "
        "and table_name = 'identity_records' order by ordinal_position",
    )
    assert [c for (c,) in columns] == [c.split()[0] for c in RECORD_COLUMNS.split(", ")]


def test_each_value_standardisation_nulls_on_one_record_is_counted_against_its_attribute(
    warehouse,
):
    # one web account whose postcode, e-mail, phone and birth date are all unreadable and
    # whose city and address line are fine: four attributes nulled once each on that record
    unreadable = account(
        "AD4", "Anselme", "Quintavalle", email="not-an-email", phone="12", postcode="ABC"
    )
    unreadable["birth_date"] = date(2999, 1, 1)  # in the future: not a birth date
    add_rows(warehouse, accounts=[unreadable])
    before = _web_nulled(identity.resolve(warehouse, full=True))
    assert {"postcode", "email", "phone", "birth_date"} <= set(before)
    assert "city" not in before and "address_line" not in before

    # a second such account: each of the four counts one more nulled and one more present
    add_rows(warehouse, accounts=[dict(unreadable, account_id="AD5")])
    after = _web_nulled(identity.resolve(warehouse, full=True))

    for attribute in ("postcode", "email", "phone", "birth_date"):
        nulled, present = before[attribute]
        assert after[attribute] == (nulled + 1, present + 1), attribute
    # the values present are those the raw accounts carry (one row per account)
    carried = query(
        warehouse,
        "select count(postcode), count(email), count(phone), count(birth_date) "
        "from raw.web__accounts",
    )[0]
    assert [after[a][1] for a in ("postcode", "email", "phone", "birth_date")] == list(carried)
    assert "city" not in after and "address_line" not in after


def _web_nulled(summary: dict) -> dict[str, tuple[int, int]]:
    return {
        row["attribute"]: (row["nulled"], row["present"])
        for row in summary["standardisation_nulled"]
        if row["identity_type"] == "web_account"
    }
