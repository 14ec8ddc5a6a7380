"""What a large run sets on DuckDB: scoring in slices, a memory ceiling and a spill folder."""

from __future__ import annotations

from identity_rows import query

import identity
from identity import _model


def _customers(settings) -> set[frozenset[str]]:
    """Each customer's records (the partition, whatever the ids)."""
    rows = query(
        settings,
        "select list(record_id order by record_id) from identity.customer_records "
        "group by customer_id",
    )
    return {frozenset(records) for (records,) in rows}


def test_scoring_in_slices_gives_the_same_customers_as_scoring_at_once(warehouse, monkeypatch):
    identity.resolve(warehouse, full=True)
    whole = _customers(warehouse)
    links = query(warehouse, "select count(*) from identity.links")
    slices = []
    counted = _model.predict_chunks
    monkeypatch.setattr(
        _model, "predict_chunks", lambda *a: slices.append(counted(*a)) or slices[-1]
    )
    # the 1,500 base people give Splink some 3,000-4,000 records: 1,000 a slice, 3 or 4
    sliced = warehouse.model_copy(update={"identity_predict_chunk_records": 1000})
    identity.resolve(sliced, full=True)
    assert len(slices) == 1 and slices[0] >= 3
    assert _customers(sliced) == whole
    assert query(sliced, "select count(*) from identity.links") == links


def test_memory_ceiling_spill_folder_and_order_come_from_the_settings(warehouse, tmp_path):
    from core.warehouse import connect

    spill = tmp_path / "spill"
    limited = warehouse.model_copy(
        update={
            "duckdb_memory_limit": "1GiB",
            "duckdb_temp_directory": str(spill),
            "duckdb_preserve_insertion_order": False,
        }
    )
    with connect(limited) as con:
        got = con.execute(
            "select current_setting('memory_limit'), current_setting('temp_directory'), "
            "current_setting('preserve_insertion_order')"
        ).fetchone()
    assert got == ("1.0 GiB", str(spill), False)
    assert spill.is_dir()
