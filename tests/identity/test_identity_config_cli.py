"""Configuration errors name the file and field; the CLI prints what users read."""

from __future__ import annotations

import pytest
from identity_rows import add_rows, query, ticket
from typer.testing import CliRunner

import identity
from identity._config import IdentityConfigError, load_identity_config, load_identity_mappings
from ingestion.definitions import DefinitionError


def test_unknown_attribute_in_a_source_definition_is_named(tmp_path):
    (tmp_path / "crm.yml").write_text(
        "entities:\n  contacts: {contract: contact, files: crm/*.csv, format: csv, "
        "columns: {contact_id: id}}\n"
        "identities:\n  - identity_type: crm_contact\n    entity: contacts\n"
        "    source_key: id\n    attributes: {nickname: nick}\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError, match=r"crm.yml: identities\.0\.attributes.*nickname"):
        load_identity_mappings(tmp_path)


def test_identity_config_rejects_a_threshold_out_of_range(tmp_path):
    path = tmp_path / "identity.yml"
    path.write_text("blocking: [[email]]\nmatch_threshold: 1.5\n", encoding="utf-8")
    with pytest.raises(IdentityConfigError, match="identity.yml: match_threshold"):
        load_identity_config(path)


def test_oversized_cluster_is_flagged(warehouse, tmp_path):
    # 12 calls under one name and one phone; this test's configuration allows 10 records.
    # (60 such calls would be a shop's own number: the guards block it, see test_identity_guards.)
    config = tmp_path / "identity.yml"
    text = warehouse.identity_config_path.read_text(encoding="utf-8")
    config.write_text(text.replace("max_cluster_size: 50", "max_cluster_size: 10"), "utf-8")
    settings = warehouse.model_copy(update={"identity_config_path": config})
    add_rows(
        settings,
        tickets=[
            ticket(f"TX{i:03d}", name="VERLAINE Ophelie", phone="0611223399") for i in range(12)
        ],
    )
    summary = identity.resolve(settings)
    assert summary["oversized_customers"] >= 1
    flagged = query(
        settings,
        """select c.is_oversized, c.record_count from identity.customers c
        join identity.customer_records m using (customer_id)
        where m.record_id = 'callcenter_caller:TX000'""",
    )
    assert flagged == [(True, 12)]


def test_cli_resolve_evaluate_and_explain(warehouse, base_data, monkeypatch):
    from bench.identity_synthetic import write_truth
    from cdp.cli import app

    write_truth(warehouse.truth_dir / "identity_truth.csv", base_data["truth"])
    monkeypatch.setenv("CDP_DATA_DIR", str(warehouse.data_dir))
    monkeypatch.setenv("CDP_SOURCES_DIR", str(warehouse.sources_dir))
    runner = CliRunner()
    resolved = runner.invoke(app, ["identity", "resolve", "--full"])
    assert resolved.exit_code == 0, resolved.output
    assert "full run" in resolved.output
    evaluated = runner.invoke(app, ["identity", "evaluate"])
    assert evaluated.exit_code == 0 and "pairwise_f1" in evaluated.output
    # Splink's threshold / precision / recall chart, readable offline: its JS inlined
    page = (warehouse.model_dir / "identity_threshold_chart.html").read_text(encoding="utf-8")
    assert "truth_threshold" in page and "vega" in page
    assert "cdn.jsdelivr" not in page and "<script src=" not in page
    email = query(
        warehouse,
        "select email from identity.identity_records where identity_type = "
        "'web_account' and email is not null order by record_id limit 1",
    )[0][0]
    explained = runner.invoke(app, ["identity", "explain", email])
    assert explained.exit_code == 0 and "web_account:" in explained.output


def test_model_settings_compile_for_splink_spark_backend():
    from pathlib import Path

    from identity._model import settings_creator
    from identity._plan import ATTRIBUTE_COLUMNS, plan_from_counts

    config = load_identity_config(Path(__file__).resolve().parents[2] / "config" / "identity.yml")
    plan = plan_from_counts(dict.fromkeys(ATTRIBUTE_COLUMNS, 100), config)
    spark = settings_creator(plan).create_settings_dict("spark")
    conditions = [
        level["sql_condition"]
        for comparison in spark["comparisons"]
        for level in comparison["comparison_levels"]
    ]
    assert any("jaro_winkler(`first_name_l`" in c for c in conditions)
    assert not any("strip_accents" in c or "regexp_matches" in c for c in conditions)


def test_project_source_definitions_declare_the_five_identity_types():
    from pathlib import Path

    sources = Path(__file__).resolve().parents[2] / "config" / "sources"
    mappings = {m.identity_type: m for m in load_identity_mappings(sources)}
    assert set(mappings) >= {
        "loyalty_card",
        "web_account",
        "web_cookie",
        "email_subscriber",
        "callcenter_caller",
    }
    assert mappings["web_cookie"].raw_table == "raw.web__events"


def test_saved_model_translates_to_spark_and_back_keeping_its_parameters(trained_model):
    import json

    from identity._model import for_dialect

    model = json.loads(trained_model.read_text(encoding="utf-8"))
    spark = for_dialect(model, "spark")
    back = for_dialect(spark, "duckdb")

    conditions = [
        lvl["sql_condition"] for c in spark["comparisons"] for lvl in c["comparison_levels"]
    ]
    assert spark["sql_dialect"] == "spark"
    assert any("jaro_winkler(`first_name_l`" in c for c in conditions)
    assert not any("jaro_winkler_similarity" in c or "EPOCH(" in c for c in conditions)
    assert back == model  # nothing trained is lost on the way


def test_identity_config_refuses_backend_spark_pointing_at_the_engine_setting(tmp_path):
    import pytest

    from identity._config import IdentityConfigError

    path = tmp_path / "identity.yml"
    path.write_text("backend: spark\nblocking: [[email]]\n", encoding="utf-8")
    with pytest.raises(IdentityConfigError, match="CDP_ENGINE=spark"):
        load_identity_config(path)
