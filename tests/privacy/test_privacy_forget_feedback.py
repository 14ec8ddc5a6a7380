"""Forget reaches what people wrote: after a small whole-pipeline run, the messages of a
caller, a reviewer, a person mentioned on a social network and an SMS sender (text,
e-mails, phones, handles and source keys in every form `identifier_forms` gives) are in no
table of any DuckDB file under the data folder (tables enumerated from
information_schema) and in no byte of any file but the sources' own deliveries
(``landing/``, ``truth/``: docs/privacy.md, limits); and loading the same exports again
brings none of it back."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from privacy_scan import byte_scan, identifier_forms, resend_all

from cdp.pipeline import (
    analyse_feedback,
    build_marts,
    export_golden_records,
    generate_sample,
    ingest_sources,
    resolve_identities,
)
from core.identifiers import configured_email_rules
from core.warehouse import connect
from privacy.erase import forget

SOURCES_OWN = ("landing", "truth")
AUTHORS = ("callcenter", "reviews", "social", "sms")


def _authors(settings) -> dict[str, tuple[str, list[str]]]:
    """Per message source, one identified author whose messages are written by nobody else
    (a shared "STOP" or "Merci !" would be found in other people's rows): customer, texts."""
    with connect(settings) as con:
        rows = con.execute("""
            with texts as (
              select feedback_source, customer_id, message_text,
                     count(*) over (partition by message_text) as writers
              from marts.customer_feedback)
            select feedback_source, customer_id, list(message_text order by message_text)
            from texts where customer_id is not null
            group by all having bool_and(writers = 1 and length(message_text) >= 12)
            order by feedback_source, customer_id""").fetchall()
    chosen: dict[str, tuple[str, list[str]]] = {}
    taken: set[str] = set()
    for source, customer_id, texts in rows:
        if source not in chosen and customer_id not in taken:
            chosen[source] = (customer_id, texts)
            taken.add(customer_id)
    assert set(chosen) == set(AUTHORS), f"no identified author for {set(AUTHORS) - set(chosen)}"
    return chosen


def _in_tables(data_dir: Path, forms: set[str]) -> list[str]:
    """``file:schema.table.column`` of every text column, of every table of every DuckDB file
    under ``data_dir`` (warehouse, published snapshot), holding one of ``forms``."""
    found = []
    lowered = [f.lower() for f in forms]
    for path in sorted(data_dir.rglob("*.duckdb")):
        with duckdb.connect(str(path), read_only=True) as con:
            columns = con.execute("""
                select c.table_schema, c.table_name, c.column_name
                from information_schema.columns c join information_schema.tables t
                  using (table_catalog, table_schema, table_name)
                where t.table_type = 'BASE TABLE' and c.data_type in ('VARCHAR', 'JSON')
                  and c.table_catalog = current_database()""").fetchall()
            for schema, table, column in columns:
                hits = con.execute(
                    f'select distinct f from "{schema}"."{table}", unnest(?) as n(f) '
                    f'where contains(lower(cast("{column}" as varchar)), f)',
                    [lowered],
                ).fetchall()
                rel = path.relative_to(data_dir)
                found += [f"{rel}:{schema}.{table}.{column}: {h}" for (h,) in hits]
    return found


def _small_pipeline(settings) -> None:
    """What holds messages: raw, identity, analysis, marts, published snapshot, exports (the
    quality checks and audiences of the whole-pipeline scan are left to that test)."""
    generate_sample(settings, people=250, seed=42, batches=1)
    ingest_sources(settings)
    resolve_identities(settings, full=True)
    analyse_feedback(settings)
    build_marts(settings)
    export_golden_records(settings)


@pytest.mark.slow
def test_forgotten_authors_messages_leave_every_table_and_file_and_stay_out(settings):
    _small_pipeline(settings)
    rules = configured_email_rules(settings.identity_config_path)
    authors = _authors(settings)
    forms: set[str] = set()
    for customer_id, texts in authors.values():
        forms |= identifier_forms(settings, customer_id, rules) | set(texts)
    with connect(settings) as con:
        sms_number = con.execute(
            "select min(source_key) from identity.customer_records "
            "where identity_type = 'sms_recipient' and customer_id = ?",
            [authors["sms"][0]],
        ).fetchone()[0]
    before = _in_tables(settings.data_dir, forms)
    for table in ("feedback.message_analysis", "marts.customer_feedback", "raw.sms__activity"):
        assert any(f"{table}." in hit for hit in before), table
    assert byte_scan(settings.data_dir, forms, SOURCES_OWN)

    for source, (customer_id, _) in authors.items():
        # the SMS sender asks with the number as she knows it (06 ..), the others by id
        request = "0" + sms_number[2:] if source == "sms" else customer_id
        assert forget(settings, request).customers_erased >= 1

    assert _in_tables(settings.data_dir, forms) == []
    assert byte_scan(settings.data_dir, forms, SOURCES_OWN) == []

    resend_all(settings.landing_dir)
    loaded = ingest_sources(settings)
    assert loaded["files_loaded"]
    resolve_identities(settings)
    analyse_feedback(settings)
    # no dbt build again: the marts are made of these tables only, and none holds them
    assert _in_tables(settings.data_dir, forms) == []
    assert byte_scan(settings.data_dir, forms, SOURCES_OWN) == []
