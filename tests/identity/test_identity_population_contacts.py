"""Behaviours 1 and 3 of issue 12 on a real warehouse and Splink model: e-mail usernames that
only repeat a name, and records known by an e-mail or phone alone.

The base population (1,500 synthetic people) trains the model; the hand-made people below
use a name made common on purpose (25 other Maries Martin) or a rare one, so only the
intended evidence decides.
"""

from __future__ import annotations

from datetime import date

import pytest
from identity_rows import account, add_rows, card, customer_of, query, subscriber

import identity


def _martins(count: int) -> list[dict]:
    """``count`` different Maries Martin across France: a name that says little."""
    towns = [("13008", "Marseille"), ("69003", "Lyon"), ("33000", "Bordeaux"), ("59000", "Lille")]
    rows = []
    for i in range(count):
        postcode, city = towns[i % len(towns)]
        row = account(
            f"MM{i:02d}",
            "Marie",
            "Martin",
            email=f"mmartin.{i}{i}x@laposte.net",
            birth=date(1950 + i, 1 + i % 12, 1 + i),
            postcode=postcode,
            city=city,
        )
        row["address_line"] = f"{i + 3} avenue Foch"
        rows.append(row)
    return rows


def _namesake(key: str, email: str, postcode: str, city: str) -> dict:
    row = account(key, "Marie", "Martin", email=email, postcode=postcode, city=city)
    row["address_line"] = f"{key} chemin des Vignes"
    return row


def test_namesakes_with_the_same_name_made_username_at_two_providers_stay_apart(warehouse):
    add_rows(
        warehouse,
        accounts=[
            *_martins(25),
            _namesake("NS1", "marie.martin@orange.fr", "35000", "Rennes"),
        ],
        # (a card, not an account: two web accounts are two people by construction)
        receipts=[card("NS2", "Marie", "MARTIN", email="marie.martin@free.fr", postcode="67000")],
    )
    identity.resolve(warehouse, full=True, approve_churn=True)
    # the username said "Marie Martin" again; nothing else links these two
    assert customer_of(warehouse, "web_account:NS1") != customer_of(warehouse, "loyalty_card:NS2")


def test_a_name_made_username_weighs_nothing_and_usernames_are_frequency_adjusted(warehouse):
    import json

    model = json.loads((warehouse.model_dir / "identity_model.json").read_text())
    email = next(c for c in model["comparisons"] if c["output_column_name"] == "email")
    levels = {lvl.get("label_for_charts"): lvl for lvl in email["comparison_levels"]}
    name_made = levels["same name-made username, other domain"]
    assert name_made["m_probability"] == name_made["u_probability"]  # weight 0
    assert levels["same username, other domain"]["tf_adjustment_column"] == "email_user"


def test_an_email_only_subscriber_links_to_the_card_holding_the_same_address(warehouse):
    shared = "quentin.vasarely.88@orange.fr"
    add_rows(
        warehouse,
        receipts=[card("CE1", "Quentin", "VASARELY", email=shared, birth=date(1979, 5, 2))],
        subscribers=[subscriber(shared)],  # no name at all
    )
    identity.resolve(warehouse)
    assert customer_of(warehouse, "loyalty_card:CE1") == customer_of(
        warehouse, f"email_subscriber:{shared}"
    )
    rule = query(
        warehouse,
        "select rule from identity.links where 'loyalty_card:CE1' in (record_id_l, record_id_r)"
        f" and 'email_subscriber:{shared}' in (record_id_l, record_id_r)",
    )
    assert ("same_email",) in rule


def test_a_shared_phone_links_deterministically_only_without_contradiction(warehouse):
    add_rows(
        warehouse,
        # one person: a card and a call-center-less account, no name on the account
        accounts=[account("PH1", None, None, phone="06 71 72 73 74")],
        receipts=[
            card("CP1", "Ysolde", "BRANCUSI", phone="0671727374", birth=date(1983, 8, 9)),
            # a household: two first names and birth dates on one phone link nobody by it
            card("CP2", "Ambroise", "KANDINSKY", phone="0478909192", birth=date(1950, 2, 3)),
            card("CP3", "Philomene", "KANDINSKY", phone="0478909192", birth=date(1956, 7, 4)),
        ],
    )
    identity.resolve(warehouse)
    assert customer_of(warehouse, "web_account:PH1") == customer_of(warehouse, "loyalty_card:CP1")
    assert customer_of(warehouse, "loyalty_card:CP2") != customer_of(warehouse, "loyalty_card:CP3")
    same_phone = query(
        warehouse,
        "select count(*) from identity.links where rule = 'same_phone' and "
        "'loyalty_card:CP2' in (record_id_l, record_id_r)",
    )
    assert same_phone == [(0,)]


@pytest.mark.parametrize(
    ("address", "first", "last", "birth", "stitched"),
    [
        # Claude Lelievre's card carries the household's address, named after Frederic
        # Pire: the nameless subscriber to it is as likely Frederic as Claude
        pytest.param(
            "fredericpirex@gmail.com",
            "Claude",
            "LELIEVREX",
            date(1950, 1, 19),
            False,
            id="an address naming someone else is not stitched",
        ),
        # ``quentine1986@`` names its holder by her first name and birth year (the usual
        # form when ``prenom.nom@`` is taken): the nameless subscriber to it is Quentine
        pytest.param(
            "quentine1986@orange.fr",
            "Quentine",
            "VASARELYZ",
            date(1986, 4, 2),
            True,
            id="a username of first name and digits is stitched",
        ),
        # a family's address: the surname beside another word, any member's
        pytest.param(
            "famille.vasarelyz@orange.fr",
            "Quentine",
            "VASARELYZ",
            date(1986, 4, 2),
            False,
            id="a family's address is not stitched",
        ),
        # the card's surname typed with a slip still names her
        pytest.param(
            "quentine.vasarelyz@orange.fr",
            "Quentine",
            "VASARLEYZ",
            date(1986, 4, 2),
            True,
            id="a username naming the holder despite a slip in her surname is stitched",
        ),
        # a review signed with the surname's initial: named by a word of that initial
        pytest.param(
            "quentine.vasarelyz@orange.fr",
            "Quentine",
            "V",
            None,
            True,
            id="a surname known by its initial is named by a word of that initial",
        ),
    ],
)
def test_a_nameless_subscriber_is_stitched_to_the_card_whose_holder_the_address_names(
    warehouse, address, first, last, birth, stitched
):
    add_rows(
        warehouse,
        receipts=[card("NS1", first, last, email=address, birth=birth)],
        subscribers=[subscriber(address)],
    )
    identity.resolve(warehouse)
    same = customer_of(warehouse, "loyalty_card:NS1") == customer_of(
        warehouse, f"email_subscriber:{address}"
    )
    assert same is stitched


def test_a_nameless_subscriber_is_stitched_beside_a_holder_with_a_mistyped_name(warehouse):
    """``quentine1986@`` on Quentine's card and on her call ticket, where the agent typed
    ``Qunetine``: the username names Quentine, so the nameless subscriber is hers (the
    mistyped holder is no one else)."""
    address = "quentine1986@orange.fr"
    add_rows(
        warehouse,
        receipts=[
            card("MT1", "Quentine", "VASARELYZ", email=address, birth=date(1986, 4, 2)),
            card("MT2", "Qunetine", "VASARELYZ", email=address),
        ],
        subscribers=[subscriber(address)],
    )
    identity.resolve(warehouse)
    quentine = customer_of(warehouse, "loyalty_card:MT1")
    assert customer_of(warehouse, f"email_subscriber:{address}") == quentine
    stitched = query(
        warehouse,
        "select count(*) from identity.links where rule = 'same_email' and "
        f"'email_subscriber:{address}' in (record_id_l, record_id_r)",
    )
    assert stitched[0][0] > 0  # stitched by the shared address itself, not scored


@pytest.mark.parametrize(
    ("email", "first_name", "last_name", "names_holder"),
    [
        ("olivier.fleury@free.fr", "olivier", "fleury", True),
        ("jeanne1986@free.fr", "jeanne", "dupont", True),  # first name and a birth year
        ("fredericpire@free.fr", "claude", "lelievre", False),  # a partner's address
        ("famille.legoff@free.fr", "anne", "legoff", False),  # a family's
        ("julie.et.lea@free.fr", "julie", "martin", False),  # the first name is not enough
        ("theopelinet08@free.fr", "theo", "pelinte", True),  # the record's surname mistyped
        ("beckersg@free.fr", "gabriel", "b", True),  # a surname known by its initial
        (None, "julie", "martin", False),
    ],
)
def test_a_username_names_its_holder_alike_as_a_derived_column_and_in_the_guards(
    email, first_name, last_name, names_holder
):
    """The model's column reads the username once per row (a scalar subquery); the guards
    write the same tests inline: both give the documented answer."""
    import duckdb

    from identity._model import DERIVED_COLUMNS, username_names_holder_sql

    row = "(select ?::varchar as email, ?::varchar as first_name, ?::varchar as last_name)"
    answers = duckdb.execute(
        f"select {DERIVED_COLUMNS['email_user_names_holder']}, "
        f"{username_names_holder_sql(inline=True)} from {row}",
        [email, first_name, last_name],
    ).fetchone()
    assert answers == (names_holder, names_holder)
