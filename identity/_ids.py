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
    ID_OVERLAP,
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
create or replace temp table {ID_OVERLAP} as
select c.cluster_id, p.customer_id, count(*) as n, min(c.record_id) as first_record
from {CLUSTERS} c join {PREVIOUS_SCOPE} p using (record_id) group by all""")
    primaries = _first_of_each(ID_OVERLAP, "customer_id", "n desc, first_record")
    con.execute(f"""
create or replace temp table _identity_primary as
select o.customer_id, o.cluster_id, pc.created_at from ({primaries}) o
join {PREV_CUSTOMERS} pc using (customer_id)""")
    con.execute(f"""
create or replace temp table {ASSIGNED} as
with keepers as (
  select cluster_id, customer_id
  from ({_first_of_each("_identity_primary", "cluster_id", "created_at, customer_id")})
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
    # a previous customer keeps its id exactly when it keeps its primary cluster (a new id is
    # never one issued before): the others in scope retire, into that cluster's id if any
    con.execute(f"""
create or replace temp table {RETIRED} as
with gone as (
  select customer_id from {PREV_CUSTOMERS}
  semi join {SCOPE_CUSTOMERS} using (customer_id)
  anti join (select keeper as customer_id from {ASSIGNED}) using (customer_id)
  where is_active
)
select g.customer_id as retired_customer_id, a.customer_id
from gone g left join _identity_primary p using (customer_id)
left join {ASSIGNED} a on a.cluster_id = p.cluster_id""")
    con.execute(f"""
create or replace temp table {EVENTS} as
select customer_id, 'created' as event, null::varchar as from_customer_id,
  null::varchar as to_customer_id, 'new records' as detail
from {ASSIGNED} a where keeper is null
  and not exists (select 1 from {ID_OVERLAP} o where o.cluster_id = a.cluster_id)
union all
select a.customer_id, 'created', o.customer_id, a.customer_id,
  'split from ' || o.customer_id || ' (' || o.n || ' records)'
from {ASSIGNED} a join {ID_OVERLAP} o using (cluster_id)
where a.keeper is null
union all
select o.customer_id, 'split', o.customer_id, a.customer_id,
  o.n || ' records moved to ' || a.customer_id
from {ID_OVERLAP} o join {ASSIGNED} a using (cluster_id)
join _identity_primary p on p.customer_id = o.customer_id and p.cluster_id <> o.cluster_id
union all
select r.customer_id, 'merged', r.retired_customer_id, r.customer_id,
  r.retired_customer_id || ' merged into ' || r.customer_id
from {RETIRED} r where r.customer_id is not null
union all
select r.retired_customer_id, 'retired', r.retired_customer_id, r.customer_id,
  case when r.customer_id is null then 'no records left' else 'alias of ' || r.customer_id end
from {RETIRED} r""")
    con.execute("drop table _identity_primary")


def _first_of_each(table: str, group: str, order: str) -> str:
    """The first row of each ``group`` of ``table`` by ``order``: ranked by a window only
    where a group holds several rows (a previous customer's records in several clusters, a
    cluster several customers'): DuckDB's window sorts every row it reads, and nearly every
    group holds one."""
    return f"""with several as (select {group} from {table} group by {group} having count(*) > 1)
select * from {table} anti join several using ({group})
union all
select * from {table} semi join several using ({group})
qualify row_number() over (partition by {group} order by {order}) = 1"""
