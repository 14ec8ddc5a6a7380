"""`cdp identity model`: the trained model's levels, untrained ones flagged, offline charts."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from cdp.cli import app


def test_model_command_shows_levels_flags_untrained_and_writes_offline_charts(
    warehouse, monkeypatch
):
    from identity._model_report import describe

    report = describe(warehouse)
    levels = {(row["comparison"], row["level"]): row for row in report["levels"]}
    name_made = levels[("email", "same name-made username, other domain")]
    assert name_made["fixed"] and name_made["match_weight"] == 0
    # the base population has no phone typos: that level falls back to the stated prior
    assert levels[("phone", "one digit off")]["untrained"]
    assert levels[("email", "same email")]["match_weight"] > 10

    monkeypatch.setenv("CDP_DATA_DIR", str(warehouse.data_dir))
    monkeypatch.setenv("CDP_SOURCES_DIR", str(warehouse.sources_dir))
    out = warehouse.data_dir / "model.html"
    result = CliRunner().invoke(app, ["identity", "model", "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert "untrained" in result.output and "one digit off" in result.output
    page = out.read_text(encoding="utf-8")
    assert "Match weights per comparison level" in page
    assert not re.search(r"<script[^>]+src=[\"']?https?:", page)  # works offline


def test_explain_pair_says_why_two_records_are_apart_or_together(warehouse, monkeypatch):
    from datetime import date

    from identity_rows import account, add_rows, card

    import identity
    from identity._explain_pair import explain_pair

    contact = {"email": "maison.quintal@free.fr", "phone": "0478121399", "postcode": "69003"}
    add_rows(
        warehouse,
        accounts=[account("XP1", "Honorine", "Quintal", birth=date(1971, 3, 14), **contact)],
        receipts=[
            card("XP2", "Barnabe", "QUINTAL", birth=date(1966, 8, 2), **contact),
            card("XP3", "Honorine", "QUINTAL", birth=date(1971, 3, 14), **contact),
        ],
    )
    identity.resolve(warehouse)
    apart = explain_pair(warehouse, "web_account:XP1", "loyalty_card:XP2")
    assert not apart["same_customer"]
    assert "different_first_name" in apart["verdict"] or "different_birth_date" in apart["verdict"]
    against = {item["comparison"] for item in apart["score"]["against"]}
    assert {"first_name", "birth_date"} <= against  # both sides shown, not only the for
    assert {item["comparison"] for item in apart["score"]["for"]} >= {"email", "phone"}

    together = explain_pair(warehouse, "web_account:XP1", "loyalty_card:XP3")
    assert together["same_customer"] and together["verdict"].startswith("one customer")

    # a record without a birth date (or a name) is scored too: Splink once read a missing
    # value given in a Python dict as the text "NULL" and failed on year("NULL")
    add_rows(warehouse, receipts=[card("XP4", "Honorine", "Quintal", birth=None, **contact)])
    identity.resolve(warehouse)
    undated = explain_pair(warehouse, "web_account:XP1", "loyalty_card:XP4")
    assert "error" not in undated["score"], undated["score"]
    assert undated["score"]["match_probability"] > 0.5

    monkeypatch.setenv("CDP_DATA_DIR", str(warehouse.data_dir))
    monkeypatch.setenv("CDP_SOURCES_DIR", str(warehouse.sources_dir))
    result = CliRunner().invoke(
        app, ["identity", "explain-pair", "web_account:XP1", "loyalty_card:XP2"]
    )
    assert result.exit_code == 0, result.output
    assert "against" in result.output and "two customers" in result.output


def test_explain_pair_weighs_a_pair_as_the_run_did(warehouse):
    """The score explain-pair shows is the one the run held against the threshold: the
    model's weight with the run's own rules on it (the household address cap, replaced
    values), not Splink's bare score."""
    from identity_rows import query

    import identity
    from identity._explain_pair import explain_pair

    identity.resolve(warehouse)
    linked = query(
        warehouse,
        "select record_id_l, record_id_r, match_weight from identity.links "
        "where link_type = 'probabilistic' order by record_id_l, record_id_r limit 3",
    )
    for left, right, stored in linked:
        assert explain_pair(warehouse, left, right)["score"]["match_weight"] == pytest.approx(
            stored, abs=1e-6
        )
    # two customers at one address, phones apart: where the run caps the address's weight
    apart = query(
        warehouse,
        "select l.record_id, r.record_id from identity.identity_records l "
        "join identity.identity_records r on l.address_line = r.address_line "
        "and l.record_id < r.record_id and l.phone <> r.phone "
        "join identity.customer_records cl on cl.record_id = l.record_id "
        "join identity.customer_records cr on cr.record_id = r.record_id "
        "where cl.customer_id <> cr.customer_id and l.first_name <> r.first_name "
        "order by 1, 2 limit 6",
    )
    capped = []
    for left, right in apart:
        result = explain_pair(warehouse, left, right)
        score = result["score"]
        if "below the threshold" in result["verdict"]:
            assert score["match_probability"] < score["threshold"], (left, right, score)
        capped.append(score["match_weight"] < score["model_match_weight"])
    assert any(capped)  # the case the run's rules change
