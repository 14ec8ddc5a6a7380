"""Over-merge guards on real DuckDB: junk identifiers, cardinality, conflicts and chains."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from identity_rows import (
    DOB_A,
    DOB_B,
    account,
    add_rows,
    card,
    customer_of,
    query,
    subscriber,
    ticket,
)

import identity


def test_junk_email_shared_by_300_identities_links_none_of_them(warehouse):
    # 300 different people, each with its own name, birth date and postcode, all signed up
    # with the same placeholder address a shop assistant typed in.
    junk = "client.inconnu@magasin-demo.fr"  # on no block list: the frequency ceiling finds it
    add_rows(
        warehouse,
        accounts=[
            account(
                f"J{i:03d}",
                f"Prenom{i:03d}x",
                f"Nomjunk{i:03d}",
                email=junk,
                birth=date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
                postcode=f"{10000 + i * 7}",
            )
            for i in range(300)
        ],
    )
    identity.resolve(warehouse)
    customers = query(
        warehouse,
        "select count(distinct customer_id) from identity.customer_records "
        "where record_id like 'web_account:J%'",
    )
    assert customers == [(300,)]
    blocked = query(
        warehouse,
        "select reason, record_count from identity.blocked_identifiers "
        "where identifier_type = 'email' and identifier_value = ?",
        [junk],
    )
    assert blocked == [("frequency_ceiling", 300)]
    events = query(
        warehouse,
        "select count(*) from identity.guard_events where event_type = 'blocked_identifier' "
        "and identifier_value = ?",
        [junk],
    )
    assert events == [(1,)]
    # The raw data and the stored identity records keep the value: only matching ignores it.
    kept = query(
        warehouse, "select count(*) from identity.identity_records where email = ?", [junk]
    )
    assert kept == [(300,)]


def test_block_listed_placeholder_links_nobody_even_when_rare(warehouse):
    add_rows(
        warehouse,
        accounts=[account("BL1", "Anatole", "Quiberon", email="test@test.com", birth=DOB_A)],
        subscribers=[subscriber("test@test.com")],
    )
    identity.resolve(warehouse)
    assert customer_of(warehouse, "web_account:BL1") != customer_of(
        warehouse, "email_subscriber:test@test.com"
    )
    assert query(
        warehouse,
        "select reason from identity.blocked_identifiers where identifier_value = 'test@test.com'",
    ) == [("blocklist",)]


def test_household_email_with_two_birth_dates_stays_two_customers(warehouse):
    shared = "foyer.altamira@orange.fr"
    add_rows(
        warehouse,
        accounts=[account("HB1", "Camille", "Altamira", email=shared, birth=DOB_A)],
        receipts=[card("CHB2", "Camille", "ALTAMIRA", email=shared, birth=DOB_B)],
    )
    identity.resolve(warehouse)
    assert customer_of(warehouse, "web_account:HB1") != customer_of(warehouse, "loyalty_card:CHB2")


def test_chain_with_conflicting_ends_is_split_and_logged(warehouse):
    # A and C share an e-mail with B (a subscriber who gave nothing else); A and C were born
    # 17 years apart. A~B and B~C each hold; A~B~C must not make one customer. (The address
    # names Solange: a family's, ``famille.quenardel@``, would link B to neither.)
    shared = "solange.quenardel@free.fr"
    add_rows(
        warehouse,
        accounts=[account("CA", "Solange", "Quenardel", email=shared, birth=DOB_A)],
        receipts=[card("CC", "Solange", "QUENARDEL", email=shared, birth=DOB_B)],
        subscribers=[subscriber(shared)],
    )
    identity.resolve(warehouse)
    a, c = customer_of(warehouse, "web_account:CA"), customer_of(warehouse, "loyalty_card:CC")
    b = customer_of(warehouse, f"email_subscriber:{shared}")
    assert a != c
    assert b in (a, c)
    events = query(
        warehouse,
        "select record_id_l, record_id_r, detail, customer_id from identity.guard_events "
        "where event_type = 'chain_split' and ? in (record_id_l, record_id_r)",
        [f"email_subscriber:{shared}"],
    )
    assert len(events) == 1
    assert "different_birth_date" in events[0][2]
    assert events[0][3] in (a, c)


def test_till_default_card_links_no_caller_to_its_owner(warehouse):
    # A cashier's own card, typed in for callers who had none with them.
    add_rows(
        warehouse,
        receipts=[card("2501999000017", "Romane", "CAISSIERE", birth=DOB_A)],
        tickets=[
            ticket(f"TILL{i}", name=f"{last} {first}", card_id="2501 9990 0001 7")
            for i, (first, last) in enumerate(
                [("Marius", "Dufresnoy"), ("Leonie", "Barbotin"), ("Achille", "Pemberton")]
            )
        ]
        + [ticket("TILLOWN", name="CAISSIERE Romane", card_id="2501999000017")],
    )
    identity.resolve(warehouse)
    owner = customer_of(warehouse, "loyalty_card:2501999000017")
    assert customer_of(warehouse, "callcenter_caller:TILLOWN") == owner
    for i in range(3):
        assert customer_of(warehouse, f"callcenter_caller:TILL{i}") != owner
    refused = query(
        warehouse,
        "select count(*) from identity.guard_events where event_type = 'cardinality_split' "
        "and identifier_value = '2501999000017'",
    )
    assert refused == [(3,)]


@pytest.mark.parametrize(
    "patterned",
    ["noreply@monmagasin.fr", "aaaa@gmail.com", "0000000000", "01 02 03 04 05", "0666666666"],
)
def test_default_block_list_recognises_placeholders(warehouse, patterned):
    is_email = "@" in patterned
    contact = {"email": patterned} if is_email else {"phone": patterned}
    add_rows(
        warehouse,
        accounts=[account("PL1", "Ysaline", "Morvandiau", birth=DOB_A, **contact)],
        receipts=[card("CPL2", "Thibaut", "KERGOAT", birth=DOB_B, **contact)],
    )
    identity.resolve(warehouse)
    kind = "email" if is_email else "phone"
    assert query(
        warehouse,
        "select distinct b.reason from identity.blocked_identifiers b "
        f"join identity.identity_records r on r.{kind} = b.identifier_value "
        "where r.record_id = 'web_account:PL1'",
    ) == [("blocklist",)]


def test_resolve_with_no_identified_record_and_no_model_does_not_fail(id_settings):
    from bench.identity_synthetic import write_raw
    from core.warehouse import connect
    from identity._training import IdentityTrainingError

    with connect(id_settings) as con:
        # browsers that never logged in: records, but none with anything to match on
        write_raw(
            con,
            {
                "events": [
                    {
                        "event_at": datetime(2025, 6, 1),
                        "event_name": "page_view",
                        "user_pseudo_id": f"anon.{i}",
                        "user_id": None,
                    }
                    for i in range(3)
                ]
            },
        )
    summary = identity.resolve(id_settings, full=True)
    assert summary["records"] == 3
    assert summary["customers"] == 3
    with pytest.raises(IdentityTrainingError, match="at least two"):
        identity.train(id_settings)
