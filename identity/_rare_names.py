"""Records known by a rare full name alone, attached to the one customer bearing that name.

A call-center ticket giving a name and nothing else (`Julien Morvan`) shares only the name
with its person's other records. Scored, two names weigh 3-4 bits: below the threshold,
and rightly so for a common name or where namesakes are dense. After clustering, people
can be counted instead of records (a person with five records makes a name look five times
as common to a term frequency). A name-only customer joins the customers bearing its full
name when:

- both names are spelt out (an initial, `noah g`, or a first name alone names nobody);
- at most ``max_customers`` customers bear the full name, and at most one of them carries
  anything beyond names (an e-mail, a phone, a birth date, an address, a postcode or a
  city): two such customers under one name are namesakes or one person split, and nothing
  here tells which;
- few people are expected to bear the name: (customers bearing the first name) x (those
  bearing the surname) / (named customers), times how much more often than that estimate
  two customers share a full name in these records (dense namesakes: a region's surnames,
  a family's first names), is below ``expected_people_below``;
- no cannot-link (a steward's, a guard's) joins two of their records.

Each attachment is stored as a link (``link_type`` ``rare_name``) whose ``top_comparisons``
give the expected count, so `cdp identity explain` says why the record is in its customer.
An incremental run decides by the same rule as a full run: its scope takes in the stored
customers bearing a full name the rule could attach through (``_rare_names_scope``: a ticket
arriving alone, an account arriving after a stored name-only customer of its name), and the
names are counted over every customer. Over every customer as stored, though: the name-only
records earlier runs attached are inside their customers, where a full run counts each as a
customer of its own before attaching (more named customers, a higher namesake factor). Near
``expected_people_below`` the two runs can then decide a name differently (docs/identity.md,
the eleventh pass: 435 against 431 ``rare_name`` links on a 20,000-person retailer). The
real-time scorer does not attach (a name-only record scores below the threshold there, as
before).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from core.warehouse import scalar
from identity import _model
from identity._components import label_components
from identity._tables import (
    CLUSTERS,
    CONSTRAINTS,
    EDGES,
    PREV_MEMBERS,
    RECORDS,
    SCOPE_RECORDS,
    STRONG_IDS,
)

if TYPE_CHECKING:
    import duckdb

    from identity._config import RareNamesConfig

log = logging.getLogger(__name__)

RULE = "rare_full_name"
LINK_TYPE = "rare_name"
# a record carrying names alone; each column tested apart, so a scan reads the next only for
# the rows the ones before left (most records have an e-mail or a phone)
NAMES_ALONE = " and ".join(
    f"{column} is null"
    for column in ("email", "phone", "postcode", "city", "address_line", "birth_date")
)
SPELT_OUT = "length(first_name) >= 2 and length(last_name) >= 2"
# two first names: unlike (Jaro-Winkler below this), or alike and both borne by this many
# surnames or more, neither twenty times rarer (the conflict `two_names_alike`'s reading)
_ALIKE = 0.8
_COMMON_USE = 3


def _customers_sql() -> str:
    """Every identified record's customer after this run: the scope's new clusters, the
    previous customers of the records left as they were (none on a full run)."""
    return f"""
select record_id, cluster_id as customer, true as in_scope from {CLUSTERS}
union all
select record_id, customer_id, false from {PREV_MEMBERS}
anti join {SCOPE_RECORDS} using (record_id)"""


def attach(con: duckdb.DuckDBPyConnection, config: RareNamesConfig) -> int:
    """Merge name-only clusters of :data:`CLUSTERS` into the customer bearing their rare full
    name, adding a link each to :data:`EDGES`; returns the clusters attached."""
    if config.expected_people_below <= 0 or not _scope_has_names_only(con):
        return 0
    con.execute(f"""
create or replace temp table _identity_name_bearers as
with members as ({_customers_sql()}),
records as (
  select m.customer, m.in_scope, r.* from members m join {RECORDS} r using (record_id)
  where not r.is_anonymous
),
customers as (
  select customer, bool_and(in_scope) as in_scope,
    count(*) filter (where not ({NAMES_ALONE})) = 0 as names_only
  from records group by customer
),
first_names as (select distinct customer, first_name from records where {SPELT_OUT}),
families as ({_model.distinct_by_counts_sql("first_name_surnames", RECORDS, STRONG_IDS)}),
-- a customer bearing a first name unlike this one, or alike but both in common use
-- (`stephane` / `stephanie`: the conflict `two_names_alike`), may hold two people already
two_people as (
  select a.customer, a.first_name
  from first_names a join first_names o on a.customer = o.customer
    and a.first_name <> o.first_name
  left join families fa on fa.first_name = a.first_name
  left join families fo on fo.first_name = o.first_name
  where jaro_winkler_similarity(a.first_name, o.first_name) < {_ALIKE}
    or (least(fa.first_name_surnames, fo.first_name_surnames) >= {_COMMON_USE}
        and 20 * least(fa.first_name_surnames, fo.first_name_surnames)
            >= greatest(fa.first_name_surnames, fo.first_name_surnames))
  group by all
)
select customer, first_name, last_name, min(record_id) as named_record, c.in_scope,
  c.names_only, t.customer is not null as bears_two_people
from records join customers c using (customer)
left join two_people t using (customer, first_name)
where {SPELT_OUT} group by all""")
    inflation = _namesake_inflation(con)
    rows = con.execute(
        """
with first_names as (select first_name, count(*) as n from _identity_name_bearers group by 1),
last_names as (select last_name, count(*) as n from _identity_name_bearers group by 1),
named as (select count(distinct customer) as n from _identity_name_bearers),
names as (
  select list(b.customer order by b.customer) as customers,
    list(b.named_record order by b.customer) as records,
    list(b.names_only order by b.customer) as names_only,
    any_value(f.n) * any_value(l.n) / any_value(named.n) * $1 as expected
  from _identity_name_bearers b join first_names f using (first_name)
  join last_names l using (last_name), named
  group by b.first_name, b.last_name
  having count(*) between 2 and $2 and bool_and(b.in_scope)
    and count(*) filter (where not b.names_only) <= 1
    and not bool_or(b.bears_two_people)
)
select customers, records, names_only, expected from names where expected < $3""",
        [inflation, config.max_customers, config.expected_people_below],
    ).fetchall()
    moves, links = _merge(con, rows)
    if moves:
        _apply(con, moves, links)
    log.info(
        "rare names: %d name-only customers attached (namesakes x%.2f the independent estimate)",
        len(moves),
        inflation,
    )
    return len(moves)


def _scope_has_names_only(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a cluster of the scope is known by spelt-out names alone: else nothing can be
    attached, and the counts over every customer are not needed (most incremental runs).

    Such a cluster holds a record carrying spelt-out names alone: those records are found
    first by a filtered scan (usually none, or a few), and only their clusters' records are
    read (the join of every cluster to its records cost 0.6 s of CPU at 1M records)."""
    con.execute(f"""
create or replace temp table _identity_names_only as
select record_id from {RECORDS} where not is_anonymous and {SPELT_OUT} and {NAMES_ALONE}""")
    row = None
    if scalar(con, "select count(*) from _identity_names_only"):
        # their clusters' members, a small table: the join to the records then hashes it,
        # not the records
        con.execute(f"""
create or replace temp table _identity_names_only as
select record_id, cluster_id from {CLUSTERS} semi join (
  select cluster_id from {CLUSTERS} semi join _identity_names_only using (record_id)
) using (cluster_id)""")
        row = con.execute(f"""
select 1 from _identity_names_only c join {RECORDS} r using (record_id)
where not r.is_anonymous
group by c.cluster_id
having count(*) filter (where not ({NAMES_ALONE})) = 0
limit 1""").fetchone()
    con.execute("drop table _identity_names_only")
    return row is not None


def _namesake_inflation(con: duckdb.DuckDBPyConnection) -> float:
    """How many times more pairs of customers share a full name than first and last names
    drawn independently would give (at least 1): where namesakes are dense, a name that
    looks rare is not."""
    row = con.execute("""
with f as (select count(*) as n from _identity_name_bearers group by first_name),
l as (select count(*) as n from _identity_name_bearers group by last_name),
fl as (select count(*) as n from _identity_name_bearers group by first_name, last_name),
total as (select count(*)::double as n from _identity_name_bearers)
select (select sum(n * (n - 1) / 2) from fl),
  (select sum(n * n) from f) * (select sum(n * n) from l) / (2 * total.n * total.n)
from total""").fetchone()
    observed, expected = row if row else (None, None)
    if not observed or not expected:
        return 1.0
    return max(1.0, float(observed) / float(expected))


def _merge(
    con: duckdb.DuckDBPyConnection, rows: list[tuple]
) -> tuple[dict[str, str], list[tuple[str, str, float]]]:
    """The customers the names ``rows`` accepted attach (attached -> kept customer), and a
    link for each (two records bearing the name, the expected people). A group of
    customers joined through several names that holds two customers carrying more than
    names, or that a cannot-link holds apart, is left as it was."""
    carrying: set[str] = set()
    for customers, _, names_only, _ in rows:
        carrying.update(c for c, only in zip(customers, names_only, strict=True) if not only)
    group_of = _groups([customers for customers, *_ in rows])
    groups: dict[int, list[str]] = {}
    for customer, group in group_of.items():
        groups.setdefault(group, []).append(customer)
    refused = _held_apart(con, group_of)
    kept_of = {}
    for group, members in groups.items():
        held = [c for c in members if c in carrying]
        if group not in refused and len(held) <= 1:
            kept_of[group] = held[0] if held else min(members)
    moves = {
        customer: kept_of[group]
        for customer, group in group_of.items()
        if kept_of.get(group, customer) != customer
    }
    # a link per customer attached, to the kept customer's record bearing the name (or, in
    # a group joined through several names, to the name's first bearer): they join the group
    links: dict[str, tuple[str, str, float]] = {}
    for customers, records, _, expected in rows:
        kept = kept_of.get(group_of[customers[0]])
        if kept is None:
            continue
        target = kept if kept in customers else customers[0]
        to_record = records[customers.index(target)]
        for customer, record in zip(customers, records, strict=True):
            if customer != target and customer not in links:
                links[customer] = (record, to_record, expected)
    return moves, list(links.values())


def _groups(names: list[list[str]]) -> dict[str, int]:
    """Each customer bearing an accepted name -> its group: the customers joined through
    the names they share (a customer may bear several), labelled by
    ``_components.label_components``. A plain labelling: the whole group is judged
    afterwards (two customers carrying more than names, a cannot-link inside), where
    ``_cluster._Groups`` refuses each union as it comes, on the records' constraints."""
    import numpy as np

    node_of: dict[str, int] = {}
    left: list[int] = []
    right: list[int] = []
    for customers in names:
        first = node_of.setdefault(customers[0], len(node_of))
        for other in customers[1:]:
            left.append(first)
            right.append(node_of.setdefault(other, len(node_of)))
    labels = label_components(
        len(node_of), np.array(left, dtype=np.intp), np.array(right, dtype=np.intp)
    )
    return {customer: int(labels[node]) for customer, node in node_of.items()}


def _held_apart(con: duckdb.DuckDBPyConnection, group_of: dict[str, int]) -> set[int]:
    """The groups two of whose customers a cannot-link holds apart."""
    if not group_of:
        return set()
    pairs = con.execute(
        f"""
with c as (select record_id, cluster_id from {CLUSTERS}
  where cluster_id in (select unnest($1::varchar[])))
select a.cluster_id, b.cluster_id from {CONSTRAINTS} k
join c a on a.record_id = k.record_id_l join c b on b.record_id = k.record_id_r""",
        [list(group_of)],
    ).fetchall()
    return {group_of[a] for a, b in pairs if group_of[a] == group_of[b]}


def _apply(
    con: duckdb.DuckDBPyConnection, moves: dict[str, str], links: list[tuple[str, str, float]]
) -> None:
    """Move the attached customers' records and store a link for each attachment."""
    con.execute(
        f"""update {CLUSTERS} set cluster_id = m.kept
from (select unnest($1::varchar[]) as attached, unnest($2::varchar[]) as kept) m
where {CLUSTERS}.cluster_id = m.attached""",
        [list(moves), list(moves.values())],
    )
    why = [json.dumps({"rule": RULE, "expected_people": round(e, 3)}) for _, _, e in links]
    con.execute(
        f"""insert into {EDGES} (record_id_l, record_id_r, link_type, rule, match_weight,
  match_probability, top_comparisons)
select least(a, b), greatest(a, b), '{LINK_TYPE}', '{RULE}', null, null, why
from (select unnest($1::varchar[]) as a, unnest($2::varchar[]) as b,
  unnest($3::varchar[]) as why)""",
        [[link[0] for link in links], [link[1] for link in links], why],
    )
