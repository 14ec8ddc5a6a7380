"""Erasure keys: every spelling of a phone gives one key, on any column, even all-NULL ones."""

from __future__ import annotations

import duckdb

from core.identifiers import email_typed_sql, phone_key_sql


def test_french_phone_spellings_share_one_key():
    con = duckdb.connect()
    spellings = ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "06.12.34.56.78"]

    key = f"select {phone_key_sql('p')} from (select ?::varchar as p)"

    keys = {con.execute(key, [s]).fetchone()[0] for s in spellings}

    assert keys == {"612345678"}
    assert con.execute(key, ["12 34"]).fetchone()[0] is None


def test_email_key_is_trimmed_lower_case():
    con = duckdb.connect()

    key = con.execute(f"select {email_typed_sql('?::varchar')}", ["  Jean.Dupont@Mail.FR "])

    assert key.fetchone()[0] == "jean.dupont@mail.fr"


def test_keys_bind_on_a_stored_all_null_column(tmp_path):
    path = str(tmp_path / "w.duckdb")
    with duckdb.connect(path) as con:
        con.execute("create table t as select null::varchar as phone from range(3); checkpoint")
    with duckdb.connect(path, read_only=True) as con:
        matches = con.execute(
            f"select count(*) from t where {phone_key_sql('phone')} = '612345678' "
            f"or {email_typed_sql('phone')} = 'a@b.fr'"
        ).fetchone()[0]

    assert matches == 0
