"""The run's edges, the records it re-clusters, and their clusters.

Every link of the run goes into :data:`EDGES`: deterministic links, the accepted scored
pairs, on an incremental run the stored links between records it did not re-score, and the
stewards' must-links. A full run re-clusters every record; an incremental run only the
customers touched by new, changed or removed records and by the edges reaching them
(:func:`choose_scope`), and reads of the stored links only those of these records. Linked
records go to connected components (``_model.cluster``), then constrained clustering
(``_cluster``) splits what must stay apart; unlinked records are their own cluster.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.warehouse import scalar
from identity import _cluster, _decisions, _guard_cache, _links, _model, _rare_names_scope
from identity._tables import (
    ACCEPTED,
    CLUSTERS,
    EDGES,
    NEW_EDGES,
    PREV_CUSTOMERS,
    PREV_MEMBERS,
    PREV_MEMBERS_SCOPE,
    RECORDS,
    REMOVED,
    RESCORED,
    SCOPE_CUSTOMERS,
    SCOPE_EDGES,
    SCOPE_RECORDS,
)

if TYPE_CHECKING:
    import duckdb

    from identity._backend import SplinkTables
    from identity._config import IdentityConfig, RareNamesConfig

log = logging.getLogger(__name__)


def build_edges(con: duckdb.DuckDBPyConnection, mode: str) -> None:
    """Every link of the run into :data:`EDGES`; stewards' cannot-links into the constraints.

    An incremental run writes its new links into :data:`NEW_EDGES`; :data:`EDGES` is then
    a view adding the stored links still holding, until :func:`choose_scope` keeps only
    the links of the records it re-clusters (read through filters, never copied whole)."""
    deterministic = _links.deterministic_links_sql()
    if mode == "incremental" and _guard_cache.incremental(con):
        # only the values guarded again can have other links than the stored ones
        deterministic = _links.deterministic_links_sql(
            _guard_cache.changed_values_join(), _guard_cache.GUARDED_LINK_IDS
        )
    # the accepted links' table becomes the run's links, the others added to it: copying
    # its rows (540k at 1M records, with their explanations) cost 0.1-0.2 s of CPU
    edges = NEW_EDGES if mode == "incremental" else EDGES
    con.execute(f"drop table if exists {edges}")
    con.execute(f"alter table {ACCEPTED} rename to {edges}")
    con.execute(
        f"insert into {edges} ({_links.LINK_COLUMNS}) {deterministic}\n"
        f"union all select * from ({_decisions.must_link_edges_sql()})"
    )
    if mode == "incremental":
        con.execute(f"create or replace temp view {EDGES} as {_edges_where(con, 'true')}")
    _decisions.add_cannot_links(con)


def _edges_where(
    con: duckdb.DuckDBPyConnection, where: str, stored_where: str | None = None
) -> str:
    """The incremental run's links meeting ``where`` (a filter on their two record ids):
    the new ones and the stored ones still holding, the stored links filtered first (by
    ``stored_where`` when given: the same filter on the records a stored link can hold).

    A stored link between unchanged records still holds (changed ones were re-scored), and
    so does a deterministic link of a value not guarded again."""
    stored = f"(select * from identity.links where {stored_where or where}) as stored"
    changed = f"select record_id from {RESCORED} union all select record_id from {REMOVED}"
    kept = f"""select {_links.LINK_COLUMNS} from {stored}
where link_type = 'probabilistic'
  and record_id_l not in ({changed}) and record_id_r not in ({changed})"""
    if _guard_cache.incremental(con):
        unchanged = _guard_cache.unchanged_links_sql(_links.LINK_COLUMNS, stored)
        kept = f"{unchanged}\nunion all\n{kept}"
    return f"select * from {NEW_EDGES} where {where}\nunion all\n{kept}"


def _materialise_edges(con: duckdb.DuckDBPyConnection) -> None:
    """Replace the incremental run's :data:`EDGES` view by a table of every link of the run
    (its scope abandoned: it re-clusters everything, as a full run)."""
    con.execute(f"create or replace temp table _identity_edges_kept as {_edges_where(con, 'true')}")
    _replace_edges(con, "_identity_edges_kept")


def _replace_edges(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute(f"drop view {EDGES}")
    con.execute(f"alter table {table} rename to {EDGES}")


def choose_scope(con: duckdb.DuckDBPyConnection, mode: str, rare_names: RareNamesConfig) -> None:
    """Which records to re-cluster (:data:`SCOPE_RECORDS`), the previous customers and
    memberships they involve, and the edges among them (:data:`SCOPE_EDGES`)."""
    _scope_records(con, mode, rare_names)
    in_scope = (
        f"where record_id_l in (select * from {SCOPE_RECORDS})"
        if mode == "incremental"
        else ""  # a full run's scope is every record
    )
    con.execute(
        f"create or replace temp table {SCOPE_EDGES} as select record_id_l, record_id_r, "
        f"match_probability from {EDGES} {in_scope}"
    )


def _scope_records(con: duckdb.DuckDBPyConnection, mode: str, rare_names: RareNamesConfig) -> None:
    """All records on a full run; on an incremental run the customers touched by new,
    changed or removed records and by the edges reaching them, and the stored customers
    the rare-name rule must see re-clustered (``_rare_names_scope``); all records when
    links would cross that scope."""
    present = f"select record_id from {RECORDS}"
    if mode == "full":
        con.execute(f"create or replace temp table {SCOPE_RECORDS} as {present}")
        con.execute(
            f"create or replace temp table {SCOPE_CUSTOMERS} as "
            f"select customer_id from {PREV_CUSTOMERS} where is_active"
        )
        _previous_members_in_scope(con)
    else:
        removed = f"select record_id from {REMOVED}"
        con.execute(f"""
create or replace temp table _identity_seeds as
select record_id from {RESCORED} union select record_id from {REMOVED}""")
        seeds = "(select * from _identity_seeds)"
        # The customers the seeds' links reach: only the run's new links can reach another
        # customer than the seed's own (a stored link joins two records of one customer:
        # clustering refused every edge it did not follow), so the stored links are not
        # read here; one that does cross is caught below, and everything re-clustered.
        con.execute(f"""
create or replace temp table {SCOPE_CUSTOMERS} as
with touched as (
  select record_id from _identity_seeds
  union select record_id_r from {NEW_EDGES} where record_id_l in {seeds}
  union select record_id_l from {NEW_EDGES} where record_id_r in {seeds}
)
select distinct customer_id from {PREV_MEMBERS} where record_id in (select * from touched)""")
        con.execute(f"""
create or replace temp table {SCOPE_RECORDS} as
select record_id from {PREV_MEMBERS} where customer_id in (select * from {SCOPE_CUSTOMERS})
  and record_id not in ({removed})
union select record_id from {RESCORED}""")
        _rare_names_scope.widen_scope(con, rare_names)
        _previous_members_in_scope(con)
        # The links reaching the scope's records (and leaving removed ones), read once: a
        # link crossing the scope is among them; when none does, they are all the links
        # clustering and the write read. The others join records of a customer left as it
        # was, and are stored already.
        scope = f"(select * from {SCOPE_RECORDS})"
        near = f"record_id_l in {scope} or record_id_r in {scope} or record_id_l in ({removed})"
        con.execute(
            "create or replace temp table _identity_edges_near as "
            + _edges_where(con, near, _stored_near_sql(con, removed))
        )
        leaks = scalar(
            con,
            f"select count(*) from _identity_edges_near "
            f"where (record_id_l in {scope}) <> (record_id_r in {scope})",
        )
        if leaks:
            log.warning("%d links cross the incremental scope; re-clustering everything", leaks)
            con.execute("drop table _identity_edges_near")
            _materialise_edges(con)
            _scope_records(con, "full", rare_names)
            return
        _replace_edges(con, "_identity_edges_near")


def _previous_members_in_scope(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"create or replace temp table {PREV_MEMBERS_SCOPE} as select * from "
        f"{PREV_MEMBERS} semi join {SCOPE_RECORDS} using (record_id)"
    )


def _stored_near_sql(con: duckdb.DuckDBPyConnection, removed: str) -> str:
    """The filter finding the stored links that reach the scope (or leave a removed record):
    a stored link joins two records the last run stored, and each of those had a membership,
    so only the scope's records with one (:data:`PREV_MEMBERS_SCOPE`) can be in it. When
    there are none (a batch of new people, no record removed), no stored link is read: the
    scan of every stored link (1.2M at 1M records) found nothing."""
    if not scalar(
        con,
        f"select (select count(*) from {PREV_MEMBERS_SCOPE}) + (select count(*) from ({removed}))",
    ):
        return "false"
    known = f"(select record_id from {PREV_MEMBERS_SCOPE})"
    return f"record_id_l in {known} or record_id_r in {known} or record_id_l in ({removed})"


def cluster_scope(
    con: duckdb.DuckDBPyConnection, splink: SplinkTables, config: IdentityConfig
) -> None:
    """The scope's records into :data:`CLUSTERS`: linked ones by connected components and
    constrained clustering, the others each their own cluster."""
    if scalar(con, f"select count(*) from {SCOPE_EDGES}"):
        components, unlinked = _model.cluster(
            splink, f"select record_id from {SCOPE_RECORDS}", f"select * from {SCOPE_EDGES}"
        )
    else:
        con.execute(
            "create or replace temp table _identity_no_components "
            "(record_id varchar, cluster_id varchar)"
        )
        components, unlinked = "_identity_no_components", SCOPE_RECORDS
    # constrained clustering splits components; it keeps their records
    clusters = _cluster.constrain(con, components, config)
    con.execute(f"""create or replace temp table {CLUSTERS} as
select record_id, cluster_id from {clusters}
union all
select record_id, record_id as cluster_id from {unlinked}""")
