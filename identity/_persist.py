"""The `identity.*` tables: their shape, the previous run's state, and one transactional write.

:func:`write_run` stages the run's new state (memberships, customers, links:
``_persist_stage``) in temporary tables, then, in one transaction, replaces the identity
tables with it: whole on a full run, by key on an incremental one (:func:`_replace_tables`),
writes the survivorship trust order the golden-records mart reads, and appends the aliases,
guard events, id history and the run's counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.warehouse import described_columns, one_row, scalar, transaction
from identity import _guard_cache, _guards, _watermark
from identity import _persist_full as _full
from identity import _persist_stage as _stage
from identity._config import ATTRIBUTES, IdentityConfig
from identity._tables import (
    CHANGED_CUSTOMERS,
    CHANGED_RECORDS,
    CUSTOMER_COLUMNS,
    CUSTOMERS_STAGE,
    EDGES,
    ID_EVENTS,
    LINK_COLUMNS_DDL,
    LINKS_STAGE,
    MEMBERS,
    PREV_CUSTOMERS,
    PREV_MEMBERS,
    PREV_RECORDS,
    RECORD_COLUMNS,
    RECORDS,
    REFUSED,
    RETIRED,
    SCOPE_MEMBERS,
    STORED_CHANGED,
    STORED_TOUCHED,
    STRONG_IDS,
    TOUCHED_RECORDS,
)

if TYPE_CHECKING:
    import duckdb

_DDL = f"""
create schema if not exists identity;
create table if not exists identity.identity_records ({RECORD_COLUMNS});
create table if not exists identity.record_identifiers ({STRONG_IDS.columns});
create table if not exists identity.customer_records (record_id varchar, identity_type varchar,
  source_key varchar, customer_id varchar, run_id varchar);
create table if not exists identity.customers ({CUSTOMER_COLUMNS});
create table if not exists identity.customer_aliases (retired_customer_id varchar,
  customer_id varchar, run_id varchar);
create table if not exists identity.id_history (run_id varchar, customer_id varchar,
  event varchar, from_customer_id varchar, to_customer_id varchar, recorded_at timestamp,
  detail varchar);
create table if not exists identity.links (run_id varchar, {LINK_COLUMNS_DDL});
create table if not exists identity.refused_links (run_id varchar, {REFUSED.columns});
create table if not exists identity.runs (run_id varchar, mode varchar, started_at timestamp,
  finished_at timestamp, record_count bigint, scored_record_count bigint,
  deterministic_links bigint, probabilistic_links bigint, refused_pairs bigint,
  customers bigint, created bigint, merged bigint, split bigint, retired bigint,
  oversized_customers bigint, model_path varchar, match_threshold double, stage_seconds varchar,
  changed_customers bigint, replaced_strata varchar);
-- records stored before display forms: their fingerprint changed, the next run rewrites them
alter table identity.identity_records add column if not exists first_name_display varchar;
alter table identity.identity_records add column if not exists last_name_display varchar;
alter table identity.identity_records add column if not exists email_display varchar;
alter table identity.identity_records add column if not exists city_display varchar;
alter table identity.identity_records add column if not exists address_line_display varchar;
-- runs recorded before the column existed: null, "not counted"
alter table identity.runs add column if not exists changed_customers bigint;
alter table identity.runs add column if not exists replaced_strata varchar;
"""


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the identity schema and empty tables if missing."""
    con.execute(_DDL)


def survivorship_trust_sql(config: IdentityConfig) -> str:
    """config/identity.yml's survivorship trust order as rows (attribute, identity_type,
    trust_rank): the data the golden-records mart (dbt) ranks each attribute's candidates by."""
    rows = [
        f"('{attribute}', '{identity_type}', {rank})"
        for attribute in ATTRIBUTES
        for rank, identity_type in enumerate(config.survivorship.rule_for(attribute).trust)
    ]
    if not rows:
        return (
            "select null::varchar as attribute, null::varchar as identity_type, "
            "null::integer as trust_rank where false"
        )
    return f"select * from (values {', '.join(rows)}) t(attribute, identity_type, trust_rank)"


def load_previous(con: duckdb.DuckDBPyConnection) -> bool:
    """The previous run's membership, customers and fingerprints as views of the stored
    tables (read, never copied: an incremental run reads a few of their rows); True when
    there was a previous run. Nothing reads them once the write has begun to replace
    those tables."""
    ensure_tables(con)
    con.execute(
        f"create or replace temp view {PREV_MEMBERS} as "
        "select record_id, customer_id from identity.customer_records"
    )
    con.execute(f"create or replace temp view {PREV_CUSTOMERS} as select * from identity.customers")
    con.execute(
        f"create or replace temp view {PREV_RECORDS} as "
        "select record_id, fingerprint from identity.identity_records"
    )
    return scalar(con, "select count(*) from identity.customer_records") > 0


def write_run(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig, run_id: str, mode: str, started_at
) -> dict[str, int]:
    """Replace the identity tables with this run's state, in one transaction; the run's
    counts (links, customers, id events, changed customers)."""
    _stage.stage_members(con, mode)
    _stage.stage_customers(con, config, run_id, started_at, mode)
    if mode == "incremental":  # a full run replaces the other tables whole
        _stage.changed_keys(con)
    else:
        _full.stage_changed_records(con)
        _full.stage_changed_customers(con)
    changed = _stage.count_changed_customers(con, mode)
    by_key = _full_run_writes_by_key(con, run_id) if mode == "full" else frozenset()
    with transaction(con):
        _stage.stage_links(con, run_id, mode, by_key)
        _write_refused_links(con, run_id, mode)
        _replace_tables(con, run_id, mode, by_key)
        _write_survivorship_trust(con, config)
        _write_aliases(con, run_id)
        _guards.persist(con, run_id, MEMBERS)
        _guard_cache.save(con, config)
        _write_history(con, run_id)
        counts = _counts(con, mode) | {"changed_customers": changed}
        _watermark.save(con)
    return counts


def _write_survivorship_trust(con: duckdb.DuckDBPyConnection, config: IdentityConfig) -> None:
    """The trust order golden records (the dbt mart) rank this run's records by; golden
    records were identity's before the mart: a stale copy must not outlive a forget."""
    con.execute(
        "create or replace table identity.survivorship_trust as " + survivorship_trust_sql(config)
    )
    con.execute("drop table if exists identity.golden_records")


def _write_refused_links(con: duckdb.DuckDBPyConnection, run_id: str, mode: str) -> None:
    con.execute(
        f"insert into identity.refused_links select '{run_id}', * from {REFUSED}"
        if mode == "incremental"
        else f"create or replace table identity.refused_links as "
        f"select '{run_id}' as run_id, * from {REFUSED}"
    )


def _replaced_tables(run_id: str) -> dict[str, tuple[str, str, str]]:
    """identity table -> (its rows after this run, key column, the keys whose rows an
    incremental run replaces). Records, memberships and links are deleted by the keys with
    a stored row (:data:`_DELETED_BY`): a record the last run did not store has none."""
    return {
        "identity_records": (f"select * from {RECORDS}", "record_id", CHANGED_RECORDS),
        "record_identifiers": (f"select * from {STRONG_IDS}", "record_id", CHANGED_RECORDS),
        "customer_records": (
            f"select r.record_id, r.identity_type, r.source_key, m.customer_id, "
            f"'{run_id}' as run_id from {RECORDS} r join {SCOPE_MEMBERS} m using (record_id)",
            "record_id",
            TOUCHED_RECORDS,
        ),
        "customers": (f"select * from {CUSTOMERS_STAGE}", "customer_id", CHANGED_CUSTOMERS),
        "links": (f"select * from {LINKS_STAGE}", "record_id_l", TOUCHED_RECORDS),
    }


# the stored rows an incremental run deletes, where fewer keys than it inserts can have one
# (the delete scans every stored link, 1.2M at 1M records, to find none for new people)
_DELETED_BY = {
    "identity_records": STORED_CHANGED,
    "customer_records": STORED_TOUCHED,
    "links": STORED_TOUCHED,
}


def _full_run_writes_by_key(con: duckdb.DuckDBPyConnection, run_id: str) -> frozenset[str]:
    """The tables a full run rewrites by key: its records, memberships, customers and links
    are mostly as stored, unless the stored table's columns are not the run's (an older
    version's), which is replaced whole like the other tables. Asked once per run, before
    the write."""
    replaced = _replaced_tables(run_id)
    same = {
        table: described_columns(con, f"identity.{table}")
        == described_columns(con, replaced[table][0])
        for table in ("identity_records", "customer_records", "customers")
    }
    same["links"] = _full.links_by_key(con)
    return frozenset(table for table, by_key in same.items() if by_key)


def _replace_tables(
    con: duckdb.DuckDBPyConnection, run_id: str, mode: str, by_key: frozenset[str]
) -> None:
    """Each identity table whole (full run, unless written ``by_key``), or the rows of the
    keys this run changed."""
    for table, (rows, key, keys) in _replaced_tables(run_id).items():
        if mode == "full":
            # each record's identifiers: rows with no key, mostly as stored
            if table == "record_identifiers" and _full.replace_rows(
                con, f"identity.{table}", STRONG_IDS
            ):
                continue
            if table not in by_key:
                con.execute(f"create or replace table identity.{table} as {rows}")
                continue
            if table == "links":
                _full.replace_links(con)
                continue
            if table == "customer_records":
                _full.replace_members(con, rows, run_id)
                continue
            # identity_records and customers: the rows of the records and customers the run
            # changed (CHANGED_RECORDS, CHANGED_CUSTOMERS)
        deleted = _DELETED_BY.get(table, keys) if mode == "incremental" else keys
        also = ""
        if table == "links":  # a link whose right record changed goes too
            also = f" or record_id_r in (select * from {deleted})"
        if deleted == keys or scalar(con, f"select count(*) from {deleted}"):
            con.execute(
                f"delete from identity.{table} where {key} in (select * from {deleted}){also}"
            )
        con.execute(
            f"insert into identity.{table} by name select * from ({rows}) "
            f"semi join (select * from {keys}) k({key}) using ({key})"
        )


def _write_aliases(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Retired ids point at their survivor; aliases of a retired survivor follow it."""
    con.execute(f"""update identity.customer_aliases a set customer_id = r.customer_id
from {RETIRED} r where a.customer_id = r.retired_customer_id and r.customer_id is not null""")
    con.execute(
        f"insert into identity.customer_aliases select retired_customer_id, customer_id, "
        f"'{run_id}' from {RETIRED} where customer_id is not null"
    )


def _write_history(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    con.execute(
        f"insert into identity.id_history select '{run_id}', customer_id, event, "
        f"from_customer_id, to_customer_id, now()::timestamp, detail from {ID_EVENTS}"
    )


# the links counted in one pass (a full run's LINKS_STAGE is a join: each pass repeats it)
_LINK_TYPES = """link_types as materialized (
  select count(*) filter (where link_type = 'deterministic') as deterministic,
    count(*) filter (where link_type = 'probabilistic') as probabilistic
  from {links})"""
_COUNTS = {
    "deterministic_links": "select deterministic from link_types",
    "probabilistic_links": "select probabilistic from link_types",
    "refused_pairs": f"select count(*) from {REFUSED}",
    # identity.customers as the run replaced it (an incremental run stages only its changes)
    "customers": "select count(*) from identity.customers where is_active",
    "created": f"select count(*) from {ID_EVENTS} where event = 'created'",
    "merged": f"select count(*) from {ID_EVENTS} where event = 'merged'",
    "split": f"select count(distinct customer_id) from {ID_EVENTS} where event = 'split'",
    "retired": f"select count(*) from {ID_EVENTS} where event = 'retired'",
    "oversized_customers": (
        "select count(*) from identity.customers where is_active and is_oversized"
    ),
}


def _counts(con: duckdb.DuckDBPyConnection, mode: str) -> dict[str, int]:
    """The run's counts, as identity.runs records them."""
    # a full run's links are its edges, each once (LINKS_STAGE adds the run that first made
    # each: a join of every edge with the stored links, for two counts)
    link_types = _LINK_TYPES.format(links=EDGES if mode == "full" else LINKS_STAGE)
    values = one_row(
        con, f"with {link_types} select " + ", ".join(f"({sql})" for sql in _COUNTS.values())
    )
    return dict(zip(_COUNTS, values, strict=True))
