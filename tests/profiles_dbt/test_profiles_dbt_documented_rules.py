"""The marts say what they hold: each rule written in _marts.yml holds on the built data,
counts are BIGINT (pandas reads integers, not floats), no figure is repeated under another
name, and the descriptions reach DuckDB's catalog as column comments."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dbt_fixture_warehouse import query

MARTS_YML = Path(__file__).parents[2] / "dbt_project" / "models" / "marts" / "_marts.yml"

# (model, column, words of its description, SQL counting the rows that break the rule)
DOCUMENTED_RULES = [
    (
        "customer_profile",
        "frequency_score",
        "1 without orders",
        "select count(*) from marts.customer_profile where order_count = 0 "
        "and frequency_score is distinct from 1",
    ),
    (
        "customer_profile",
        "monetary_score",
        "1 without orders",
        "select count(*) from marts.customer_profile where order_count = 0 "
        "and monetary_score is distinct from 1",
    ),
    (
        "customer_profile",
        "recency_score",
        "null without orders",
        "select count(*) from marts.customer_profile where order_count = 0 "
        "and recency_score is not null",
    ),
    (
        "customer_profile",
        "recency_days",
        "null without orders",
        "select count(*) from marts.customer_profile where (order_count = 0) "
        "!= (recency_days is null)",
    ),
    (
        "customer_profile",
        "average_basket",
        "null without orders",
        "select count(*) from marts.customer_profile where order_count = 0 "
        "and average_basket is not null",
    ),
    (
        "customer_profile",
        "lifetime_revenue",
        "equals the sum of the customer's rows in intermediate.int_orders",
        "select count(*) from marts.customer_profile p left join (select customer_id, "
        "sum(revenue) as revenue from intermediate.int_orders group by 1) o using (customer_id) "
        "where p.lifetime_revenue != coalesce(o.revenue, 0)",
    ),
    (
        "customer_profile",
        "source_count",
        "Number of distinct identity types in sources_present",
        "select count(*) from marts.customer_profile "
        "where source_count != len(string_split(sources_present, ','))",
    ),
    (
        "customer_profile",
        "frequency_score",
        "1-5",
        "select count(*) from marts.customer_profile where frequency_score not between 1 and 5",
    ),
]


def _descriptions() -> dict[tuple[str, str], str]:
    models = yaml.safe_load(MARTS_YML.read_text(encoding="utf-8"))["models"]
    return {
        (model["name"], column["name"]): column.get("description", "")
        for model in models
        for column in model.get("columns", [])
    }


@pytest.mark.parametrize(("model", "column", "words", "violations"), DOCUMENTED_RULES)
def test_each_documented_rule_holds_on_the_data(built_settings, model, column, words, violations):
    assert words in _descriptions()[(model, column)]
    assert query(built_settings, violations) == [(0,)]


def test_the_fixture_has_a_prospect_so_the_prospect_rules_are_exercised(built_settings):
    assert (
        query(built_settings, "select count(*) from marts.customer_profile where order_count = 0")[
            0
        ][0]
        >= 1
    )


def test_counts_are_bigint_never_hugeint(built_settings):
    wide = query(
        built_settings,
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and data_type in ('HUGEINT', 'UHUGEINT', 'DOUBLE')",
    )
    assert wide == []


def test_no_mart_column_repeats_another(built_settings):
    columns = [
        r[0]
        for r in query(
            built_settings,
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'customer_profile'",
        )
    ]
    assert not {"historical_clv", "monetary_revenue", "frequency_orders"} & set(columns)
    assert len(columns) == len(set(columns))
    # every documented column exists and every column is documented
    documented = {c for (m, c) in _descriptions() if m == "customer_profile"}
    assert documented == set(columns)


def test_column_descriptions_are_comments_in_duckdb(built_settings):
    comments = dict(
        query(
            built_settings,
            "select column_name, comment from duckdb_columns() "
            "where schema_name = 'marts' and table_name = 'customer_profile'",
        )
    )
    assert comments["lifetime_revenue"].startswith("Revenue of all orders in EUR")
    assert comments["frequency_score"] == _descriptions()[("customer_profile", "frequency_score")]
