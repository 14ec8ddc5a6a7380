"""Tables of rows with no key (each record's identifiers, the guards' results) are written by
their difference with the stored rows (``_persist_full.replace_rows``): the rows still there
stay where they are, the others are deleted or inserted, and the table ends up holding
exactly the new rows."""

from __future__ import annotations

import duckdb
import pytest

from identity._persist_full import replace_rows

_COLUMNS = "record_id varchar, identifier_type varchar, identifier_value varchar"


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema identity")
    con.execute(f"create table identity.ids ({_COLUMNS})")
    yield con
    con.close()


def _fill(con, table: str, rows: list[tuple]) -> None:
    con.executemany(f"insert into {table} values (?, ?, ?)", rows)


def _rows(con, table: str) -> list[tuple]:
    return sorted(con.execute(f"select * from {table}").fetchall(), key=str)


def test_rows_written_by_difference_leave_the_new_rows_and_keep_the_others_in_place(con):
    # stored: a card, an e-mail, a phone with no value; new: the card, a changed e-mail, the
    # phone with no value (NULLs never pair: deleted and inserted again) and a new card
    _fill(
        con,
        "identity.ids",
        [("a", "card", "C1"), ("a", "email", "x@old.fr"), ("b", "phone", None)],
    )
    con.execute(f"create temp table new_ids ({_COLUMNS})")
    new = [
        ("a", "card", "C1"),
        ("a", "email", "x@new.fr"),
        ("b", "phone", None),
        ("c", "card", "C9"),
    ]
    _fill(con, "new_ids", new)
    card_row = con.execute(
        "select rowid from identity.ids where identifier_value = 'C1'"
    ).fetchone()

    assert replace_rows(con, "identity.ids", "new_ids")

    assert _rows(con, "identity.ids") == sorted(new, key=str)
    # the unchanged row was neither deleted nor inserted again
    assert (
        con.execute("select rowid from identity.ids where identifier_value = 'C1'").fetchone()
        == card_row
    )


def test_a_row_held_twice_on_both_sides_is_left_to_a_whole_rewrite(con):
    # stored twice, new twice and once more: the join pairs each copy with each (2 x 2 pairs
    # for 2 + 2 rows), which says nothing of how many copies to keep
    _fill(con, "identity.ids", [("a", "email", "x@fr")] * 2)
    con.execute(f"create temp table new_ids ({_COLUMNS})")
    _fill(con, "new_ids", [("a", "email", "x@fr")] * 3)

    assert not replace_rows(con, "identity.ids", "new_ids")
    assert _rows(con, "identity.ids") == [("a", "email", "x@fr")] * 2  # untouched


def test_a_stored_table_of_other_columns_or_missing_is_left_to_a_whole_rewrite(con):
    con.execute("create temp table new_ids (record_id varchar, identifier_value varchar)")
    con.execute("insert into new_ids values ('a', 'C1')")

    assert not replace_rows(con, "identity.ids", "new_ids")
    assert not replace_rows(con, "identity.missing", "new_ids")
