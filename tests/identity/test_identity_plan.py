"""The model adapts to the attributes an export carries (identity/_plan.py)."""

from __future__ import annotations

from pathlib import Path

from identity._config import load_identity_config
from identity._plan import (
    ATTRIBUTE_COLUMNS,
    estimated_by,
    next_training_session,
    plan_from_counts,
)

CONFIG = load_identity_config(Path(__file__).resolve().parents[2] / "config" / "identity.yml")


def _sessions(plan) -> list[list[str]]:
    """Every session the planner picks when each one trains successfully."""
    tried: list[list[str]] = []
    missing = set(plan.comparisons)
    while missing and (session := next_training_session(plan, CONFIG, tried, missing)):
        tried.append(session)
        missing -= estimated_by(session, plan.comparisons)
    return tried


def test_every_attribute_present_keeps_the_configured_model():
    plan = plan_from_counts(dict.fromkeys(ATTRIBUTE_COLUMNS, 1000), CONFIG)
    assert plan.comparisons == (
        "first_name", "last_name", "birth_date", "email", "phone", "place", "address",
    )  # fmt: skip
    assert plan.blocking == CONFIG.blocking
    assert plan.prior_rules == CONFIG.training.prior_rules
    # the two configured sessions estimate all seven comparisons between them
    assert _sessions(plan) == CONFIG.training.em_blocking


def test_an_export_without_email_or_phone_drops_their_comparisons_and_rules():
    counts = dict.fromkeys(ATTRIBUTE_COLUMNS, 1000) | {"email": 0, "phone": 1}
    plan = plan_from_counts(counts, CONFIG)
    assert "email" not in plan.comparisons and "phone" not in plan.comparisons
    assert plan.absent == ("email", "phone")  # one phone can never be compared with another
    assert all(not {"email", "phone"} & set(rule) for rule in plan.blocking + plan.prior_rules)
    assert [["first_name", "last_name", "birth_date"]] == plan.prior_rules


def test_training_sessions_fill_in_what_the_configured_ones_cannot_estimate():
    # Configured EM: [email] (gone: no e-mails) and [first_name, last_name], which cannot
    # estimate the name comparisons. Of the blocking rules, [last_name, birth_date] would
    # estimate the first name only; [birth_date, postcode] estimates both: it is picked.
    counts = dict.fromkeys(ATTRIBUTE_COLUMNS, 1000) | {"email": 0, "phone": 0}
    plan = plan_from_counts(counts, CONFIG)
    sessions = _sessions(plan)
    assert sessions == [["first_name", "last_name"], ["birth_date", "postcode"]]
    covered = set().union(*(estimated_by(s, plan.comparisons) for s in sessions))
    assert covered == set(plan.comparisons)


def test_only_names_falls_back_to_the_name_blocking_rule_for_the_prior():
    counts = dict.fromkeys(ATTRIBUTE_COLUMNS, 0) | {"first_name": 50, "last_name": 50}
    plan = plan_from_counts(counts, CONFIG)
    assert plan.comparisons == ("first_name", "last_name")
    # the full name either way round (first and last names swapped) is a blocking key too
    assert plan.blocking == [["first_name", "last_name"], ["name_pair"]]
    assert plan.prior_rules == [["first_name", "last_name"]]


def test_no_session_blocks_on_a_derived_key_or_estimates_names_it_blocks_on():
    counts = dict.fromkeys(ATTRIBUTE_COLUMNS, 0) | {"first_name": 50, "last_name": 50}
    plan = plan_from_counts(counts, CONFIG)
    # blocked on name_pair, Splink would estimate the names on pairs that all agree on them
    assert ["name_pair"] not in _sessions(plan)
    # each name comparison reads both names (a swap): a session on either estimates neither
    assert estimated_by(["last_name", "birth_date"], ("first_name", "last_name")) == set()


def test_a_session_blocking_on_every_comparison_is_never_run():
    # e-mails only: [email] would estimate nothing (Splink cannot run such a session)
    counts = dict.fromkeys(ATTRIBUTE_COLUMNS, 0) | {"email": 500}
    plan = plan_from_counts(counts, CONFIG)
    assert plan.comparisons == ("email",)
    assert _sessions(plan) == []


def test_first_and_last_names_share_levels_but_the_first_names_letter_slip():
    from identity._comparisons import comparisons

    first, last = (
        [
            lvl["label_for_charts"].replace(c.create_output_column_name(), "name")
            for lvl in c.create_comparison_dict("duckdb")["comparison_levels"]
        ]
        for c in comparisons(("first_name", "last_name"))
    )
    assert first == [*last[:-1], "one letter slip", last[-1]]
    assert "first and last names swapped" in last


def _model_meta(tmp_path: Path, comparisons: list[str]) -> Path:
    import json

    model = tmp_path / "model.json"
    model.with_suffix(".meta.json").write_text(json.dumps({"plan": {"comparisons": comparisons}}))
    return model


def _records_with_emails(con, count: int) -> None:
    """``count`` identified records carrying every attribute (the matching view's shape)."""
    con.execute(
        "create temp view _identity_match_records as select 'r' || i as record_id, "
        "false as is_anonymous, 'ann' as first_name, 'lee' as last_name, "
        "date '1980-01-01' as birth_date, 'a' || i || '@x.fr' as email, "
        "'+3361234' || i as phone, '75001' as postcode, 'paris' as city, "
        f"'1 rue' as address_line from range({count}) t(i)"
    )


def test_records_carrying_an_attribute_the_model_lacks_warn_to_retrain(tmp_path, caplog):
    import duckdb

    from identity._training import warn_if_outgrown

    con = duckdb.connect()
    _records_with_emails(con, 1000)
    without_email = ["first_name", "last_name", "birth_date", "phone", "place", "address"]
    with caplog.at_level("WARNING", logger="identity._training"):
        warn_if_outgrown(con, _model_meta(tmp_path, without_email), CONFIG)
    assert "['email'], which" in caplog.text

    # a model with every comparison has nothing to outgrow: the records are not even read
    # (every incremental run checks; the count scanned every record)
    caplog.clear()
    con.execute("drop view _identity_match_records")
    every = [*without_email, "email"]
    with caplog.at_level("WARNING", logger="identity._training"):
        warn_if_outgrown(con, _model_meta(tmp_path, every), CONFIG)
    assert caplog.text == ""


def test_a_session_estimates_what_enough_of_its_pairs_carry_counted_exactly():
    """``SplinkTables.pairs_carrying`` counts a sample of the key values first: its answer
    is still the exact count's, at the floor itself.

    64 e-mails, 4 records each, every record with a phone: 64 * 6 = 384 pairs carry phones;
    on 32 of the e-mails two records carry a birth date (32 pairs); on one, two carry an
    address line (1 pair)."""
    import duckdb

    from identity._backend import SplinkTables

    rows = [
        (
            f"r{e}-{i}",
            f"user{e}@mail.fr",
            "0612345678",
            "1980-01-02" if e % 2 == 0 and i < 2 else None,
            "1 rue haute" if e == 0 and i < 2 else None,
        )
        for e in range(64)
        for i in range(4)
    ]
    con = duckdb.connect()
    con.execute(
        "create table r (record_id varchar, email varchar, phone varchar, "
        "birth_date date, address_line varchar)"
    )
    con.executemany("insert into r values (?, ?, ?, ?, ?)", rows)
    carrying = {"phone": ("phone",), "birth_date": ("birth_date",), "address": ("address_line",)}
    with SplinkTables(con) as splink:
        splink.put("records", "select * from r")
        assert splink.pairs_carrying("records", ["email"], carrying, 30) == {"phone", "birth_date"}
        assert splink.pairs_carrying("records", ["email"], carrying, 32) == {"phone", "birth_date"}
        assert splink.pairs_carrying("records", ["email"], carrying, 33) == {"phone"}
        assert splink.pairs_carrying("records", ["email"], carrying, 385) == set()
