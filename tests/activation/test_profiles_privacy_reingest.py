"""Re-loading an old export after `forget` does not bring the person back.

The first test checks the tombstone contract on the fixture warehouse: the reader-side SQL
from `core.erasure` (what ingestion applies to incoming rows) flags every pre-erasure raw row
that carries the person's e-mail or phone. The second runs the real ingestion package on
generated landing files once it exists (`ingestion.ingest`, `sample_data.generate`).
"""

from __future__ import annotations

import importlib
import shutil

import pytest
from profiles_warehouse import ZEBULON

from core.erasure import TOMBSTONE_TABLE
from core.identifiers import email_typed_sql as email_key_sql
from core.identifiers import hash_sql, phone_key_sql
from core.warehouse import connect
from privacy.erase import forget

# raw table -> its e-mail and phone columns (docs/architecture.md, raw layer)
CONTACT_COLUMNS = {
    "pos__receipt_lines": ("customer_email", "customer_phone"),
    "web__accounts": ("email", "phone"),
    "email__subscribers": ("email", None),
    "email__activity": ("email", None),
    "callcenter__tickets": ("caller_email", "caller_phone"),
}


def _suppressed_sql(table: str, salt: str) -> str:
    email, phone = CONTACT_COLUMNS[table]
    tests = [
        f"{hash_sql(email_key_sql(email), salt)} in (select identifier_hash from "
        f"{TOMBSTONE_TABLE} where identifier_kind = 'email')"
    ]
    if phone:
        tests.append(
            f"{hash_sql(phone_key_sql(phone), salt)} in (select identifier_hash from "
            f"{TOMBSTONE_TABLE} where identifier_kind = 'phone')"
        )
    return " or ".join(f"coalesce({t}, false)" for t in tests)


def test_tombstones_suppress_every_old_row_carrying_the_persons_contacts(warehouse):
    old_export = warehouse.data_dir / "old_raw"
    old_export.mkdir()
    with connect(warehouse) as con:
        for table in CONTACT_COLUMNS:
            con.execute(f"copy raw.{table} to '{old_export / table}.parquet' (format parquet)")
    forget(warehouse, ZEBULON["email"])
    salt = "'" + warehouse.erasure_salt + "'"

    total = 0
    with connect(warehouse) as con:
        for table in CONTACT_COLUMNS:
            rows = f"read_parquet('{old_export / table}.parquet')"
            carrying, suppressed = con.execute(
                f"select count(*) filter (where contains(lower(to_json(t)::varchar), ?) "
                f"or contains(regexp_replace(to_json(t)::varchar, '[^0-9]', '', 'g'), "
                f"'612345678')), count(*) filter (where {_suppressed_sql(table, salt)}) "
                f"from {rows} t",
                [ZEBULON["email"]],
            ).fetchone()
            # every old row with his e-mail or phone is suppressed, and nobody else's
            assert suppressed == carrying, table
            total += carrying
    # POS line, account, subscriber, campaign open, call-center ticket
    assert total == 5


def _stage_available() -> bool:
    try:
        return hasattr(importlib.import_module("ingestion"), "ingest") and hasattr(
            importlib.import_module("sample_data"), "generate"
        )
    except ModuleNotFoundError:
        return False


@pytest.mark.skipif(not _stage_available(), reason="ingestion package not built yet")
def test_reingesting_the_original_files_does_not_restore_the_person(settings):
    import ingestion
    from sample_data import generate

    generate(settings, people=40, seed=7, batches=1)
    ingestion.ingest(settings)
    with connect(settings) as con:
        email, phone = con.execute(
            "select customer_email, customer_phone from raw.pos__receipt_lines "
            "where customer_email is not null and customer_phone is not null limit 1"
        ).fetchone()
    forget(settings, email)
    forget(settings, phone)
    # a later export re-sends the same rows under a new file name
    for path in sorted(p for p in settings.landing_dir.rglob("*") if p.is_file()):
        shutil.copy(path, path.with_name(path.stem.replace("_", "_resent_", 1) + path.suffix))
    ingestion.ingest(settings)

    with connect(settings) as con:
        email_key, phone_key = con.execute(
            f"select {email_key_sql('$1')}, {phone_key_sql('$2')}", [email, phone]
        ).fetchone()
        for table, (email_col, phone_col) in CONTACT_COLUMNS.items():
            hits = con.execute(
                f"select count(*) from raw.{table} where {email_key_sql(email_col)} = ?"
                + (f" or {phone_key_sql(phone_col)} = ?" if phone_col else ""),
                [email_key, phone_key] if phone_col else [email_key],
            ).fetchone()[0]
            assert hits == 0, table
        quarantined = con.execute(
            "select count(*) from ops.quarantine where contains(lower(raw_record), ?)", [email_key]
        ).fetchone()[0]
        assert quarantined == 0
