"""Replaced values (issue 12, FEBRL): the records say whether a pair at one home differing on
both first name and birth date is one person's record with two values replaced, or two
members of a household; on real DuckDB and Splink."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest
from identity_rows import homes_with_replaced_values, one_home_waived, query
from test_identity_population_households import _predict

import identity
from core.warehouse import connect
from identity._config import IdentityConfig, ReplacedValuesConfig, load_identity_config
from identity._replaced import NONE, Replaced, measure, pair_column, recorded, waived_sql


def _records(households: bool) -> duckdb.DuckDBPyConnection:
    """60 people, three records each at their home (surname, address line, postcode): 3
    pairs each agreeing on first name and birth date, A = 180. People 0-19 have a fourth
    record with the first name replaced (3 pairs each: B = 60), people 20-39 one with the
    birth date replaced (C = 60), people 40-44 one with both replaced (D = 15). Replaced
    independently, both meet in B * C / A = 20 pairs: 20 >= 0.8 * 15, one person's.
    ``households``: people 45-59 live with a second member too (another first name and
    birth date: 3 pairs each differing on both), D = 15 + 45 = 60, and 20 < 0.8 * 60."""
    return homes_with_replaced_values(60, 20, 20, 5, 15 if households else 0)


def test_the_records_say_whether_values_were_replaced_or_borne_by_household_members():
    config = IdentityConfig(blocking=[["last_name"]])
    assert measure(_records(households=False), config, "records").strata == {"home"}
    assert measure(_records(households=True), config, "records").strata == frozenset()
    # too few pairs agreeing on both to measure on: nothing is taken as replaced
    strict = config.model_copy(update={"replaced_values": ReplacedValuesConfig(min_pairs=181)})
    assert measure(_records(households=False), strict, "records").strata == frozenset()


@pytest.mark.parametrize(
    ("right", "at_home"),
    [
        (("kylie", "dixon", "sanford xplace", "05047", "phillip"), True),  # address mistyped
        (("kylie", "dixson", "sanford place", "05074", "ringwood"), True),  # surname, postcode
        (("dixon", "kylie", "sanford place", "05047", "ringwood"), True),  # typed swapped
        (("kylie", "dixon", "sanford place", "05047", "ringwood"), True),
        (("kylie", "dixon", "sanford place", "02600", "ringwood"), True),  # one surname, one town
        (("kylie", "dixon", "pacific highway", "05047", "ringwood"), False),  # another street
        (("kylie", "jones", "sanford place", "05047", "ringwood"), False),  # another family
        # a surname crossing over into the first name at a street of that name in one town,
        # another postcode: strangers (FEBRL4's `xavier campbell` / `cambell coleman`)
        (("dixon", "coleman", "sanford place", "02600", "ringwood"), False),
    ],
)
def test_one_home_allows_typos_but_not_another_street_or_family(right, at_home):
    left = ("madison", "dixon", "sanford place", "05047", "ringwood")
    assert one_home_waived(left, right) == at_home
    # where the records show no replacements, no pair is waived
    assert waived_sql(NONE, ["home"], pair_column) == "false"


def test_a_replaced_first_name_and_birth_date_at_one_home_link_only_where_replacements_are_shown(
    warehouse,
):
    """Two records at one home, first name and birth date both different: a household's two
    members where the records show households (refused, as before), one person's card with
    two values replaced where they show replacements (linked)."""
    from identity._links import ACCEPTED, REFUSED, accept_predictions
    from identity._model import level_labels

    model = json.loads((warehouse.model_dir / "identity_model.json").read_text())
    # one home: surname, address line, postcode and the home landline
    home = {"last_name": "vijiaraj", "address_line": "14 rue de la paix", "postcode": "44000",
            "city": "nantes", "phone": "+33240111213"}  # fmt: skip
    rows = [
        {"record_id": "a", "first_name": "anthony", "birth_date": date(1987, 10, 31), **home},
        {"record_id": "b", "first_name": "kyle", "birth_date": date(1950, 2, 14), **home},
        # other homes, so that the surname and the address are as rare as a home's are
        *({"record_id": f"x{i}", "last_name": f"other{i}", "address_line": f"{i} rue foch",
           "postcode": "44000", "city": "nantes"} for i in range(400)),
    ]  # fmt: skip
    config = load_identity_config(warehouse.identity_config_path)
    labels = level_labels(model)

    def decided(replaced: Replaced) -> tuple[list, list]:
        con, scored = _predict(model, rows)
        con.register("scored", scored)
        accept_predictions(con, "scored", labels, config, replaced)
        pair = "where record_id_l = 'a' and record_id_r = 'b'"
        accepted = con.execute(f"select record_id_l, record_id_r from {ACCEPTED} {pair}")
        linked = accepted.fetchall()
        refused = con.execute(f"select record_id_l, record_id_r from {REFUSED} {pair}")
        return linked, refused.fetchall()

    accepted, refused = decided(NONE)
    assert accepted == [] and refused == [("a", "b")]
    accepted, refused = decided(Replaced(frozenset({"home"})))
    assert accepted == [("a", "b")] and refused == []


@pytest.mark.parametrize(
    ("replaced", "apart"), [(NONE, True), (Replaced(frozenset({"home"})), False)]
)
def test_a_chain_through_a_replaced_card_is_cut_only_where_households_are_shown(replaced, apart):
    """FEBRL's rec-1062: two cards of Madison Dixon, a third at her home with first name and
    birth date both replaced, linked to one of them. Where the records show households,
    that third card is another member and the chain is cut; where they show replacements,
    the three are one customer."""
    from identity import _cluster
    from identity._tables import (
        CONSTRAINTS,
        EDGES,
        GUARD_EVENTS,
        LINK_IDS,
        RECORDS,
        REFUSED,
        REPLACED,
        SCOPE_EDGES,
    )

    con = duckdb.connect()
    REPLACED.create_empty(con)
    for stratum in replaced.strata:  # what the scoring stage measured
        con.execute(f"insert into {REPLACED} values (?)", [stratum])
    for relation in (RECORDS, EDGES, GUARD_EVENTS, LINK_IDS, REFUSED, CONSTRAINTS, SCOPE_EDGES):
        relation.create_empty(con)
    home = ("dixon", "sanford place", "05047", "ringwood")
    con.executemany(
        f"insert into {RECORDS} by name select ? as record_id, ? as first_name, "
        "? as birth_date, ? as last_name, ? as address_line, ? as postcode, ? as city",
        [
            ("a", "madison", date(1922, 6, 9), *home),
            ("b", "madison", date(1922, 6, 9), *home),
            ("c", "kylie", date(1900, 4, 4), *home),
        ],
    )
    con.execute(
        f"insert into {EDGES} by name select * from (values ('a', 'b', 'probabilistic', 20.0), "
        "('b', 'c', 'probabilistic', 10.0)) e(record_id_l, record_id_r, link_type, match_weight)"
    )
    con.execute("create table clusters as select * from (values ('a', 'k'), ('b', 'k'), "
                "('c', 'k')) c(record_id, cluster_id)")  # fmt: skip
    config = IdentityConfig(blocking=[["last_name"]])
    clusters = _cluster.constrain(con, "clusters", config)
    customers = dict(con.execute(f"select record_id, cluster_id from {clusters}").fetchall())
    assert customers["a"] == customers["b"]
    assert (customers["c"] != customers["a"]) is apart


def test_each_run_records_what_its_records_said_of_replaced_values(warehouse):
    summary = identity.resolve(warehouse)
    recorded_rows = query(warehouse, "select replaced_strata from identity.runs")
    # the sample's homes hold households and its names namesakes: no stratum is taken as
    # one person's values replaced, and the run says so in its row, not only in its log
    assert summary["replaced_strata"] == "" and recorded_rows == [("",)]


def test_the_real_time_scorer_reads_what_the_last_run_recorded(warehouse):
    identity.resolve(warehouse)
    with connect(warehouse) as con:
        assert recorded(con) == Replaced(frozenset())  # households: nothing replaced
        con.execute("update identity.runs set replaced_strata = 'home,name'")
        assert recorded(con) == Replaced(frozenset({"home", "name"}))
        # a warehouse resolved before runs recorded it: the scorer measures for itself
        con.execute("alter table identity.runs drop column replaced_strata")
        assert recorded(con) is None


def test_an_incremental_run_resolves_everything_when_the_records_say_otherwise(warehouse):
    identity.resolve(warehouse)
    assert identity.resolve(warehouse)["mode"] == "incremental"  # nothing changed
    # the last run found values replaced at one home; these records show households: the
    # stored links were made under the other rule, so every pair is scored again
    with connect(warehouse) as con:
        con.execute("update identity.runs set replaced_strata = 'home'")
    again = identity.resolve(warehouse)
    assert again["mode"] == "full" and again["replaced_strata"] == ""
    assert identity.resolve(warehouse)["mode"] == "incremental"
