"""End to end on generated data: generate -> ingest -> identity -> dbt build, then one
customer's figures against values computed from the generator's truth (not from dbt)."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal

import pytest

pytest.importorskip("sample_data")
pytest.importorskip("ingestion")
pytest.importorskip("identity")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    import identity
    import ingestion
    from core.settings import Settings
    from profiles import build_profiles
    from sample_data import generate

    logging.getLogger("splink").setLevel(logging.ERROR)
    settings = Settings(data_dir=tmp_path_factory.mktemp("generated") / "data")
    settings.ensure_dirs()
    # 300 people: the test follows one cleanly resolved buyer, more only lengthen the run
    generate(settings, people=300, seed=11, batches=2, end_date=date(2026, 10, 31))
    try:
        ingestion.ingest(settings)
    except ingestion.IngestionError:
        pass  # a file the generator malformed on purpose; the others are loaded
    identity.resolve(settings, full=True)
    build_profiles(settings)
    return settings


def _cleanly_resolved_buyer(con, truth_path):
    """A person whose source identities form exactly one customer, and the most revenue."""
    import pandas as pd

    truth = pd.read_csv(truth_path, dtype=str)
    records = con.execute(
        "select identity_type, source_key, customer_id from identity.customer_records"
    ).df()
    joined = truth.merge(records, on=["identity_type", "source_key"])
    persons_per_customer = joined.groupby("customer_id")["person_id"].nunique()
    customers_per_person = joined.groupby("person_id")["customer_id"].nunique()
    clean = joined[
        joined["person_id"].map(customers_per_person).eq(1)
        & joined["customer_id"].map(persons_per_customer).eq(1)
    ]
    return clean


def test_one_customer_revenue_and_segment_match_the_truth(generated):
    import duckdb

    con = duckdb.connect(str(generated.duckdb_path), read_only=True)
    try:
        clean = _cleanly_resolved_buyer(con, generated.truth_dir / "identity_truth.csv")
        lines = con.execute(
            "select distinct on (store_id, receipt_id, line_number) store_id, receipt_id, "
            "sold_at, loyalty_card_id, quantity * unit_price - coalesce(discount_amount, 0) as rev "
            "from raw.pos__receipt_lines where loyalty_card_id is not null"
        ).df()
        purchases = con.execute(
            "select distinct on (transaction_id) transaction_id, user_pseudo_id, event_at, "
            "purchase_revenue from raw.web__events where event_name = 'purchase' "
            "order by transaction_id, event_at"
        ).df()
        as_of = con.execute(
            "select cast(greatest((select max(sold_at) from raw.pos__receipt_lines), "
            "(select max(event_at) from raw.web__events), "
            "(select max(activity_at) from raw.email__activity), "
            "(select max(opened_at) from raw.callcenter__tickets)) as date)"
        ).fetchone()[0]
        orders_by_person: dict[str, list[tuple]] = {}
        cards = clean[clean.identity_type == "loyalty_card"].set_index("source_key")["person_id"]
        cookies = clean[clean.identity_type == "web_cookie"].set_index("source_key")["person_id"]
        for (_store, _receipt), group in lines[lines.loyalty_card_id.isin(cards.index)].groupby(
            ["store_id", "receipt_id"]
        ):
            person = cards[group.loyalty_card_id.iloc[0]]
            orders_by_person.setdefault(person, []).append(
                (group.sold_at.min(), Decimal(str(group.rev.sum())))
            )
        for row in purchases[purchases.user_pseudo_id.isin(cookies.index)].itertuples():
            orders_by_person.setdefault(cookies[row.user_pseudo_id], []).append(
                (row.event_at, Decimal(str(row.purchase_revenue)))
            )
        person = max(orders_by_person, key=lambda p: (len(orders_by_person[p]), p))
        orders = orders_by_person[person]
        customer_id = clean[clean.person_id == person].customer_id.iloc[0]
        profile = con.execute(
            "select lifetime_revenue, order_count from marts.customer_profile "
            "where customer_id = ?",
            [customer_id],
        ).fetchone()
        segment = con.execute(
            "select segment from marts.customer_segments where customer_id = ?", [customer_id]
        ).fetchone()[0]
    finally:
        con.close()

    expected_revenue = sum(revenue for _, revenue in orders).quantize(Decimal("0.01"))
    assert len(orders) >= 2
    assert profile == (expected_revenue, len(orders))
    # default vars: dormancy 365 d, at risk 180 d, VIP 2000 EUR over 12 months, new 180 d
    last_order = max(at for at, _ in orders).date()
    first_order = min(at for at, _ in orders).date()
    revenue_12m = sum(r for at, r in orders if at.date() > as_of - timedelta(days=365))
    if (as_of - last_order).days > 365:
        expected_segment = "dormant"
    elif (as_of - last_order).days > 180:
        expected_segment = "at_risk"
    elif revenue_12m >= 2000:
        expected_segment = "vip"
    elif len(orders) == 1 or (as_of - first_order).days <= 180:
        expected_segment = "new"
    else:
        expected_segment = "loyal"
    assert segment == expected_segment
