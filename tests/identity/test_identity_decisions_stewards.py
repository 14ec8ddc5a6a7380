"""Stewards' decisions on a real DuckDB warehouse: cannot-link and must-link win over the
model through full re-resolution and retraining; the review CSV round trip."""

from __future__ import annotations

import csv
import shutil
from datetime import date

import pytest
from identity_rows import DOB_A, DOB_B, account, add_rows, card, customer_of, query, subscriber
from typer.testing import CliRunner

import identity
from cdp.cli import app
from core.warehouse import connect
from identity._decisions import DecisionError, record_decision, revoke
from identity._review import import_decisions


def run_cli(settings, monkeypatch, *args: str):
    """`cdp ...` as a user runs it, on the test's warehouse."""
    monkeypatch.setenv("CDP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CDP_SOURCES_DIR", str(settings.sources_dir))
    monkeypatch.setenv("COLUMNS", "200")  # rich tables unfolded, as on a wide terminal
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def tiny(id_settings, trained_model):
    """A handful of hand-made people and the session's trained model: fast runs."""
    from bench.identity_synthetic import write_raw

    with connect(id_settings) as con:
        write_raw(con, {})
    for path in (trained_model, trained_model.with_suffix(".meta.json")):
        shutil.copy(path, id_settings.model_dir / path.name)
    add_rows(
        id_settings,
        accounts=[
            account(f"T{i}", first, last, email=f"{first}.{last}@free.fr".lower(), birth=birth)
            for i, (first, last, birth) in enumerate(
                [
                    ("Aurele", "Vandermolen", DOB_A),
                    ("Bertille", "Szczepanik", DOB_B),
                    ("Cyprien", "Oyelaran", date(1960, 5, 5)),
                    ("Domitille", "Haugland", date(1979, 8, 9)),
                    ("Evariste", "Nakashima", date(1993, 2, 1)),
                ]
            )
        ],
        subscribers=[
            subscriber(f"{name}@laposte.net", name.capitalize(), "Ketterer")
            for name in ("fulbert", "gertrude", "hilarion", "ismerie", "jocelyn")
        ],
    )
    return id_settings


def test_cannot_link_keeps_records_apart_through_full_rerun_and_retrain(warehouse):
    email = "capucine.w2@laposte.net"  # the married-name case: the model merges these two
    add_rows(
        warehouse,
        accounts=[account("DC1", "Capucine", "Wojtalik", email=email, birth=DOB_A)],
        receipts=[card("CDC2", "Capucine", "BELLAMY-WOJTALIK", email=email, birth=DOB_A)],
    )
    identity.resolve(warehouse)
    left, right = "web_account:DC1", "loyalty_card:CDC2"
    assert customer_of(warehouse, left) == customer_of(warehouse, right)
    with connect(warehouse) as con:
        decision = record_decision(con, "cannot-link", left, right, "steward", "two sisters")
    incremental = identity.resolve(warehouse)
    assert incremental["mode"] == "incremental"
    assert customer_of(warehouse, left) != customer_of(warehouse, right)
    identity.resolve(warehouse, full=True)
    assert customer_of(warehouse, left) != customer_of(warehouse, right)
    identity.train(warehouse)
    assert identity.resolve(warehouse)["mode"] == "full"
    assert customer_of(warehouse, left) != customer_of(warehouse, right)
    # The cut link is not stored; revoking the decision lets the model join them again.
    with connect(warehouse) as con:
        revoke(con, decision["decision_id"], "steward", "same person after all")
    identity.resolve(warehouse)
    assert customer_of(warehouse, left) == customer_of(warehouse, right)


def test_must_link_joins_customers_and_survives_full_rerun(tiny):
    identity.resolve(tiny)
    first = customer_of(tiny, "web_account:T0")
    second = customer_of(tiny, "web_account:T1")
    assert first != second
    with connect(tiny) as con:
        record_decision(con, "must-link", first, second, "steward", "same person, new name")
        with pytest.raises(DecisionError, match="contradicts active decision"):
            record_decision(con, "cannot-link", "web_account:T0", "web_account:T1", "x", "y")
    identity.resolve(tiny, approve_churn=True)  # 1 record in 10 changes id: above the gate
    joined = customer_of(tiny, "web_account:T1")
    assert joined == customer_of(tiny, "web_account:T0") == first  # the older id survives
    identity.resolve(tiny, full=True)
    assert customer_of(tiny, "web_account:T1") == customer_of(tiny, "web_account:T0")
    assert query(tiny, "select link_type from identity.links where link_type = 'decision'") == [
        ("decision",)
    ]


def _write(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_decisions_from_csv_all_or_nothing_with_line_errors(tiny, tmp_path, monkeypatch):
    identity.resolve(tiny)
    bad = tmp_path / "bad.csv"
    _write(
        bad,
        [
            {"decision": "must-link", "a": "web_account:T2", "b": "web_account:T3", "reason": "ok"},
            {"decision": "", "a": "whatever", "b": "skipped", "reason": ""},
            {
                "decision": "maybe-link",
                "a": "web_account:T2",
                "b": "web_account:T4",
                "reason": "ok",
            },
            {
                "decision": "cannot-link",
                "a": "web_account:T9",
                "b": "web_account:T4",
                "reason": "ok",
            },
            {"decision": "cannot-link", "a": "web_account:T4", "b": "web_account:T3", "reason": ""},
        ],
    )
    result = run_cli(tiny, monkeypatch, "identity", "decide", "--file", str(bad), "--by", "ann")
    assert result.exit_code == 2
    assert "bad.csv:4:" in result.output and "maybe-link" in result.output
    assert "bad.csv:5:" in result.output and "web_account:T9" in result.output
    assert "bad.csv:6:" in result.output and "--reason" in result.output
    assert "bad.csv:2:" not in result.output  # valid: --by is given for the whole file
    assert query(tiny, "select count(*) from identity.decisions") == [(0,)]

    good = tmp_path / "good.csv"
    _write(
        good,
        [
            {"decision": "must-link", "record_id_l": "web_account:T2",
             "record_id_r": "web_account:T3", "decided_by": "", "reason": "same household id"},
            {"decision": "skip", "record_id_l": "x", "record_id_r": "y", "decided_by": "",
             "reason": ""},
        ],
    )  # fmt: skip
    result = run_cli(tiny, monkeypatch, "identity", "decide", "--file", str(good), "--by", "ann")
    assert result.exit_code == 0, result.output
    assert query(tiny, "select decision, decided_by, reason, origin from identity.decisions") == [
        ("must_link", "ann", "same household id", "file:good.csv:2")
    ]
    identity.resolve(tiny, approve_churn=True)
    assert customer_of(tiny, "web_account:T2") == customer_of(tiny, "web_account:T3")
    listed = run_cli(tiny, monkeypatch, "identity", "decide", "list")
    assert "must_link" in listed.output and "ann" in listed.output


def test_review_queue_export_round_trip(warehouse, tmp_path, monkeypatch):
    identity.resolve(warehouse)
    low, high = query(
        warehouse,
        "select min(match_probability), max(match_probability) from identity.review_pairs",
    )[0]
    assert 0.8 <= low <= high <= 0.99
    out = tmp_path / "queue.csv"
    result = run_cli(warehouse, monkeypatch, "identity", "review", "export", "--out", str(out))
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {"decision", "record_id_l", "l_first_name", "r_email", "evidence"} <= set(
        rows[0]
    )
    assert "top comparisons" in rows[0]["evidence"]
    rows[0].update(decision="cannot-link", decided_by="ann", reason="checked by phone")
    _write(out, rows)
    with connect(warehouse) as con:
        (done,) = import_decisions(con, out)
    assert done["decision"] == "cannot_link"
    with connect(warehouse) as con:
        again = {(r["record_id_l"], r["record_id_r"]) for r in _queue(con)}
    assert (rows[0]["record_id_l"], rows[0]["record_id_r"]) not in again


def _queue(con):
    from identity._review import queue_rows

    return queue_rows(con)
