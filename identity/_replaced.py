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
that many. When the expected pairs are at least ``replaced_values.min_share`` of ``D`` (and
``A`` holds at least ``min_pairs`` pairs to measure on), the stratum's pairs differing on
those fields are taken as one person's: the conflicts naming the stratum in
``unless_replaced`` and the guards' cannot-links yield for them.

Measured (2026-12-07): FEBRL3 and FEBRL4 at home ``B * C / A`` 42 and 34 pairs for ``D`` 37
and 29 (one person with two values replaced), under one name 44 and 39 for 32 and 21; the
generated retail worlds, the independent retailer and pseudopeople 0.5 pairs or fewer for
``D`` between 5 and 473 (households and namesakes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from identity._guards import same_address_sql, same_first_name_sql

if TYPE_CHECKING:
    import duckdb

    from identity._config import IdentityConfig

log = logging.getLogger(__name__)

_TYPO = 0.9  # a typo is Jaro-Winkler >= 0.9 (issue 12)
_COMPACT_ADDRESS = "regexp_replace(address_line, '[^a-z0-9]', '', 'g')"
# stratum -> (keys the records agree on, the two fields whose replacements are counted)
STRATA: dict[str, tuple[tuple[str, ...], str, str]] = {
    "home": (("last_name", _COMPACT_ADDRESS, "postcode"), "first_name", "birth_date"),
    "name": (("first_name", "last_name", "postcode"), _COMPACT_ADDRESS, "birth_date"),
}


@dataclass(frozen=True)
class Replaced:
    """The strata whose pairs differing on both fields are one person's, by the records."""

    strata: frozenset[str] = frozenset()


NONE = Replaced()


def _cells_sql(records: str, stratum: str) -> str:
    """One row: the pairs of ``records`` in one ``stratum`` agreeing on both fields, on the
    first only, on the second only, on neither (one pass: grouping sets)."""
    keys, x, y = STRATA[stratum]
    columns = [*(f"{k} as k{i}" for i, k in enumerate(keys)), f"{x} as x", f"{y} as y"]
    known = " and ".join(f"{c} is not null" for c in (*keys, x, y))
    key_list = ", ".join(f"k{i}" for i in range(len(keys)))
    pairs = "sum(pairs) filter (where gx = {} and gy = {})"
    return f"""
with carried as (
  select {", ".join(columns)} from {records} where not is_anonymous and {known}
), grouped as (
  select count(*) * (count(*) - 1) // 2 as pairs, grouping(x) as gx, grouping(y) as gy
  from carried group by grouping sets (({key_list}, x, y), ({key_list}, x), ({key_list}, y),
                                       ({key_list}))
)
select coalesce({pairs.format(0, 0)}, 0) as both_agree,
  coalesce({pairs.format(1, 0)} - {pairs.format(0, 0)}, 0) as x_differs,
  coalesce({pairs.format(0, 1)} - {pairs.format(0, 0)}, 0) as y_differs,
  coalesce({pairs.format(1, 1)} - {pairs.format(1, 0)} - {pairs.format(0, 1)}
           + {pairs.format(0, 0)}, 0) as both_differ
from grouped"""


def measure(con: duckdb.DuckDBPyConnection, config: IdentityConfig, records: str) -> Replaced:
    """The strata where the records show values replaced rather than other people."""
    rule = config.replaced_values
    found = set()
    for stratum in STRATA:
        row = con.execute(_cells_sql(records, stratum)).fetchall()[0]
        both_agree, x_differs, y_differs, both_differ = (int(v) for v in row)
        expected = x_differs * y_differs / both_agree if both_agree else 0.0
        replaced = (
            both_agree >= rule.min_pairs
            and expected >= 1
            and expected >= rule.min_share * both_differ
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


Column = Callable[[str, str], str]  # (side "l" or "r", column) -> SQL naming it


def _in_stratum_sql(stratum: str, col: Column) -> str:
    """The pair is in one ``stratum``, typos allowed: the surname within a typo, the
    address line typed close (``_guards.same_address_sql``), the postcode one slip apart
    or, for one surname, the same city. At one home, a surname found in the other record's
    first name counts too (``lucy clarke`` / ``bkows lucy``: typed swapped, the other name
    replaced), in one postcode only: a street name and a town are shared by strangers."""

    def close(c: str) -> str:
        return (
            f"(damerau_levenshtein({col('l', c)}, {col('r', c)}) <= 1 "
            f"or jaro_winkler_similarity({col('l', c)}, {col('r', c)}) >= {_TYPO})"
        )

    postcode = f"damerau_levenshtein({col('l', 'postcode')}, {col('r', 'postcode')}) <= 1"
    surname = f"({close('last_name')} and ({postcode} or {col('l', 'city')} = {col('r', 'city')}))"
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
    fields = {"home": ("first_name", "birth_date"), "name": ("address", "birth_date")}
    terms = []
    for stratum in sorted(replaced.strata):
        weights = [
            f"least(coalesce(mw_{f}, 0), 0)" for f in fields[stratum] if f"mw_{f}" in columns
        ]
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
