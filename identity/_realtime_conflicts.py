"""The configured conflicts, applied to one scored pair as ``_links`` applies them in SQL.

A conflict refuses a pair whose comparison fell in one of its levels, unless the pair's
match weight is above its ``unless_match_weight_above`` or its ``unless`` SQL holds over
the pair's columns (that query runs only for a pair the conflict would otherwise refuse).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.warehouse import scalar
from identity import _links, _model
from identity._realtime_records import INPUT_COLUMNS
from identity._replaced import NONE, Replaced

if TYPE_CHECKING:
    import duckdb

    from identity._config import IdentityConfig


@dataclass(frozen=True)
class _Conflict:
    name: str
    comparison: str
    gammas: set[int]  # the levels it refuses
    above: float | None  # the match weight above which it yields
    unless: str | None  # a query over one pair's columns, as parameters


class RealtimeConflicts:
    """The conflicts of ``config`` for a model with level ``labels``; ``types``: the record
    columns' SQL types; ``assumed``: columns the model does not retain, with their value."""

    def __init__(
        self,
        labels: dict[str, dict[int, str]],
        config: IdentityConfig,
        types: dict[str, str],
        assumed: dict[str, Any],
        replaced: Replaced = NONE,
    ) -> None:
        _links._gamma_sql(labels, config)  # raises on levels the model does not have
        types = {
            **{c: types[c] for c in (*INPUT_COLUMNS, *_model.DERIVED_COLUMNS)},
            **dict.fromkeys(_model.RETAINED_COLUMNS, "BIGINT"),
        }
        self.columns = list(types)
        self.assumed = assumed
        pair = ", ".join(
            f"cast(${i * 2 + side + 1} as {types[c]}) as {c}_{'lr'[side]}"
            for i, c in enumerate(self.columns)
            for side in (0, 1)
        )
        self.conflicts: list[_Conflict] = []  # in ``_links._gamma_sql``'s order
        for conflict in config.conflicts:
            if conflict.comparison not in labels:
                continue  # the records carry no such attribute: the model has no such comparison
            by_label = {label: gamma for gamma, label in labels[conflict.comparison].items()}
            exempt = _links.conflict_unless_sql(conflict, replaced)
            unless = f"select coalesce(({exempt}), false) from (select {pair})" if exempt else None
            self.conflicts.append(
                _Conflict(
                    conflict.name,
                    conflict.comparison,
                    # a level a model saved before it existed lacks matches no pair
                    {by_label[level] for level in conflict.levels if level in by_label},
                    conflict.unless_match_weight_above,
                    unless,
                )
            )

    def refusing(self, con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> str | None:
        """The first conflict refusing a scored pair (``RealtimeScorer.rows``), or None."""
        for conflict in self.conflicts:
            if row["levels"][conflict.comparison].gamma not in conflict.gammas:
                continue
            if conflict.above is not None and row["match_weight"] > conflict.above:
                continue
            if conflict.unless is not None:
                new, candidate = row["pair"]
                values = [
                    self.assumed.get(c, side.get(c))
                    for c in self.columns
                    for side in (new, candidate)
                ]
                if scalar(con, conflict.unless, values):
                    continue
            return conflict.name
        return None
