"""Real-time identify scores in Python what Splink scores in SQL: the same probabilities as
Splink's compare_records for the same pairs, the same string functions as DuckDB's, the same
canonical e-mails as the pipeline's SQL rule."""

from __future__ import annotations

import pytest
from api_snapshot import snapshot_rows


@pytest.fixture
def scorer_and_con(api_settings):
    from core.snapshot import open_snapshot
    from identity._realtime import RealtimeScorer

    con = open_snapshot(api_settings)
    yield RealtimeScorer(api_settings, con), con
    con.close()


def _people(settings) -> list[dict]:
    """Known people as callers give them: whole, without their e-mail, a first-name typo,
    first and last names swapped (found through the ``name_pair`` key only)."""
    rows = snapshot_rows(
        settings,
        """select first_name, last_name, email, phone, birth_date, postcode
from identity.identity_records where not is_anonymous and first_name is not null
  and last_name is not null order by record_id limit 40""",
    )
    names = ("first_name", "last_name", "email", "phone", "birth_date", "postcode")
    people = [dict(zip(names, row, strict=True)) for row in rows]
    typos = [p | {"first_name": p["first_name"][:-1] + "x", "email": None} for p in people[::4]]
    swapped = [
        {"first_name": p["last_name"], "last_name": p["first_name"], "postcode": p["postcode"]}
        for p in people[1::4]
    ]
    return people + typos + swapped


def _splink_probabilities(scorer, callers: list[list[dict]]) -> dict[tuple[int, str], float]:
    """Splink's own compare_records on each caller's pairs' model inputs, in one call:
    (caller index, record_id) -> probability.

    One left row per caller and one right row per (caller, candidate); compare_records scores
    every left-right pair on its own values, and only each caller's own pairs are kept.
    """
    import duckdb
    import pyarrow as pa
    from splink import DuckDBAPI
    from splink.internals.realtime import compare_records

    from identity._model import RETAINED_COLUMNS

    types = {"birth_date": pa.date32(), "email_user_is_name": pa.bool_()}
    types |= {"email_user_names_holder": pa.bool_()}
    types |= dict.fromkeys(RETAINED_COLUMNS, pa.int64()) | {
        f"tf_{c}": pa.float64() for c in scorer.tf
    }
    first_new, first_candidate = callers[0][0]["pair"]
    columns = [c for c in first_new if c in first_candidate]
    schema = pa.schema([(c, types.get(c, pa.string())) for c in ["record_id", *columns]])
    left = [{**rows[0]["pair"][0], "record_id": f"{i}"} for i, rows in enumerate(callers)]
    right = [
        {**row["pair"][1], "record_id": f"{i}|{row['pair'][1]['record_id']}"}
        for i, rows in enumerate(callers)
        for row in rows
    ]
    con = duckdb.connect()
    try:
        con.register("left_in", pa.Table.from_pylist(left, schema))
        con.register("right_in", pa.Table.from_pylist(right, schema))
        predictions = compare_records(
            "left_in", "right_in", scorer.model, DuckDBAPI(connection=con)
        )
        found = con.execute(
            f"select record_id_l, record_id_r, match_probability from {predictions.physical_name} "
            "where split_part(record_id_r, '|', 1) = record_id_l"
        ).fetchall()
    finally:
        con.close()
    return {(int(left_id), right_id.split("|", 1)[1]): p for left_id, right_id, p in found}


def test_fast_scoring_gives_splinks_probability_on_every_candidate_pair(
    scorer_and_con, api_settings
):
    scorer, con = scorer_and_con
    callers = [rows for person in _people(api_settings) if (rows := scorer.rows(con, person))]
    expected = _splink_probabilities(scorer, callers)
    compared, reached = 0, set()
    for i, rows in enumerate(callers):
        for row in rows:
            assert row["match_probability"] == pytest.approx(
                expected[(i, row["record_id"])], abs=1e-6
            ), (rows[0]["pair"][0], row["record_id"])
            compared += 1
            reached |= {(name, level.label) for name, level in row["levels"].items()}
    assert compared >= 40  # candidates of ~50 callers: many pairs, most levels reached
    swapped = "first and last names swapped"
    assert {("first_name", swapped), ("last_name", swapped)} <= reached


def test_callers_derived_columns_are_the_pipelines(scorer_and_con, api_settings):
    """The caller's derived columns (name_pair, name_stems, address_compact, the e-mail
    username's tests) equal what ``_model``'s SQL gives the same record, with an e-mail or
    without, with one name or two."""
    from identity._model import DERIVED_COLUMNS
    from identity._realtime import with_derived

    scorer, con = scorer_and_con
    people = _people(api_settings)
    assert any(p.get("email") for p in people) and any(not p.get("email") for p in people)
    read = ("first_name", "last_name", "email", "postcode", "address_line")
    given = "(select " + ", ".join(f"${c}::varchar as {c}" for c in read) + ")"
    sql = f"select {', '.join(DERIVED_COLUMNS)} from ({with_derived(given)})"
    # one name only: no name-derived key (a pair of one name twice would block every
    # one-name "martin" with every other)
    one_name = [{"last_name": "Martin"}, {"first_name": "Léa", "email": "lea@free.fr"}]
    # the address line without its spaces, the name stems with the postcode's area
    placed = [
        {
            "first_name": "léa",
            "last_name": "martin",
            "postcode": "75011",
            "address_line": "12 rue de la paix",
        },
        {"first_name": "jo", "last_name": "li", "postcode": "7", "address_line": " - "},
    ]
    for person in people + one_name + placed:
        new = scorer.incoming(con, person)
        names = {c: new[c] for c in read}
        expected = dict(zip(DERIVED_COLUMNS, con.execute(sql, names).fetchone(), strict=True))
        assert {c: new[c] for c in DERIVED_COLUMNS} == expected, person


def _nameless_caller(api_settings) -> tuple[dict, str]:
    """A caller giving only the e-mail of a named record whose username names someone else
    (``fredericpire@`` on Claude Lelievre's card), and that record's id."""
    from identity._realtime import with_derived

    email, record_id = snapshot_rows(
        api_settings,
        f"""select email, record_id from ({with_derived("identity.identity_records")})
where not is_anonymous and last_name is not null and email is not null
  and not email_user_names_holder and email not in (
    select identifier_value from identity.blocked_identifiers where identifier_type = 'email')
order by record_id limit 1""",
    )[0]
    return {"email": email}, record_id


def test_nameless_caller_on_someone_elses_email_is_refused(scorer_and_con, api_settings):
    scorer, con = scorer_and_con
    caller, record_id = _nameless_caller(api_settings)
    row = next(r for r in scorer.rows(con, caller) if r["record_id"] == record_id)
    assert row["levels"]["email"].label == "same email"
    assert row["pair"][0]["email_user_names_holder"] is False
    assert scorer.conflict(con, row) == "nameless_on_someone_elses_email"
    # the caller naming the holder is no longer nameless: the e-mail is theirs to give
    named = caller | dict(
        zip(
            ("first_name", "last_name"),
            snapshot_rows(
                api_settings,
                "select first_name, last_name from identity.identity_records where record_id = ?",
                [record_id],
            )[0],
            strict=True,
        )
    )
    row = next(r for r in scorer.rows(con, named) if r["record_id"] == record_id)
    assert scorer.conflict(con, row) != "nameless_on_someone_elses_email"


def test_model_saved_before_a_conflict_column_reads_it_as_no_evidence_against(api_settings):
    """As batch scoring does (``_links.accept_predictions``): the conflict does not refuse."""
    import json

    from core.snapshot import open_snapshot
    from identity._realtime import RealtimeScorer

    path = api_settings.model_dir / "identity_model.json"
    model = json.loads(path.read_text())
    model["additional_columns_to_retain"].remove("email_user_names_holder")
    path.write_text(json.dumps(model))
    caller, record_id = _nameless_caller(api_settings)
    con = open_snapshot(api_settings)
    try:
        scorer = RealtimeScorer(api_settings, con)
        row = next(r for r in scorer.rows(con, caller) if r["record_id"] == record_id)
        assert row["levels"]["email"].label == "same email"
        assert scorer.conflict(con, row) is None
    finally:
        con.close()


def test_string_functions_give_duckdbs_values(api_settings):
    import duckdb

    from identity._realtime_weights import damerau_levenshtein, jaro_winkler, levenshtein

    names = [
        r[0]
        for r in snapshot_rows(
            api_settings,
            "select distinct first_name from identity.identity_records "
            "where first_name is not null order by 1 limit 40",
        )
    ] + ["", "a", "martha", "marhta", "dwayne", "duane", "crate", "trace"]
    pairs = [(a, b) for a in names for b in names][::3]
    con = duckdb.connect()
    expected = [
        con.execute(
            "select jaro_winkler_similarity(?, ?), levenshtein(?, ?), damerau_levenshtein(?, ?)",
            [a, b, a, b, a, b],
        ).fetchone()
        for a, b in pairs
    ]
    for (a, b), (jw, lev, dl) in zip(pairs, expected, strict=True):
        assert jaro_winkler(a, b) == pytest.approx(jw, abs=1e-12), (a, b)
        assert levenshtein(a, b) == lev, (a, b)
        assert min(damerau_levenshtein(a, b), 2) == min(dl, 2), (a, b)  # levels ask <= 1


def test_canonical_email_in_python_is_the_pipelines_sql_rule(api_settings):
    import duckdb
    import pyarrow as pa

    from core.identifiers import EMAIL_CANONICAL_EXAMPLES, email_canonical
    from core.warehouse import connect_read_only
    from identity._realtime_input import cached_config, standardise_sql

    config = cached_config(api_settings.identity_config_path)
    raw = {text for text, _ in EMAIL_CANONICAL_EXAMPLES} | {
        " A.B@GMAIL.COM",
        "a\tb@x.fr",
        "a@b@c.fr",
        "x+y+z@gmial.com",
        "@x.fr",
        "a@b.c",
    }
    # every e-mail the sample's sources carry, as typed (their raw tables: in the warehouse,
    # which the readers' snapshot leaves them out of)
    with connect_read_only(api_settings) as warehouse:
        for table, column in (
            ("raw.email__subscribers", "email"),
            ("raw.callcenter__tickets", "caller_email"),
            ("raw.web__accounts", "email"),
            ("raw.pos__receipt_lines", "customer_email"),
        ):
            raw |= {
                r[0]
                for r in warehouse.execute(
                    f"select distinct {column} from {table} where {column} is not null"
                ).fetchall()
            }
    assert len(raw) > 50
    con = duckdb.connect()
    con.register("typed", pa.table({"x": sorted(raw)}))
    sql = standardise_sql("email", "x", config)
    for text, expected in con.execute(f"select x, {sql} from typed").fetchall():
        if text.isascii():  # the API sends other text to the SQL rule
            assert email_canonical(text, config.standardisation) == expected, text


def test_each_configured_blocking_rule_reads_a_sorted_serving_copy(api_settings, tmp_path):
    """/v1/identify looks candidates up rule by rule in ``records_by_<first column>``: the
    serving copy sorts the records by the leads of the rules configured, a retailer's own
    included; a lead the real-time path does not derive is read unsorted."""
    import yaml

    from api.serving import CATALOG, blocking_leads, build, records_by
    from api.snapshots import _open
    from core.snapshot import snapshot_path

    shipped = blocking_leads(api_settings)
    config = yaml.safe_load(api_settings.identity_config_path.read_text(encoding="utf-8"))
    config["blocking"] = [["address_compact", "city"], ["loyalty_tier"], ["email"]]
    own = tmp_path / "identity.yml"
    own.write_text(yaml.safe_dump(config), encoding="utf-8")
    retailer = api_settings.model_copy(update={"identity_config_path": own})
    assert blocking_leads(retailer) == ["address_compact", "email", "loyalty_tier"]

    for settings, leads in ((api_settings, shipped), (retailer, blocking_leads(retailer))):
        con = _open(snapshot_path(settings))
        try:
            build(con, leads=leads)
            lookup = records_by(con)
            derived = [lead for lead in leads if lead != "loyalty_tier"]
            assert derived and all(lookup(c) == f"{CATALOG}.main.records_by_{c}" for c in derived)
            for column in derived:  # sorted, so a lookup reads one row group
                rows = con.execute(f"select {column} from {lookup(column)}").fetchall()
                values = [v for (v,) in rows]
                assert values == sorted(values) and values
        finally:
            con.close()
    assert lookup("loyalty_tier").startswith("(")
