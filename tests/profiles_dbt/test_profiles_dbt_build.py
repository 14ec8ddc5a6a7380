"""build_profiles failures name the failed nodes; `cdp profiles docs` works offline."""

from __future__ import annotations

import json
import shutil

import pytest

from core.settings import Settings


def _copy_of(built_settings, tmp_path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data")
    settings.ensure_dirs()
    shutil.copy(built_settings.duckdb_path, settings.duckdb_path)
    return settings


def test_touchpoint_without_customer_fails_the_build_by_name(built_settings, tmp_path):
    import duckdb

    from profiles import DbtBuildError, build_profiles

    settings = _copy_of(built_settings, tmp_path)
    con = duckdb.connect(str(settings.duckdb_path))
    # a card identity resolution has not seen yet
    con.execute(
        "insert into raw.pos__receipt_lines (store_id, receipt_id, line_number, sold_at, "
        "quantity, unit_price, loyalty_card_id, _loaded_at) values "
        "('S01', 'R77', 1, timestamp '2026-10-30 10:00', 1, 10, 'L-NEW', now())"
    )
    con.close()
    with pytest.raises(DbtBuildError) as raised:
        build_profiles(
            settings,
            select="int_pos_lines_attached assert_no_touchpoint_without_customer",
            dbt_vars={"unresolved_touchpoint_keys_max": 0},
        )
    failed = raised.value.failed_nodes
    assert any("assert_no_touchpoint_without_customer" in node for node in failed)
    assert "assert_no_touchpoint_without_customer" in str(raised.value)


def test_missing_warehouse_says_what_to_run(tmp_path):
    from profiles import DbtBuildError, build_profiles

    settings = Settings(data_dir=tmp_path / "empty")
    with pytest.raises(DbtBuildError, match="cdp ingest"):
        build_profiles(settings)


def test_docs_generate_offline_documents_every_mart_column(docs_folder):
    target = docs_folder  # `cdp profiles docs` on the built warehouse (conftest.py)
    assert (target / "index.html").exists() and (target / "static_index.html").exists()
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    marts = {
        n["name"]: n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["schema"] == "marts"
    }
    assert set(marts) == {
        "golden_records",
        "customer_profile",
        "customer_consent",
        "customer_segments",
        "customer_timeline",
        "campaign_performance",
        "customer_feedback",
        "feedback_topics_monthly",
    }
    for name, node in marts.items():
        built_columns = catalog["nodes"][node["unique_id"]]["columns"]
        assert node["description"].strip(), name
        undocumented = [
            c
            for c in built_columns
            if not node["columns"].get(c, {}).get("description", "").strip()
        ]
        assert undocumented == [], f"{name}: {undocumented}"
