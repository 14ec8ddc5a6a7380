"""A person's second phone in one source row (the landline beside the mobile) is an
identifier of the record: records sharing it are stitched like records sharing the main
one, a household's shared landline links nobody, and forget finds the person by it."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from identity_rows import DOB_A, account, add_rows, customer_of, query, ticket

import identity

MOBILE, LANDLINE = "06 71 42 93 18", "01 43 57 21 96"
WEB_MAPPING = "      phone: phone\n      birth_date: birth_date\n"  # under `attributes:`
LISTED = "      phone: [phone, other_phone]\n      birth_date: birth_date\n"


@pytest.fixture
def two_phones(warehouse, tmp_path):
    """The warehouse, its web accounts mapping ``phone: [phone, other_phone]``."""
    from core.warehouse import connect

    sources = tmp_path / "sources"
    shutil.copytree(warehouse.sources_dir, sources)
    web = (sources / "web.yml").read_text(encoding="utf-8")
    assert web.count(WEB_MAPPING) == 1
    (sources / "web.yml").write_text(web.replace(WEB_MAPPING, LISTED), encoding="utf-8")
    with connect(warehouse) as con:
        con.execute("alter table raw.web__accounts add column if not exists other_phone varchar")
    return warehouse.model_copy(update={"sources_dir": sources})


def _account_with_landline(account_id: str, first: str, birth: date) -> dict:
    row = account(account_id, first, "Quenouille", phone=MOBILE, birth=birth, postcode="75019")
    return row | {"other_phone": LANDLINE}


def _ysalines_account_and_a_call(settings, caller: str, phone: str) -> None:
    """Ysaline's account (mobile, then the home landline) and a call-center ticket from
    ``caller`` on ``phone``, resolved."""
    add_rows(
        settings,
        accounts=[_account_with_landline("Q1", "Ysaline", DOB_A)],
        tickets=[ticket("TQ1", name=caller, phone=phone)],
    )
    identity.resolve(settings)


def test_ticket_on_the_landline_joins_the_account_holding_it_second(two_phones):
    _ysalines_account_and_a_call(two_phones, "Ysaline QUENOUILLE", LANDLINE.replace(" ", "."))

    assert customer_of(two_phones, "callcenter_caller:TQ1") == customer_of(
        two_phones, "web_account:Q1"
    )
    # the main phone is still the mobile; the landline is kept as the record's identifier
    assert query(
        two_phones,
        "select r.phone, i.identifier_value from identity.identity_records r "
        "join identity.record_identifiers i using (record_id) "
        "where record_id = 'web_account:Q1' and i.identifier_type = 'phone'",
    ) == [("+33671429318", "+33143572196")]


def test_without_the_second_column_the_ticket_stays_apart(warehouse):
    # the same rows, the landline unmapped: nothing ties the ticket to the account
    add_rows(
        warehouse,
        accounts=[account("Q1", "Ysaline", "Quenouille", phone=MOBILE, birth=DOB_A)],
        tickets=[ticket("TQ1", name="Ysaline QUENOUILLE", phone=LANDLINE)],
    )
    identity.resolve(warehouse)
    assert customer_of(warehouse, "callcenter_caller:TQ1") != customer_of(
        warehouse, "web_account:Q1"
    )


def test_household_landline_held_second_by_two_people_links_neither(two_phones):
    add_rows(
        two_phones,
        accounts=[
            _account_with_landline("Q1", "Ysaline", DOB_A),
            _account_with_landline("Q2", "Gontran", date(1969, 7, 2))
            | {"phone": "06 88 12 40 77", "email": "gontran.q@example.org"},
        ],
        tickets=[ticket("TQ1", name="M. QUENOUILLE", phone=LANDLINE)],
    )
    identity.resolve(two_phones)

    customers = {customer_of(two_phones, r) for r in ("web_account:Q1", "web_account:Q2")}
    assert len(customers) == 2
    assert customer_of(two_phones, "callcenter_caller:TQ1") not in customers


def test_forget_by_the_landline_erases_both_records_and_tombstones_it(two_phones):
    from privacy.erase import forget

    _ysalines_account_and_a_call(two_phones, "Ysaline QUENOUILLE", MOBILE)

    # asked for by the number only the account's second column holds, spelt another way
    report = forget(two_phones, "+33 (0)1 43 57 21 96")

    assert report.identifier_kind == "phone" and report.customers_erased == 1
    left = [
        "select count(*) from raw.web__accounts where account_id = 'Q1'",
        "select count(*) from raw.callcenter__tickets where ticket_id = 'TQ1'",
        "select count(*) from identity.record_identifiers where identifier_value like '%14357%'",
    ]
    assert [query(two_phones, sql) for sql in left] == [[(0,)]] * len(left)
    # both numbers are tombstoned: a re-sent export carrying either stays out
    assert query(
        two_phones,
        "select count(*) from ops.erasure_tombstones where identifier_kind = 'phone'",
    ) == [(2,)]


def test_nameless_caller_on_a_landline_held_second_is_not_stitched_to_its_holder(two_phones):
    # "M. QUENOUILLE" calling from the home landline may be Ysaline's husband: a second
    # phone links on a first name both give, not on the surname alone
    _ysalines_account_and_a_call(two_phones, "M. QUENOUILLE", LANDLINE)

    assert query(
        two_phones,
        "select count(*) from identity.links where rule = 'same_phone' "
        "and 'callcenter_caller:TQ1' in (record_id_l, record_id_r)",
    ) == [(0,)]


def _ysaline_lists_the_landline_gontran_gives_it() -> list[dict]:
    """Gontran gives the home landline as his phone, Ysaline lists it beside her mobile."""
    gontran = account(
        "Q2",
        "Gontran",
        "Quenouille",
        phone=LANDLINE,
        postcode="75019",
        birth=date(1969, 7, 2),
        email="gontran.q@example.org",
    )
    return [_account_with_landline("Q1", "Ysaline", DOB_A), gontran]


def test_a_nameless_caller_on_a_landline_another_member_lists_second_joins_nobody(two_phones):
    # a ticket from "M. QUENOUILLE" on the landline could be either (the first names seen
    # with a phone count the records holding it second)
    add_rows(
        two_phones,
        accounts=_ysaline_lists_the_landline_gontran_gives_it(),
        tickets=[ticket("TQ1", name="M. QUENOUILLE", phone=LANDLINE)],
    )
    identity.resolve(two_phones)

    caller = customer_of(two_phones, "callcenter_caller:TQ1")
    assert caller != customer_of(two_phones, "web_account:Q2")
    assert caller != customer_of(two_phones, "web_account:Q1")


def test_the_same_caller_arriving_after_the_accounts_joins_nobody_either(two_phones):
    # the ticket comes in a later batch: the incremental run counts the first names seen
    # with the landline for the records it scores, the records holding it second included
    add_rows(two_phones, accounts=_ysaline_lists_the_landline_gontran_gives_it())
    identity.resolve(two_phones)
    add_rows(two_phones, tickets=[ticket("TQ1", name="M. QUENOUILLE", phone=LANDLINE)])
    summary = identity.resolve(two_phones)

    assert summary["mode"] == "incremental"
    caller = customer_of(two_phones, "callcenter_caller:TQ1")
    assert caller != customer_of(two_phones, "web_account:Q2")
    assert caller != customer_of(two_phones, "web_account:Q1")
