"""Incremental exports: applied to the previous full export they give the next full export."""

from __future__ import annotations

from activation.export import export_golden_records
from core.warehouse import connect


def _next_identity_run(con) -> None:
    """What a later identity run produces, in four changes:

    cust-0003 changes e-mail (update); cust-0007 appears (new); cust-0005 merges into
    cust-0004 (retired id with an alias); cust-0002 disappears without survivor (retired).
    """
    con.execute(
        "update marts.golden_records set email = 'paul.martin@newmail.example', "
        "email_updated_at = timestamp '2024-07-01' where customer_id = 'cust-0003'"
    )
    con.execute("""insert into identity.customers values
        ('cust-0007', true, false, 1, 'run-2', 'run-2', false, timestamp '2024-07-01')""")
    con.execute(
        "insert into marts.golden_records (customer_id, first_name, last_name, email) "
        "values ('cust-0007', 'Nina', 'Roux', 'nina.roux@example.org')"
    )
    con.execute(
        "update identity.customers set is_active = false "
        "where customer_id in ('cust-0005', 'cust-0002')"
    )
    con.execute("update identity.customers set record_count = 2 where customer_id = 'cust-0004'")
    con.execute("insert into identity.customer_aliases values ('cust-0005', 'cust-0004', 'run-2')")
    con.execute("delete from marts.golden_records where customer_id in ('cust-0005', 'cust-0002')")


def _frame(result):
    import pandas as pd

    return pd.read_parquet(result.folder / "golden_records.parquet")


def _apply(previous, changes):
    """What a downstream tool does: drop deleted and changed ids, append upserts."""
    import pandas as pd

    kept = previous[~previous["customer_id"].isin(changes["customer_id"])]
    upserts = changes[changes["operation"] == "upsert"]
    return pd.concat([kept, upserts]).sort_values("customer_id").reset_index(drop=True)


def test_incremental_applied_to_previous_full_equals_next_full(warehouse):
    import pandas as pd

    first = export_golden_records(warehouse, mode="full", formats=["parquet"])
    with connect(warehouse) as con:
        _next_identity_run(con)
    incremental = export_golden_records(warehouse, mode="incremental", formats=["parquet"])
    changes = _frame(incremental)
    second = export_golden_records(warehouse, mode="full", formats=["parquet"])

    applied = _apply(_frame(first), changes)
    expected = _frame(second).sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(applied, expected, check_dtype=False)

    # only what changed: 3 upserts (0003 updated, 0004 gained a record, 0007 new), 2 deletes
    operations = dict(zip(changes["customer_id"], changes["operation"], strict=True))
    assert operations == {
        "cust-0002": "delete",
        "cust-0003": "upsert",
        "cust-0004": "upsert",
        "cust-0005": "delete",
        "cust-0007": "upsert",
    }
    merged = dict(zip(changes["customer_id"], changes["merged_into_customer_id"], strict=True))
    assert merged["cust-0005"] == "cust-0004"  # merged: points to the survivor
    assert pd.isna(merged["cust-0002"])  # retired without survivor


def test_incremental_without_previous_export_is_a_full_one(warehouse):
    result = export_golden_records(warehouse, mode="incremental", formats=["parquet"])

    assert result.mode == "full" and result.counts == {"upsert": 5}


def test_unchanged_warehouse_gives_an_empty_incremental(warehouse):
    export_golden_records(warehouse, mode="full", formats=["parquet"])
    again = export_golden_records(warehouse, mode="incremental", formats=["parquet", "jsonl"])

    assert again.row_count == 0 and len(_frame(again)) == 0
