"""What the records at hand can support: the comparisons, blocking rules and training sessions.

A retailer's exports rarely carry every attribute: a loyalty file without e-mails, a CRM
without phones, a public benchmark with neither. Splink fails outright on a training rule
that yields no pairs, and a comparison over a column nobody fills only adds noise. So the
model is planned from the data: an attribute counts when at least two records carry it; a
comparison is kept when one of its inputs counts; configured blocking and prior rules are
kept when all their columns count; and training sessions are chosen so that every kept
comparison is estimated by expectation maximisation at least once (a session estimates the
comparisons whose inputs it does not block on). The configured sessions come first; the
blocking rules fill the gaps, the one estimating the most missing comparisons first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from identity._backend import SplinkTables
    from identity._config import IdentityConfig

log = logging.getLogger(__name__)

# comparison output name -> the record columns it reads (identity/_model.py builds them)
COMPARISON_INPUTS: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name",),
    "last_name": ("last_name",),
    "birth_date": ("birth_date",),
    "email": ("email",),
    "phone": ("phone",),
    "place": ("postcode", "city"),
    "address": ("address_line",),
}
ATTRIBUTE_COLUMNS = tuple(dict.fromkeys(c for cols in COMPARISON_INPUTS.values() for c in cols))
# columns a comparison also reads (first and last names swapped): a session blocked on one
# of them cannot estimate it
ALSO_READS: dict[str, tuple[str, ...]] = {
    "first_name": ("last_name",),
    "last_name": ("first_name",),
}
# blocking keys derived from attributes (identity._model.DERIVED_COLUMNS) -> the attributes;
# usable for blocking when those are, never as a training session (Splink would not know
# the key repeats the names, and would estimate them on pairs that all agree on them)
DERIVED_KEYS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("name_pair", "name_low", "name_high", "name_stems"), ("first_name", "last_name")
    ),
    "address_compact": ("address_line",),
    "last_name_stem": ("last_name",),
}
_MIN_RECORDS = 2  # a value carried by one record can never be compared


@dataclass(frozen=True)
class ModelPlan:
    """The part of the configured model the records support."""

    attributes: tuple[str, ...]
    comparisons: tuple[str, ...]
    blocking: list[list[str]]
    prior_rules: list[list[str]]
    absent: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "attributes": list(self.attributes),
            "comparisons": list(self.comparisons),
            "blocking": self.blocking,
            "prior_rules": self.prior_rules,
        }


def _supported(rules: list[list[str]], attributes: set[str]) -> list[list[str]]:
    return [list(cols) for cols in rules if set(cols) <= attributes]


def plan_for(splink: SplinkTables, records: str, config: IdentityConfig) -> ModelPlan:
    """The plan for a table given to Splink (``records``, as named with ``splink.put``)."""
    counts = splink.non_null_counts(records, ATTRIBUTE_COLUMNS)
    return plan_from_counts(counts, config)


def plan_from_counts(counts: dict[str, int], config: IdentityConfig) -> ModelPlan:
    """The plan, given how many records carry each attribute."""
    attributes = {c for c in ATTRIBUTE_COLUMNS if counts.get(c, 0) >= _MIN_RECORDS}
    comparisons = tuple(
        name for name, inputs in COMPARISON_INPUTS.items() if attributes & set(inputs)
    )
    keys = attributes | {k for k, inputs in DERIVED_KEYS.items() if set(inputs) <= attributes}
    blocking = _supported(config.blocking, keys)
    prior = _supported(config.training.prior_rules, keys)
    if not prior:
        # the most specific blocking rules are the closest thing to near-certain matches
        widest = max((len(cols) for cols in blocking), default=0)
        prior = [cols for cols in blocking if len(cols) == widest]
    absent = tuple(c for c in ATTRIBUTE_COLUMNS if c not in attributes)
    if absent:
        log.info("identity model: no records carry %s; comparisons kept: %s", absent, comparisons)
    if config.blocking and not blocking:
        log.warning(
            "none of the blocking rules %s can be used: the records lack %s; "
            "add blocking rules over the attributes they carry (config/identity.yml)",
            config.blocking,
            absent,
        )
    return ModelPlan(
        attributes=tuple(c for c in ATTRIBUTE_COLUMNS if c in attributes),
        comparisons=comparisons,
        blocking=blocking,
        prior_rules=prior,
        absent=absent,
    )


def estimated_by(session: list[str], comparisons: tuple[str, ...]) -> set[str]:
    """The comparisons a training session blocked on ``session`` estimates."""
    reads = {c: {*COMPARISON_INPUTS[c], *ALSO_READS.get(c, ())} for c in comparisons}
    return {c for c in comparisons if not reads[c] & set(session)}


def next_training_session(
    plan: ModelPlan, config: IdentityConfig, tried: list[list[str]], missing: set[str]
) -> list[str] | None:
    """The next EM session to run: configured ones first, then the blocking rule estimating
    the most comparisons still ``missing``; None when no untried rule helps."""
    configured = _supported(config.training.em_blocking, set(plan.attributes))
    # a session estimating nothing (it blocks on every comparison) is not one Splink can run
    pending = [c for c in configured if c not in tried and estimated_by(c, plan.comparisons)]
    if pending:
        return pending[0]
    candidates = [c for c in plan.blocking if c not in tried and not set(c) & set(DERIVED_KEYS)]
    gains = [len(estimated_by(c, plan.comparisons) & missing) for c in candidates]
    if not gains or max(gains) == 0:
        return None
    return candidates[gains.index(max(gains))]
