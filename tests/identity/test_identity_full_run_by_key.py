"""A full run writes its records, memberships, customers and links by key, and its records'
identifiers and guard results by their difference: only the rows that differ from the stored
ones are deleted and inserted. What it leaves must be what replacing every table whole leaves."""

from __future__ import annotations

import shutil

from identity_rows import DOB_B, account, add_rows, query, subscriber, ticket

import identity
from bench.identity_incremental import outputs
from core.settings import Settings
from core.warehouse import connect
from identity import _persist, _persist_full


def test_a_full_run_written_by_key_leaves_what_a_whole_rewrite_leaves(warehouse, monkeypatch):
    # a subscriber and a caller sharing only a surname: two customers until an account
    # bridges them (test_identity_resolve's merge)
    add_rows(
        warehouse,
        subscribers=[subscriber("ysolde.kowalczyk@gmail.com", "Ysolde", "Kowalczyk")],
        tickets=[ticket("TM1", name="KOWALCZYK", phone="06 55 44 33 22")],
    )
    identity.resolve(warehouse)
    changed, removed = (
        row[0]
        for row in query(
            warehouse,
            "select split_part(record_id, ':', 2) from identity.customer_records "
            "where identity_type = 'web_account' order by record_id limit 2",
        )
    )
    # a changed phone (its record and the links scored on it differ), an account gone (its
    # record, membership and links go), a new person (a new customer)
    with connect(warehouse) as con:
        con.execute(
            "update raw.web__accounts set phone = '+33 6 99 88 77 66' where account_id = ?",
            [changed],
        )
        con.execute("delete from raw.web__accounts where account_id = ?", [removed])
    # a new person, and the bridging account: one customer's records move to the other's
    bridge = account(
        "MG1", "Ysolde", "Kowalczyk", "ysolde.kowalczyk@gmail.com", "0655443322", DOB_B
    )
    add_rows(
        warehouse,
        accounts=[account("NEW-1", "Ysolde", "Quentric", "ysolde@example.org"), bridge],
    )
    shutil.copytree(warehouse.data_dir, warehouse.data_dir.with_name("rewritten"))
    stored, rewritten = (
        Settings(data_dir=data_dir, sources_dir=warehouse.sources_dir, run_id="full")
        for data_dir in (warehouse.data_dir, warehouse.data_dir.with_name("rewritten"))
    )

    by_key = identity.resolve(stored, full=True)
    monkeypatch.setattr(_persist, "_full_run_writes_by_key", lambda con, run_id: frozenset())
    monkeypatch.setattr(_persist_full, "replace_rows", lambda con, table, rows: False)
    whole = identity.resolve(rewritten, full=True)

    assert by_key["mode"] == whole["mode"] == "full"
    assert by_key["created"] == whole["created"] >= 1  # the new person
    assert by_key["merged"] == whole["merged"] >= 1  # the bridged customers
    assert outputs(stored) == outputs(rewritten)
