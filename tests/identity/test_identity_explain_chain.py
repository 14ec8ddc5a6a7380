"""Cluster-level explanation on a real DuckDB warehouse: the chain of links of a
three-record customer, as a dict, as rows and in the CLI."""

from __future__ import annotations

from datetime import date, datetime

from identity_rows import account, add_rows, card, customer_of, ticket
from typer.testing import CliRunner

import identity
from cdp.cli import app
from core.warehouse import connect
from identity._decisions import record_decision
from identity._explain import explain_rows


def run_cli(settings, monkeypatch, *args: str):
    """`cdp ...` as a user runs it, on the test's warehouse."""
    monkeypatch.setenv("CDP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CDP_SOURCES_DIR", str(settings.sources_dir))
    monkeypatch.setenv("COLUMNS", "200")  # rich tables unfolded, as on a wide terminal
    return CliRunner().invoke(app, list(args))


def test_explain_shows_the_chain_of_a_three_record_customer(warehouse, monkeypatch):
    add_rows(
        warehouse,
        accounts=[
            account("X1", "Philippine", "Zawadzka", email="philippine.z@orange.fr",
                    phone="0612343434", birth=date(1985, 4, 3), at=datetime(2024, 1, 1))
        ],
        receipts=[
            card("CX1", "Philippine", "ZAWADZKA", email="philippine.z@orange.fr",
                 birth=date(1985, 4, 3), at=datetime(2025, 3, 1))
        ],
        # No attribute on the call: only its card number links it, to the card.
        tickets=[ticket("TX1", card_id="CX1", at=datetime(2025, 5, 1))],
    )  # fmt: skip
    identity.resolve(warehouse)
    customer = customer_of(warehouse, "web_account:X1")
    with connect(warehouse) as con:
        record_decision(con, "must-link", "web_account:X1", "loyalty_card:CX1", "ann", "checked")
    identity.resolve(warehouse)

    (explained,) = identity.explain(warehouse, customer)["customers"]
    chain = explained["chain"]
    assert [(s["record_id"], s["via_record_id"], s["depth"]) for s in chain] == [
        ("web_account:X1", None, 0),  # the oldest record roots the chain
        ("loyalty_card:CX1", "web_account:X1", 1),
        ("callcenter_caller:TX1", "loyalty_card:CX1", 2),
    ]
    assert chain[2]["link"]["rule"] == "same_loyalty_card"
    assert chain[2]["reason"].startswith("deterministic same_loyalty_card")
    # X1 ~ CX1 holds twice: by the model and by the steward's must-link.
    assert chain[1]["link"]["link_type"] in ("probabilistic", "decision")
    kinds = {link["link_type"] for link in explained["links"]}
    assert {"probabilistic", "deterministic", "decision"} <= kinds
    probabilistic = next(lk for lk in explained["links"] if lk["link_type"] == "probabilistic")
    assert probabilistic["top_comparisons"][0]["weight"] > 0
    assert [d["decided_by"] for d in explained["decisions"]] == ["ann"]

    rows = explain_rows(warehouse, "philippine.z@orange.fr")
    assert [(r["step"], r["record_id"], r["via_record_id"]) for r in rows] == [
        (i + 1, s["record_id"], s["via_record_id"]) for i, s in enumerate(chain)
    ]
    result = run_cli(warehouse, monkeypatch, "identity", "explain", customer)
    assert result.exit_code == 0, result.output
    for text in ("callcenter_caller:TX1", "same_loyalty_card", "decision", "ann: checked"):
        assert text in result.output


def test_explain_lists_what_weighed_against_a_link(warehouse, monkeypatch):
    # one woman whose phone changed between her account and her card: the link holds on
    # e-mail, names and birth date, and the different phone is shown weighing against it
    add_rows(
        warehouse,
        accounts=[
            account("AG1", "Wilhelmine", "Osterwalder", email="wosterwalder@orange.fr",
                    phone="0612121212", birth=date(1979, 6, 3))
        ],
        receipts=[
            card("AG2", "Wilhelmine", "OSTERWALDER", email="wosterwalder@orange.fr",
                 phone="0698989898", birth=date(1979, 6, 3))
        ],
    )  # fmt: skip
    identity.resolve(warehouse)
    customer = customer_of(warehouse, "web_account:AG1")
    (explained,) = identity.explain(warehouse, customer)["customers"]
    link = next(lk for lk in explained["links"] if lk["link_type"] == "probabilistic")
    against = [c for c in link["top_comparisons"] if c["weight"] < 0]
    assert [c["comparison"] for c in against] == ["phone"]
    result = run_cli(warehouse, monkeypatch, "identity", "explain", customer)
    assert result.exit_code == 0, result.output
    assert "against: phone: different phone" in " ".join(result.output.split())  # unwrapped
