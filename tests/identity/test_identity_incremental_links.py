"""An incremental run reads the stored links it keeps through filters, never whole: what it
re-clusters and writes equals a full run's."""

from __future__ import annotations

from identity_rows import DOB_A, account, add_rows, card, customer_of, query

import identity
from core.warehouse import connect
from identity._decisions import record_decision

_MEMBERS = "select record_id, customer_id from identity.customer_records order by record_id"
_LINKS = (  # a re-scored pair may come out the other way round (predict_between's order)
    "select least(record_id_l, record_id_r), greatest(record_id_l, record_id_r), link_type, "
    "rule, round(match_weight, 6) from identity.links order by all"
)


def test_a_decision_on_unchanged_records_re_clusters_their_customer_as_a_full_run(warehouse):
    """A steward's cannot-link re-scores two records no source changed. Their e-mail is not
    guarded again, so its deterministic links are the stored ones, and they reach the third
    holder: the incremental run re-clusters the three, and every membership and link equals
    a full run's."""
    email = "violaine.kerbrat@laposte.net"
    add_rows(
        warehouse,
        accounts=[
            account("DK1", "Violaine", "Kerbrat", email=email, birth=DOB_A),
            account("DK3", "Violaine", "Kerbrat", email=email, birth=DOB_A),
        ],
        receipts=[card("CDK2", "Violaine", "KERBRAT", email=email, birth=DOB_A)],
    )
    identity.resolve(warehouse)
    left, right, third = "web_account:DK1", "loyalty_card:CDK2", "web_account:DK3"
    assert customer_of(warehouse, left) == customer_of(warehouse, right)
    assert customer_of(warehouse, third) == customer_of(warehouse, left)
    with connect(warehouse) as con:
        record_decision(con, "cannot-link", left, right, "steward", "two people")
    summary = identity.resolve(warehouse)
    assert summary["mode"] == "incremental"
    assert customer_of(warehouse, left) != customer_of(warehouse, right)
    incremental = (query(warehouse, _MEMBERS), query(warehouse, _LINKS))
    identity.resolve(warehouse, full=True)
    assert (query(warehouse, _MEMBERS), query(warehouse, _LINKS)) == incremental
