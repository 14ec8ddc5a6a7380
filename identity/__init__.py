"""Identity resolution: one stable customer_id per person (the RCU), explained and measured.

Public surface: :func:`train`, :func:`resolve`, :func:`evaluate`, :func:`explain`,
:func:`identity_mappings`. Heavy
libraries (duckdb, splink) load inside the calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb

    from core.settings import Settings
    from identity._realtime import RealtimeScorer

from identity._config import IdentityMapping
from identity._stability import ChurnGateError
from identity._training import ModelFileError

__all__ = [
    "ChurnGateError",
    "IdentityMapping",
    "ModelFileError",
    "identity_mappings",
    "train",
    "resolve",
    "evaluate",
    "explain",
    "realtime_scorer",
    "clear_stored_guards",
    "standardise_attributes",
]


def identity_mappings(settings: Settings) -> list[IdentityMapping]:
    """The `identities:` mappings of every source definition (which raw rows are people)."""
    from identity._config import load_identity_mappings

    return load_identity_mappings(settings.sources_dir)


def train(settings: Settings, labels: Path | None = None) -> dict[str, Any]:
    """Retrain the Splink model on current identity records; saved under settings.model_dir.
    With ``labels`` (pairs or clusters; the stewards' decisions join them), m is estimated
    from the labelled matches and the threshold picked on their precision-recall curve."""
    from identity._resolve import train as _train

    return _train(settings, labels)


def resolve(settings: Settings, full: bool = False, approve_churn: bool = False) -> dict[str, Any]:
    """Resolve identity records into customers (incremental unless ``full``); returns a summary.

    Raises :class:`ChurnGateError` (nothing written) when the run changes more customer ids
    than config ``stability`` allows, unless ``approve_churn``.
    """
    from identity._resolve import resolve as _resolve

    return _resolve(settings, full=full, approve_churn=approve_churn)


def evaluate(settings: Settings, truth_path: Path | None = None) -> dict[str, Any]:
    """Pairwise and B-cubed precision/recall/F1 against the generator's truth, or against
    ``truth_path`` (CSV: identity_type, source_key, person_id)."""
    from identity._evaluate import evaluate as _evaluate

    return _evaluate(settings, truth_path)


def explain(settings: Settings, key: str) -> dict[str, Any]:
    """The records of a customer (by customer_id, e-mail or phone) and why each link holds."""
    from identity._explain import explain as _explain

    return _explain(settings, key)


def standardise_attributes(
    con: duckdb.DuckDBPyConnection, settings: Settings, values: dict[str, Any]
) -> dict[str, Any]:
    """Identifying attributes standardised exactly as identity records are (junk dropped)."""
    from identity._realtime_input import cached_config, standardise

    return standardise(con, values, cached_config(settings.identity_config_path))


def realtime_scorer(
    settings: Settings, con: duckdb.DuckDBPyConnection, records_by=None
) -> RealtimeScorer:
    """A scorer of single incoming persons against the records ``con`` holds (saved model);
    ``records_by(column)`` names a copy of the records sorted by that column, if any."""
    from identity._realtime import RealtimeScorer

    return RealtimeScorer(settings, con, records_by)


def clear_stored_guards(con: duckdb.DuckDBPyConnection) -> None:
    """Empty the guards' stored per-value results (an erasure deletes records behind them);
    the next run guards every identifier value again."""
    from identity._guard_cache import clear

    clear(con)
