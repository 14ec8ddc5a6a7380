"""SMS campaign activity: a STOP reply is an SMS opt-out, another reply is feedback."""

from __future__ import annotations

from dbt_fixture_warehouse import query
from voice_messages import ALICE_SMS_REPLY


def test_stop_reply_from_a_known_customers_number_revokes_her_sms_consent(feedback_settings):
    history = query(
        feedback_settings,
        "select is_granted, source, cast(decided_at as varchar) from consent.signals "
        "where customer_id = 'cust-A' and channel = 'sms' order by decided_at",
    )
    # granted at the till (receipt R2, 2026-10-20), then her STOP of 2026-10-25
    assert history[-2:] == [
        (True, "pos.receipt_lines", "2026-09-02 10:00:00"),
        (False, "sms.activity.stop", "2026-10-25 09:00:00"),
    ]
    profile = query(
        feedback_settings,
        "select is_sms_consent_granted, sms_consent_source, sms_sent "
        "from marts.customer_profile where customer_id = 'cust-A'",
    )
    assert profile == [(False, "sms.activity.stop", 1)]


def test_inbound_sms_reply_lands_in_customer_feedback_with_a_sentiment(feedback_settings):
    rows = query(
        feedback_settings,
        "select customer_id, channel, sentiment, rating, message_text "
        "from marts.customer_feedback where feedback_source = 'sms'",
    )
    # the complaint only: a bare STOP is an opt-out, not a message to read
    assert rows == [("cust-A", "sms", "negative", None, ALICE_SMS_REPLY)]


def test_sms_events_are_touchpoints_of_the_customer(feedback_settings):
    rows = query(
        feedback_settings,
        "select event_type, count(*) from marts.customer_timeline "
        "where customer_id = 'cust-A' and channel = 'sms' group by 1 order by 1",
    )
    assert rows == [("sms_delivered", 1), ("sms_reply", 2), ("sms_sent", 1)]
