"""A record known by a full name alone (a call-center ticket) on real DuckDB and Splink: it
joins the one customer bearing a rare full name, counted over customers, not records; a
name many people bear, an initial, a first name alone, or a name two customers carrying
more than names share, leaves it alone (identity._rare_names)."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from identity._explain import explain_rows
from tests.identity.identity_rows import account, add_rows, customer_of, query, ticket

RARE = ("Ysolde", "Kerhervé")  # a name nobody in the base population bears


@pytest.fixture
def warehouse(warehouse):
    """The base population, scored with a threshold no pair of two names alone reaches (in
    a population of 1,500 a name borne once weighs 10 bits a part; in a retailer's, where a
    person's many records make it look common, it scores below 0.93): the rule, not Splink,
    must place the tickets."""
    config = yaml.safe_load(warehouse.identity_config_path.read_text(encoding="utf-8"))
    config["match_threshold"] = 0.999999
    path = warehouse.data_dir / "identity.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return warehouse.model_copy(update={"identity_config_path": path})


def _holder(account_id: str, first: str, last: str, email: str, birth: date) -> dict:
    return account(account_id, first, last, email=email, birth=birth, phone="+33645127801")


def _rare_holder(account_id: str) -> dict:
    """The account bearing the rare name :data:`RARE` (one person, whatever its key)."""
    return _holder(account_id, *RARE, "ysolde.k@example.org", date(1979, 5, 2))


def _resolve(settings, full: bool = True) -> str:
    """Resolve; returns the run's mode."""
    import identity

    return identity.resolve(settings, full=full, approve_churn=True)["mode"]


_MEMBERS = "select record_id, customer_id from identity.customer_records order by record_id"
# the rule's links: a full run re-scores every pair with the term frequencies of the
# records added since, and a pair at the threshold may then come out the other side
_LINKS = (
    "select least(record_id_l, record_id_r), greatest(record_id_l, record_id_r), rule "
    "from identity.links where link_type = 'rare_name' order by all"
)


def _incremental_equals_full(settings) -> bool:
    """Whether the customers and rare-name links an incremental run just stored are a full
    run's over the same records (the full run replaces them)."""
    incremental = (query(settings, _MEMBERS), query(settings, _LINKS))
    _resolve(settings)
    return (query(settings, _MEMBERS), query(settings, _LINKS)) == incremental


def _most_common_name(settings) -> tuple[str, str]:
    ((first,),) = query(
        settings,
        "select first_name from raw.web__accounts group by 1 order by count(*) desc, 1 limit 1",
    )
    ((last,),) = query(
        settings,
        "select last_name from raw.web__accounts group by 1 order by count(*) desc, 1 limit 1",
    )
    return first, last


def test_a_ticket_giving_a_rare_full_name_alone_joins_its_customer(warehouse):
    """One account bears `ysolde kerherve`; the ticket gives the
    name and nothing else. Counted over customers the name is borne by one: attached, with
    a link explain reads as the rule. An incremental run re-clustering that customer keeps
    the ticket in it."""
    add_rows(
        warehouse,
        accounts=[_rare_holder("RN-1")],
        tickets=[ticket("RN-T1", name="Ysolde KERHERVÉ")],
    )
    _resolve(warehouse)
    ticket_id, account_id = "callcenter_caller:RN-T1", "web_account:RN-1"
    assert customer_of(warehouse, ticket_id) == customer_of(warehouse, account_id)
    links = query(
        warehouse,
        "select rule from identity.links where link_type = 'rare_name' "
        "and ? in (record_id_l, record_id_r)",
        [ticket_id],
    )
    assert links == [("rare_full_name",)]
    reasons = [r["reason"] for r in explain_rows(warehouse, customer_of(warehouse, account_id))]
    assert any(reason.startswith("rare_full_name") for reason in reasons)

    # a new record of the same customer: the incremental run re-clusters it, ticket and all
    add_rows(warehouse, tickets=[ticket("RN-T2", phone="+33645127801")])
    _resolve(warehouse, full=False)
    assert customer_of(warehouse, ticket_id) == customer_of(warehouse, account_id)


def test_a_name_many_people_bear_is_not_enough(warehouse):
    """The base population's most common first name and most common surname: many
    customers bear each, so by chance alone more than one person is expected to bear them
    together. The ticket giving that name alone stays its own customer."""
    first, last = _most_common_name(warehouse)
    add_rows(
        warehouse,
        accounts=[_holder("RN-2", first, last, "common.name@example.org", date(1980, 1, 9))],
        tickets=[ticket("RN-T3", name=f"{first} {last}")],
    )
    _resolve(warehouse)
    assert customer_of(warehouse, "callcenter_caller:RN-T3") != customer_of(
        warehouse, "web_account:RN-2"
    )


def test_initials_first_names_alone_and_two_holders_do_not_attach(warehouse):
    """`Y Kerhervé` (an initial) and `Ysolde` (a first name alone) name nobody; a rare name
    two customers carrying more than names bear (two birth dates, two e-mails: namesakes
    or one person split, nothing says which) attaches its ticket to neither."""
    add_rows(
        warehouse,
        accounts=[
            _rare_holder("RN-3"),
            account(
                "RN-4",
                "Gwenola",
                "Le Quéméner",
                email="gq@example.org",
                phone=None,
                birth=date(1961, 2, 3),
            ),
            account(
                "RN-5",
                "Gwenola",
                "Le Quéméner",
                email="gwen.lq@example.org",
                phone=None,
                birth=date(1990, 7, 21),
                postcode="29200",
                city="Brest",
            ),
        ],
        tickets=[
            ticket("RN-T4", name="Y KERHERVÉ"),
            ticket("RN-T5", name="Ysolde"),
            ticket("RN-T6", name="Gwenola Le Quéméner"),
        ],
    )
    _resolve(warehouse)
    holder = customer_of(warehouse, "web_account:RN-3")
    assert customer_of(warehouse, "callcenter_caller:RN-T4") != holder
    assert customer_of(warehouse, "callcenter_caller:RN-T5") != holder
    namesakes = {customer_of(warehouse, f"web_account:RN-{n}") for n in (4, 5)}
    assert len(namesakes) == 2
    assert customer_of(warehouse, "callcenter_caller:RN-T6") not in namesakes


def test_a_ticket_arriving_later_joins_the_stored_customer_bearing_its_rare_name(warehouse):
    """The holder of the rare name is stored; a later incremental run brings the ticket alone
    (and one giving the most common name, beside its own holder). The run takes the rare
    name's stored bearer into its scope: the ticket joins it, the common name's ticket
    stays alone, and the customers and links are a full run's over the same records."""
    first, last = _most_common_name(warehouse)
    add_rows(
        warehouse,
        accounts=[
            _rare_holder("RN-6"),
            _holder("RN-7", first, last, "common.name@example.org", date(1980, 1, 9)),
        ],
    )
    _resolve(warehouse)
    add_rows(
        warehouse,
        tickets=[ticket("RN-T7", name="Ysolde Kerhervé"), ticket("RN-T8", name=f"{first} {last}")],
    )
    assert _resolve(warehouse, full=False) == "incremental"
    holder = customer_of(warehouse, "web_account:RN-6")
    assert customer_of(warehouse, "callcenter_caller:RN-T7") == holder
    common = customer_of(warehouse, "web_account:RN-7")
    assert customer_of(warehouse, "callcenter_caller:RN-T8") != common
    assert _incremental_equals_full(warehouse)


def test_a_new_account_draws_in_the_stored_ticket_bearing_its_name(warehouse):
    """A ticket giving the rare name alone is stored as its own customer; the account of
    that name arrives in a later incremental run, which takes the stored ticket into its
    scope: the ticket joins the account, as a full run over the same records has it."""
    add_rows(warehouse, tickets=[ticket("RN-T9", name="Ysolde KERHERVÉ")])
    _resolve(warehouse)
    add_rows(warehouse, accounts=[_rare_holder("RN-8")])
    assert _resolve(warehouse, full=False) == "incremental"
    holder = customer_of(warehouse, "web_account:RN-8")
    assert customer_of(warehouse, "callcenter_caller:RN-T9") == holder
    assert _incremental_equals_full(warehouse)


def test_a_steward_split_holds_when_a_ticket_of_the_name_arrives(warehouse):
    """A steward holds the first ticket apart from the rare name's holder. A second ticket
    of that name arrives in an incremental run, which takes both stored customers into its
    scope: the three are joined through one name that a cannot-link holds apart, so none
    attaches (a full run's reading too)."""
    from core.warehouse import connect
    from identity._decisions import record_decision

    add_rows(
        warehouse,
        accounts=[_rare_holder("RN-9")],
        tickets=[ticket("RN-T10", name="Ysolde Kerhervé")],
    )
    _resolve(warehouse)
    first_ticket, account_id = "callcenter_caller:RN-T10", "web_account:RN-9"
    assert customer_of(warehouse, first_ticket) == customer_of(warehouse, account_id)
    with connect(warehouse) as con:
        record_decision(con, "cannot-link", first_ticket, account_id, "steward", "two people")
    _resolve(warehouse, full=False)
    assert customer_of(warehouse, first_ticket) != customer_of(warehouse, account_id)
    add_rows(warehouse, tickets=[ticket("RN-T11", name="YSOLDE KERHERVE")])
    assert _resolve(warehouse, full=False) == "incremental"
    holder = customer_of(warehouse, account_id)
    assert customer_of(warehouse, first_ticket) != holder
    assert customer_of(warehouse, "callcenter_caller:RN-T11") != holder
    assert _incremental_equals_full(warehouse)
