"""Each run records how many customers it changed: zero when a rerun reproduces the state."""

from __future__ import annotations

from identity_rows import query

import identity
from core.warehouse import connect

_RECORDED = "select changed_customers from identity.runs order by finished_at"


def test_a_run_that_changes_nothing_records_zero_changed_customers(warehouse):
    first = identity.resolve(warehouse)
    # a fresh warehouse: every customer is new
    assert first["changed_customers"] == first["customers"] > 0

    again = identity.resolve(warehouse)
    full_again = identity.resolve(warehouse, full=True)

    assert again["mode"] == "incremental" and again["changed_customers"] == 0
    assert full_again["mode"] == "full" and full_again["changed_customers"] == 0
    assert [row[0] for row in query(warehouse, _RECORDED)] == [first["customers"], 0, 0]
    # a full run gives Splink every record, shaped in a stage timed apart from training;
    # an incremental run shapes only the records it scores, inside scoring
    assert (
        "splink input" in first["stage_seconds"] and "splink input" in full_again["stage_seconds"]
    )
    assert "splink input" not in again["stage_seconds"]


def test_a_changed_value_counts_its_customer_only(warehouse):
    identity.resolve(warehouse)
    # an account that is a customer on its own: its new phone is its golden phone
    account_id, customer_id = query(
        warehouse,
        "select split_part(record_id, ':', 2), customer_id from identity.customer_records "
        "join identity.customers using (customer_id) "
        "where identity_type = 'web_account' and record_count = 1 order by record_id limit 1",
    )[0]
    with connect(warehouse) as con:
        con.execute(
            "update raw.web__accounts set phone = '+33 6 99 88 77 66' where account_id = ?",
            [account_id],
        )
    # what golden records (the dbt mart) read of identity: each customer's records
    records = (
        "select m.customer_id, r.* exclude (fingerprint) from identity.identity_records r "
        "join identity.customer_records m using (record_id) order by record_id"
    )
    before = set(query(warehouse, records))

    summary = identity.resolve(warehouse)

    changed = set(query(warehouse, records)) ^ before
    assert {row[0] for row in changed} == {customer_id}
    assert (summary["created"], summary["merged"], summary["split"]) == (0, 0, 0)
    assert summary["changed_customers"] == 1
