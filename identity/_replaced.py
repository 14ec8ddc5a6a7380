"""Replaced values: whether the records say a pair differing on two fields is one person.

A household's two members share a surname and an address and differ on both first name and
birth date; two namesakes in one postcode share a full name and differ on both address and
birth date. The household rules refuse such pairs. But where a file's values get replaced
(a first name or a birth date typed from the wrong form, as in FEBRL), one person's records
differ so too, and the population says which of the two it is.

Within a stratum of records agreeing on some keys (one home: surname, address line and
postcode; one name: first and last name and postcode), take every pair of records carrying
two other fields ``x`` and ``y``, and count the pairs agreeing on both (``A``), differing on
``x`` only (``B``), on ``y`` only (``C``) and on both (``D``). Where values are replaced
independently, a pair differs on both about as often as the two replacements meet:
``B * C / A`` pairs. Other people differ on both and on nothing less, so a population with
households (or namesakes) holds far more ``D`` pairs than that, and one without holds about
that many. When the expected pairs are at least ``replaced_values.min_share`` of ``D``, up
to counting noise (``noise_sd`` Poisson standard deviations: a small file's ``D`` of 4 or 11
pairs is off by 2 or 3 either way), and ``A`` holds at least ``min_pairs`` pairs to measure
on, the stratum's pairs differing on
those fields are taken as one person's: the conflicts naming the stratum in
``unless_replaced`` and the guards' cannot-links yield for them, the address is not capped
as household evidence in them (``_links``), and a difference on the stratum's two fields
weighs nothing (:func:`discounted_sql`).

Measured (2026-12-07): FEBRL3 and FEBRL4 at one home ``B * C / A`` 38 and 34 pairs for
``D`` 29 and 28 (one person with two values replaced), under one name 70 and 65 for 46 and
29; the generated retail worlds, the independent retailer and pseudopeople 0.7 pairs or
fewer for ``D`` between 3 and 473 (households and namesakes). FEBRL1 (1,000 records) under
one name 3.2 for 4, FEBRL2 at one home 8.7 for 11: replacements, missed without the noise.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.warehouse import columns_of
from identity._same_person import same_address_sql, same_first_name_sql
from identity._tables import REPLACED

if TYPE_CHECKING:
    import duckdb

    from identity._config import IdentityConfig

log = logging.getLogger(__name__)

_TYPO = 0.9  # a typo is Jaro-Winkler >= 0.9 (issue 12)
# stratum -> (keys the records agree on, the two fields whose replacements are counted)
STRATA: dict[str, tuple[tuple[str, ...], str, str]] = {
    "home": (("last_name", "address_line", "postcode"), "first_name", "birth_date"),
    "name": (("first_name", "last_name", "postcode"), "address_line", "birth_date"),
}
# the comparison weighing a stratum's field, where it is not named after it
_COMPARISON_OF = {"address_line": "address"}
# Records measured on: beyond this many, the records of a sample of surnames (a share of
# _BUCKETS hash buckets). A few hundred thousand records hold thousands of homes: the ratio
# does not need a million, whose reading cost a +1% run at 1M about 1 s of CPU.
_SAMPLE = 200_000
_BUCKETS = 1024
_CARRIED = ("last_name", "first_name", "address_line", "postcode", "birth_date")


@dataclass(frozen=True)
class Replaced:
    """The strata whose pairs differing on both fields are one person's, by the records."""

    strata: frozenset[str] = frozenset()


NONE = Replaced()


def _cells_sql(records: str, buckets: int) -> str:
    """Per stratum, the pairs of ``records`` agreeing on both its fields, on the first only,
    on the second only, on neither (grouping sets: one pass per stratum). Only the records
    whose surname hashes into the first ``buckets`` of :data:`_BUCKETS` are read: both
    strata hold one surname, so a sample of surnames keeps every stratum whole."""
    known = " and ".join(f"{c} is not null" for c in _CARRIED)
    sample = f"hash(last_name) % {_BUCKETS} < {buckets}" if buckets < _BUCKETS else "true"
    # pairs of a grouping set keeping x (or not: dropped 1) and y
    pairs = "sum(pairs) filter (where x_dropped = {} and y_dropped = {})"
    both, same_x, same_y = pairs.format(0, 0), pairs.format(0, 1), pairs.format(1, 0)
    rows = []
    for stratum, (keys, x, y) in STRATA.items():
        on = ", ".join(keys)
        rows.append(f"""
select '{stratum}' as stratum, {both} as both_agree, {same_y} - {both} as x_differs,
  {same_x} - {both} as y_differs,
  {pairs.format(1, 1)} - {same_x} - {same_y} + {both} as both_differ
from (select count(*) * (count(*) - 1) // 2 as pairs, grouping({x}) as x_dropped,
        grouping({y}) as y_dropped
      from carried group by grouping sets (({on}, {x}, {y}), ({on}, {x}), ({on}, {y}), ({on})))""")
    return (
        f"with carried as materialized (select {', '.join(_CARRIED)} from {records} "
        f"where not is_anonymous and {known} and {sample}) " + " union all ".join(rows)
    )


def measure(con: duckdb.DuckDBPyConnection, config: IdentityConfig, records: str) -> Replaced:
    """The strata where the records show values replaced rather than other people."""
    rule = config.replaced_values
    found = set()
    count = con.execute(f"select count(*) from {records}").fetchall()[0][0]
    buckets = _BUCKETS if count <= _SAMPLE else max(1, _BUCKETS * _SAMPLE // count)
    for stratum, *cells in con.execute(_cells_sql(records, buckets)).fetchall():
        both_agree, x_differs, y_differs, both_differ = (int(v or 0) for v in cells)
        expected = x_differs * y_differs / both_agree if both_agree else 0.0
        # a count of a few pairs is off by its own spread: up to noise_sd Poisson standard
        # deviations above what replacements explain is still them
        explained = expected / rule.min_share if rule.min_share else float("inf")
        replaced = (
            both_agree >= rule.min_pairs
            and expected >= 1
            and both_differ <= explained + rule.noise_sd * math.sqrt(explained)
        )
        log.info(
            "replaced values, %s: %d pairs agree, %d and %d differ on one field, %d on both "
            "(%.1f expected from replacements): %s",
            stratum,
            both_agree,
            x_differs,
            y_differs,
            both_differ,
            expected,
            "one person's" if replaced else "other people's",
        )
        if replaced:
            found.add(stratum)
    return Replaced(frozenset(found))


def store(con: duckdb.DuckDBPyConnection, config: IdentityConfig, records: str) -> Replaced:
    """:func:`measure`, kept for the run's later stages in :data:`_tables.REPLACED`."""
    replaced = measure(con, config, records)
    REPLACED.create_empty(con)
    if replaced.strata:
        con.executemany(f"insert into {REPLACED} values (?)", [[s] for s in replaced.strata])
    return replaced


def stored(con: duckdb.DuckDBPyConnection) -> Replaced:
    """What :func:`store` measured this run."""
    return Replaced(
        frozenset(r[0] for r in con.execute(f"select stratum from {REPLACED}").fetchall())
    )


def recorded(con: duckdb.DuckDBPyConnection) -> Replaced | None:
    """What the last identity run measured, as ``identity.runs`` keeps it; None where no
    run recorded it (a warehouse resolved before ``replaced_strata`` existed)."""
    if "replaced_strata" not in columns_of(con, "identity.runs"):
        return None
    last = con.execute(
        "select replaced_strata from identity.runs order by finished_at desc limit 1"
    ).fetchall()
    if not last or last[0][0] is None:
        return None
    return Replaced(frozenset(s for s in last[0][0].split(",") if s))


def of_stored_records(con: duckdb.DuckDBPyConnection, config: IdentityConfig) -> Replaced:
    """What the last run found (:func:`recorded`), for a reader of its stored records (the
    real-time scorer, explain-pair); measured on them where no run recorded it."""
    return recorded(con) or measure(con, config, "identity.identity_records")


Column = Callable[[str, str], str]  # (side "l" or "r", column) -> SQL naming it


def _in_stratum_sql(stratum: str, col: Column) -> str:
    """The pair is in one ``stratum``, typos allowed: the surname within a typo, the
    address line typed close (``_same_person.same_address_sql``), the postcode one slip apart
    or, for one surname, the same city (or a typo of it). At one home, a surname found in
    the other record's first name counts too (``lucy clarke`` / ``bkows lucy``: typed
    swapped, the other name replaced), in one postcode only: a street name and a town are
    shared by strangers."""

    def close(c: str) -> str:
        return (
            f"(damerau_levenshtein({col('l', c)}, {col('r', c)}) <= 1 "
            f"or jaro_winkler_similarity({col('l', c)}, {col('r', c)}) >= {_TYPO})"
        )

    postcode = f"damerau_levenshtein({col('l', 'postcode')}, {col('r', 'postcode')}) <= 1"
    # the town typed close counts as one (``birmingha m gardens``, FEBRL3's rec-427): a
    # postcode two slips off beside it is a third value replaced or mistyped
    surname = f"({close('last_name')} and ({postcode} or {close('city')}))"
    if stratum == "home":
        crossed = " or ".join(
            f"jaro_winkler_similarity({col(a, 'first_name')}, {col(b, 'last_name')}) >= {_TYPO}"
            for a, b in (("l", "r"), ("r", "l"))
        )
        address = same_address_sql(col("l", "address_line"), col("r", "address_line"))
        return f"(({surname} or (({crossed}) and {postcode})) and {address})"
    first = same_first_name_sql(
        col("l", "first_name"), col("r", "first_name"), col("l", "last_name"), col("r", "last_name")
    )
    return f"({first} and {surname})"


def waived_sql(replaced: Replaced, strata: Sequence[str], col: Column) -> str:
    """SQL true for a pair in one of ``strata`` that the records show to be one person's
    when it differs (``false`` where none is)."""
    tests = [_in_stratum_sql(s, col) for s in strata if s in replaced.strata]
    return f"coalesce({' or '.join(tests)}, false)" if tests else "false"


def pair_column(side: str, column: str) -> str:
    """A scored pair's column (``first_name_l``)."""
    return f"{column}_{side}"


def discounted_sql(relation: str, replaced: Replaced, columns: set[str]) -> str:
    """Scores (``relation``: a scored pair per row, with each comparison's weight
    ``mw_<comparison>``) where, for a pair in a stratum whose records show values replaced,
    a difference on the stratum's two fields weighs nothing: a replaced value, not another
    person (a weight against is taken off the match weight; its probability follows)."""
    terms = []
    for stratum in sorted(replaced.strata):
        compared = (_COMPARISON_OF.get(f, f) for f in STRATA[stratum][1:])
        weights = [f"least(coalesce(mw_{c}, 0), 0)" for c in compared if f"mw_{c}" in columns]
        if weights:
            terms.append(
                f"case when {waived_sql(replaced, [stratum], pair_column)} "
                f"then {' + '.join(weights)} else 0 end"
            )
    if not terms:
        return relation
    against = " + ".join(terms) if len(terms) == 1 else f"least({', '.join(terms)})"
    return f"""(select * replace (match_weight - ({against}) as match_weight,
    1 / (1 + pow(2, -(match_weight - ({against})))) as match_probability)
  from {relation})"""


# a guard's cannot-link reason -> (the field it clashes on, the strata showing it replaced):
# one home only; under one name, a first name merely alike counts as the name
# (``charles`` / ``charlotye orchard`` in one postcode), and would show Charlotte's birth
# date as a replacement of Charles's
_CLASHES = {
    "different_first_name": ("first_name", ("home",)),
    "different_birth_date": ("birth_date", ("home",)),
}


def waive_shown_clashes(
    con: duckdb.DuckDBPyConnection, constraints: str, edges: str, records: str
) -> None:
    """Drop a guard's cannot-link between two records of one component when the records
    already showed that very clash to be a replacement: one of the two is linked directly to
    a third record bearing the other's value of the clashing field, and that linked pair is
    in a stratum whose records show values replaced (:func:`waived_sql`). (FEBRL2's
    rec-1900: ``kieran everett`` at Kiara Everett's address is her card with the first name
    replaced; her card ``kiara everett`` with no address clashes with it on the same two
    names.) Nothing is dropped where no stratum is shown replaced (households)."""
    replaced = stored(con)
    if not replaced.strata:
        return
    near, far = "near", "far"  # the linked end of the cannot-link, and its other end
    tests = []
    for reason, (field, strata) in _CLASHES.items():
        stratum = waived_sql(replaced, strata, lambda s, c: f"{near if s == 'l' else 'b'}.{c}")
        if stratum != "false":
            tests.append(f"(k.reason = '{reason}' and b.{field} = {far}.{field} and {stratum})")
    if not tests:
        return
    shown = " or ".join(tests)
    # each end of the cannot-link in turn as the linked one (one hash join each, not an OR)
    orientations = []
    for end, other in (("record_id_l", "record_id_r"), ("record_id_r", "record_id_l")):
        for a, b in (("record_id_l", "record_id_r"), ("record_id_r", "record_id_l")):
            orientations.append(f"""
select k.record_id_l, k.record_id_r, k.reason from {constraints} k
join {edges} e on e.{a} = k.{end} and e.{b} <> k.{other}
join {records} {near} on {near}.record_id = k.{end}
join {records} {far} on {far}.record_id = k.{other}
join {records} b on b.record_id = e.{b}
where k.constraint_source = 'guard' and ({shown})""")
    con.execute(f"""
delete from {constraints} k using ({" union ".join(orientations)}) v
where k.record_id_l = v.record_id_l and k.record_id_r = v.record_id_r
  and k.reason = v.reason and k.constraint_source = 'guard'""")
