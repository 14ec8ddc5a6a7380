"""The stored customers an incremental run re-clusters so the rare-name rule decides as a
full run would (``identity._rare_names``).

The rule attaches a name-only customer only when every customer bearing its full name is
re-clustered. An incremental run re-clusters the customers its new and changed records
touch; a ticket arriving alone, or a new account bearing the name of a stored name-only
customer, touches none of the others bearing that name. So, before clustering, the scope
takes in the stored customers bearing a full name its records bear, when the rule could
attach through it: a record of the scope or a stored one bearing it carries names alone,
and at most ``max_customers`` stored customers bear it (more, and the rule refuses it
anyway). Their names may bring others in turn, until none does. Most scopes have no such
name: the check is one pass over the records' names.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.warehouse import scalar
from identity._rare_names import BEYOND_NAMES, SPELT_OUT
from identity._tables import PREV_MEMBERS, RECORDS, SCOPE_CUSTOMERS, SCOPE_RECORDS

if TYPE_CHECKING:
    import duckdb

    from identity._config import RareNamesConfig

log = logging.getLogger(__name__)

_NAMES = "_identity_rare_scope_names"  # the full names examined so far (all rounds)
_NEW_RECORDS = "_identity_rare_scope_new"  # the scope's records whose names are not yet read
_ROUND = "_identity_rare_scope_round"  # the full names this round brings
_BEARERS = "_identity_rare_scope_bearers"  # the stored records bearing them


def widen_scope(con: duckdb.DuckDBPyConnection, config: RareNamesConfig) -> int:
    """Add to :data:`SCOPE_CUSTOMERS` and :data:`SCOPE_RECORDS` the stored customers bearing
    a full name the rule could attach through; returns the customers added."""
    if config.expected_people_below <= 0:
        return 0
    con.execute(f"create or replace temp table {_NAMES} (first_name varchar, last_name varchar)")
    con.execute(f"create or replace temp table {_NEW_RECORDS} as select * from {SCOPE_RECORDS}")
    added = 0
    while True:
        customers = _bearers_to_add(con, config)
        if not customers:
            break
        added += len(customers)
        con.execute(f"insert into {SCOPE_CUSTOMERS} select unnest($1::varchar[])", [customers])
        con.execute(
            f"""create or replace temp table {_NEW_RECORDS} as select record_id from {PREV_MEMBERS}
where customer_id in (select unnest($1::varchar[]))""",
            [customers],
        )
        con.execute(f"insert into {SCOPE_RECORDS} select * from {_NEW_RECORDS}")
    for table in (_NAMES, _NEW_RECORDS, _ROUND, _BEARERS):
        con.execute(f"drop table if exists {table}")
    if added:
        log.info("rare names: %d stored customers bearing a scope's full name re-clustered", added)
    return added


def _bearers_to_add(con: duckdb.DuckDBPyConnection, config: RareNamesConfig) -> list[str]:
    """The stored customers outside the scope bearing a full name the records of
    ``_NEW_RECORDS`` bring, when a bearer carries names alone and few customers bear it."""
    con.execute(f"""
create or replace temp table {_ROUND} as
select * from (
  select first_name, last_name, bool_or({BEYOND_NAMES} is null) as names_only
  from {RECORDS} semi join {_NEW_RECORDS} using (record_id)
  where not is_anonymous and {SPELT_OUT}
  group by all
) anti join {_NAMES} using (first_name, last_name)""")
    con.execute(f"insert into {_NAMES} select first_name, last_name from {_ROUND}")
    # the stored records bearing these names (the scope's own excluded): a pass over the
    # names, the other columns read only for the few records found
    con.execute(f"""
create or replace temp table {_BEARERS} as
select record_id, first_name, last_name, {BEYOND_NAMES} is null as names_only
from {RECORDS} semi join {_ROUND} using (first_name, last_name)
anti join {SCOPE_RECORDS} using (record_id)
where not is_anonymous""")
    if not scalar(
        con,
        f"""select count(*) from {_BEARERS} b
join {_ROUND} n using (first_name, last_name)
where b.names_only or n.names_only""",
    ):
        return []
    rows = con.execute(
        f"""
with names as (
  select first_name, last_name from {_BEARERS} b
  join {_ROUND} n using (first_name, last_name)
  group by all having bool_or(b.names_only) or bool_or(n.names_only)
),
bearers as (
  select distinct m.customer_id, b.first_name, b.last_name
  from {_BEARERS} b semi join names using (first_name, last_name)
  join {PREV_MEMBERS} m using (record_id)
),
few as (
  select first_name, last_name from bearers group by all having count(*) <= $1
)
select distinct customer_id from bearers semi join few using (first_name, last_name)
order by 1""",
        [config.max_customers],
    ).fetchall()
    return [customer for (customer,) in rows]
