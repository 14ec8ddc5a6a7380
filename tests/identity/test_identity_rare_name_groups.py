"""The rare-name rule's groups (``identity._rare_names._merge``) on tiny inline names: the
customers joined through several accepted names are judged as one group, whole.

Each row is what the rule's query accepts for one full name: the customers bearing it, the
record of each that bears it, whether each carries names alone, the expected people."""

from __future__ import annotations

import duckdb
import pytest

from identity._rare_names import _merge
from identity._tables import CLUSTERS, CONSTRAINTS


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(f"create temp table {CLUSTERS} ({CLUSTERS.columns})")
    con.execute(f"create temp table {CONSTRAINTS} ({CONSTRAINTS.columns})")
    con.execute(
        f"insert into {CLUSTERS} values ('a1', 'A'), ('b1', 'B'), ('t1', 'T1'), ('t1b', 'T1'), "
        "('t2', 'T2')"
    )
    yield con
    con.close()


def test_customers_joined_through_two_names_join_the_one_carrying_more_than_names(con):
    # `lea morvan`: A (an account) and T1 (a ticket); `lea morvan le`: T1 (its second ticket)
    # and T2. One group {A, T1, T2}, A alone carrying more than names: T1 and T2 join A. The
    # first name's link goes to A's record; the second name is not A's, so T2 links to T1's
    # record bearing it, its first bearer.
    rows = [
        (["A", "T1"], ["a1", "t1"], [False, True], 0.1),
        (["T1", "T2"], ["t1b", "t2"], [True, True], 0.2),
    ]
    moves, links = _merge(con, rows)
    assert moves == {"T1": "A", "T2": "A"}
    assert sorted(links) == [("t1", "a1", 0.1), ("t2", "t1b", 0.2)]


def test_a_group_holding_two_customers_carrying_more_than_names_is_left_apart(con):
    # A and B each carry more than names; T1 bears both their names: namesakes, or one person
    # split, and nothing tells which
    rows = [
        (["A", "T1"], ["a1", "t1"], [False, True], 0.1),
        (["B", "T1"], ["b1", "t1b"], [False, True], 0.1),
    ]
    assert _merge(con, rows) == ({}, [])


def test_a_cannot_link_inside_the_group_leaves_it_apart(con):
    # a steward's cannot-link between T2's ticket and A's account holds the whole group
    # {A, T1, T2} apart, though T1 alone is not held apart from A
    con.execute(f"insert into {CONSTRAINTS} values ('a1', 't2', 'steward', 'not the same')")
    rows = [
        (["A", "T1"], ["a1", "t1"], [False, True], 0.1),
        (["T1", "T2"], ["t1b", "t2"], [True, True], 0.2),
    ]
    assert _merge(con, rows) == ({}, [])


def test_name_only_customers_alone_join_the_smallest(con):
    # two tickets of one name, nothing more on either: the group is kept under its smallest id
    moves, links = _merge(con, [(["T1", "T2"], ["t1", "t2"], [True, True], 0.3)])
    assert moves == {"T2": "T1"}
    assert links == [("t2", "t1", 0.3)]
