"""The run's edges, the records it re-clusters, and their clusters.

Every link of the run goes into :data:`EDGES`: deterministic links, the accepted scored
pairs, on an incremental run the stored links between records it did not re-score, and the
stewards' must-links. A full run re-clusters every record; an incremental run only the
customers touched by new, changed or removed records and by the edges reaching them
(:func:`choose_scope`). Linked records go to Splink's graph solver, then constrained
clustering (``_cluster``) splits what must stay apart; unlinked records are their own cluster.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.warehouse import scalar
from identity import _cluster, _decisions, _guard_cache, _links, _model
from identity._tables import (
    ACCEPTED,
    CLUSTERS,
    EDGES,
    PREV_CUSTOMERS,
    PREV_MEMBERS,
    PREV_MEMBERS_SCOPE,
    RECORDS,
    RESCORED,
    SCOPE_CUSTOMERS,
    SCOPE_EDGES,
    SCOPE_RECORDS,
)

if TYPE_CHECKING:
    import duckdb

    from identity._backend import SplinkTables
    from identity._config import IdentityConfig

log = logging.getLogger(__name__)


def build_edges(con: duckdb.DuckDBPyConnection, mode: str) -> None:
    """Every link of the run into :data:`EDGES`; stewards' cannot-links into the constraints."""
    kept = ""
    if mode == "incremental":
        # Links between unchanged records still hold; changed records were re-scored.
        kept = f"""union all
select {_links.LINK_COLUMNS} from identity.links
where link_type = 'probabilistic'
  and record_id_l in (select record_id from {RECORDS})
  and record_id_r in (select record_id from {RECORDS})
  and record_id_l not in (select record_id from {RESCORED})
  and record_id_r not in (select record_id from {RESCORED})"""
    deterministic = _links.deterministic_links_sql()
    if mode == "incremental" and _guard_cache.incremental(con):
        # only the values guarded again can have other links than the stored ones
        deterministic = f"""{_guard_cache.unchanged_links_sql(_links.LINK_COLUMNS)}
union all
select * from ({_links.deterministic_links_sql(_guard_cache.changed_values_join())})"""
    con.execute(f"""
create or replace temp table {EDGES} as
{deterministic}
union all select {_links.LINK_COLUMNS} from {ACCEPTED}
{kept}
union all select * from ({_decisions.must_link_edges_sql()})""")
    _decisions.add_cannot_links(con)


def choose_scope(con: duckdb.DuckDBPyConnection, mode: str) -> None:
    """Which records to re-cluster (:data:`SCOPE_RECORDS`), the previous customers and
    memberships they involve, and the edges among them (:data:`SCOPE_EDGES`)."""
    _scope_records(con, mode)
    in_scope = (
        f"where record_id_l in (select * from {SCOPE_RECORDS})"
        if mode == "incremental"
        else ""  # a full run's scope is every record
    )
    con.execute(
        f"create or replace temp table {SCOPE_EDGES} as select record_id_l, record_id_r, "
        f"match_probability from {EDGES} {in_scope}"
    )


def _scope_records(con: duckdb.DuckDBPyConnection, mode: str) -> None:
    """All records on a full run; on an incremental run the customers touched by new,
    changed or removed records and by the edges reaching them (all records when links
    would cross that scope)."""
    present = f"select record_id from {RECORDS}"
    if mode == "full":
        con.execute(f"create or replace temp table {SCOPE_RECORDS} as {present}")
        con.execute(
            f"create or replace temp table {SCOPE_CUSTOMERS} as "
            f"select customer_id from {PREV_CUSTOMERS} where is_active"
        )
    else:
        con.execute(f"""
create or replace temp table _identity_seeds as
select record_id from {RESCORED}
union select record_id from {PREV_MEMBERS} where record_id not in ({present})""")
        con.execute(f"""
create or replace temp table {SCOPE_CUSTOMERS} as
with touched as (
  select record_id from _identity_seeds
  union select record_id_r from {EDGES} where record_id_l in (select * from _identity_seeds)
  union select record_id_l from {EDGES} where record_id_r in (select * from _identity_seeds)
)
select distinct customer_id from {PREV_MEMBERS} where record_id in (select * from touched)""")
        con.execute(f"""
create or replace temp table {SCOPE_RECORDS} as
select record_id from {PREV_MEMBERS} where customer_id in (select * from {SCOPE_CUSTOMERS})
  and record_id in ({present})
union select record_id from {RESCORED}""")
        leaks = scalar(
            con,
            f"""select count(*) from {EDGES}
where (record_id_l in (select * from {SCOPE_RECORDS}))
   <> (record_id_r in (select * from {SCOPE_RECORDS}))""",
        )
        if leaks:
            log.warning("%d links cross the incremental scope; re-clustering everything", leaks)
            _scope_records(con, "full")
            return
    con.execute(
        f"create or replace temp table {PREV_MEMBERS_SCOPE} as select * from "
        f"{PREV_MEMBERS} where record_id in (select * from {SCOPE_RECORDS})"
    )


def cluster_scope(
    con: duckdb.DuckDBPyConnection, splink: SplinkTables, config: IdentityConfig
) -> None:
    """The scope's records into :data:`CLUSTERS`: linked ones by Splink's connected
    components and constrained clustering, the others each their own cluster."""
    linked = (
        f"select record_id_l as record_id from {SCOPE_EDGES} "
        f"union select record_id_r from {SCOPE_EDGES}"
    )
    if scalar(con, f"select count(*) from {SCOPE_EDGES}"):
        components = _model.cluster(
            splink, f"select record_id from ({linked})", f"select * from {SCOPE_EDGES}"
        )
    else:
        con.execute(
            "create or replace temp table _identity_no_components "
            "(record_id varchar, cluster_id varchar)"
        )
        components = "_identity_no_components"
    clusters = _cluster.constrain(con, components, config)
    con.execute(f"""create or replace temp table {CLUSTERS} as
select record_id, cluster_id from {clusters}
union all
select record_id, record_id as cluster_id from {SCOPE_RECORDS}
anti join {clusters} using (record_id)""")
