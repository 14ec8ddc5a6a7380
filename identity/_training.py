"""Training the Splink model without labels, saving it, and loading it back.

The prior comes from the plan's near-certain rules (kept within bounds on small loads), u
from random sampling (corrected for the true matches a sample holds), m from EM sessions
that the planner (``_plan``) picks until every comparison is estimated. The model is saved
as Splink's JSON beside a ``.meta.json`` naming the settings and plan it was trained with.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from identity import _plan
from identity._config import IdentityConfig
from identity._model import _QUIET, settings_creator

if TYPE_CHECKING:
    import duckdb

    from identity._backend import SplinkTables
    from identity._plan import ModelPlan

log = logging.getLogger(__name__)


class IdentityTrainingError(RuntimeError):
    """The model cannot be trained on the records at hand."""


class ModelFileError(RuntimeError):
    """The saved model file cannot be read (torn by a crash, edited): retrain it."""


def train_model(
    splink: SplinkTables, records: str, config: IdentityConfig, model_path: Path
) -> dict[str, Any]:
    """Estimate the model without labels (u by sampling, m by EM) and save it as JSON.

    ``records`` names a table given to Splink with ``splink.put``."""
    from splink import Linker

    count = splink.rows(records)
    if count < 2:
        raise IdentityTrainingError(
            f"{count} identified record(s): training needs at least two records "
            "with an identifying attribute; load the sources first (`cdp ingest`)"
        )
    plan = _plan.plan_for(splink, records, config)
    if not plan.blocking:
        raise IdentityTrainingError(
            f"no blocking rule of config/identity.yml ({config.blocking}) fits the records, "
            f"which carry only {list(plan.attributes)}: add one over those attributes"
        )
    linker = Linker(splink.frame(records), settings_creator(plan), log_level=_QUIET)
    t = config.training
    estimate_prior(linker, plan, config, count)
    linker.training.estimate_u_using_random_sampling(max_pairs=t.u_max_pairs, seed=t.seed)
    estimate_m_by_em(linker, plan, config)
    model = fill_untrained_m(linker.misc.save_model_to_json())
    if t.discount_sampled_matches:
        sampled = min(t.u_max_pairs, count * (count - 1) / 2)
        model = discount_sampled_matches(model, sampled, t.discount_max_factor)
    _write_atomically(model_path, json.dumps(model, indent=2))
    _write_atomically(
        _meta_path(model_path),
        json.dumps({"config_hash": config_hash(config), "records": count, "plan": plan.as_dict()}),
    )
    log.info("identity model trained on %d records, saved to %s", count, model_path)
    return model


def estimate_prior(linker, plan: ModelPlan, config: IdentityConfig, records: int) -> None:
    """The share of record pairs that match, from the near-certain rules of the plan.

    A first small load may hold no pair the rules find (Splink then estimates 0, and every
    later log-odds fails) or nothing but matches (Splink refuses the recall): the estimate
    is kept between "one match in the whole load" and one half."""
    from splink import block_on

    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*cols) for cols in plan.prior_rules], recall=config.training.prior_recall
        )
    except ValueError as error:
        log.warning("prior from %s not estimated: %s", plan.prior_rules, error)
    settings = linker._settings_obj  # Splink 5 has no public setter for the prior
    estimated = settings._probability_two_random_records_match
    bounded = min(max(estimated, 2 / max(records * (records - 1), 2)), 0.5)
    if bounded != estimated:
        log.warning(
            "prior %.3g out of bounds for %d records: %.3g used", estimated, records, bounded
        )
        settings._probability_two_random_records_match = bounded


def estimate_m_by_em(linker, plan: ModelPlan, config: IdentityConfig) -> None:
    """EM sessions until every comparison of the plan is estimated once (``_plan``).

    A session that finds no pairs, or whose few pairs drive a level's m to zero (small
    exports: Splink refuses an m that underflows), is skipped: the planner then tries the
    blocking rule that estimates the most of what is still missing."""
    from splink import block_on
    from splink.internals.exceptions import EMTrainingException  # not re-exported

    missing, tried = set(plan.comparisons), []
    while missing and (session := _plan.next_training_session(plan, config, tried, missing)):
        tried.append(session)
        # A session drops the comparisons it blocks on from the linker's own settings and
        # puts them back only when it succeeds: a failed one must not take them with it.
        before = linker._settings_obj.core_model_settings.copy()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*session), estimate_without_term_frequencies=True
            )
        except (EMTrainingException, ValueError) as error:
            if isinstance(error, ValueError) and "m_probability" not in str(error):
                raise
            linker._settings_obj.core_model_settings = before
            log.warning("training session blocked on %s skipped: %s", session, error)
            continue
        missing -= _plan.estimated_by(session, plan.comparisons)
    if missing:
        log.warning(
            "no training session could estimate %s (each candidate blocks on them or finds "
            "no pairs): their m probabilities keep Splink's defaults",
            sorted(missing),
        )


UNTRAINED_TOP_M = 0.9  # a comparison no EM session could estimate: its best level's m


def fill_untrained_m(model: dict[str, Any]) -> dict[str, Any]:
    """m for the comparisons no EM session could estimate (every session blocks on them,
    as on an export carrying e-mails only): the best level 0.9, the worst 0.05, the levels
    between sharing the rest. Splink would otherwise score them with no evidence at all."""
    for comparison in model["comparisons"]:
        levels = [lvl for lvl in comparison["comparison_levels"] if not lvl.get("is_null_level")]
        if not levels or any(lvl.get("m_probability") is not None for lvl in levels):
            continue
        middle = len(levels) - 2
        shares = [UNTRAINED_TOP_M] + [0.05 / max(middle, 1)] * middle + [0.05]
        if len(levels) == 1:
            shares = [1.0]
        for level, m in zip(levels, shares, strict=True):
            level["m_probability"] = m
        log.warning(
            "comparison %s has no m estimate: uninformed m %s used (levels best to worst)",
            comparison["output_column_name"],
            [round(m, 3) for m in shares],
        )
    return model


def discount_sampled_matches(
    model: dict[str, Any], sampled_pairs: float, max_factor: float
) -> dict[str, Any]:
    """u probabilities without the true matches a random sample of pairs contains.

    Random sampling takes every sampled pair for a non-match. When sources overlap heavily
    (one person: a card, an account, a subscription, calls) the matches among random pairs
    are as frequent as chance agreements on an e-mail or phone, and u comes out several times
    too high. A sampled level frequency is ``lambda * m + (1 - lambda) * u``: solved for u.
    Levels seen in fewer than 50 sampled pairs are left alone (too few to subtract from), and
    no u is divided by more than ``max_factor``.
    """
    prior = model["probability_two_random_records_match"]
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("is_null_level") or m is None or u is None:
                continue
            if u * sampled_pairs < 50:
                continue
            level["u_probability"] = max((u - prior * m) / (1 - prior), u / max_factor)
    return model


def config_hash(config: IdentityConfig) -> str:
    """What the trained model depends on: blocking and training settings."""
    import hashlib

    relevant = config.model_dump(include={"blocking", "training", "backend"})
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]


def _meta_path(model_path: Path) -> Path:
    return model_path.with_suffix(".meta.json")


def _write_atomically(path: Path, text: str) -> None:
    """Write through a temporary name and rename: a reader sees the old file or the new one,
    never a torn one (a crash or a full disk mid-write leaves only the temporary file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(
            f"{path} is not a readable model (torn or corrupt: {type(error).__name__} at "
            f"{getattr(error, 'pos', '?')}): run `cdp identity train` to retrain it"
        ) from None
    if not isinstance(data, dict):
        raise ModelFileError(
            f"{path} holds JSON but no model: run `cdp identity train` to retrain it"
        )
    return data


def load_model(model_path: Path, config: IdentityConfig) -> dict[str, Any]:
    """The saved model as a dict (Splink settings JSON); warns when it is stale.

    Raises :class:`ModelFileError` (one line, saying to retrain) when the file is torn."""
    model = _read_json(model_path)
    if "comparisons" not in model:
        raise ModelFileError(
            f"{model_path} is JSON without Splink comparisons, not a trained model: run "
            "`cdp identity train` to retrain it"
        )
    meta = _meta_path(model_path)
    try:
        trained_for = _read_json(meta).get("config_hash") if meta.exists() else None
    except ModelFileError:
        trained_for = None  # a torn note only makes the model look stale: warned below
    if trained_for != config_hash(config):
        log.warning(
            "%s was trained with other blocking/training settings than identity.yml "
            "holds now; run `cdp identity train` to retrain it",
            model_path,
        )
    return model


def warn_if_outgrown(
    con: duckdb.DuckDBPyConnection, model_path: Path, config: IdentityConfig
) -> None:
    """Warn when the records now carry attributes the saved model was trained without
    (a source with e-mails added after training on one without): retraining uses them."""
    from identity._guards import MATCH_RECORDS

    meta = _meta_path(model_path)
    if not meta.exists():
        return
    try:
        plan = _read_json(meta).get("plan", {})
    except ModelFileError:
        return  # load_model already warned that the model looks stale
    trained = set(plan.get("comparisons", []))
    if not trained:
        return
    columns = _plan.ATTRIBUTE_COLUMNS
    counts = con.execute(
        "select "
        + ", ".join(f"count({c})" for c in columns)
        + f" from {MATCH_RECORDS} where not is_anonymous"
    ).fetchone()
    now = set(_plan.plan_from_counts(dict(zip(columns, counts, strict=True)), config).comparisons)
    if now - trained:
        log.warning(
            "the records now carry %s, which %s was trained without: run `cdp identity train` "
            "to use them",
            sorted(now - trained),
            model_path,
        )
