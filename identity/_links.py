"""Links between identity records: deterministic rules and accepted Splink predictions.

A deterministic link joins records that carry the same strong identifier value (rule
``same_<identifier type>``): each group links to its smallest record id, a star rather than
every pair. Identifier values the guards blocked or refused (``_guards``) link nobody.
A probabilistic pair is accepted above the match threshold unless a configured
conflict holds (e.g. two first names that are plainly different: a household sharing an
e-mail); refused pairs are kept in ``_tables.REFUSED`` with the conflict's name, so
they can be reviewed. Each accepted pair keeps its top contributing comparisons and every
comparison that weighed against it, taken from Splink's per-comparison match weights (the
data behind its waterfall chart).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.warehouse import scalar, sql_literal
from identity import _plan, _replaced, _review
from identity._config import Conflict, IdentityConfig, IdentityConfigError
from identity._model import CONFLICT_COLUMNS, RETAINED_COLUMNS
from identity._replaced import NONE, Replaced, pair_column
from identity._same_person import same_first_name_sql
from identity._tables import ACCEPTED, LINK_IDS, REFUSED

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

LINK_COLUMNS = (
    "record_id_l, record_id_r, link_type, rule, match_weight, match_probability, top_comparisons"
)


def deterministic_links_sql(only: str = "", link_ids: str = LINK_IDS) -> str:
    """One row per record joined to its strong-identifier group's anchor record (``only``:
    a filter on the link identifiers, e.g. a semi join on some values; ``link_ids``: the
    relation holding them)."""
    return f"""
with grouped as (
  select record_id, identifier_type, identifier_value,
    min(record_id) over (partition by identifier_type, identifier_value) as anchor
  from {link_ids} {only}
)
select anchor as record_id_l, record_id as record_id_r, 'deterministic' as link_type,
  'same_' || identifier_type as rule, null::double as match_weight,
  1.0::double as match_probability,
  json_object(identifier_type, identifier_value)::varchar as top_comparisons
from grouped where record_id <> anchor"""


def _built_levels(comparison: str) -> set[str]:
    """The level labels this version's model gives ``comparison``."""
    from identity._comparisons import comparisons

    built = comparisons((comparison,))
    return {
        level.get("label_for_charts")
        for c in built
        for level in c.create_comparison_dict("duckdb")["comparison_levels"]
    }


def conflict_unless_sql(conflict: Conflict, replaced: Replaced) -> str | None:
    """SQL over a pair's columns exempting it from ``conflict`` (NULL does not exempt): its
    ``unless``, or the pair in a stratum of its ``unless_replaced`` where the records show
    values replaced (``_replaced``); None when nothing exempts."""
    tests = [f"({conflict.unless})"] if conflict.unless else []
    if set(conflict.unless_replaced) & replaced.strata:
        tests.append(_replaced.waived_sql(replaced, conflict.unless_replaced, pair_column))
    return " or ".join(tests) or None


def _unless(exempting: str) -> str:
    """True unless ``exempting`` holds (NULL: not exempt). DuckDB tests a ``CASE``'s condition
    term by term, each on the rows the terms before it left undecided, where it computes every
    term for every row under ``not coalesce(...)``: a conflict's or the household cap's
    exemptions (a regular expression, string distances) cost 0.3 s of CPU more at 1M records."""
    return f"case when {exempting} then false else true end"


def _gamma_sql(
    labels: dict[str, dict[int, str]], config: IdentityConfig, replaced: Replaced = NONE
) -> str:
    clauses = []
    for conflict in config.conflicts:
        if conflict.comparison in _plan.COMPARISON_INPUTS and conflict.comparison not in labels:
            continue  # the records carry no such attribute: the model has no such comparison
        if conflict.comparison not in labels:
            raise IdentityConfigError(
                f"conflict {conflict.name!r}: no comparison {conflict.comparison!r}; "
                f"known: {sorted(labels)}"
            )
        by_label = {label: gamma for gamma, label in labels[conflict.comparison].items()}
        missing = [lvl for lvl in conflict.levels if lvl not in by_label]
        if missing and not set(missing) <= _built_levels(conflict.comparison):
            raise IdentityConfigError(
                f"conflict {conflict.name!r}: levels {missing} not in comparison "
                f"{conflict.comparison!r}; its levels are {list(by_label)}"
            )
        if missing:  # a level this version builds, which a model saved before it lacks
            log.warning(
                "conflict %r: the saved model has no level %s (trained before it existed): "
                "no pair can be at it; run `cdp identity train` to use it",
                conflict.name,
                missing,
            )
        known = [lvl for lvl in conflict.levels if lvl in by_label]
        if not known:
            continue
        gammas = ", ".join(str(by_label[lvl]) for lvl in known)
        overwhelming = (
            f" and match_weight <= {conflict.unless_match_weight_above}"
            if conflict.unless_match_weight_above is not None
            else ""
        )
        unless = conflict_unless_sql(conflict, replaced)
        exempt = f" and {_unless(unless)}" if unless else ""
        clauses.append(
            f"when gamma_{conflict.comparison} in ({gammas}){overwhelming}{exempt} "
            f"then '{conflict.name}'"
        )
    return f"case {' '.join(clauses)} end" if clauses else "null::varchar"


_RANKED = "_ranked_comparisons"  # the column _ranked_comparisons_sql is selected as


def _tf_adjusted(labels: dict[str, dict[int, str]], columns: set[str]) -> list[str]:
    """The comparisons whose weight a term-frequency adjustment moves, in name order."""
    return [name for name in sorted(labels) if f"mw_tf_adj_{name}" in columns]


def _ranked_comparisons_sql(labels: dict[str, dict[int, str]], columns: set[str]) -> str:
    """Every comparison of a scored pair with its level and weight, strongest first (selected
    as :data:`_RANKED`: :func:`_top_comparisons_sql` reads it twice), from its gamma, its
    level's weight and its term-frequency adjustment (``tf_adj_<comparison>``, 0 when none).

    Each item holds numbers only (its size, the comparison's place in name order, its gamma,
    its weight): sorted, equal sizes fall in the order of the comparisons' names, as they did
    when the items held the names; the names and level labels are looked up for the few kept
    (building and sorting the strings for every comparison of every pair cost a fifth more)."""
    tf_adjusted = _tf_adjusted(labels, columns)
    items = []
    for rank, name in enumerate(sorted(labels)):
        tf = f" + tf_adj_{name}" if name in tf_adjusted else ""
        weight = f"(mw_{name}{tf})"
        items.append(
            f"{{'size': abs({weight}), 'rank': {rank}, 'gamma': gamma_{name}, "
            f"'weight': round({weight}, 2)}}"
        )
    return f"list_reverse_sort([{', '.join(items)}])"


def _top_comparisons_sql(labels: dict[str, dict[int, str]], top: int) -> str:
    """The ``top`` comparisons that weighed most for the link, then every one that weighed
    against it (a different phone, another birth date), strongest first, as JSON; read from
    :data:`_RANKED`."""
    names = sorted(labels)
    name_of = f"[{', '.join(sql_literal(n) for n in names)}]"
    level_of = ", ".join(
        "map {" + ", ".join(f"{g}: {sql_literal(lbl)}" for g, lbl in labels[n].items()) + "}"
        for n in names
    )
    kept = (
        f"list_concat(list_slice(list_filter({_RANKED}, lambda x: x.weight >= 0), 1, {top}), "
        f"list_filter({_RANKED}, lambda x: x.weight < 0))"
    )
    return (
        f"to_json(list_transform({kept}, lambda x: struct_pack("
        f"comparison := {name_of}[x.rank + 1], level := [{level_of}][x.rank + 1][x.gamma], "
        "weight := x.weight)))::varchar"
    )


def _pattern_columns(labels: dict[str, dict[int, str]], columns: set[str]) -> dict[str, str]:
    """What a pair's explanation depends on (name -> SQL over a scored pair): each
    comparison's gamma, and the term-frequency adjustments (``tf_adj_<comparison>``). A
    level's weight (``mw_<comparison>``) is the model's, one per level: the gammas set it."""
    gammas = {f"gamma_{name}": f"gamma_{name}" for name in sorted(labels)}
    return gammas | {
        f"tf_adj_{name}": f"coalesce(mw_tf_adj_{name}, 0)" for name in _tf_adjusted(labels, columns)
    }


def _selected(columns: dict[str, str]) -> str:
    return ", ".join(f"{sql} as {name}" for name, sql in columns.items())


def _explanations_sql(
    predictions: str, labels: dict[str, dict[int, str]], columns: set[str], top: int
) -> str:
    """Each distinct pattern of the scored pairs (:func:`_pattern_columns`) with its
    ``top_comparisons``: 45k patterns among 588k pairs at 1M records, where ranking and
    writing every pair's comparisons cost 1.6 s of CPU."""
    patterns = _selected(_pattern_columns(labels, columns) | {f"mw_{n}": f"mw_{n}" for n in labels})
    return f"""select *, {_top_comparisons_sql(labels, top)} as top_comparisons
from (select *, {_ranked_comparisons_sql(labels, columns)} as {_RANKED}
  from (select distinct {patterns} from {predictions}))"""


def _household_evidence_capped(
    relation: str, columns: set[str], cap: float | None, replaced: Replaced = NONE
) -> str:
    """Scores where an address agreement weighs at most ``cap`` when the pair's phones or
    birth dates differ: a household, or a building, shares an address; one person does not
    change phone and birth date. (Splink's weights are additive, so the excess is taken off
    the pair's match weight and its probability follows.) Not at one home where the records
    show values replaced rather than households (``replaced``, ``_replaced``)."""
    if cap is None or "mw_address" not in columns:
        return relation
    differs = [f"gamma_{c} = 0" for c in ("phone", "birth_date") if f"gamma_{c}" in columns]
    if not differs:
        return relation
    tf = " + coalesce(mw_tf_adj_address, 0)" if "mw_tf_adj_address" in columns else ""
    if {"first_name_l", "first_name_r"} <= columns:
        # the same first name (or a typo of it) at one address is the same person whose
        # phone or birth date changed or was mistyped: a household's members differ on it
        last = [f"last_name_{s}" if f"last_name_{s}" in columns else "null" for s in "lr"]
        same = same_first_name_sql("first_name_l", "first_name_r", *last)
        differs = [f"({' or '.join(differs)}) and {_unless(same)}"]
    if "home" in replaced.strata:
        at_home = _replaced.waived_sql(replaced, ["home"], pair_column)
        differs = [f"({' or '.join(differs)}) and not {at_home}"]
    excess = (
        f"case when {' or '.join(differs)} "
        f"then greatest(coalesce(mw_address, 0){tf} - {cap}, 0) else 0 end"
    )
    return f"""(select * replace (match_weight - {excess} as match_weight,
    1 / (1 + pow(2, -(match_weight - {excess}))) as match_probability)
  from {relation})"""


def run_weighted_sql(
    relation: str, columns: set[str], config: IdentityConfig, replaced: Replaced = NONE
) -> str:
    """Scored pairs (``relation``, its ``columns``) weighed as a run weighs them, beyond
    Splink's model: the household evidence capped, the replaced values' differences
    discounted (``_replaced``)."""
    capped = _household_evidence_capped(
        relation, columns, config.household_max_match_weight, replaced
    )
    return _replaced.discounted_sql(capped, replaced, columns)


def accept_predictions(
    con: duckdb.DuckDBPyConnection,
    predictions: str,
    labels: dict[str, dict[int, str]],
    config: IdentityConfig,
    replaced: Replaced = NONE,
) -> int:
    """Split scored pairs (``predictions``: a relation or query, scored down to the review
    band) in one pass into accepted links, refused (conflicting) pairs and the review stage."""
    relation = predictions if " " not in predictions.strip() else f"({predictions})"
    columns = {r[0] for r in con.execute(f"describe select * from {relation}").fetchall()}
    explained = _explanations_sql(relation, labels, columns, config.top_comparisons)
    pattern = _pattern_columns(labels, columns)
    # conflicts' SQL may name any attribute: those the model does not compare are NULL here
    absent = [
        f"null::{'date' if c == 'birth_date' else 'varchar'} as {c}_{side}"
        for c in _plan.ATTRIBUTE_COLUMNS
        for side in "lr"
        if f"{c}_{side}" not in columns
    ]
    # a model saved before a conflict column existed does not retain it: read as "no
    # evidence against" (the conflicts then decide as they did when it was trained)
    absent += [
        f"true as {c}_{side}"
        for c in CONFLICT_COLUMNS
        for side in "lr"
        if f"{c}_{side}" not in columns
    ]
    # people counts a model saved before them does not retain: unknown (0 after coalesce)
    absent += [
        f"null::bigint as {c}_{side}"
        for c in RETAINED_COLUMNS
        for side in "lr"
        if f"{c}_{side}" not in columns
    ]
    if absent:
        relation = f"(select *, {', '.join(absent)} from {relation})"
    relation = run_weighted_sql(relation, columns, config, replaced)
    conflict = _gamma_sql(labels, config, replaced)
    # the scored pairs in the accepted links' columns and order, and the conflict: once the
    # refused and borderline pairs are staged, the others are deleted and the table becomes
    # the accepted links (a copy of 540k links cost 0.3-0.4 s of CPU at 1M records)
    con.execute(f"""
create or replace temp table _identity_scored as
select record_id_l, record_id_r, 'probabilistic' as link_type, null::varchar as rule,
  match_weight, match_probability, top_comparisons, conflict
from (select record_id_l, record_id_r, match_weight, match_probability, {_selected(pattern)},
    case when match_probability >= {config.match_threshold} then {conflict} end as conflict
  from {relation})
join ({explained}) using ({", ".join(pattern)})""")
    con.execute(f"""
create or replace temp table {REFUSED} as
select record_id_l, record_id_r, conflict, match_weight, match_probability, top_comparisons
from _identity_scored where conflict is not null""")
    _review.stage_borderline(con, "_identity_scored", config)
    con.execute(
        "delete from _identity_scored where not coalesce(conflict is null "
        f"and match_probability >= {config.match_threshold}, false)"
    )
    con.execute("alter table _identity_scored drop column conflict")
    con.execute(f"drop table if exists {ACCEPTED}")
    con.execute(f"alter table _identity_scored rename to {ACCEPTED}")
    return scalar(con, f"select count(*) from {ACCEPTED}")


def create_empty(con: duckdb.DuckDBPyConnection) -> None:
    """No scored pairs this run: empty accepted and refused stages."""
    ACCEPTED.create_empty(con)
    REFUSED.create_empty(con)
