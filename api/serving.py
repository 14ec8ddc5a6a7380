"""The serving copy of one snapshot: the hot tables in memory, sorted by their lookup key.

The published snapshot is a warehouse copy, laid out for scans: a point lookup by
customer_id reads a whole row group of every column it returns (25-100 ms at 100k customers
on this machine). When a generation opens, the tables the API looks customers up in are
copied into an in-memory catalog with small row groups, sorted by their key, so DuckDB's
min/max pruning reads one small group; every other table is a view onto the snapshot, under
the same ``schema.table`` name, so queries read alike either way. The copy is built once per
generation, before that generation serves its first request.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from core.warehouse import columns_of

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

CATALOG = "serve"
ROW_GROUP_SIZE = 2048
PROFILE_COLUMNS = (
    "customer_id",
    "recency_days",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "lifetime_revenue",
    "predicted_clv",
    "order_count",
    "first_seen_at",
    "last_seen_at",
    "first_order_at",
    "last_order_at",
    "average_basket",
    "preferred_channel",
    "is_email_consent_granted",
    "email_consent_decided_at",
    "email_consent_source",
    "is_sms_consent_granted",
    "sms_consent_decided_at",
    "sms_consent_source",
    "email",
)
BLOCKING_LEADS = ("email", "phone", "first_name", "last_name", "birth_date", "city")
# table -> (sort key, columns kept or None for all)
HOT = {
    "identity.customers": ("customer_id", None),
    "identity.customer_aliases": ("retired_customer_id", None),
    "identity.golden_records": ("customer_id", None),
    "identity.customer_records": ("record_id", None),
    "marts.customer_profile": ("customer_id", PROFILE_COLUMNS),
    "marts.customer_segments": ("segment, customer_id", None),
    "marts.customer_timeline": ("customer_id, occurred_at desc, touchpoint_id desc", None),
}


def build(con: duckdb.DuckDBPyConnection, source: str = "snapshot") -> float:
    """Create the serving catalog over the attached ``source``; returns seconds taken."""
    started = time.perf_counter()
    con.execute(f"attach ':memory:' as {CATALOG} (row_group_size {ROW_GROUP_SIZE})")
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ? "
        "union select schema_name, view_name from duckdb_views() where database_name = ? "
        "and not internal",
        [source, source],
    ).fetchall()
    for schema, table in tables:
        con.execute(f'create schema if not exists {CATALOG}."{schema}"')
        name = f"{schema}.{table}"
        if name in HOT:
            key, wanted = HOT[name]
            present = columns_of(con, f"{schema}.{table}") if wanted else []
            columns = ", ".join(c for c in wanted if c in present) if wanted else "*"
            con.execute(
                f'create table {CATALOG}."{schema}"."{table}" as select {columns} '
                f'from {source}."{schema}"."{table}" order by {key}'
            )
        else:
            con.execute(
                f'create view {CATALOG}."{schema}"."{table}" as '
                f'select * from {source}."{schema}"."{table}"'
            )
    # e-mails and phones of identity records, to find their customers by one sorted lookup
    con.execute(f"""create table {CATALOG}.main.identifier_customers as
select kind, value, customer_id from (
  select 'email' as kind, r.email as value, m.customer_id
  from {source}.identity.identity_records r join {source}.identity.customer_records m
    using (record_id) where r.email is not null
  union all
  select 'phone', r.phone, m.customer_id
  from {source}.identity.identity_records r join {source}.identity.customer_records m
    using (record_id) where r.phone is not null
) order by kind, value, customer_id""")
    # identity records sorted by each column a blocking rule starts with: /v1/identify
    # looks its candidates up rule by rule
    for column in BLOCKING_LEADS:
        con.execute(
            f"create table {CATALOG}.main.records_by_{column} as select * "
            f"from {source}.identity.identity_records where {column} is not null "
            f"order by {column}"
        )
    con.execute(f"use {CATALOG}")
    seconds = time.perf_counter() - started
    log.info("serving copy built in %.1f s", seconds)
    return seconds


def records_by(column: str) -> str:
    """The serving copy of the identity records sorted by ``column``, if one was built."""
    if column in BLOCKING_LEADS:
        return f"{CATALOG}.main.records_by_{column}"
    return "identity.identity_records"
