"""Incremental runs read again only the raw rows of batches loaded since the last run."""

from __future__ import annotations

from identity_rows import query

import identity
from bench.identity_synthetic import generate, write_raw
from core.warehouse import connect


def _partition(settings) -> set[frozenset[str]]:
    rows = query(settings, "select customer_id, record_id from identity.customer_records")
    groups: dict[str, set[str]] = {}
    for customer, record in rows:
        groups.setdefault(customer, set()).add(record)
    return {frozenset(g) for g in groups.values()}


def test_a_new_batch_is_the_only_raw_data_read_again(id_settings, trained_model, tmp_path):
    import shutil

    from core.settings import Settings

    shutil.copy(trained_model, id_settings.model_dir / trained_model.name)
    shutil.copy(trained_model.with_suffix(".meta.json"), id_settings.model_dir)
    first, second = generate(300, seed=21), generate(30, seed=22, offset=300)
    with connect(id_settings) as con:
        write_raw(con, first, batch_id="b1")
    full = identity.resolve(id_settings)
    assert full["reread_records"] == full["records"]

    with connect(id_settings) as con:
        write_raw(con, second, batch_id="b2")
    incremental = identity.resolve(id_settings)

    # 30 new people: only their records are read from the raw layer again
    assert incremental["mode"] == "incremental"
    assert incremental["reread_records"] == len(second["truth"])
    assert incremental["records"] == full["records"] + len(second["truth"])
    # ... with the result of the same two runs reading every raw row (no batches to tell
    # old rows from new ones): the same records, standardised alike, the same customers
    every_row = Settings(data_dir=tmp_path / "every_row", sources_dir=id_settings.sources_dir)
    every_row.ensure_dirs()
    shutil.copy(trained_model, every_row.model_dir / trained_model.name)
    shutil.copy(trained_model.with_suffix(".meta.json"), every_row.model_dir)
    for batch in (first, second):
        with connect(every_row) as con:
            write_raw(con, batch)
        summary = identity.resolve(every_row)
    assert summary["reread_records"] == summary["records"]
    records = "select * from identity.identity_records order by record_id"
    assert query(every_row, records) == query(id_settings, records)
    assert _partition(every_row) == _partition(id_settings)


def test_a_reexported_record_is_read_again_and_a_shrunk_batch_reads_everything(
    id_settings, trained_model
):
    import shutil

    shutil.copy(trained_model, id_settings.model_dir / trained_model.name)
    shutil.copy(trained_model.with_suffix(".meta.json"), id_settings.model_dir)
    data = generate(200, seed=23)
    with connect(id_settings) as con:
        write_raw(con, data, batch_id="b1")
    identity.resolve(id_settings)
    account = dict(data["accounts"][0])
    account.update(email="nouvelle.adresse@orange.fr", updated_at=account["updated_at"].replace(
        year=account["updated_at"].year + 1))  # fmt: skip
    with connect(id_settings) as con:
        write_raw(con, {"accounts": [account]}, batch_id="b2")  # the e-shop re-exports it
    summary = identity.resolve(id_settings)
    assert summary["reread_records"] == 1
    email = query(
        id_settings,
        "select email from identity.identity_records where record_id = ?",
        [f"web_account:{account['account_id']}"],
    )
    assert email == [("nouvelle.adresse@orange.fr",)]

    query(id_settings, "delete from raw.web__events where _batch_id = 'b1' and rowid % 7 = 0")
    summary = identity.resolve(id_settings, approve_churn=True)
    assert summary["reread_records"] == summary["records"]  # rows vanished: read it all
