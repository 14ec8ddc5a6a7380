"""Stable customer ids: carry ids over from the previous run and record every change.

Given this run's clusters and the previous membership:
- each previous customer's *primary* cluster is the one holding most of its records;
- a cluster keeps the id of the oldest previous customer whose primary it is, so an
  unchanged or grown cluster keeps its id, and a merge keeps the older id;
- the other previous customers with that primary are retired as aliases of the survivor
  (events ``merged`` on the survivor, ``retired`` on the alias);
- a cluster that is nobody's primary gets a new id (``created``); when it holds records of
  a previous customer, that customer ``split`` into it, and the event names both ids;
- a previous customer with no record left (erased) is ``retired`` with no survivor.
New ids derive from the cluster's smallest record id, so a fresh warehouse resolving the
same data gets the same ids; a clash with any id ever issued takes the run id as salt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from identity._tables import (
    ASSIGNED,
    CLUSTERS,
    PREV_CUSTOMERS,
    RETIRED,
    SCOPE_CUSTOMERS,
)
from identity._tables import ID_EVENTS as EVENTS
from identity._tables import PREV_MEMBERS_SCOPE as PREVIOUS_SCOPE

if TYPE_CHECKING:
    import duckdb


def assign_ids(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Fill ASSIGNED, EVENTS and RETIRED from CLUSTERS and the previous state in scope.

    Only the records in CLUSTERS are re-assigned (all of them on a full run, the customers
    an incremental run touches otherwise); customers out of scope keep their records.
    """
    con.execute(f"""
create or replace temp table _identity_overlap as
select c.cluster_id, p.customer_id, count(*) as n, min(c.record_id) as first_record
from {CLUSTERS} c join {PREVIOUS_SCOPE} p using (record_id) group by all""")
    con.execute(f"""
create or replace temp table _identity_primary as
select o.customer_id, o.cluster_id, pc.created_at from _identity_overlap o
join {PREV_CUSTOMERS} pc using (customer_id)
qualify row_number() over (partition by o.customer_id order by o.n desc, o.first_record) = 1""")
    con.execute(f"""
create or replace temp table {ASSIGNED} as
with keepers as (
  select cluster_id, customer_id from _identity_primary
  qualify row_number() over (partition by cluster_id order by created_at, customer_id) = 1
), clusters as (
  select cluster_id, min(record_id) as first_record, count(*) as record_count
  from {CLUSTERS} group by cluster_id
), issued as (select customer_id from {PREV_CUSTOMERS}), proposed as (
  -- a new id only for the clusters no previous customer keeps (a full run: a few)
  select c.*, k.customer_id as keeper, case when k.customer_id is null
    then 'C' || upper(substr(md5(c.first_record), 1, 12)) end as candidate
  from clusters c left join keepers k using (cluster_id)
)
select cluster_id, first_record, record_count, keeper,
  coalesce(keeper, case when candidate in (select customer_id from issued)
    then 'C' || upper(substr(md5(first_record || '{run_id}'), 1, 12)) else candidate end)
    as customer_id
from proposed""")
    con.execute(f"""
create or replace temp table {RETIRED} as
select pc.customer_id as retired_customer_id, a.customer_id
from {PREV_CUSTOMERS} pc
left join _identity_primary p using (customer_id)
left join {ASSIGNED} a on a.cluster_id = p.cluster_id
where pc.is_active and pc.customer_id in (select customer_id from {SCOPE_CUSTOMERS})
  and (a.customer_id is null or a.customer_id <> pc.customer_id)""")
    con.execute(f"""
create or replace temp table {EVENTS} as
select customer_id, 'created' as event, null::varchar as from_customer_id,
  null::varchar as to_customer_id, 'new records' as detail
from {ASSIGNED} a where keeper is null
  and not exists (select 1 from _identity_overlap o where o.cluster_id = a.cluster_id)
union all
select a.customer_id, 'created', o.customer_id, a.customer_id,
  'split from ' || o.customer_id || ' (' || o.n || ' records)'
from {ASSIGNED} a join _identity_overlap o using (cluster_id)
where a.keeper is null
union all
select o.customer_id, 'split', o.customer_id, a.customer_id,
  o.n || ' records moved to ' || a.customer_id
from _identity_overlap o join {ASSIGNED} a using (cluster_id)
join _identity_primary p on p.customer_id = o.customer_id and p.cluster_id <> o.cluster_id
union all
select r.customer_id, 'merged', r.retired_customer_id, r.customer_id,
  r.retired_customer_id || ' merged into ' || r.customer_id
from {RETIRED} r where r.customer_id is not null
union all
select r.retired_customer_id, 'retired', r.retired_customer_id, r.customer_id,
  case when r.customer_id is null then 'no records left' else 'alias of ' || r.customer_id end
from {RETIRED} r""")
    con.execute("drop table _identity_overlap; drop table _identity_primary")
