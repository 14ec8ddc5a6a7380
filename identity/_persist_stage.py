"""The run's new state staged for the write (``_persist.write_run``): each record's customer,
the customers' rows, the keys an incremental run rewrites, the customers the run changes, and
its links with the run that first made each.

Temporary tables only: nothing here writes an ``identity.*`` table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.warehouse import scalar
from identity import _persist_full as _full
from identity._config import IdentityConfig
from identity._tables import (
    ASSIGNED,
    CHANGED_CUSTOMERS,
    CHANGED_RECORDS,
    CLUSTERS,
    CUSTOMERS_STAGE,
    EDGES,
    LINKS_STAGE,
    MEMBERS,
    PREV_CUSTOMERS,
    PREV_MEMBERS,
    PREV_MEMBERS_SCOPE,
    RECORDS,
    REMOVED,
    RESCORED,
    RETIRED,
    SCOPE_MEMBERS,
    SCOPE_RECORDS,
    STORED_CHANGED,
    STORED_TOUCHED,
    TOUCHED_RECORDS,
)

if TYPE_CHECKING:
    import duckdb


def changed_keys(con: duckdb.DuckDBPyConnection) -> None:
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


def count_changed_customers(con: duckdb.DuckDBPyConnection, mode: str) -> int:
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


def stage_members(con: duckdb.DuckDBPyConnection, mode: str) -> None:
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


def stage_customers(
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


def stage_links(
    con: duckdb.DuckDBPyConnection, run_id: str, mode: str, by_key: frozenset[str]
) -> None:
    """The run's links, each with the run that first made it (``by_key``: the tables a full
    run writes by key, ``_persist._full_run_writes_by_key``)."""
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
