"""Learning from labels: ``cdp identity train --labels FILE``.

Labels come as pairs or as clusters, and the stewards' stored decisions count too:

- pairs: a CSV with ``record_id_l, record_id_r`` and ``clerical_match_score`` (or
  ``is_match``), 1 for one person, 0 for two;
- clusters: a truth file (``identity_type, source_key, person_id`` or the export's
  ``source, key, person_id``, read as ``cdp identity evaluate --truth`` reads it). Every two
  records of one person are a match; two records of different people that the blocking
  rules would pair are a non-match (the pairs the model has to tell apart);
- stored decisions between two records: a must-link is a match, a cannot-link is not.

Training then estimates m from the labelled matches (Splink's
``estimate_m_from_pairwise_labels``, after EM, so labels win where they say something) and
picks the match threshold on the labelled precision-recall curve (the best F1), kept in the
model's meta and used by the next runs instead of ``match_threshold``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from core.warehouse import one_row, scalar
from identity._tables import LABELS, RECORDS, TRUTH

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb

    from core.settings import Settings
    from identity._backend import SplinkTables
    from identity._config import IdentityConfig

log = logging.getLogger(__name__)


class LabelsError(ValueError):
    """A labels file cannot be read; the message says what it needs."""


def load_labels(
    con: duckdb.DuckDBPyConnection,
    path: Path | None,
    settings: Settings,
    config: IdentityConfig,
    model_records: str,
) -> int:
    """The labelled pairs of the file and of the stored decisions into :data:`LABELS`
    (``model_records``: the SQL of the records Splink sees); returns their count."""
    from identity._decisions import ensure_tables

    ensure_tables(con)
    parts = [_decision_pairs_sql()]
    if path is not None:
        read = f"read_csv('{str(path).replace(chr(39), chr(39) * 2)}', header = true)"
        header = {row[0] for row in con.execute(f"describe select * from {read}").fetchall()}
        if {"record_id_l", "record_id_r"} <= header:
            score = next((c for c in ("clerical_match_score", "is_match") if c in header), None)
            if score is None:
                raise LabelsError(
                    f"{path}: a pairs file needs a clerical_match_score (or is_match) column, "
                    "1 for one person and 0 for two"
                )
            parts.append(
                f"select record_id_l::varchar, record_id_r::varchar, "
                f"cast({score} as double) as score from {read}"
            )
        else:
            parts.append(_cluster_pairs_sql(con, path, settings, config, model_records))
    con.execute(f"""
create or replace temp table {LABELS} as
select least(record_id_l, record_id_r) as record_id_l,
  greatest(record_id_l, record_id_r) as record_id_r,
  -- a pair labelled twice (a file and a steward): the steward's later word counts
  last(score) as clerical_match_score
from ({" union all ".join(parts)}) where record_id_l <> record_id_r
  and record_id_l in (select record_id from {RECORDS})
  and record_id_r in (select record_id from {RECORDS})
group by all""")
    return int(scalar(con, f"select count(*) from {LABELS}"))


def _decision_pairs_sql() -> str:
    """The stewards' record-to-record decisions (those naming whole customers are left out:
    which of their records the steward meant is unknown), as ``_steward_labels`` reads them."""
    from identity._steward_labels import DECISION_LABELS_SQL

    return f"""select record_id_l, record_id_r,
  case decision when 'must_link' then 1.0 else 0.0 end as score
from ({DECISION_LABELS_SQL})"""


def _cluster_pairs_sql(con, path: Path, settings, config, model_records: str) -> str:
    from identity._truth import load_truth

    try:
        load_truth(con, path, settings)
    except ValueError as error:
        raise LabelsError(
            f"{path}: neither pairs (record_id_l, record_id_r, clerical_match_score) nor "
            f"clusters: {error}"
        ) from error
    con.execute(f"""create or replace temp table _identity_labelled as
select m.*, t.person_id from ({model_records}) m join {RECORDS} r using (record_id)
join {TRUTH} t using (identity_type, source_key)""")
    blocked = " or ".join(
        "(" + " and ".join(f"a.{c} = b.{c}" for c in cols) + ")" for cols in config.blocking
    )
    return f"""select a.record_id, b.record_id,
  case when a.person_id = b.person_id then 1.0 else 0.0 end
from _identity_labelled a join _identity_labelled b on a.record_id < b.record_id
  and (a.person_id = b.person_id or {blocked or "false"})"""


def estimate_m(linker, splink: SplinkTables) -> int:
    """m from the labelled matches (Splink assumes every row it is given is one)."""
    splink.put("labelled_matches", f"select * from {LABELS} where clerical_match_score >= 0.5")
    matches = splink.rows("labelled_matches")
    if matches:
        linker.training.estimate_m_from_pairwise_labels(splink.frame("labelled_matches"))
    return matches


def best_threshold(splink: SplinkTables, records: str, model: dict) -> dict[str, Any] | None:
    """The match probability with the best F1 on the labelled precision-recall curve."""
    import logging as _logging

    from splink import Linker
    from splink.internals.splink_dataframe import SplinkDataFrame

    splink.put("labelled_pairs", f"select * from {LABELS}")
    counts = one_row(
        splink.con,
        f"select count(*) filter (where clerical_match_score >= 0.5), "
        f"count(*) filter (where clerical_match_score < 0.5) from {LABELS}",
    )
    if not counts[0] or not counts[1]:
        log.warning(
            "labels hold %d matches and %d non-matches: the threshold needs both; "
            "match_threshold is kept",
            *counts,
        )
        return None
    linker = Linker(splink.frame(records), model, log_level=_logging.WARNING)
    table = linker.evaluation.accuracy_analysis_from_labels_table(
        splink.frame("labelled_pairs"), output_type="table", add_metrics=["f1"]
    )
    assert isinstance(table, SplinkDataFrame)  # output_type="table" answers a table
    curve = table.as_pandas_dataframe()
    best = curve.sort_values(["f1", "match_probability"], ascending=False).iloc[0]
    # a probability of exactly 0 or 1 cannot be a threshold (config: 0 < threshold < 1)
    threshold = min(max(float(best["match_probability"]), 0.01), 0.999)
    return {
        "matches": int(counts[0]),
        "non_matches": int(counts[1]),
        "match_threshold": round(threshold, 4),
        "precision": round(float(best["precision"]), 4),
        "recall": round(float(best["recall"]), 4),
        "f1": round(float(best["f1"]), 4),
    }
