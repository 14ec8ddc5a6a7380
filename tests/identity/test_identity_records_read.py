"""How records are read from a raw table (``identity._records``): a source whose keys have one
row each is read as it stands, a source with several rows per key is grouped per key (the
most recent non-null value of each attribute); both readings give the same records."""

from __future__ import annotations

from datetime import datetime

import duckdb

from identity._records import _one_row_per_key, _raw_extract_sql, _strong_ids_sql
from ingestion.identities import IdentityMapping


def _accounts(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(
        "create table raw.web__accounts (account_id varchar, first_name varchar, "
        "email varchar, updated_at timestamp)"
    )
    con.executemany("insert into raw.web__accounts values (?, ?, ?, ?)", rows)
    return con


_MAPPING = IdentityMapping(
    identity_type="web_account",
    entity="accounts",
    source="web",
    source_key="account_id",
    attributes={"first_name": "first_name", "email": "email"},
    last_seen_at="updated_at",
    strong_identifiers={"web_account": "account_id"},
)


def _read(con: duckdb.DuckDBPyConnection, one_row: bool) -> list[tuple]:
    records = con.execute(
        f"select * from ({_raw_extract_sql(_MAPPING, None, one_row)}) order by source_key"
    ).fetchall()
    identifiers = con.execute(
        f"select * from ({_strong_ids_sql(_MAPPING, None, one_row)[0]}) order by record_id"
    ).fetchall()
    return records + identifiers


def test_a_source_with_one_row_per_key_is_read_as_its_grouping_would_read_it():
    # three rows, three keys (one row without an e-mail) and a row without a key: no key
    # has two rows, so each row is its record, and the row without a key is none
    con = _accounts(
        [
            ("A1", "Lea", "lea@example.org", datetime(2025, 1, 2)),
            ("A2", "Marc", None, datetime(2025, 1, 3)),
            ("A3", None, "x@example.org", None),
            (None, "Nina", "nina@example.org", datetime(2025, 1, 4)),
        ]
    )

    assert _one_row_per_key(con, _MAPPING)
    read = _read(con, one_row=True)
    assert read == _read(con, one_row=False)
    assert [r[2] for r in read[:3]] == ["A1", "A2", "A3"]  # source keys, one record each
    assert read[3:] == [
        ("web_account:A1", "web_account", "A1"),
        ("web_account:A2", "web_account", "A2"),
        ("web_account:A3", "web_account", "A3"),
    ]


def test_a_source_with_two_rows_for_a_key_is_grouped_to_its_latest_values():
    # A1 seen twice: its latest row has no e-mail, so the e-mail is the earlier row's;
    # first and last seen span both rows
    con = _accounts(
        [
            ("A1", "Lea", "lea@example.org", datetime(2025, 1, 2)),
            ("A1", "Léa", None, datetime(2025, 3, 1)),
            ("A2", "Marc", None, datetime(2025, 1, 3)),
        ]
    )

    assert not _one_row_per_key(con, _MAPPING)
    first = con.execute(
        "select source_key, raw_first_name, raw_email, first_seen_at, last_seen_at "
        f"from ({_raw_extract_sql(_MAPPING)}) where source_key = 'A1'"
    ).fetchall()
    assert first == [("A1", "Léa", "lea@example.org", datetime(2025, 1, 2), datetime(2025, 3, 1))]
