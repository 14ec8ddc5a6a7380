"""The saved model's comparisons and weights, evaluated in Python for one incoming person.

Splink's prediction SQL for a model is tens of kilobytes, and DuckDB binds and optimises it
on every call (tens of milliseconds of CPU, even as a prepared statement), far more than
scoring a handful of candidates costs. Real-time identification therefore reads each level's
condition from the saved model, evaluates it here with the same functions (Jaro-Winkler,
Levenshtein, Damerau-Levenshtein, date arithmetic: each written to give DuckDB's value), and
sums the saved match weights and term-frequency adjustments as Splink's SQL does
(``splink.internals.comparison_level``). ``tests/api/test_api_identify_scoring.py`` checks
the probabilities against Splink's ``compare_records`` and the functions against DuckDB's.

The conditions read are those ``_model`` builds; a condition of another form is refused when
the scorer is built, naming it, rather than guessed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from identity import _model

Pair = tuple[dict[str, Any], dict[str, Any]]  # (incoming record, candidate record)


def jaro_winkler(left: str, right: str) -> float:
    """DuckDB's ``jaro_winkler_similarity`` (bytes, prefix of 4 at most, boost above 0.7)."""
    a, b = left.encode(), right.encode()
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(0, max(len(a), len(b)) // 2 - 1)
    taken = [False] * len(b)
    matched_a = []
    for i, char in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not taken[j] and b[j] == char:
                taken[j] = True
                matched_a.append(char)
                break
    matches = len(matched_a)
    if matches == 0:
        return 0.0
    matched_b = [b[j] for j in range(len(b)) if taken[j]]
    transpositions = sum(x != y for x, y in zip(matched_a, matched_b, strict=True)) // 2
    jaro = (matches / len(a) + matches / len(b) + (matches - transpositions) / matches) / 3
    if jaro <= 0.7:
        return jaro
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


def levenshtein(left: str, right: str) -> int:
    """Edits (insert, delete, substitute) from one string to the other."""
    previous = list(range(len(right) + 1))
    for i, a in enumerate(left, start=1):
        current = [i]
        for j, b in enumerate(right, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]


def damerau_levenshtein(left: str, right: str) -> int:
    """Levenshtein with adjacent transpositions (optimal string alignment). DuckDB's
    unrestricted distance can be smaller only from 2 up: the levels here ask ``<= 1``."""
    rows = [list(range(len(right) + 1))]
    for i in range(1, len(left) + 1):
        row = [i] + [0] * len(right)
        for j in range(1, len(right) + 1):
            cost = left[i - 1] != right[j - 1]
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and left[i - 1] == right[j - 2] and left[i - 2] == right[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _epoch_days(value: date) -> int:
    return value.toordinal()


def _both(column: str, test: Callable[..., bool]) -> Callable[[Pair], bool]:
    def check(pair: Pair) -> bool:
        left, right = pair[0].get(column), pair[1].get(column)
        return left is not None and right is not None and bool(test(left, right))

    return check


def _crosses(crossed: str | None, other: str | None, cross: float | None) -> bool:
    """``crossed`` equal to ``other`` (``cross`` None), or within ``cross`` Jaro-Winkler."""
    if crossed is None or other is None:
        return False
    return crossed == other if cross is None else jaro_winkler(crossed, other) >= cross


def _swapped(
    first: str, last: str, threshold: float, cross: float | None = None
) -> Callable[[Pair], bool]:
    """One record's first name is the other's last name (or within ``cross`` Jaro-Winkler
    of it), and the remaining two names are within ``threshold`` Jaro-Winkler of each
    other, whichever record is on the left."""

    def check(pair: Pair) -> bool:
        for a, b in (pair, pair[::-1]):
            other_a, other_b = a.get(last), b.get(first)
            if _crosses(a.get(first), b.get(last), cross) and other_a and other_b:
                if jaro_winkler(other_a, other_b) >= threshold:
                    return True
        return False

    return check


def _one_crossed(first: str, last: str, cross: float) -> Callable[[Pair], bool]:
    """One record's first name within ``cross`` Jaro-Winkler of the other's last name,
    both records carrying both names."""

    def check(pair: Pair) -> bool:
        for a, b in (pair, pair[::-1]):
            if _crosses(a.get(first), b.get(last), cross):
                if a.get(last) is not None and b.get(first) is not None:
                    return True
        return False

    return check


_COL = r'"?(\w+)_l"?'
_COL_R = r'"?\1_r"?'
_NUM = r"(\d+(?:\.\d+)?)"
# condition (whitespace folded) -> predicate over (incoming, candidate); the forms _model builds
_FORMS: list[tuple[re.Pattern, Callable[[re.Match], Callable[[Pair], bool]]]] = [
    (
        re.compile(rf"^{_COL} IS NULL OR {_COL_R} IS NULL$", re.I),
        lambda m: lambda p: p[0].get(m[1]) is None or p[1].get(m[1]) is None,
    ),
    (
        re.compile(
            r"^\((\w+)_l is null or \1_r is null\) and \((\w+)_l is null or \2_r is null\)$", re.I
        ),
        lambda m: (
            lambda p: (
                (p[0].get(m[1]) is None or p[1].get(m[1]) is None)
                and (p[0].get(m[2]) is None or p[1].get(m[2]) is None)
            )
        ),
    ),
    (re.compile(rf"^{_COL} = {_COL_R}$"), lambda m: _both(m[1], lambda a, b: a == b)),
    (  # first and last names swapped either way, the other name within a typo
        re.compile(
            r"^\((\w+)_l = (\w+)_r and jaro_winkler_similarity\(\2_l, \1_r\) >= "
            rf"{_NUM}\) or \(\1_r = \2_l and jaro_winkler_similarity\(\2_r, \1_l\) >= \3\)$"
        ),
        lambda m: _swapped(m[1], m[2], float(m[3])),
    ),
    (  # the same, the crossing name within a typo
        re.compile(
            rf"^\(jaro_winkler_similarity\((\w+)_l, (\w+)_r\) >= {_NUM} and "
            rf"jaro_winkler_similarity\(\2_l, \1_r\) >= {_NUM}\) or "
            r"\(jaro_winkler_similarity\(\1_r, \2_l\) >= \3 and "
            r"jaro_winkler_similarity\(\2_r, \1_l\) >= \4\)$"
        ),
        lambda m: _swapped(m[1], m[2], float(m[4]), float(m[3])),
    ),
    (  # one name in the other field (or within a typo of it), both records carrying both
        re.compile(
            rf"^\(jaro_winkler_similarity\((\w+)_l, (\w+)_r\) >= {_NUM} and "
            r"\2_l is not null and \1_r is not null\) or "
            r"\(jaro_winkler_similarity\(\1_r, \2_l\) >= \3 and "
            r"\2_r is not null and \1_l is not null\)$"
        ),
        lambda m: _one_crossed(m[1], m[2], float(m[3])),
    ),
    (  # columns reversed (first and last names swapped): one direction, as Splink's default
        re.compile(r'^"?(\w+)_l"? = "?(\w+)_r"?$'),
        lambda m: (
            lambda p: (
                p[0].get(m[1]) is not None
                and p[1].get(m[2]) is not None
                and p[0].get(m[1]) == p[1].get(m[2])
            )
        ),
    ),
    (
        re.compile(rf"^jaro_winkler_similarity\({_COL}, {_COL_R}\) >= {_NUM}$"),
        lambda m: _both(m[1], lambda a, b, t=float(m[2]): jaro_winkler(a, b) >= t),
    ),
    (
        re.compile(rf"^levenshtein\({_COL}, {_COL_R}\) <= ([01])$"),
        lambda m: _both(m[1], lambda a, b, k=int(m[2]): levenshtein(a, b) <= k),
    ),
    (
        re.compile(rf"^damerau_levenshtein\({_COL}, {_COL_R}\) <= ([01])$"),
        lambda m: _both(m[1], lambda a, b, k=int(m[2]): damerau_levenshtein(a, b) <= k),
    ),
    (
        re.compile(
            rf"^damerau_levenshtein\(CAST\({_COL} AS TEXT\), CAST\({_COL_R} AS TEXT\)\) <= ([01])$"
        ),
        lambda m: _both(m[1], lambda a, b, k=int(m[2]): damerau_levenshtein(str(a), str(b)) <= k),
    ),
    (
        re.compile(
            r"^year\((\w+)_l\) = year\(\1_r\) and month\(\1_l\) = day\(\1_r\) "
            r"and day\(\1_l\) = month\(\1_r\)$"
        ),
        lambda m: _both(
            m[1], lambda a, b: a.year == b.year and a.month == b.day and a.day == b.month
        ),
    ),
    (
        re.compile(rf"^ABS\(EPOCH\({_COL}\) - EPOCH\({_COL_R}\)\) <= {_NUM}$"),
        lambda m: _both(
            m[1],
            lambda a, b, s=float(m[2]): abs(_epoch_days(a) - _epoch_days(b)) * 86400 <= s,
        ),
    ),
    (
        re.compile(rf"^SUBSTRING\({_COL}, 1, (\d+)\) = SUBSTRING\({_COL_R}, 1, \2\)$"),
        lambda m: _both(m[1], lambda a, b, n=int(m[2]): a[:n] == b[:n]),
    ),
    (
        re.compile(r"^(\w+)_l = \1_r and \((\w+)_l or \2_r\)$"),
        lambda m: (
            lambda p: _both(m[1], lambda a, b: a == b)(p) and bool(p[0].get(m[2]) or p[1].get(m[2]))
        ),
    ),
]


def level_predicate(condition: str) -> Callable[[Pair], bool]:
    """The Python form of one saved level condition; raises on a form not known here."""
    folded = " ".join(condition.split())
    for pattern, build in _FORMS:
        match = pattern.match(folded)
        if match:
            return build(match)
    raise NotImplementedError(
        f"real-time identification cannot evaluate the level condition {folded!r}: add its "
        "form to identity/_realtime_weights.py (and a pair to its test)"
    )


@dataclass(frozen=True)
class _Level:
    gamma: int
    label: str
    test: Callable[[Pair], bool] | None  # None: the else level
    match_weight: float
    # term-frequency adjustment: (tf column, weight, log2 u of the exact level, minimum u)
    tf: tuple[str, float, float, float] | None


class ModelWeights:
    """Each comparison's levels (first true wins) with the saved weights, from the model."""

    def __init__(self, model: dict[str, Any]) -> None:
        from splink.internals.misc import prob_to_match_weight
        from splink.internals.settings_creator import SettingsCreator

        settings = SettingsCreator.from_path_or_dict(model).get_settings("duckdb")
        self.prior = prob_to_match_weight(settings._probability_two_random_records_match)
        self.labels = _model.level_labels(model)
        self.comparisons: dict[str, list[_Level]] = {}
        for comparison in settings.comparisons:
            levels = comparison.comparison_levels
            name = comparison.output_column_name
            self.comparisons[name] = [
                _Level(
                    level.comparison_vector_value,
                    self.labels[name][level.comparison_vector_value],
                    None if level._is_else_level else level_predicate(level.sql_condition),
                    0.0 if level.is_null_level else level._match_weight,
                    _tf(level, levels),
                )
                for level in levels
            ]

    def tf_columns(self) -> set[str]:
        return {lvl.tf[0] for levels in self.comparisons.values() for lvl in levels if lvl.tf}

    def levels(self, pair: Pair) -> dict[str, _Level]:
        """comparison -> the level the pair falls in (Splink's CASE: first true wins)."""
        out = {}
        for name, levels in self.comparisons.items():
            out[name] = next(lvl for lvl in levels if lvl.test is None or lvl.test(pair))
        return out

    def weights(self, pair: Pair, levels: dict[str, _Level]) -> dict[str, float]:
        """comparison -> match weight plus term-frequency adjustment (``tf_<column>``)."""
        out = {}
        for name, level in levels.items():
            weight = level.match_weight
            if level.tf is not None:
                column, tf_weight, log2_u, minimum = level.tf
                left, right = pair[0].get(f"tf_{column}"), pair[1].get(f"tf_{column}")
                if left is not None or right is not None:
                    largest = max(v for v in (left, right, minimum) if v is not None)
                    weight += tf_weight * (log2_u - math.log2(largest))
            out[name] = weight
        return out

    def match_weight(self, weights: dict[str, float]) -> float:
        return self.prior + sum(weights.values())

    @staticmethod
    def probability(match_weight: float) -> float:
        """Splink's probability of a match weight (stable on both signs)."""
        if match_weight >= 0:
            return 1.0 / (1.0 + 2.0 ** (-match_weight))
        return 2.0**match_weight / (1.0 + 2.0**match_weight)

    @staticmethod
    def reasons(levels: dict[str, _Level], weights: dict[str, float], top: int) -> list[dict]:
        """The ``top`` comparisons weighing most for the link, then every one weighing
        against it, strongest first, as ``_links._top_comparisons_sql`` lists them."""
        items = sorted(
            ((abs(w), name, levels[name].label, round(w, 2)) for name, w in weights.items()),
            reverse=True,
        )
        kept = [i for i in items if i[3] >= 0][:top] + [i for i in items if i[3] < 0]
        return [{"comparison": n, "level": lbl, "weight": w} for _, n, lbl, w in kept]


def _tf(level, levels) -> tuple[str, float, float, float] | None:
    """The level's term-frequency adjustment, as ``ComparisonLevel._tf_adjustment_sql``."""
    if (
        level.comparison_vector_value == -1
        or not level._has_tf_adjustments
        or level._tf_adjustment_weight == 0
        or level._is_else_level
    ):
        return None
    return (
        level._tf_adjustment_input_column_name,
        float(level._tf_adjustment_weight),
        math.log2(level._u_probability_corresponding_to_exact_match(levels)),
        float(level._tf_minimum_u_value),
    )
