"""The serving copy of one snapshot: what each endpoint answers, ready, keyed for a point read.

The published snapshot is a warehouse copy, laid out for scans: a point lookup by
customer_id reads a whole row group of every column it returns, and assembling an answer
from four tables is four queries and a JSON encoding per request. When a generation opens,
an in-memory catalog is built beside it (once, before that generation serves):

- ``main.customer_answers``: one row per customer id ever given out (active, retired,
  merged), with the surviving id, the ids on the way to it (the forgotten list is checked
  against them per request) and the active customer's whole answer as JSON
  (:mod:`api.answers`): ``GET /customers/{id}`` is one indexed read;
- ``main.timeline_items``: each touchpoint's JSON, sorted by customer and newest first;
- ``main.identifier_customers``: standardised e-mail / phone -> customer ids;
- ``main.records_by_<column>``: the identity records with Splink's derived columns, sorted
  by each column a blocking rule starts with, for ``/v1/identify``'s candidates;
- copies of the small tables the other endpoints filter (profile, segments, record map),
  sorted by their key in small row groups so min/max pruning reads one group.

Every other table is a view onto the snapshot under the same ``schema.table`` name.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from api.answers import write_customer_answers
from core.warehouse import columns_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import duckdb

    from core.settings import Settings

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
# table -> (sort key, columns kept or None for all)
HOT = {
    "identity.customer_records": ("record_id", None),
    "marts.customer_profile": ("customer_id", PROFILE_COLUMNS),
    "marts.customer_segments": ("segment, customer_id", None),
    "marts.customer_consent": ("customer_id, channel", None),
}
# datetime.isoformat(), as the JSON encoder of the API's other answers writes it
_ISO = (
    "case when microsecond({0}) % 1000000 = 0 then strftime({0}, '%Y-%m-%dT%H:%M:%S') "
    "else strftime({0}, '%Y-%m-%dT%H:%M:%S.%f') end"
)


def blocking_leads(settings: Settings) -> list[str]:
    """The columns the configured blocking rules start with: /v1/identify looks its
    candidates up rule by rule, each in the records sorted by that column."""
    from identity._config import load_identity_config

    config = load_identity_config(settings.identity_config_path)
    return sorted({rule[0] for rule in config.blocking})


def build(
    con: duckdb.DuckDBPyConnection, source: str = "snapshot", leads: Iterable[str] = ()
) -> float:
    """Create the serving catalog over the attached ``source``, with the identity records
    sorted by each of ``leads`` (:func:`blocking_leads`); returns seconds taken."""
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
    write_customer_answers(con, source, f"{CATALOG}.main.customer_answers")
    con.execute(
        f"create index customer_answers_id on {CATALOG}.main.customer_answers (customer_id)"
    )
    _write_timeline(con, source)
    _write_identifiers(con, source)
    _write_records(con, source, leads)
    con.execute(f"use {CATALOG}")
    seconds = time.perf_counter() - started
    log.info("serving copy built in %.1f s", seconds)
    return seconds


def records_by(con: duckdb.DuckDBPyConnection) -> Callable[[str], str]:
    """``records_by(column)`` for the scorer: the serving copy of the identity records
    sorted by ``column`` where :func:`build` wrote one, else every record, unsorted."""
    from identity._realtime import candidate_records_sql

    prefix = "records_by_"
    built = {
        name.removeprefix(prefix)
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = ? "
            "and schema_name = 'main' and starts_with(table_name, ?)",
            [CATALOG, prefix],
        ).fetchall()
    }

    def lookup(column: str) -> str:
        if column in built:
            return f"{CATALOG}.main.{prefix}{column}"
        return f"({candidate_records_sql()})"

    return lookup


def _write_timeline(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Each touchpoint as the JSON the timeline answers, newest first per customer."""
    con.execute(f"""create table {CATALOG}.main.timeline_items as
select customer_id, occurred_at, touchpoint_id, json_object(
    'touchpoint_id', touchpoint_id, 'occurred_at', {_ISO.format("occurred_at")},
    'channel', channel, 'event_type', event_type, 'amount', amount::double, 'detail', detail
  )::varchar as item
from {source}.marts.customer_timeline
order by customer_id, occurred_at desc, touchpoint_id desc""")


def _write_identifiers(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Standardised e-mails and phones of identity records -> their customers, one row each."""
    con.execute(f"""create table {CATALOG}.main.identifier_customers as
select kind, value, list(distinct customer_id order by customer_id) as customer_ids from (
  select 'email' as kind, r.email as value, m.customer_id
  from {source}.identity.identity_records r join {source}.identity.customer_records m
    using (record_id) where r.email is not null
  union all
  select 'phone', r.phone, m.customer_id
  from {source}.identity.identity_records r join {source}.identity.customer_records m
    using (record_id) where r.phone is not null
) group by all order by kind, value""")
    con.execute(
        f"create index identifier_customers_value on {CATALOG}.main.identifier_customers (value)"
    )


def _write_records(con: duckdb.DuckDBPyConnection, source: str, leads: Iterable[str]) -> None:
    """The identified records with their customer and Splink's derived columns, sorted by
    each of ``leads`` that is one of their columns (a rule on a key the real-time path does
    not derive is not looked up there)."""
    from identity._realtime import candidate_records_sql

    con.execute(
        f"create table {CATALOG}.main.identity_records_derived as "
        + candidate_records_sql(
            f"{source}.identity.identity_records", f"{source}.identity.customer_records"
        )
    )
    derived = {
        column
        for column, *_ in con.execute(
            f"select * from {CATALOG}.main.identity_records_derived limit 0"
        ).description
    }
    for column in (lead for lead in leads if lead in derived):
        con.execute(
            f"create table {CATALOG}.main.records_by_{column} as select * "
            f"from {CATALOG}.main.identity_records_derived where {column} is not null "
            f"order by {column}"
        )
    con.execute(f"drop table {CATALOG}.main.identity_records_derived")
