"""Training the Splink model without labels, saving it, and loading it back.

The prior comes from the plan's near-certain rules (kept within bounds on small loads), u
from random sampling (corrected for the true matches a sample holds), m from EM sessions
that the planner (``_plan``) picks until every comparison is estimated by a session that
sees enough pairs carrying it; what none could estimate falls back to stated priors, named
in the log and in the meta. Household evidence (the address) is capped. The model is saved
as Splink's JSON beside a ``.meta.json`` naming the settings and plan it was trained with
and the levels left untrained.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.warehouse import one_row
from identity import _labels, _plan
from identity._config import IdentityConfig
from identity._model import _QUIET, for_dialect, settings_creator

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
    splink: SplinkTables,
    records: str,
    config: IdentityConfig,
    model_path: Path,
    labelled: bool = False,
) -> dict[str, Any]:
    """Estimate the model (u by sampling, m by EM, then from the labelled matches when
    ``labelled``: ``_labels``) and save it as JSON; with labels, the threshold with the best
    labelled F1 goes in its meta.

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
    linker = Linker(
        splink.frame(records), settings_creator(plan, bool(config.link_only)), log_level=_QUIET
    )
    t = config.training
    estimate_prior(linker, plan, config, count)
    linker.training.estimate_u_using_random_sampling(max_pairs=t.u_max_pairs, seed=t.seed)

    def support(keys: list[str], comparisons: set[str]) -> set[str]:
        inputs = {c: _plan.COMPARISON_INPUTS[c] for c in sorted(comparisons)}
        return splink.pairs_carrying(records, keys, inputs, t.min_pairs_per_estimate)

    unseen = estimate_m_by_em(linker, plan, config, support=support)
    if labelled and _labels.estimate_m(linker, splink):
        unseen = set()  # the labels saw them; a level they never reached falls back below
    model = linker.misc.save_model_to_json()
    sampled = min(t.u_max_pairs, count * (count - 1) / 2)
    model = bound_unseen_u(model, sampled)
    model = tf_levels_u_floor(
        model, {c: splink.repeat_probability(records, c) for c in _tf_columns(model)}
    )
    model, untrained = apply_m_priors(model, unseen | degenerate(model))
    if t.discount_sampled_matches:
        model = discount_sampled_matches(model, sampled, t.discount_max_factor)
    model = near_levels_between(household_evidence_tf_only_lowers(model), untrained)
    _write_atomically(model_path, json.dumps(model, indent=2))
    meta = {
        "config_hash": config_hash(config),
        "records": count,
        "plan": plan.as_dict(),
        "untrained": untrained,
    }
    if labelled and (chosen := _labels.best_threshold(splink, records, model)):
        meta["labels"] = chosen
        log.info("threshold from the labelled precision-recall curve: %s", chosen)
    _write_atomically(_meta_path(model_path), json.dumps(meta))
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


def estimate_m_by_em(linker, plan: ModelPlan, config: IdentityConfig, support=None) -> set[str]:
    """EM sessions until every comparison of the plan is estimated once (``_plan``); returns
    the comparisons no session could estimate.

    A session estimates a comparison only when its pairs include at least
    ``training.min_pairs_per_estimate`` carrying it on both sides (``support(keys,
    comparisons)`` gives those of ``comparisons`` that enough pairs carry; birth dates from
    one source only are never compared within a session). A session
    that finds no pairs, estimates nothing new, or whose few pairs drive a level's m to zero
    (small exports: Splink refuses an m that underflows), is skipped: the planner then tries
    the blocking rule that estimates the most of what is still missing."""
    from splink import block_on
    from splink.internals.exceptions import EMTrainingException  # not re-exported

    missing, tried = set(plan.comparisons), list[list[str]]()
    floor = config.training.min_pairs_per_estimate
    while missing and (session := _plan.next_training_session(plan, config, tried, missing)):
        tried.append(session)
        estimates = _plan.estimated_by(session, plan.comparisons)
        if support is not None:
            estimates = support(session, estimates)
            if not estimates & missing:
                log.info(
                    "training session blocked on %s skipped: it sees too few pairs carrying %s",
                    session,
                    sorted(missing),
                )
                continue
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
        missing -= estimates
    if missing:
        log.warning(
            "no training session could estimate %s (each candidate blocks on them or sees "
            "fewer than %d pairs carrying them): they fall back to stated priors",
            sorted(missing),
            floor,
        )
    return missing


# Stated priors for m where training could not estimate it: the best level 0.9, the worst
# 0.05 (a different value then weighs about -4 bits), the levels between neutral (m = u).
PRIOR_TOP_M, PRIOR_WORST_M = 0.9, 0.05


def _prior_m(position: int, count: int, u: float | None) -> float:
    if count == 1 or position == 0:
        return PRIOR_TOP_M if count > 1 else 1.0
    if position == count - 1:
        return PRIOR_WORST_M
    return u if u is not None else PRIOR_WORST_M


def apply_m_priors(
    model: dict[str, Any], unseen: frozenset[str] | set[str] = frozenset()
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Stated prior m for every level training left unestimated: every level of the
    comparisons in ``unseen`` (no session saw them), and any level Splink could not estimate
    (never observed among a session's matches). Returns the model and, per comparison, the
    levels that fell back (logged, and kept in the model's meta)."""
    untrained: dict[str, list[str]] = {}
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        levels = [lvl for lvl in comparison["comparison_levels"] if not lvl.get("is_null_level")]
        free = [lvl for lvl in levels if not lvl.get("fix_m_probability")]
        fell_back = []
        for position, level in enumerate(free):
            if name in unseen or level.get("m_probability") is None:
                u = level.get("u_probability")
                level["m_probability"] = _prior_m(position, len(free), u)
                fell_back.append(level.get("label_for_charts") or level["sql_condition"])
        if fell_back:
            untrained[name] = fell_back
            log.warning(
                "comparison %s: m not estimated for %s; stated priors used (best level %.2f, "
                "worst %.2f, between: neutral): label some pairs or add a source carrying it "
                "beside another",
                name,
                fell_back,
                PRIOR_TOP_M,
                PRIOR_WORST_M,
            )
    return model, untrained


# Attributes one person keeps for life: agreeing must count for, disagreeing against. An EM
# estimate saying otherwise saw no true matches carrying them (one source holds them).
STABLE_ATTRIBUTES = ("first_name", "birth_date")


def degenerate(model: dict[str, Any]) -> set[str]:
    """Stable comparisons whose estimate shows no evidence either way: the exact level not
    above 1 bit, or a plain difference not below -1 bit (the issue's run: -0.01)."""
    found = set()
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] not in STABLE_ATTRIBUTES:
            continue
        levels = [lvl for lvl in comparison["comparison_levels"] if not lvl.get("is_null_level")]
        top, worst = (_weight(lvl) for lvl in (levels[0], levels[-1]))
        # an exact level never seen among a session's matches has no m at all
        if top is None or top <= 1 or (worst is not None and worst >= -1):
            found.add(comparison["output_column_name"])
    if found:
        log.warning("%s estimated without evidence either way: treated as untrained", found)
    return found


def _weight(level: dict[str, Any]) -> float | None:
    import math

    m, u = level.get("m_probability"), level.get("u_probability")
    if not m or not u:
        return None
    return math.log2(m / u)


def near_levels_between(
    model: dict[str, Any], untrained: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """A near agreement (a typo, a date within the year) weighs no less than a plain
    difference (EM gives a level it saw only among non-matches an m near zero: -200 bits)
    and no more than the best near agreement above it (a level only the stated prior
    estimated, seen by almost no random pair, would otherwise outweigh an exact match).

    A level that fell back to a stated prior (``untrained``: comparison -> level labels,
    from :func:`apply_m_priors`) bounds nothing below it: its neutral weight says nothing
    was seen, not that the levels below are worth nothing. (A retailer's exports hold no
    first and last names swapped, so that level was neutral, and it held every name typo
    below it at 0 bits: ``julien morvn`` weighed no more than ``julien`` alone.)"""
    untrained = untrained or {}
    for comparison in model["comparisons"]:
        levels = [lvl for lvl in comparison["comparison_levels"] if not lvl.get("is_null_level")]
        unestimated = set(untrained.get(comparison["output_column_name"], ()))
        floor = _weight(levels[-1]) if levels else None
        ceiling, above = (_weight(levels[0]) if levels else None), None
        for level in levels[1:-1]:
            weight = _weight(level)
            if weight is None or level.get("fix_m_probability"):
                continue
            capped = weight if ceiling is None else min(weight, ceiling)
            if floor is not None:
                capped = max(capped, floor)
            if capped != weight:
                level["m_probability"] = min(level["u_probability"] * 2**capped, 1.0)
            if (level.get("label_for_charts") or level["sql_condition"]) in unestimated:
                continue
            above = capped if above is None else max(above, capped)
            ceiling = above
    return model


def bound_unseen_u(model: dict[str, Any], sampled_pairs: float) -> dict[str, Any]:
    """u for the levels no sampled pair reached (a username shared across providers is
    rare): one in the pairs sampled, the most it can be, so the level still weighs
    (Splink would score it with no u at all)."""
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level") and level.get("u_probability") is None:
                level["u_probability"] = 1 / max(sampled_pairs, 1)
    return model


def _tf_columns(model: dict[str, Any]) -> set[str]:
    return {
        level["tf_adjustment_column"]
        for comparison in model["comparisons"]
        for level in comparison["comparison_levels"]
        if level.get("tf_adjustment_column")
    }


def tf_levels_u_floor(model: dict[str, Any], repeat: dict[str, float]) -> dict[str, Any]:
    """A term-frequency adjusted level's u is at least the chance two random records share
    its value (``repeat``). Splink's adjustment compares each value's frequency with that u:
    the username level, whose random pairs mostly land on "same email" instead, would
    otherwise keep a u far below any value's frequency and every username would weigh
    nothing once adjusted."""
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            column = level.get("tf_adjustment_column")
            if column in repeat and level.get("u_probability") is not None:
                level["u_probability"] = max(level["u_probability"], repeat[column])
    return model


def household_evidence_tf_only_lowers(model: dict[str, Any]) -> dict[str, Any]:
    """The term-frequency adjustment of household evidence (``_model.HOUSEHOLD_EVIDENCE``:
    the address) can only lower its weight: a building's line, shared by many records, says
    less than a house's; a rare line says no more than the level does."""
    from identity._model import HOUSEHOLD_EVIDENCE

    for comparison in model["comparisons"]:
        if comparison["output_column_name"] not in HOUSEHOLD_EVIDENCE:
            continue
        for level in comparison["comparison_levels"]:
            if level.get("tf_adjustment_column") and level.get("u_probability") is not None:
                level["tf_minimum_u_value"] = level["u_probability"]
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


def with_labelled_threshold(config: IdentityConfig, model_path: Path) -> IdentityConfig:
    """The config to resolve with: ``match_threshold`` from the labels the model was trained
    with (``cdp identity train --labels``), when it was."""
    meta = _meta_path(model_path)
    try:
        chosen = _read_json(meta).get("labels") if meta.exists() else None
    except ModelFileError:
        chosen = None
    if not chosen:
        return config
    return config.model_copy(update={"match_threshold": chosen["match_threshold"]})


def load_model(model_path: Path, config: IdentityConfig, dialect: str = "duckdb") -> dict[str, Any]:
    """The saved model as a dict (Splink settings JSON) written in Splink's SQL ``dialect``,
    whichever engine trained it; warns when it is stale.

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
    return for_dialect(model, dialect)


def warn_if_outgrown(
    con: duckdb.DuckDBPyConnection, model_path: Path, config: IdentityConfig
) -> None:
    """Warn when the records now carry attributes the saved model was trained without
    (a source with e-mails added after training on one without): retraining uses them."""
    from identity._tables import MATCH_RECORDS

    meta = _meta_path(model_path)
    if not meta.exists():
        return
    try:
        plan = _read_json(meta).get("plan", {})
    except ModelFileError:
        return  # load_model already warned that the model looks stale
    trained = set(plan.get("comparisons", []))
    # nothing to count when the model has every comparison records could carry
    if not trained or trained >= set(_plan.COMPARISON_INPUTS):
        return
    columns = _plan.ATTRIBUTE_COLUMNS
    counts = one_row(
        con,
        "select "
        + ", ".join(f"count({c})" for c in columns)
        + f" from {MATCH_RECORDS} where not is_anonymous",
    )
    now = set(_plan.plan_from_counts(dict(zip(columns, counts, strict=True)), config).comparisons)
    if now - trained:
        log.warning(
            "the records now carry %s, which %s was trained without: run `cdp identity train` "
            "to use them",
            sorted(now - trained),
            model_path,
        )
