"""The SQL generator of the scale bench gives the Python generator's shape, in its own draws."""

from __future__ import annotations

import duckdb
import pytest

from bench.identity_synthetic import FIRST, generate, write_raw
from bench.identity_synthetic_sql import write_people
from bench.scale_bench import RECORDS_PER_PERSON

PEOPLE = 4000
# identity records: a web account, each cookie, a loyalty card, a subscriber, each ticket
RECORDS = """select
    (select count(*) from raw.web__accounts)
    + (select count(distinct user_pseudo_id) from raw.web__events)
    + (select count(distinct loyalty_card_id) from raw.pos__receipt_lines)
    + (select count(*) from raw.email__subscribers)
    + (select count(*) from raw.callcenter__tickets)"""
SHAPE = """select
    (select count(*) from raw.web__accounts) as accounts,
    (select count(*) from raw.web__events) as events,
    (select count(*) from raw.pos__receipt_lines) as receipt_lines,
    (select count(*) from raw.email__subscribers) as subscribers,
    (select count(*) from raw.callcenter__tickets) as tickets,
    (select count(*) filter (where email is null) from raw.web__accounts) as missing_emails,
    (select count(*) filter (where phone is null) from raw.web__accounts) as missing_phones,
    (select count(*) from raw.web__accounts where lower(first_name) not in
        (select unnest($first))) as mistyped_first_names,
    (select count(*) - count(distinct lower(email)) from raw.web__accounts) as shared_emails,
    (select count(distinct postcode) from raw.web__accounts) as postcodes"""


def _shape(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    from core.warehouse import rows

    return rows(con, SHAPE, {"first": FIRST})[0]


@pytest.fixture(scope="module")
def fast() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    written = write_people(con, PEOPLE, seed=3, postcodes=500, batch_id="bench-1")
    stored = con.execute("select count(*) from raw.web__accounts").fetchone()
    assert stored == (written["accounts"],)
    return con


def test_sql_generator_gives_the_python_generators_shape(fast):
    python = duckdb.connect()
    write_raw(python, generate(PEOPLE, seed=3, postcodes=500), batch_id="bench-1")
    expected, got = _shape(python), _shape(fast)
    # Each count is a sum of independent draws (4,000 people: accounts ~2,200 +- 31, missing
    # e-mails ~180 +- 13, mistyped first names ~110 +- 10, household e-mails ~50 +- 7):
    # 25% (and 20 rows) covers both generators' noise many times over.
    for name, value in expected.items():
        assert abs(got[name] - value) <= max(20, 0.25 * value), (name, got[name], value)


def test_sql_generator_gives_the_scale_benchs_records_per_person(fast):
    records = fast.execute(RECORDS).fetchone()[0]
    assert records / PEOPLE == pytest.approx(RECORDS_PER_PERSON, rel=0.05)
    # every row carries the batch's lineage, and no key repeats
    assert fast.execute(
        "select count(*) from raw.web__accounts where _batch_id is distinct from 'bench-1'"
    ).fetchone() == (0,)
    assert fast.execute(
        "select count(*) = count(distinct account_id) from raw.web__accounts"
    ).fetchone() == (True,)


def test_sql_generator_repeats_itself_and_numbers_later_people_after_the_first():
    def accounts(offset: int) -> list[tuple]:
        con = duckdb.connect()
        write_people(con, 200, seed=5, offset=offset)
        return con.execute("select * from raw.web__accounts order by account_id").fetchall()

    first = accounts(0)
    assert first == accounts(0)
    later = accounts(200)
    assert {row[0] for row in first}.isdisjoint(row[0] for row in later)
