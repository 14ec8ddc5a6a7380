"""The `identity.*` tables: their shape, the previous run's state, and one transactional write.

:func:`write_run` stages the run's new state (memberships, customers) in temporary tables,
then, in one transaction, replaces the identity tables with it: whole on a full run, by key
on an incremental one (:func:`_replace_tables`), writes the survivorship trust order the
golden-records mart reads, and appends the aliases, guard events, id history and the run's
counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.warehouse import described_columns, one_row, scalar, transaction
from identity import _guard_cache, _guards, _watermark
from identity import _persist_full as _full
from identity._config import ATTRIBUTES, IdentityConfig
from identity._tables import (
    ASSIGNED,
    CHANGED_CUSTOMERS,
    CHANGED_RECORDS,
    CLUSTERS,
    CUSTOMER_COLUMNS,
    CUSTOMERS_STAGE,
    EDGES,
    ID_EVENTS,
    LINK_COLUMNS_DDL,
    LINKS_STAGE,
    MEMBERS,
    PREV_CUSTOMERS,
    PREV_MEMBERS,
    PREV_MEMBERS_SCOPE,
    PREV_RECORDS,
    RECORD_COLUMNS,
    RECORDS,
    REFUSED,
    REMOVED,
    RESCORED,
    RETIRED,
    SCOPE_MEMBERS,
    SCOPE_RECORDS,
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


def _changed_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Keys whose rows an incremental run rewrites (a full run rewrites every table whole)."""
    removed = f"select record_id from {REMOVED}"
    con.execute(
        f"create or replace temp table {CHANGED_RECORDS} as "
        f"select record_id from {RESCORED} union {removed}"
    )
    con.execute(
        f"create or replace temp table {TOUCHED_RECORDS} as "
        f"select record_id from {SCOPE_RECORDS} union {removed}"
    )
    # The rewritten records with a stored row, found on its id alone: a semi join on the
    # stored rows decompresses every vector holding one of the ids sought.
    con.execute(
        f"create or replace temp table {STORED_CHANGED} as select record_id "
        f"from {CHANGED_RECORDS} semi join identity.identity_records using (record_id)"
    )
    con.execute(
        f"create or replace temp table {STORED_TOUCHED} as "
        f"select record_id from {PREV_MEMBERS_SCOPE} union {removed}"
    )
    con.execute(
        f"create or replace temp table {CHANGED_CUSTOMERS} as "
        f"select customer_id from {ASSIGNED} union select retired_customer_id from {RETIRED}"
    )


def _count_changed_customers(con: duckdb.DuckDBPyConnection, mode: str) -> int:
    """Customers whose row or records this run changes (created, merged, split, grown,
    retired, or a value, display form or date of one of their records changed): what the
    marts, golden records included, read of identity. Zero means a rebuild of the marts would
    reproduce them, as far as identity goes."""
    # an incremental run stages only the customers it changes (CHANGED_CUSTOMERS). Semi
    # joins on those few keys, not IN tests: the scans of the stored tables then skip the
    # other rows instead of reading every column of every row first.
    rewritten = f"semi join {CHANGED_RECORDS} using (record_id)"
    if mode == "full":
        # the customers whose row differs, as staged for the write (CHANGED_CUSTOMERS)
        customers_changed = f"select customer_id from {CHANGED_CUSTOMERS}"
        stored_ids = f"select record_id from {_full.RECORDS_DIFFER} where golden_changed"
        changed_ids = "select * from stored_ids"
    else:
        customers_changed = _full.changed_rows_sql(
            CUSTOMERS_STAGE,
            PREV_CUSTOMERS,
            "customer_id",
            _full.CUSTOMER_VALUES,
            f"semi join {CHANGED_CUSTOMERS} using (customer_id)",
        )
        # only the rewritten records with a stored row are compared column by column (the
        # others, new ones mostly, changed)
        compared = _full.changed_rows_sql(
            RECORDS,
            "identity.identity_records",
            "record_id",
            _full.GOLDEN_RECORD_COLUMNS,
            f"semi join {STORED_CHANGED} using (record_id)",
        )
        # only a record with a stored row had an owner before (the scan of every stored
        # membership found none for a batch of new people)
        stored_ids = compared
        changed_ids = f"""select record_id from {RECORDS} {rewritten}
  anti join {STORED_CHANGED} using (record_id)
union all
select * from stored_ids"""
    return scalar(
        con,
        f"""
with customers_changed as ({customers_changed}),
stored_ids as ({stored_ids}),
changed_ids as ({changed_ids})
-- their owners now and before: two semi joins, not a union (distinct) of both memberships
-- (an incremental run's changed records are re-clustered ones, or removed)
select count(distinct customer_id) from (
  select customer_id from customers_changed
  union all
  select customer_id from {MEMBERS if mode == "full" else SCOPE_MEMBERS}
  semi join changed_ids using (record_id)
  union all
  select customer_id from {PREV_MEMBERS} semi join stored_ids using (record_id)
)""",
    )


def write_run(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig, run_id: str, mode: str, started_at
) -> dict[str, int]:
    """Replace the identity tables with this run's state, in one transaction; the run's
    counts (links, customers, id events, changed customers)."""
    _stage_members(con, mode)
    _stage_customers(con, config, run_id, started_at, mode)
    if mode == "incremental":  # a full run replaces the other tables whole
        _changed_keys(con)
    else:
        _full.stage_changed_records(con)
        _full.stage_changed_customers(con)
    changed = _count_changed_customers(con, mode)
    by_key = _full_run_writes_by_key(con, run_id) if mode == "full" else frozenset()
    with transaction(con):
        _stage_links(con, run_id, mode, by_key)
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


def _stage_members(con: duckdb.DuckDBPyConnection, mode: str) -> None:
    """Each re-clustered record's customer, and each present record's (an incremental run:
    a view, the stored membership read for the records not re-clustered; the same rows
    once the write has replaced the stored membership by key)."""
    con.execute(f"""create or replace temp table {SCOPE_MEMBERS} as
select c.record_id, a.customer_id
from {CLUSTERS} c join {ASSIGNED} a using (cluster_id)""")
    if mode == "incremental":
        con.execute(f"""create or replace temp view {MEMBERS} as
select * from {SCOPE_MEMBERS}
union all
select record_id, customer_id from identity.customer_records
anti join {SCOPE_MEMBERS} using (record_id) anti join {REMOVED} using (record_id)""")
        return
    # a full run re-clusters every record (``_scope``: its scope is every record, and every
    # record of the scope is in a cluster): no stored membership to add
    con.execute(f"create or replace temp view {MEMBERS} as select * from {SCOPE_MEMBERS}")


def _stage_customers(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig, run_id: str, started_at, mode: str
) -> None:
    """identity.customers after this run: assigned customers (updated when their records
    changed), the others as they were, retired ones inactive. An incremental run stages
    only the assigned and retired ones: the others' rows stay as stored."""
    # an assigned customer's records are all re-clustered ones (a customer is re-clustered
    # whole; a new id was never issued before), and every re-clustered record's customer is
    # an assigned one
    retired = f"select retired_customer_id from {RETIRED}"
    retired_only = "" if mode == "full" else f"and pc.customer_id in ({retired})"
    if mode == "full":  # the clusters' summary the membership write reads too
        _full.stage_clusters_summed(con)
        assigned_records = f"""select customer_id, is_anonymous, true as has_present, changed
  from {_full.CLUSTERS_SUMMED}"""
    else:
        # the records read once, narrow, before the customers' rows join (a removed record
        # an incremental run re-clusters moves its customer, but is not one of its present
        # records)
        assigned_records = f"""select m.customer_id, bool_and(r.is_anonymous) as is_anonymous,
    count(r.record_id) > 0 as has_present,
    count(*) filter (where p.customer_id is distinct from m.customer_id) > 0 as changed
  from {SCOPE_MEMBERS} m left join {RECORDS} r using (record_id)
  left join {PREV_MEMBERS_SCOPE} p using (record_id)
  group by m.customer_id"""
    con.execute(
        f"""create or replace temp table {CUSTOMERS_STAGE} as
with assigned_records as (
  {assigned_records}
), active as (
  select a.customer_id, true as is_active, n.is_anonymous, a.record_count,
    coalesce(pc.created_run_id, '{run_id}') as created_run_id,
    case when n.changed or pc.record_count <> a.record_count or pc.customer_id is null
         then '{run_id}' else pc.updated_run_id end as updated_run_id,
    a.record_count > {config.max_cluster_size} as is_oversized,
    coalesce(pc.created_at, ?::timestamp) as created_at
  -- one row per customer in each (an assigned cluster's id is unique)
  from {ASSIGNED} a join assigned_records n using (customer_id)
  left join {PREV_CUSTOMERS} pc using (customer_id)
  where n.has_present
)
select * from active
union all
select pc.customer_id, pc.is_active and r.retired_customer_id is null, pc.is_anonymous,
  pc.record_count, pc.created_run_id,
  case when r.retired_customer_id is not null then '{run_id}' else pc.updated_run_id end,
  pc.is_oversized, pc.created_at
from {PREV_CUSTOMERS} pc
left join {RETIRED} r on r.retired_customer_id = pc.customer_id
where pc.customer_id not in (select customer_id from active) {retired_only}""",
        [started_at],
    )


def _write_survivorship_trust(con: duckdb.DuckDBPyConnection, config: IdentityConfig) -> None:
    """The trust order golden records (the dbt mart) rank this run's records by; golden
    records were identity's before the mart: a stale copy must not outlive a forget."""
    con.execute(
        "create or replace table identity.survivorship_trust as " + survivorship_trust_sql(config)
    )
    con.execute("drop table if exists identity.golden_records")


def _stage_links(
    con: duckdb.DuckDBPyConnection, run_id: str, mode: str, by_key: frozenset[str]
) -> None:
    """The run's links, each with the run that first made it (``by_key``: the tables a full
    run writes by key, :func:`_full_run_writes_by_key`)."""
    if "links" in by_key:
        _full.stage_links(con, run_id)
        return
    touched, stored = "", "identity.links"
    if mode == "incremental":
        touched = f"where e.record_id_l in (select record_id from {TOUCHED_RECORDS})"
        # only the stored links of those records can match, and only those the last run
        # stored have any: none, and the stored links are not read
        stored = (
            "(select * from identity.links semi join "
            f"(select record_id as record_id_l from {STORED_TOUCHED}) using (record_id_l))"
            if scalar(con, f"select count(*) from {STORED_TOUCHED}")
            else "(select * from identity.links where false)"
        )
    con.execute(
        f"create or replace temp table {LINKS_STAGE} as "
        f"select coalesce(p.run_id, '{run_id}') as run_id, e.* "
        f"from {EDGES} e left join {stored} p "
        # one pair may hold several deterministic links (same card and same e-mail)
        f"on p.record_id_l = e.record_id_l and p.record_id_r = e.record_id_r "
        f"and p.link_type = e.link_type and p.rule is not distinct from e.rule {touched}"
    )


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
