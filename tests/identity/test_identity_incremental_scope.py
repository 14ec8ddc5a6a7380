"""An incremental run touches only what changed: standardisation, scoring and the result."""

from __future__ import annotations

from identity_rows import query

import identity
from core.warehouse import connect

_RECORDS = "select * exclude (fingerprint) from identity.identity_records order by record_id"
_MEMBERS = "select record_id, customer_id from identity.customer_records order by record_id"
_LINKS = (  # a re-scored pair may come out the other way round (predict_between's order)
    "select least(record_id_l, record_id_r), greatest(record_id_l, record_id_r), link_type, "
    "round(match_weight, 6) from identity.links order by all"
)


def test_changed_source_value_is_the_only_record_standardised_and_scored(warehouse):
    identity.resolve(warehouse)
    before = {row[0]: row for row in query(warehouse, _RECORDS)}
    account_id = query(warehouse, "select min(account_id) from raw.web__accounts")[0][0]
    with connect(warehouse) as con:
        con.execute(
            "update raw.web__accounts set email = ' Jean.NewAddress+promo@GMIAL.com ' "
            "where account_id = ?",
            [account_id],
        )
    summary = identity.resolve(warehouse)
    assert summary["mode"] == "incremental" and summary["scored_records"] == 1
    after = {row[0]: row for row in query(warehouse, _RECORDS)}
    changed = f"web_account:{account_id}"
    # the changed record is standardised again; every other row is the stored one
    assert after[changed][6] == "jeannewaddress@gmail.com" != before[changed][6]
    assert {k: v for k, v in after.items() if k != changed} == {
        k: v for k, v in before.items() if k != changed
    }
    incremental = (query(warehouse, _MEMBERS), query(warehouse, _LINKS))
    # scoring the changed record against its blocking candidates only misses nothing
    identity.resolve(warehouse, full=True)
    assert (query(warehouse, _MEMBERS), query(warehouse, _LINKS)) == incremental
