"""dbt build on the hand-made warehouse (dbt_fixture_warehouse.py): figures checked against
values worked out in Python from the fixture rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from dbt_fixture_warehouse import ALICE_EMAIL, AS_OF, POS_LINES, expected_lifetime_revenue, query


def _profile(settings, customer_id: str) -> dict:
    import duckdb

    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        cursor = con.execute(
            "select * from marts.customer_profile where customer_id = ?", [customer_id]
        )
        names = [c[0] for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))
    finally:
        con.close()


def test_profile_holds_identified_customers_only(built_settings):
    rows = query(built_settings, "select customer_id from marts.customer_profile order by 1")
    assert [r[0] for r in rows] == ["cust-A", "cust-B", "cust-C"]  # not the anonymous cookie


def test_lifetime_revenue_counts_each_receipt_line_once_plus_web_orders(built_settings):
    alice = _profile(built_settings, "cust-A")
    # R1: 2 x 50 - 10 + 30 = 120; R2: 3 x 12.50 = 37.50 (re-exported once); web W1: 80
    expected = expected_lifetime_revenue("L1", {"K1"})
    assert expected == Decimal("237.50")
    assert alice["lifetime_revenue"] == expected
    assert alice["order_count"] == 3
    assert alice["average_basket"] == (expected / 3).quantize(Decimal("0.01"))
    assert alice["revenue_last_12_months"] == expected
    # margin only where the cost is known: (90 - 2 x 20) + (37.50 - 3 x 4)
    assert alice["lifetime_margin"] == Decimal("75.50")
    assert alice["margin_revenue_basis"] == Decimal("127.50")


def test_rfm_and_preferences(built_settings):
    alice = _profile(built_settings, "cust-A")
    last_order = max(line[3] for line in POS_LINES if line[12] == "L1")
    assert alice["recency_days"] == (AS_OF - last_order.date()).days == 11
    assert alice["recency_score"] == 5  # <= 30 days
    assert alice["frequency_score"] == 3  # 3 orders: >= 3, < 5
    assert alice["monetary_score"] == 2  # 237.50: >= 100, < 250
    assert alice["preferred_channel"] == "store"
    assert alice["preferred_store_id"] in {"S01", "S02"}  # one receipt each; the latest wins
    assert alice["preferred_store_id"] == "S02"
    # Accessoires 30 (scarf) + 80 (gloves online), Mode femme 90, Maison 37.50
    assert alice["top_categories"] == "Accessoires, Mode femme, Maison"
    # one column per figure: lifetime_revenue is also RFM monetary and historical CLV
    assert not {"historical_clv", "monetary_revenue", "frequency_orders"} & set(alice)
    assert alice["predicted_clv"] > 0


def test_consent_latest_decision_wins(built_settings):
    alice = _profile(built_settings, "cust-A")
    # e-mail: account yes (01-05), subscribed (02-01), loyalty yes (09-02), unsubscribe 10-31
    assert alice["is_email_consent_granted"] is False
    assert alice["email_consent_source"] == "email.activity.unsubscribe"
    assert alice["email_consent_decided_at"] == datetime(2026, 10, 31, 18, 0)
    # sms: account no (01-05), then yes at the till (09-02)
    assert alice["is_sms_consent_granted"] is True
    assert alice["sms_consent_source"] == "pos.receipt_lines"
    assert alice["is_email_unsubscribed"] is True


def test_engagement_web_and_callcenter(built_settings):
    alice = _profile(built_settings, "cust-A")
    assert alice["emails_sent"] == 1
    assert alice["email_open_rate"] == 1 and alice["email_click_rate"] == 1
    assert alice["web_sessions"] == 2
    # viewed SKU4 (coat) and SKU3 (candle); the candle was bought in store
    assert alice["products_viewed_not_bought_count"] == 1
    assert alice["products_viewed_not_bought"] == "Manteau"
    assert alice["callcenter_contacts"] == 1
    assert alice["has_open_complaint"] is True
    assert alice["sources_present"] == (
        "callcenter_caller,email_subscriber,loyalty_card,web_account,web_cookie"
    )


def test_email_click_attribution(built_settings):
    alice = _profile(built_settings, "cust-A")
    # click 10-08 09:01; web order 10-12 (4 days: attributed), receipt 10-20 (12 days: not)
    assert alice["email_attributed_revenue"] == Decimal("80.00")
    assert alice["email_attributed_revenue_share"] == round(Decimal("80") / Decimal("237.5"), 4)
    campaign = query(
        built_settings,
        "select recipients, delivered, unique_opens, unique_clicks, "
        "attributed_orders, attributed_revenue from marts.campaign_performance "
        "where campaign_id = 'CMP1'",
    )
    assert campaign == [(2, 2, 1, 1, 1, Decimal("80.00"))]


def test_segments_one_each_with_entry_date(built_settings):
    rows = {
        c: (s, d)
        for c, s, d in query(
            built_settings,
            "select customer_id, segment, segment_entered_at from marts.customer_segments",
        )
    }
    chloe_last_order = next(line[3] for line in POS_LINES if line[12] == "L3")
    assert (AS_OF - chloe_last_order.date()).days > 365
    assert rows["cust-C"] == ("dormant", chloe_last_order.date() + timedelta(days=365))
    assert rows["cust-B"] == ("prospect", date(2026, 3, 3))  # subscribed, never bought
    assert rows["cust-A"] == ("new", date(2026, 9, 2))  # first order 59 days ago
    assert len(rows) == 3


def test_timeline_is_every_touchpoint_in_order(built_settings):
    rows = query(
        built_settings,
        "select channel, event_type, amount from marts.customer_timeline "
        "where customer_id = 'cust-A' order by occurred_at, touchpoint_id",
    )
    channels = {r[0] for r in rows}
    assert channels == {"store", "web", "email", "callcenter"}
    purchases = [r[2] for r in rows if r[1] == "purchase"]
    assert purchases == [Decimal("120.00"), Decimal("80.00"), Decimal("37.50")]
    # 5 web events, 1 account, 1 subscription, 5 e-mail actions, 1 ticket, 2 receipts
    assert len(rows) == 5 + 1 + 1 + 5 + 1 + 2
    assert query(
        built_settings,
        "select count(*) from marts.customer_timeline "
        "where customer_id not in ('cust-A', 'cust-B', 'cust-C')",
    ) == [(0,)]


def test_email_is_known_for_the_timeline_query(built_settings):
    assert query(
        built_settings,
        "select customer_id from marts.customer_profile where email = ?",
        [ALICE_EMAIL],
    ) == [("cust-A",)]
