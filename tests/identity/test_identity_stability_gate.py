"""The stability gate on a real DuckDB warehouse: a run changing 10% of ids is refused and
writes nothing, passes when approved; churn is stored per run."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from identity_rows import account, add_rows, customer_of, query
from typer.testing import CliRunner

import identity
from cdp.cli import app
from core.warehouse import connect
from identity._decisions import record_decision


def run_cli(settings, monkeypatch, *args: str):
    """`cdp ...` as a user runs it, on the test's warehouse."""
    monkeypatch.setenv("CDP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CDP_SOURCES_DIR", str(settings.sources_dir))
    monkeypatch.setenv("COLUMNS", "200")  # rich tables unfolded, as on a wide terminal
    return CliRunner().invoke(app, list(args))


STATE = (
    "select record_id, customer_id from identity.customer_records order by 1",
    "select customer_id, is_active, record_count from identity.customers order by 1",
    "select count(*) from identity.runs",
    "select count(*) from identity.id_history",
)


@pytest.fixture
def ten_people(id_settings, trained_model):
    from bench.identity_synthetic import write_raw

    with connect(id_settings) as con:
        write_raw(con, {})
    for path in (trained_model, trained_model.with_suffix(".meta.json")):
        shutil.copy(path, id_settings.model_dir / path.name)
    names = ["Abelard", "Brunehaut", "Clothaire", "Dagobert", "Ermengarde", "Frodebert",
             "Gondebaud", "Hildegarde", "Ingonde", "Jovinien"]  # fmt: skip
    add_rows(
        id_settings,
        accounts=[
            account(
                f"S{i}",
                name,
                f"Merovin{i}",
                email=f"{name.lower()}.m@orange.fr",
                birth=date(1950 + i, 1 + i, 1 + i),
            )
            for i, name in enumerate(names)
        ],
    )
    return id_settings


def test_incremental_run_changing_ten_percent_fails_then_passes_with_approval(
    ten_people, monkeypatch
):
    first = identity.resolve(ten_people)
    assert first["churn_gate"] == "passed" and first["customers"] == 10  # first run passes
    before = [query(ten_people, sql) for sql in STATE]
    first_ids = {customer_of(ten_people, f"web_account:S{i}") for i in (0, 1)}
    with connect(ten_people) as con:
        record_decision(con, "must-link", "web_account:S0", "web_account:S1", "ann", "one person")

    with pytest.raises(identity.ChurnGateError, match="1 of 10 known records") as failure:
        identity.resolve(ten_people)
    assert failure.value.metrics["changed_share"] == pytest.approx(0.10)
    assert [query(ten_people, sql) for sql in STATE] == before
    cli = run_cli(ten_people, monkeypatch, "identity", "resolve")
    assert cli.exit_code == 1 and "stability gate failed" in cli.output
    assert [query(ten_people, sql) for sql in STATE] == before

    approved = identity.resolve(ten_people, approve_churn=True)
    assert approved["churn_gate"] == "approved" and approved["customers"] == 9
    # Both ids were issued by the same run: the merge keeps the smaller one.
    assert customer_of(ten_people, "web_account:S1") == min(first_ids)
    assert customer_of(ten_people, "web_account:S0") == min(first_ids)
    rows = query(
        ten_people,
        "select gate, changed_records, previous_records, merges, retired_customers "
        "from identity.run_stability order by computed_at",
    )
    assert rows == [
        ("passed", 0, 0, 0, 0),
        ("failed", 1, 10, 1, 1),
        ("failed", 1, 10, 1, 1),
        ("approved", 1, 10, 1, 1),
    ]
    # Nothing new: the next run changes nothing and passes.
    assert identity.resolve(ten_people)["churn_gate"] == "passed"
    shown = run_cli(ten_people, monkeypatch, "identity", "stability")
    assert shown.exit_code == 0 and "approved" in shown.output
