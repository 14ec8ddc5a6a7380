"""`forget` leaves no trace of the person anywhere; `access` hands over every source identity."""

from __future__ import annotations

import json
import re

import pytest
from profiles_warehouse import ZEBULON

from activation.audiences import export_audiences
from activation.export import export_golden_records
from core.erasure import salt_generation
from core.identifiers import email_typed_sql, hash_sql, phone_key_sql
from core.warehouse import connect
from privacy.access import access
from privacy.erase import forget
from privacy.person import PersonNotFoundError

# what must not survive anywhere: e-mail, phone in E.164 and in the national form, last name
TRACES = [ZEBULON["email"], ZEBULON["phone"], "612345678", ZEBULON["last_name"].lower()]


def _traces_in_tables(settings) -> list[str]:
    """Every varchar column of every table and view, all schemas, searched for the traces."""
    found = []
    with connect(settings) as con:
        columns = con.execute("""select table_schema, table_name, column_name
            from information_schema.columns
            where data_type = 'VARCHAR' and table_catalog = current_database()""").fetchall()
        for schema, table, column in columns:
            text = f'lower("{column}")'
            digits = f"regexp_replace(\"{column}\", '[^0-9]', '', 'g')"
            for trace in TRACES:
                target = digits if trace.isdigit() else text
                hits = con.execute(
                    f'select count(*) from "{schema}"."{table}" where contains({target}, ?)',
                    [trace.lower()],
                ).fetchone()[0]
                if hits:
                    found.append(f"{schema}.{table}.{column}: {trace}")
    return found


def _traces_in_files(root) -> list[str]:
    """Every file under export_dir and reports_dir, Parquet decoded, searched for the traces."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            import pandas as pd

            text = pd.read_parquet(path).astype(str).to_csv().lower()
        else:
            text = path.read_text(encoding="utf-8", errors="replace").lower()
        digits = re.sub(r"\D", "", text)
        for trace in TRACES:
            if (trace in digits) if trace.isdigit() else (trace.lower() in text):
                found.append(f"{path.relative_to(root)}: {trace}")
    return found


@pytest.fixture
def exported(warehouse):
    """The warehouse after a full export, an audience export and an access request."""
    export_golden_records(warehouse, mode="full", formats=["parquet", "csv", "jsonl"])
    export_audiences(warehouse)
    access(warehouse, ZEBULON["email"])
    assert _traces_in_files(warehouse.data_dir)  # the scan does see him before
    assert _traces_in_tables(warehouse)
    return warehouse


def test_forget_leaves_no_trace_in_any_table_or_export_file(exported):
    report = forget(exported, "06 12 34 56 78")

    assert _traces_in_tables(exported) == []
    assert _traces_in_files(exported.data_dir) == []
    # not even in the bytes of the DuckDB file (deleted rows are rewritten away)
    raw_bytes = exported.duckdb_path.read_bytes().lower()
    for trace in (ZEBULON["email"], ZEBULON["phone"], "quatremare"):
        assert trace.encode() not in raw_bytes
    assert report.customers_erased == 1 and report.table_counts["ops.quarantine"] == 1
    assert report.table_counts["raw.web__events"] == 1  # his cookie's login event


def test_forget_keeps_salted_tombstones_and_a_log_without_personal_data(exported):
    report = forget(exported, ZEBULON["customer_id"])
    salt = "'" + exported.erasure_salt + "'"
    with connect(exported) as con:
        expected = con.execute(
            f"select {hash_sql(email_typed_sql('$1'), salt)}, "
            f"{hash_sql(phone_key_sql('$2'), salt)}, {hash_sql('$3', salt)}",
            [ZEBULON["email"], ZEBULON["raw_phone"], "A001"],
        ).fetchone()
        tombstones = con.execute(
            "select identifier_kind, identifier_hash, request_id, salt_generation "
            "from ops.erasure_tombstones order by 1"
        ).fetchall()
        logged = con.execute("select * from ops.erasure_requests").fetchall()

    generation = salt_generation(exported.erasure_salt)
    # every identifier of his: e-mail, phone, card, account, subscriber key, ticket, cookie
    assert ("email", expected[0], report.request_id, generation) in tombstones
    assert ("phone", expected[1], report.request_id, generation) in tombstones
    assert ("web_account", expected[2], report.request_id, generation) in tombstones
    assert {t[0] for t in tombstones} == {
        "email",
        "phone",
        "loyalty_card",
        "web_account",
        "email_subscriber",
        "callcenter_caller",
        "web_cookie",
    }
    assert len(logged) == 1 and logged[0][0] == report.request_id
    assert "zebulon" not in json.dumps(logged, default=str).lower()


def test_next_incremental_export_carries_the_erasure_as_a_delete(exported):
    forget(exported, ZEBULON["email"])
    result = export_golden_records(exported, mode="incremental", formats=["jsonl"])
    rows = [json.loads(line) for line in (result.folder / "golden_records.jsonl").open()]

    assert [(r["customer_id"], r["operation"]) for r in rows] == [("cust-0001", "delete")]
    assert rows[0]["merged_into_customer_id"] is None and rows[0]["email"] is None


def test_forget_leaves_other_customers_alone(exported):
    forget(exported, ZEBULON["email"])
    with connect(exported) as con:
        remaining = con.execute(
            "select customer_id from marts.golden_records order by 1"
        ).fetchall()
        raw_pos = con.execute("select count(*) from raw.pos__receipt_lines").fetchone()[0]

    assert [r[0] for r in remaining] == [
        "cust-0002",
        "cust-0003",
        "cust-0004",
        "cust-0005",
        "cust-0006",
    ]
    assert raw_pos == 3  # Léa's two lines and the anonymous receipt stay


def test_access_holds_every_source_identity_of_the_person(warehouse):
    out = access(warehouse, ZEBULON["raw_phone"], warehouse.reports_dir / "zebulon.json")
    document = json.loads(out.read_text())
    with connect(warehouse) as con:
        expected = {
            r[0]
            for r in con.execute(
                "select record_id from identity.customer_records where customer_id = ?",
                [ZEBULON["customer_id"]],
            ).fetchall()
        }

    assert {r["record_id"] for r in document["source_identities"]} == expected
    assert expected == set(ZEBULON["record_ids"])
    assert document["golden_record"][0]["email"] == ZEBULON["email"]
    assert len(document["timeline"]) == 2 and document["profile"][0]["customer_id"] == "cust-0001"
    assert {c["channel"] for c in document["consents"]["in_force"]} == {"email", "sms"}
    assert set(document["raw"]) == {
        "raw.pos__receipt_lines",
        "raw.web__accounts",
        "raw.web__events",
        "raw.email__subscribers",
        "raw.email__activity",
        "raw.callcenter__tickets",
    }
    assert len(document["quarantine"]) == 1


def test_unknown_identifier_is_refused_with_a_clear_message(warehouse):
    with pytest.raises(PersonNotFoundError, match="neither an e-mail"):
        forget(warehouse, "nobody")
