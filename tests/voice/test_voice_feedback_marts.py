"""A known customer's call-center verbatim reaches customer_feedback and their profile."""

from __future__ import annotations

import pytest
from dbt_fixture_warehouse import query
from voice_messages import ALICE_SMS_REPLY, ALICE_VERBATIM


def test_known_callers_verbatim_lands_on_their_feedback_rows(feedback_settings):
    rows = query(
        feedback_settings,
        "select customer_id, feedback_source, channel, sentiment, rating, message_text "
        "from marts.customer_feedback where feedback_source = 'callcenter'",
    )
    assert rows == [("cust-A", "callcenter", "phone", "negative", None, ALICE_VERBATIM)]


def test_profile_carries_last_feedback_and_detractor_flag(feedback_settings):
    rows = query(
        feedback_settings,
        "select customer_id, last_feedback_at, feedback_messages_12m, negative_feedback_12m, "
        "feedback_sentiment_12m, is_detractor from marts.customer_profile "
        "where customer_id in ('cust-A', 'cust-B') order by customer_id",
    )
    (alice, bruno) = rows
    # T1 opened 2026-10-22 14:00 and her SMS complaint of 2026-10-23 10:30 (her STOP is an
    # opt-out, not a message), within 12 months and within detractor_days of as_of_date
    assert alice[1].isoformat() == "2026-10-23T10:30:00"
    assert alice[2:] == (2, 2, "negative", True)
    assert bruno[1:] == (None, 0, 0, None, False)


def test_topics_monthly_counts_the_message(feedback_settings):
    rows = query(
        feedback_settings,
        "select feedback_month, sentiment, sum(message_count), sum(callcenter_messages), "
        "sum(sms_messages) from marts.feedback_topics_monthly group by all",
    )
    # Alice's verbatim and her SMS complaint, whatever topics they fell in
    assert [(str(r[0]), *r[1:]) for r in rows] == [("2026-10-01", "negative", 2, 1, 1)]


def test_unhappy_valuable_customers_query_lists_the_detractor(feedback_settings):
    from test_profiles_dbt_analyst_queries import _queries

    rows = query(feedback_settings, _queries()[3])
    # Alice: detractor (negative verbatim T1) and the fixture's highest lifetime revenue,
    # quoted by her latest negative message (the SMS complaint, a day after T1)
    assert [(r[0], r[7]) for r in rows] == [("cust-A", ALICE_SMS_REPLY)]


# Slow (a second dbt build); by default forget is covered by tests/privacy's forget tests.
@pytest.mark.slow
def test_forget_removes_the_persons_messages_from_every_table(tmp_path):
    """On its own warehouse: forget runs last in a session-scoped build otherwise."""
    import duckdb
    from dbt_fixture_warehouse import ALICE_EMAIL, create_warehouse

    from core.settings import Settings
    from privacy.access import access
    from privacy.erase import forget
    from profiles import build_profiles
    from voice import analyse_feedback

    settings = Settings(data_dir=tmp_path / "data")
    settings.ensure_dirs()
    create_warehouse(settings.duckdb_path)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        con.execute(
            "update raw.callcenter__tickets set verbatim = ? where ticket_id = 'T1'",
            [ALICE_VERBATIM],
        )
        # what identity writes beside customer_records: forget finds a person through it
        con.execute(
            "create or replace table identity.identity_records as select record_id, identity_type, "
            "source_key, case when source_key = ? then ? end as email, "
            "null::varchar as phone from identity.customer_records",
            [ALICE_EMAIL, ALICE_EMAIL],
        )
    analyse_feedback(settings)
    build_profiles(settings)

    # by customer id: an e-mail request sees only the records sharing that e-mail until a
    # steward reviews the merge (the fixture's ticket carries no e-mail)
    document = access(settings, "cust-A").read_text(encoding="utf-8")
    assert ALICE_VERBATIM in document  # access returns what she wrote

    forget(settings, "cust-A")

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE'"
        ).fetchall()
        holding = []
        for schema, table in tables:
            text_columns = [
                c
                for c, t in con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ?",
                    [schema, table],
                ).fetchall()
                if t == "VARCHAR"
            ]
            for column in text_columns:
                found = con.execute(
                    f'select count(*) from "{schema}"."{table}" where "{column}" like ?',
                    ["%deuxième fois%"],
                ).fetchone()[0]
                if found:
                    holding.append(f"{schema}.{table}.{column}")
    assert holding == []
