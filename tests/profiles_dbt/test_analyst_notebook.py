"""The analyst notebook (notebooks/analyst_tour.py, marimo) runs top to bottom on the fixture
warehouse and shows what it promises: segments, one customer's timeline, revenue by channel,
each with a chart."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from dbt_fixture_warehouse import query

NOTEBOOK = Path(__file__).parents[2] / "notebooks" / "analyst_tour.py"


def test_the_notebook_runs_on_the_warehouse_and_draws_its_charts(built_settings, monkeypatch):
    pytest.importorskip("marimo")
    monkeypatch.setenv("CDP_DATA_DIR", str(built_settings.data_dir))
    spec = importlib.util.spec_from_file_location("analyst_tour", NOTEBOOK)
    notebook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(notebook)

    _, defs = notebook.app.run()

    segments = defs["segments"].set_index("segment")["customers"].to_dict()
    assert segments == dict(
        query(built_settings, "select segment, count(*) from marts.customer_segments group by 1")
    )
    most_sources = query(
        built_settings,
        "select customer_id from marts.customer_profile "
        "order by source_count desc, lifetime_revenue desc, customer_id limit 1",
    )[0][0]
    assert defs["customer_id"] == most_sources
    assert (
        len(defs["timeline"])
        == query(
            built_settings,
            "select count(*) from marts.customer_timeline where customer_id = ?",
            [most_sources],
        )[0][0]
    )
    revenue = defs["revenue_by_channel"].set_index("channel")["revenue"].to_dict()
    purchases = dict(
        query(
            built_settings,
            "select channel, sum(amount)::double from marts.customer_timeline "
            "where event_type = 'purchase' group by 1",
        )
    )
    assert {k: revenue[k] for k in purchases} == pytest.approx(purchases)
    for chart in ("segments_chart", "timeline_chart", "revenue_chart"):
        spec = defs[chart].to_dict()
        assert spec["data"] or spec.get("datasets"), chart
