"""The stored customers an incremental run re-clusters so the rare-name rule decides as a
full run would (``identity._rare_names``).

The rule attaches a name-only customer only when every customer bearing its full name is
re-clustered. An incremental run re-clusters the customers its new and changed records
touch; a ticket arriving alone, or a new account bearing the name of a stored name-only
customer, touches none of the others bearing that name. So, before clustering, the scope
takes in the stored customers bearing a full name its records bear, when the rule could
attach through it: a record of the scope or a stored one bearing it carries names alone,
and at most ``max_customers`` stored customers bear it (more, and the rule refuses it
anyway). Their names may bring others in turn, until none does. The check reads the records
carrying names alone (a few) and those bearing their names; the stored memberships are read
only when the scope bears such a name.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.warehouse import scalar
from identity._rare_names import NAMES_ALONE, SPELT_OUT
from identity._tables import PREV_MEMBERS, RECORDS, SCOPE_CUSTOMERS, SCOPE_RECORDS

if TYPE_CHECKING:
    import duckdb

    from identity._config import RareNamesConfig

log = logging.getLogger(__name__)

_BEARERS = "_identity_rare_scope_bearers"


def widen_scope(con: duckdb.DuckDBPyConnection, config: RareNamesConfig) -> int:
    """Add to :data:`SCOPE_CUSTOMERS` and :data:`SCOPE_RECORDS` the stored customers bearing
    a full name the rule could attach through; returns the customers added."""
    if config.expected_people_below <= 0:
        return 0
    # every record bearing a full name some record carries alone (a few, and none where no
    # record carries names alone)
    con.execute(f"""
create or replace temp table {_BEARERS} as
with alone as (
  select distinct first_name, last_name from {RECORDS}
  where {NAMES_ALONE} and not is_anonymous and {SPELT_OUT}
)
select record_id, first_name, last_name from {RECORDS} semi join alone using (first_name, last_name)
where not is_anonymous""")
    added = 0
    while customers := _bearers_to_add(con, config):
        added += len(customers)
        con.execute(f"insert into {SCOPE_CUSTOMERS} select unnest($1::varchar[])", [customers])
        con.execute(
            f"""insert into {SCOPE_RECORDS} select record_id from {PREV_MEMBERS}
where customer_id in (select unnest($1::varchar[]))""",
            [customers],
        )
    con.execute(f"drop table {_BEARERS}; drop table if exists _identity_rare_scope_outside")
    if added:
        log.info("rare names: %d stored customers bearing a scope's full name re-clustered", added)
    return added


def _bearers_to_add(con: duckdb.DuckDBPyConnection, config: RareNamesConfig) -> list[str]:
    """The stored customers outside the scope bearing a full name some record carries
    alone and a record of the scope bears, when at most ``max_customers`` do."""
    con.execute(f"""
create or replace temp table _identity_rare_scope_outside as
with marked as (
  select b.*, s.record_id is not null as in_scope
  from {_BEARERS} b left join {SCOPE_RECORDS} s using (record_id)
),
names as (
  select first_name, last_name from marked group by all
  having bool_or(in_scope) and not bool_and(in_scope)
)
select record_id, first_name, last_name from marked semi join names using (first_name, last_name)
where not in_scope""")
    if not scalar(con, "select count(*) from _identity_rare_scope_outside"):
        return []
    # the stored memberships are read only now: the scope bears such a name
    rows = con.execute(
        f"""
with bearers as (
  select distinct m.customer_id, o.first_name, o.last_name
  from _identity_rare_scope_outside o join {PREV_MEMBERS} m using (record_id)
),
few as (
  select first_name, last_name from bearers group by all having count(*) <= $1
)
select distinct customer_id from bearers semi join few using (first_name, last_name)
order by 1""",
        [config.max_customers],
    ).fetchall()
    return [customer for (customer,) in rows]
