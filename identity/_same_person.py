"""Two records' people told apart in SQL: plainly another first name, birth dates apart,
the same address line typed twice, the same person at an address.

Predicates over two aliased records' columns (``left.first_name``, ``right.birth_date``,
...), each allowing for the typos, initials and swapped names that are one person's: the
guards read them (a holder contradicting an identifier's owner, contradicted shared
contacts: ``_guards``, ``_guard_contacts``), and so do the conflicts (``_cluster``), the
deterministic links (``_links``) and the replaced values (``_replaced``).
"""

from __future__ import annotations


def different_first_names_sql(left: str, right: str) -> str:
    """Two first names that are plainly not the same person's: not an initial, not swapped
    with the last name, not a typo (Jaro-Winkler >= 0.8, or one slip: ``lae`` / ``lea``)."""
    a, b = f"{left}.first_name", f"{right}.first_name"
    return (
        f"({a} is not null and {b} is not null "
        f"and jaro_winkler_similarity({a}, {b}) < 0.8 "
        # one swapped, dropped, doubled or replaced letter is a typo, however short the name
        f"and damerau_levenshtein({a}, {b}) > 1 "
        # "j" for "jean" is an initial, not another person
        f"and not starts_with({a}, {b}) and not starts_with({b}, {a}) "
        # agents swap first and last names; a swapped name is not another person
        f"and not {_swapped_sql(left, right)})"
    )


def _swapped_sql(left: str, right: str) -> str:
    """First and last names typed the other way round on one of two records: a first name
    within a typo of the other record's last name (or the initial it was shortened to:
    ``calatayud nathan`` / ``nathan c``). Where both records bear one surname, both names
    must cross: one crossing alone is then a family's surname that is also a first name
    (``thomas thomas`` / ``emma thomas``, ``lea legrand`` / ``pascal legrand``)."""

    def cross(first: str, last: str) -> str:
        return (
            f"(jaro_winkler_similarity({first}, {last}) >= 0.8 "
            f"or (length({last}) = 1 and starts_with({first}, {last})))"
        )

    a, b = f"{left}.first_name", f"{right}.first_name"
    a_last, b_last = f"{left}.last_name", f"{right}.last_name"
    one_surname = f"coalesce(damerau_levenshtein({a_last}, {b_last}) <= 1, false)"
    both = f"({cross(a, b_last)} and {cross(b, a_last)})"
    either = f"({cross(a, b_last)} or {cross(b, a_last)})"
    return f"coalesce({both} or ({either} and not {one_surname}), false)"


def birth_date_typo_sql(a: str, b: str) -> str:
    """Two birth dates one typo apart: equal, one digit off or two swapped
    (``1971-03-14`` / ``1917-03-14``), or day and month swapped (``1971-03-05`` /
    ``1971-05-03``)."""
    return (
        f"({a} = {b} or damerau_levenshtein(cast({a} as varchar), cast({b} as varchar)) <= 1 "
        f"or (year({a}) = year({b}) and month({a}) = day({b}) and day({a}) = month({b})))"
    )


def different_birth_dates_sql(left: str, right: str, days: int) -> str:
    """Two known birth dates further apart than ``days`` and not one typo apart, on records
    that are not the same first name at the same address line (a household's members differ
    on both first name and birth date: a replaced birth date is the same person's)."""
    a, b = f"{left}.birth_date", f"{right}.birth_date"
    return (
        f"{a} is not null and {b} is not null "
        f"and abs(date_diff('day', {a}, {b})) > {days} and not {birth_date_typo_sql(a, b)} "
        f"and not coalesce({same_person_at_address_sql(left, right)}, false)"
    )


def same_address_sql(a: str, b: str) -> str:
    """One address line, typed twice: equal, or close (Jaro-Winkler >= 0.9: ``lambrigg
    treet`` / ``lambrigg street``) with the same house number (``12 rue de la paix`` /
    ``14 rue de la paix`` are neighbours, not a typo)."""
    digits = "regexp_replace({}, '[^0-9]', '', 'g')"
    return (
        f"({a} = {b} or ({digits.format(a)} = {digits.format(b)} "
        f"and jaro_winkler_similarity({a}, {b}) >= 0.9))"
    )


def same_first_name_sql(a: str, b: str, a_last: str, b_last: str) -> str:
    """One first name, typed twice: equal, one slip apart (``lae`` / ``lea``), a typo
    (Jaro-Winkler >= 0.9: ``natalia`` / ``nataoia``), or first and last names swapped
    (``sebastian mahony`` / ``mahony sebastian``). ``a_last`` and ``b_last`` are the
    records' last names."""
    return (
        f"({a} = {b} or damerau_levenshtein({a}, {b}) <= 1 "
        f"or jaro_winkler_similarity({a}, {b}) >= 0.9 or {a} = {b_last} or {b} = {a_last})"
    )


def same_person_at_address_sql(left: str, right: str) -> str:
    """The same first name (or a typo of it, or swapped with the last name) at the same
    address line (or a typo of it)."""
    first = same_first_name_sql(
        f"{left}.first_name", f"{right}.first_name", f"{left}.last_name", f"{right}.last_name"
    )
    return f"({same_address_sql(f'{left}.address_line', f'{right}.address_line')} and {first})"
