"""Constrained clustering: chains that would join records that must stay apart are split.

Connected components are the fast path. Afterwards, records of one component that must not
meet become cannot-link pairs in ``_tables.CONSTRAINTS`` (``constraint_source = 'guard'``):

- two birth dates that disagree (``guards.cannot_link.birth_date_tolerance_days``);
- two first names that plainly disagree (``first_names``; initials, typos, swapped first
  and last names and an equal birth date, or one typo apart, do not count);
- two records of a type listed in ``guards.cannot_link.identifiers`` carrying different
  values of it (two different verified account ids);

unless an edge joins the two directly with overwhelming evidence (a match weight above
``overwhelming_match_weight``, a deterministic or a decision link). Stewards' cannot-link
decisions are in the same table.

Only the components holding a violated pair are re-clustered, by adding their edges strongest
first (decision, then deterministic, then match weight) and refusing any edge that would
join two groups a constraint keeps apart: the chain ``A~B~C`` with ``A`` and ``C`` in
conflict is cut at its weakest link. Every refused edge is dropped from the run's edges and
recorded as a ``chain_split`` guard event. Decision edges are never refused.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from identity import _replaced
from identity._same_person import (
    birth_date_typo_sql,
    different_birth_dates_sql,
    different_first_names_sql,
    same_first_name_sql,
)
from identity._tables import CONSTRAINTS, EDGES, LINK_IDS, RECORDS, REFUSED, SCOPE_EDGES
from identity._tables import GUARD_EVENTS as EVENTS

if TYPE_CHECKING:
    import duckdb

    from identity._config import IdentityConfig

log = logging.getLogger(__name__)
_RANK = {"decision": 0, "deterministic": 1}


def _add_conflicts(con: duckdb.DuckDBPyConnection, config: IdentityConfig) -> None:
    rules = config.guards.cannot_link

    def direct(left: str, right: str) -> str:  # an edge that overrides the constraint
        # one EXISTS per direction: each is a hash join on both ids, where one EXISTS with
        # the two directions OR-ed is a nested loop over every edge for every pair (1M
        # records: minutes; 10M: a hundred times that)
        def edge(a: str, b: str) -> str:
            return f"""exists (select 1 from {EDGES} e
  where e.record_id_l = {a} and e.record_id_r = {b}
    and (e.link_type <> 'probabilistic' or e.match_weight > {rules.overwhelming_match_weight}))"""

        return f"({edge(left, right)} or {edge(right, left)})"

    # a pair in a stratum where the records show values replaced, not other people
    # (``_replaced``): its different birth dates (at one home or under one name) or first
    # names (at one home) are one person's
    replaced = _replaced.stored(con)

    def waived(*strata: str) -> str:
        return _replaced.waived_sql(replaced, strata, lambda side, c: f"{'ab'[side == 'r']}.{c}")

    tests = []  # (reason, SQL over records a and b), checked in one self-join per cluster
    if rules.birth_date_tolerance_days is not None:
        days = rules.birth_date_tolerance_days
        tests.append(
            (
                "different_birth_date",
                f"{different_birth_dates_sql('a', 'b', days)} and not {waived('home', 'name')}",
            )
        )
    if rules.first_names:
        # the same birth date (or one typo apart) says one person with a mistyped or replaced
        # first name (twins excepted): a household's members differ on both
        same_birth_date = f"coalesce({birth_date_typo_sql('a.birth_date', 'b.birth_date')}, false)"
        tests.append(
            (
                "different_first_name",
                f"{different_first_names_sql('a', 'b')} and not {same_birth_date} "
                f"and not {waived('home')}",
            )
        )
    if tests:
        reasons = ", ".join(f"case when {sql} then '{reason}' end" for reason, sql in tests)
        con.execute(f"""
insert into {CONSTRAINTS}
with multi as (
  -- two values or more: min and max differ (a distinct count groups every value again)
  select c.cluster_id from _identity_components c join {RECORDS} r using (record_id)
  where r.birth_date is not null or r.first_name is not null
  group by 1
  having min(r.birth_date) <> max(r.birth_date) or min(r.first_name) <> max(r.first_name)
), m as (
  -- the records of those components only, with what the tests read: carrying six columns
  -- of every linked record for the grouping above cost 0.2 s of CPU more at 1M records
  -- (615k records, 57k in such components)
  select c.record_id, c.cluster_id, r.birth_date, r.first_name, r.last_name, r.address_line,
    r.postcode, r.city
  from _identity_components c semi join multi using (cluster_id)
  join {RECORDS} r using (record_id)
  where r.birth_date is not null or r.first_name is not null
), pairs as (
  select a.record_id as record_id_l, b.record_id as record_id_r,
    unnest(list_filter([{reasons}], lambda x: x is not null)) as reason
  from m a join m b on a.cluster_id = b.cluster_id and a.record_id < b.record_id
  where ({" or ".join(f"({sql})" for _, sql in tests)})
)
select p.record_id_l, p.record_id_r, 'guard', p.reason from pairs p
where not {direct("p.record_id_l", "p.record_id_r")}""")
    for id_type in rules.identifiers:
        con.execute(f"""
insert into {CONSTRAINTS}
with m as (
  select c.record_id, c.cluster_id, i.identifier_value from _identity_components c
  join {RECORDS} r using (record_id) join {LINK_IDS} i using (record_id)
  where r.identity_type = '{id_type}' and i.identifier_type = '{id_type}'
), multi as (
  select cluster_id from m group by 1 having min(identifier_value) <> max(identifier_value)
)
select a.record_id, b.record_id, 'guard', 'different_{id_type}'
from m a join m b on a.cluster_id = b.cluster_id and a.record_id < b.record_id
where a.cluster_id in (select cluster_id from multi)
  and a.identifier_value <> b.identifier_value and not {direct("a.record_id", "b.record_id")}""")


_WITNESSES = 2  # records bearing the bridge, each linked to both sides
# ... or one, where the pair bears one first name (a slip or a swap of it) and clashes on
# the birth date alone: a household's two members differ on both (``_waive_witnessed``)
_WITNESSES_ONE_NAME = 1


def _waivable(k: str = "") -> str:
    """The guards' cannot-links a witness can waive (``k``: the constraints' alias)."""
    k = f"{k}." if k else ""
    return (
        f"{k}constraint_source = 'guard' "
        f"and {k}reason in ('different_first_name', 'different_birth_date')"
    )


def _bears(witness: str, named: str, born: str) -> str:
    """The witness bears ``named``'s first name (or a typo of it) and ``born``'s birth date
    (or a typo of it)."""
    first = same_first_name_sql(
        f"{witness}.first_name",
        f"{named}.first_name",
        f"{witness}.last_name",
        f"{named}.last_name",
    )
    days = birth_date_typo_sql(f"{witness}.birth_date", f"{born}.birth_date")
    return f"coalesce({first} and {days}, false)"


def _waive_witnessed(con: duckdb.DuckDBPyConnection) -> None:
    """Drop a guard's cannot-link pair when a third record of the component, linked directly
    to each of the two and contradicting neither, bears one's first name and the other's
    birth date: it shows one of the clashing values to be the person's typo or replacement.
    (``rosie`` and ``yasmin quilliam``, no birth date, clash on first names; the card
    ``yasmin quilliam 1999-12-07`` at the same address matches ``rosie``'s birth date and
    ``yasmin``'s name: ``rosie`` is a replaced first name.) A household's two members are
    only bridged so by records bearing one's name and the other's birth date: one such
    record is a form filled with a relative's birth date (pseudopeople copies household
    members' values so), so it takes :data:`_WITNESSES` of them. A pair bearing one first
    name (one slip or a swap of it) that clashes on the birth date alone is not two members
    of a household (they differ on both): one witness bearing that name and the other
    birth date shows the birth date replaced (``sebastian mahony 1922`` at one address
    and ``mahony sebastian 1975`` there: the 1975 card against ``sebastian mahoay 1922``
    with no address)."""
    # only edges leaving a record of such a pair can link a witness to it: not every edge of
    # the run both ways (a million rows at 1M records, for a few hundred pairs)
    con.execute(f"""
create or replace temp table _identity_witness_edges as
with ends as (
  select record_id_l as record_id from {CONSTRAINTS} where {_waivable()}
  union select record_id_r from {CONSTRAINTS} where {_waivable()}
)
select record_id_l as a, record_id_r as b from {EDGES} semi join ends on record_id = record_id_l
union select record_id_r, record_id_l from {EDGES} semi join ends on record_id = record_id_r""")
    # one first name: equal, one slip apart or swapped with the last name; not merely alike
    # (``charles`` / ``charlotte``: two people whom ``charlotye`` would bridge)
    one_name = (
        "coalesce(ra.first_name = rb.first_name "
        "or damerau_levenshtein(ra.first_name, rb.first_name) <= 1 "
        "or ra.first_name = rb.last_name or rb.first_name = ra.last_name, false)"
    )
    con.execute(f"""
delete from {CONSTRAINTS} k using (
  select k.record_id_l, k.record_id_r from {CONSTRAINTS} k
  join _identity_components a on a.record_id = k.record_id_l
  join _identity_components b on b.record_id = k.record_id_r and b.cluster_id = a.cluster_id
  join _identity_witness_edges ea on ea.a = k.record_id_l
  join _identity_witness_edges eb on eb.a = k.record_id_r and eb.b = ea.b
  join {RECORDS} w on w.record_id = ea.b
  join {RECORDS} ra on ra.record_id = k.record_id_l
  join {RECORDS} rb on rb.record_id = k.record_id_r
  where {_waivable("k")} -- two verified accounts stay two, whatever bridges them
    and ({_bears("w", "ra", "rb")} or {_bears("w", "rb", "ra")})
    -- the witness is kept apart from neither (a join on the witness's id each way)
    and not exists (select 1 from {CONSTRAINTS} x where x.record_id_l = w.record_id
      and x.record_id_r in (k.record_id_l, k.record_id_r))
    and not exists (select 1 from {CONSTRAINTS} x where x.record_id_r = w.record_id
      and x.record_id_l in (k.record_id_l, k.record_id_r))
  group by k.record_id_l, k.record_id_r
  having count(distinct w.record_id) >= case
    when bool_and(k.reason = 'different_birth_date' and {one_name}) then
    {_WITNESSES_ONE_NAME} else {_WITNESSES} end
) v where k.record_id_l = v.record_id_l and k.record_id_r = v.record_id_r
  and {_waivable("k")}""")
    con.execute("drop table _identity_witness_edges")


class _Groups:
    """Union-find whose groups remember the records they must not meet."""

    def __init__(self, records, pairs) -> None:
        self.parent = {r: r for r in records}
        self.apart: dict[str, set[str]] = {r: set() for r in records}
        for left, right in pairs:
            self.apart[left].add(right)
            self.apart[right].add(left)

    def find(self, node: str) -> str:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def clash(self, a: str, b: str) -> str | None:
        """A record of b's group that a's group must not meet, if any."""
        small, other = (a, b) if len(self.apart[a]) <= len(self.apart[b]) else (b, a)
        # the smallest such record, not the first in set order: the event detail is stable
        return min((r for r in self.apart[small] if self.find(r) == other), default=None)

    def union(self, a: str, b: str) -> None:
        if len(self.apart[a]) < len(self.apart[b]):
            a, b = b, a
        self.parent[b] = a
        self.apart[a] |= self.apart.pop(b)


def _solve(records, edges, pairs) -> tuple[dict[str, str], list[tuple]]:
    """Kruskal with cannot-links: record -> group root, and the refused edges."""
    groups = _Groups(records, pairs)
    refused = []
    ordered = sorted(edges, key=lambda e: (_RANK.get(e[2], 2), -(e[3] or 0.0), e[0], e[1]))
    for left, right, link_type, weight in ordered:
        a, b = groups.find(left), groups.find(right)
        if a == b:
            continue
        clash = groups.clash(a, b) if link_type != "decision" else None
        if clash is not None:
            refused.append((left, right, link_type, weight, clash))
            continue
        groups.union(a, b)
    return {r: groups.find(r) for r in records}, refused


def constrain(con: duckdb.DuckDBPyConnection, clusters: str, config: IdentityConfig) -> str:
    """Clusters with no constraint pair inside, splitting chained components on weak edges.

    ``clusters`` names a (record_id, cluster_id) relation; returns the name of the temp
    table holding the constrained clusters."""
    con.execute(f"create temp table if not exists {CONSTRAINTS} ({CONSTRAINTS.columns})")
    con.execute(f"""insert into {EVENTS} by name
select 'conflict_refused' as event_type, record_id_l, record_id_r,
  conflict || ' (match weight ' || round(match_weight, 2) || ')' as detail,
  now()::timestamp as created_at
from {REFUSED} where match_probability >= {config.match_threshold}""")
    con.execute(
        "create or replace temp table _identity_components as "
        f"select record_id, cluster_id from {clusters}"
    )
    _add_conflicts(con, config)
    _replaced.waive_shown_clashes(con, CONSTRAINTS, EDGES, RECORDS)
    _waive_witnessed(con)
    con.execute(f"""create or replace temp table _identity_problem_clusters as
select distinct a.cluster_id from {CONSTRAINTS} k
join _identity_components a on a.record_id = k.record_id_l
join _identity_components b on b.record_id = k.record_id_r
where a.cluster_id = b.cluster_id""")
    violated = con.execute("select count(*) from _identity_problem_clusters").fetchall()[0][0]
    if not violated:
        return "_identity_components"
    records = [
        r[0]
        for r in con.execute("""select record_id from _identity_components
where cluster_id in (select cluster_id from _identity_problem_clusters)""").fetchall()
    ]
    edges = con.execute(f"""select e.record_id_l, e.record_id_r, e.link_type, e.match_weight
from {EDGES} e join _identity_components a on a.record_id = e.record_id_l
where a.cluster_id in (select cluster_id from _identity_problem_clusters)""").fetchall()
    pairs = con.execute(f"""select k.record_id_l, k.record_id_r from {CONSTRAINTS} k
join _identity_components a on a.record_id = k.record_id_l
join _identity_components b on b.record_id = k.record_id_r
where a.cluster_id = b.cluster_id""").fetchall()
    roots, refused = _solve(records, edges, pairs)
    _record_splits(con, refused)
    # the solution passed as two lists, not an Arrow table: registering one imported
    # pyarrow, 0.5-0.8 s of CPU in an incremental run that splits a few components
    con.execute(
        """create or replace temp table _identity_constrained as
select record_id, cluster_id from _identity_components
where cluster_id not in (select cluster_id from _identity_problem_clusters)
union all select record_id, min(record_id) over (partition by root)
from (select unnest($1::varchar[]) as record_id, unnest($2::varchar[]) as root)""",
        [list(roots), list(roots.values())],
    )
    con.execute("drop table _identity_components")
    log.info(
        "constrained clustering: %d components held records that must stay apart; "
        "%d links refused to split them",
        violated,
        len(refused),
    )
    return "_identity_constrained"


def _record_splits(con: duckdb.DuckDBPyConnection, refused: list[tuple]) -> None:
    if not refused:
        return
    con.execute(
        "create or replace temp table _identity_refused_edges (record_id_l varchar, "
        "record_id_r varchar, link_type varchar, match_weight double, clash varchar)"
    )
    con.executemany("insert into _identity_refused_edges values (?, ?, ?, ?, ?)", refused)
    # the clashing record's reasons, gathered once per record (a join, not a subquery
    # scanning every constraint for each refused edge)
    con.execute(f"""insert into {EVENTS} by name
with ends as (
  select record_id_l as record_id, reason from {CONSTRAINTS}
  union all select record_id_r, reason from {CONSTRAINTS}
), reasons as (
  select record_id, string_agg(distinct reason, ', ' order by reason) as reasons
  from ends where record_id in (select clash from _identity_refused_edges) group by record_id
)
select 'chain_split' as event_type, e.record_id_l, e.record_id_r,
  'link refused (' || e.link_type || coalesce(', match weight ' || round(e.match_weight, 2), '')
  || '): it would put ' || e.clash || ' with a record it must stay apart from ('
  || coalesce(r.reasons, '?') || ')' as detail,
  now()::timestamp as created_at
from _identity_refused_edges e left join reasons r on r.record_id = e.clash""")
    for table in (EDGES, SCOPE_EDGES):
        con.execute(f"""delete from {table} t using _identity_refused_edges c
where t.record_id_l = c.record_id_l and t.record_id_r = c.record_id_r""")
    con.execute("drop table _identity_refused_edges")
