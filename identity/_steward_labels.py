"""How the model agrees with the stewards: their decisions read as labelled pairs.

A must-link or cannot-link between two identity records is a label (decisions naming whole
customers are left out: which of their records the steward meant is unknown). Each labelled
pair is scored again with the saved model (:mod:`identity._waterfall`); the model calls it
a match at or above the match threshold. Precision, recall and F1 follow pairwise: a
must-link the model calls a match is a true positive, a cannot-link it calls a match a false
positive, a must-link below the threshold a false negative. These are the pairs stewards
found hard, so the figures are a floor, not the model's accuracy on ordinary pairs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.warehouse import table_exists
from identity._waterfall import score_pairs

if TYPE_CHECKING:
    import duckdb

    from identity._realtime import RealtimeScorer


# every standing record-to-record decision (also read by ``cdp identity train --labels``)
DECISION_LABELS_SQL = """select record_id_l, record_id_r, decision from identity.decisions
where revoked_at is null and record_id_l is not null and record_id_r is not null
order by decided_at"""


def labelled_pairs(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, bool]]:
    """(record_id_l, record_id_r, is_match) of every standing record-to-record decision."""
    if not table_exists(con, "identity", "decisions"):
        return []
    return [
        (left, right, decision == "must_link")
        for left, right, decision in con.execute(DECISION_LABELS_SQL).fetchall()
    ]


def steward_accuracy(scorer: RealtimeScorer, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Pairwise precision, recall and F1 of the model at its threshold on the stewards'
    labels; ``labels`` is 0 (and the figures None) when there are none."""
    labels = labelled_pairs(con)
    scores = score_pairs(scorer, con, [(left, right) for left, right, _ in labels])
    threshold = scorer.config.match_threshold
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for left, right, is_match in labels:
        score = scores.get((left, right))
        if score is None:  # a record erased since the decision
            continue
        called = score["match_probability"] >= threshold
        counts[("t" if called == is_match else "f") + ("p" if called else "n")] += 1
    scored = sum(counts.values())
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall
        else None
    )
    return {
        "labels": scored,
        "must_link": tp + fn,
        "cannot_link": fp + counts["tn"],
        "threshold": threshold,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        **counts,
    }
