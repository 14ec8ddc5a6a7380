"""The analyst queries of docs/analyst_queries.sql run as printed on the built fixture."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from dbt_fixture_warehouse import expected_lifetime_revenue, query

QUERIES_PATH = Path(__file__).parents[2] / "docs" / "analyst_queries.sql"
README_PATH = Path(__file__).parents[2] / "README.md"


def _queries() -> list[str]:
    text = QUERIES_PATH.read_text(encoding="utf-8")
    statements = [s.strip() for s in re.split(r";\s*$", text, flags=re.MULTILINE) if s.strip()]
    # drop statements that are only comments (the file's header)
    return [
        s
        for s in statements
        if any(line.strip() and not line.strip().startswith("--") for line in s.splitlines())
    ]


def test_four_queries_are_printed_in_the_readme():
    readme = README_PATH.read_text(encoding="utf-8")
    assert len(_queries()) == 4
    for statement in _queries():
        body = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
        assert body.strip() in readme


def test_dormant_high_value_with_email_consent(built_settings):
    rows = query(built_settings, _queries()[0])
    # Chloé: 5 x 45 = 225 EUR, last order 500 days ago, e-mail opt-in at the till
    assert [(r[0], r[4]) for r in rows] == [("cust-C", expected_lifetime_revenue("L3", set()))]
    assert rows[0][4] == Decimal("225.00")


def test_revenue_by_segment(built_settings):
    rows = {r[0]: r for r in query(built_settings, _queries()[1])}
    assert set(rows) == {"new", "dormant", "prospect"}
    assert rows["new"][2] == expected_lifetime_revenue("L1", {"K1"})
    assert rows["dormant"][2] == expected_lifetime_revenue("L3", set())
    assert rows["prospect"][1:3] == (1, Decimal("0.00"))


def test_timeline_by_email(built_settings):
    rows = query(built_settings, _queries()[2])
    assert len(rows) == 15  # every touchpoint of Alice (see test_profiles_dbt_marts)
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert rows[0][2] == "account_created" and rows[-1][2] == "email_unsubscribe"


def test_the_demo_points_at_a_customer_seen_in_the_most_sources(built_settings):
    from cdp.demo import a_customer_email

    email = a_customer_email(built_settings)
    most = query(
        built_settings,
        "select max(source_count) from marts.customer_profile where email is not null",
    )[0][0]
    assert query(
        built_settings, "select source_count from marts.customer_profile where email = ?", [email]
    ) == [(most,)]
