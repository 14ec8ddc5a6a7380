"""Why the model scored a pair as it did: Splink's match-weight waterfall, step by step.

Known pairs of identity records are scored again with the saved model through a
:class:`identity._realtime.RealtimeScorer` (its model input: derived columns, term
frequencies over the resolved records) and Splink's ``compare_records``; each scored row is
turned into the bars of Splink's own waterfall chart (``record_to_waterfall_data``): the
prior, every comparison's level and weight, each term-frequency adjustment, the final match
weight and probability. Nothing here re-derives a weight: they are Splink's.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from identity._backend import arrow

if TYPE_CHECKING:
    import duckdb

    from identity._realtime import RealtimeScorer

_SPLINK_SETTINGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def score_pairs(
    scorer: RealtimeScorer, con: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Each pair (record ids in ``con``'s ``identity.identity_records``) with its waterfall:
    ``steps`` (prior, comparisons, term-frequency adjustments; weight and running total),
    ``match_weight``, ``match_probability``, ``threshold`` and the comparisons that weighed
    ``for`` and ``against``. Pairs naming a record that is gone are left out."""
    import pyarrow as pa
    from splink.internals.settings_creator import SettingsCreator
    from splink.internals.waterfall_chart import records_to_waterfall_data

    pairs = sorted(set(pairs))
    if not pairs:
        return {}
    ids = sorted({record for pair in pairs for record in pair})
    columns = ", ".join(["record_id", *scorer.columns])
    records = arrow(
        con,
        f"select {columns} from identity.identity_records where record_id in (select unnest(?))",
        [ids],
    )
    wanted = pa.table({"record_id_l": [a for a, _ in pairs], "record_id_r": [b for _, b in pairs]})
    if scorer not in _SPLINK_SETTINGS:  # built once per scorer (~0.2 s of SQL parsing)
        _SPLINK_SETTINGS[scorer] = SettingsCreator.from_path_or_dict(scorer.model).get_settings(
            "duckdb"
        )
    rows = scorer.compare_pairs(records, wanted)
    bars: list[list[dict[str, Any]]] = [[] for _ in rows]
    for bar in records_to_waterfall_data(rows, _SPLINK_SETTINGS[scorer], hide_details=False):
        bars[bar["record_number"]].append(bar)
    threshold = scorer.config.match_threshold
    return {
        (row["record_id_l"], row["record_id_r"]): _explained(bars[i], row, threshold)
        for i, row in enumerate(rows)
    }


def _explained(bars: list[dict[str, Any]], row: dict[str, Any], threshold: float) -> dict:
    steps, total = [], 0.0
    for bar in bars[:-1]:  # the last bar is Splink's final score: the total below
        weight = float(bar["log2_bayes_factor"] or 0.0)
        if bar["term_frequency_adjustment"] and weight == 0.0:
            continue  # a comparison level without term-frequency adjustment adds nothing
        total += weight
        steps.append(
            {
                "comparison": bar["column_name"],
                "level": bar["label_for_charts"],
                "weight": weight,
                "cumulative": total,
                "value_l": bar["value_l"],
                "value_r": bar["value_r"],
            }
        )
    weighed = [s for s in steps[1:] if s["weight"]]
    return {
        "steps": steps,
        "match_weight": float(row["match_weight"]),
        "match_probability": float(row["match_probability"]),
        "threshold": threshold,
        "for": sorted((s for s in weighed if s["weight"] > 0), key=lambda s: -s["weight"]),
        "against": sorted((s for s in weighed if s["weight"] < 0), key=lambda s: s["weight"]),
    }
