"""The one-person identifiers' guard (``identity._guards._cardinality``) on tiny inline
records: a holder whose first name or birth date contradicts the identifier's owner loses
the link; the values whose holders all give one first name and one birth date (or none) are
not even looked at, and their holders keep it."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb

from identity import _guards
from identity._config import load_identity_config
from identity._tables import BLOCKED, RECORDS, STRONG_IDS

_CONFIG = load_identity_config(Path(__file__).resolve().parents[2] / "config" / "identity.yml")
_EARLY, _LATE = datetime(2024, 1, 1), datetime(2025, 1, 1)


def _refused(holders: list[tuple], blocked: list[str] = ()) -> set[tuple[str, str]]:
    """``holders``: (record id, loyalty card held, first name, birth date, address line,
    first seen); a record whose id starts with ``loyalty_card:`` is its card's own."""
    con = duckdb.connect()
    for relation in (RECORDS, STRONG_IDS, BLOCKED):
        relation.create_empty(con)
    for record_id, card, first, born, address, seen in holders:
        con.execute(
            f"insert into {RECORDS} by name select ? as record_id, ? as identity_type, "
            "? as first_name, 'martin' as last_name, ? as birth_date, ? as address_line, "
            "? as first_seen_at",
            [record_id, record_id.split(":")[0], first, born, address, seen],
        )
        con.execute(f"insert into {STRONG_IDS} values (?, 'loyalty_card', ?)", [record_id, card])
    for card in blocked:
        con.execute(f"insert into {BLOCKED} values ('loyalty_card', ?, 'blocklist', 1)", [card])
    _guards._cardinality(con, _CONFIG)
    return set(con.execute("select owner, record_id from _identity_cardinality_refused").fetchall())


def test_holders_contradicting_the_owner_lose_the_link_and_the_others_keep_it():
    refused = _refused(
        [
            # C1: a caller with another first name typed the cashier's card: refused
            ("loyalty_card:C1", "C1", "romane", date(1990, 1, 1), "1 rue a", _LATE),
            ("callcenter_caller:T1", "C1", "marius", date(1990, 1, 1), "1 rue a", _EARLY),
            # C2: the same first name, born 25 years apart, elsewhere: refused
            ("loyalty_card:C2", "C2", "lea", date(1980, 5, 5), "2 rue b", _LATE),
            ("callcenter_caller:T2", "C2", "lea", date(1955, 3, 3), "9 rue z", _EARLY),
            # C3: every holder gives one first name and birth date, or none: all kept
            ("loyalty_card:C3", "C3", "lea", date(1980, 5, 5), "3 rue c", _LATE),
            ("callcenter_caller:T3", "C3", None, None, None, _EARLY),
            ("callcenter_caller:T4", "C3", "lea", date(1980, 5, 5), "3 rue c", _EARLY),
            # C4: the owner gives no name nor date: nobody contradicts it, though its two
            # callers differ from each other
            ("loyalty_card:C4", "C4", None, None, None, _LATE),
            ("callcenter_caller:T5", "C4", "marius", date(1990, 1, 1), None, _EARLY),
            ("callcenter_caller:T6", "C4", "leonie", date(1970, 1, 1), None, _EARLY),
            # C5: no card record; the oldest holder owns the value and the other contradicts it
            ("callcenter_caller:T7", "C5", "achille", None, None, _EARLY),
            ("callcenter_caller:T8", "C5", "romane", None, None, _LATE),
        ]
    )

    assert refused == {
        ("loyalty_card:C1", "callcenter_caller:T1"),
        ("loyalty_card:C2", "callcenter_caller:T2"),
        ("callcenter_caller:T7", "callcenter_caller:T8"),
    }


def test_a_blocked_value_refuses_no_holder():
    holders = [
        ("loyalty_card:C1", "C1", "romane", None, None, _LATE),
        ("callcenter_caller:T1", "C1", "marius", None, None, _EARLY),
    ]

    assert _refused(holders) == {("loyalty_card:C1", "callcenter_caller:T1")}
    # blocked, the value links nobody already: no holder is refused through it
    assert _refused(holders, blocked=["C1"]) == set()
