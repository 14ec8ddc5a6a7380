"""The unchanged records an incremental run gives Splink beside its new ones: those sharing
a blocking key with a new record, found with the rules grouped by a column they share."""

from __future__ import annotations

from types import SimpleNamespace

import duckdb

# Three groups (birth date: three rules; then postcode: two, compact address: two, the city's
# second rule having gone with the birth date's) and two rules alone, as the shipped
# configuration's shape.
_BLOCKING = [
    ["email"],
    ["phone"],
    ["first_name", "birth_date"],
    ["last_name", "birth_date"],
    ["city", "birth_date"],
    ["name_low", "postcode"],
    ["name_high", "postcode"],
    ["city", "address_compact"],
    ["name_pair", "address_compact"],
]
_COLUMNS = (
    "record_id, first_name, last_name, email, phone, birth_date, postcode, city, address_line"
)
_RECORDS = [
    # the new record
    ("n1", "jean", "dupont", "j@x.fr", None, "1980-01-01", "75001", "paris", "1 rue a"),
    # met by [first_name, birth_date] (birth date group)
    ("e1", "jean", "martin", None, None, "1980-01-01", "13001", "marseille", "9 rue z"),
    # met by [name_low, postcode] (postcode group): the names swapped, "dupont" < "jean"
    ("e2", "dupont", "jean", None, None, "1990-05-05", "75001", "paris", "5 rue b"),
    # met by [city, address_compact] (address group): "1, rue a" is "1ruea" compacted
    ("e3", "paul", "durand", None, None, None, "75002", "paris", "1, rue a"),
    # met by [email] alone
    ("e4", "anne", "petit", "j@x.fr", None, None, None, None, None),
    # the new record's postcode, birth date or compact address only: no rule's whole key
    # (e5's names are neither "dupont" nor "jean" in either order, e6 lives in lyon, e7 in
    # bordeaux under other names)
    ("e5", "luc", "moreau", None, None, "1970-02-02", "75001", "lyon", "8 rue c"),
    ("e6", "zoe", "roux", None, None, "1980-01-01", "69001", "lyon", "7 rue d"),
    ("e7", "eva", "blanc", None, None, None, "33000", "bordeaux", "1 rue a"),
]


def test_candidates_are_every_record_sharing_a_rules_key_with_a_new_one():
    """Expected: n1 (new) and e1-e4, one met through each group and one through a rule
    alone; e5-e7 share one column of a rule with n1, never a whole key. The same ids as one
    join per rule over every record (what the grouping must not change)."""
    from identity import _model, _scoring
    from identity._tables import RECORDS, RESCORED

    con = duckdb.connect()
    con.execute(
        f"create temp table {RECORDS} as select * from (values "
        + ", ".join(
            "(" + ", ".join("null" if v is None else f"'{v}'" for v in row) + ")"
            for row in _RECORDS
        )
        + f") r({_COLUMNS})"
    )
    con.execute(f"alter table {RECORDS} alter birth_date type date")
    keys = sorted({c for cols in _BLOCKING for c in cols})
    shaped = ", ".join(f"{_model.DERIVED_COLUMNS.get(c, c)} as {c}" for c in keys)
    con.execute(
        "create temp table _identity_new_model_records as "
        f"select record_id, {shaped} from {RECORDS} where record_id = 'n1'"
    )
    con.execute(f"create temp table {RESCORED} as select 'n1' as record_id")
    config = SimpleNamespace(blocking=_BLOCKING)

    found = {r[0] for r in con.execute(_scoring._candidates_sql(config)).fetchall()}  # type: ignore[arg-type]

    per_rule = " union ".join(
        f"select e.record_id from (select record_id, {shaped} from {RECORDS}) e "
        "join _identity_new_model_records n on " + " and ".join(f"n.{c} = e.{c}" for c in cols)
        for cols in _BLOCKING
    )
    joined = {r[0] for r in con.execute(per_rule).fetchall()}
    assert found == {"n1", "e1", "e2", "e3", "e4"}
    assert found == joined
    groups, alone = _scoring._rules_by_shared_column(_BLOCKING)
    assert [column for column, _ in groups] == ["birth_date", "postcode", "address_compact"]
    assert alone == [["email"], ["phone"]]
