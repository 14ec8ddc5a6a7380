"""The Splink model: comparisons, blocking, training, scoring (backend: identity/_backend.py).

Names and birth dates use Splink's library comparisons. E-mail, phone and place are
written here; their levels, in order (with an example pair):

``email`` (standardised: typo domains fixed, gmail dots and +tags gone)
  - null: one side missing
  - same email: ``jean.dupont@orange.fr`` twice
  - same username, other domain: ``jean.dupont@orange.fr`` / ``jean.dupont@free.fr``
  - different email: anything else. No fuzzy level on purpose: e-mails built from names
    (``jean.dupont12@`` / ``jean.dupont47@``) are close without being the same person's.

``phone`` (E.164 strings)
  - null: one side missing
  - same phone: ``+33612345678`` / ``+33612345678``
  - one digit off: ``+33612345678`` / ``+33612345679``
  - different: anything else

``place`` (postcode and city together, since sources give one or the other)
  - null: neither postcode nor city known on both sides
  - same postcode: ``75011`` / ``75011``
  - same city: ``lyon`` / ``lyon`` with different or missing postcodes
  - same departement: ``75011`` / ``75018``
  - different: anything else

``address`` (standardised address line: lower case, accents folded, single spaces)
  - null: one side missing
  - same address: ``12 rue de la paix`` twice
  - similar address (Jaro-Winkler >= 0.9): ``12 rue de la paix`` / ``12 rue de la pais``
  - different: anything else

Only the comparisons the records can feed are used (``_plan``): an export without e-mails
or phones trains and scores on what it has.

E-mail and phone get no term-frequency adjustment: a value's frequency mostly counts the
same person's records (card, account, subscription, calls), so it would weaken exactly the
pairs that should link. Values shared by many people (junk, a shop's switchboard) are handled
by the guards instead (``_guards``: block list, frequency ceiling, people per value).

Every SQL fragment here is written through Splink's column expressions or portable SQL,
so the same settings run on Splink's Spark backend.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from identity import _plan
from identity._config import IdentityConfig

if TYPE_CHECKING:
    from identity._backend import SplinkTables
    from identity._plan import ModelPlan

log = logging.getLogger(__name__)

MODEL_COLUMNS = (
    "record_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "postcode",
    "city",
    "address_line",
)
TF_COLUMNS = ("first_name", "last_name")
_QUIET = logging.WARNING  # Splink narrates every SQL step at INFO; our run summary suffices


class IdentityTrainingError(RuntimeError):
    """The model cannot be trained on the records at hand."""


def _comparisons(kept: tuple[str, ...]) -> list:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import ColumnExpression

    phone = cl.CustomComparison(
        output_column_name="phone",
        comparison_description="French phone numbers in E.164",
        comparison_levels=[
            cll.NullLevel("phone"),
            cll.ExactMatchLevel("phone").configure(label_for_charts="same phone"),
            cll.LevenshteinLevel("phone", 1).configure(label_for_charts="one digit off"),
            cll.ElseLevel().configure(label_for_charts="different phone"),
        ],
    )
    email = cl.CustomComparison(
        output_column_name="email",
        comparison_description="standardised e-mail addresses",
        comparison_levels=[
            cll.NullLevel("email"),
            cll.ExactMatchLevel("email").configure(label_for_charts="same email"),
            cll.ExactMatchLevel(ColumnExpression("email").regex_extract("^[^@]+")).configure(
                label_for_charts="same username, other domain"
            ),
            cll.ElseLevel().configure(label_for_charts="different email"),
        ],
    )
    place = cl.CustomComparison(
        output_column_name="place",
        comparison_description="postcode and city",
        comparison_levels=[
            cll.CustomLevel(
                "(postcode_l is null or postcode_r is null) and (city_l is null or city_r is null)",
                label_for_charts="place unknown",
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("postcode").configure(label_for_charts="same postcode"),
            cll.ExactMatchLevel("city").configure(label_for_charts="same city"),
            cll.ExactMatchLevel(ColumnExpression("postcode").substr(1, 2)).configure(
                label_for_charts="same departement"
            ),
            cll.ElseLevel().configure(label_for_charts="different place"),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_description="standardised address line",
        comparison_levels=[
            cll.NullLevel("address_line"),
            cll.ExactMatchLevel("address_line").configure(label_for_charts="same address"),
            cll.JaroWinklerLevel("address_line", 0.9).configure(label_for_charts="similar address"),
            cll.ElseLevel().configure(label_for_charts="different address"),
        ],
    )
    every = {
        "first_name": cl.NameComparison("first_name", jaro_winkler_thresholds=[0.92, 0.8]),
        "last_name": cl.NameComparison("last_name", jaro_winkler_thresholds=[0.92, 0.8]),
        "birth_date": cl.DateOfBirthComparison(
            "birth_date",
            input_is_string=False,
            datetime_thresholds=[1, 1],
            datetime_metrics=["month", "year"],
        ),
        "email": email,
        "phone": phone,
        "place": place,
        "address": address,
    }
    return [every[name] for name in _plan.COMPARISON_INPUTS if name in kept]


def settings_creator(plan: ModelPlan):
    """Splink settings for the comparisons and blocking rules the records support."""
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=_comparisons(plan.comparisons),
        blocking_rules_to_generate_predictions=[block_on(*cols) for cols in plan.blocking],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
    )


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
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model = linker.misc.save_model_to_json(str(model_path), overwrite=True)
    if t.discount_sampled_matches:
        sampled = min(t.u_max_pairs, count * (count - 1) / 2)
        model = discount_sampled_matches(model, sampled, t.discount_max_factor)
        model_path.write_text(json.dumps(model, indent=2), encoding="utf-8")
    _meta_path(model_path).write_text(
        json.dumps({"config_hash": config_hash(config), "records": count, "plan": plan.as_dict()}),
        encoding="utf-8",
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


def load_model(model_path: Path, config: IdentityConfig) -> dict[str, Any]:
    """The saved model as a dict (Splink settings JSON); warns when it is stale."""
    meta = _meta_path(model_path)
    trained_for = (
        json.loads(meta.read_text(encoding="utf-8")).get("config_hash") if meta.exists() else None
    )
    if trained_for != config_hash(config):
        log.warning(
            "%s was trained with other blocking/training settings than identity.yml "
            "holds now; run `cdp identity train` to retrain it",
            model_path,
        )
    return json.loads(model_path.read_text(encoding="utf-8"))


def predict_all(splink: SplinkTables, records: str, model: dict, config: IdentityConfig) -> str:
    """Score every blocked pair of records above the threshold; a relation name to read."""
    from splink import Linker

    linker = Linker(splink.frame(records), model, log_level=_QUIET)
    predictions = linker.inference.predict(
        threshold_match_probability=config.match_threshold, warning_mode="never"
    )
    return splink.read(predictions, "_identity_predictions_all")


def predict_new(
    splink: SplinkTables,
    existing: str,
    new: str,
    tf_tables: dict[str, str],
    model: dict,
    config: IdentityConfig,
) -> str:
    """Score new records against existing ones and among themselves, nothing else.

    Returns SQL for the union of both parts (columns matched by name)."""
    from splink import Linker

    linker = Linker(splink.frame(existing), model, log_level=_QUIET)
    for column, table in tf_tables.items():
        linker.table_management.register_term_frequency_lookup(splink.frame(table), column)
    parts = []
    if splink.rows(existing):
        between = linker.inference.predict_between(
            splink.frame(new),
            splink.frame(existing),
            threshold_match_probability=config.match_threshold,
            warning_mode="never",
        )
        parts.append(splink.read(between, "_identity_predictions_between"))
    within = linker.inference.predict_within(
        splink.frame(new), threshold_match_probability=config.match_threshold, warning_mode="never"
    )
    parts.append(splink.read(within, "_identity_predictions_within"))
    return " union all by name ".join(f"select * from {p}" for p in parts)


def level_labels(model: dict) -> dict[str, dict[int, str]]:
    """comparison output name -> gamma value -> level label, read from the saved model."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        non_null = [lvl for lvl in levels if not lvl.get("is_null_level")]
        gammas = {-1: "null"}
        for position, level in enumerate(non_null):
            gammas[len(non_null) - 1 - position] = (
                level.get("label_for_charts") or level["sql_condition"]
            )
        labels[comparison["output_column_name"]] = gammas
    return labels


def cluster(splink: SplinkTables, nodes_sql: str, edges_sql: str) -> str:
    """Connected components over accepted links; a relation (record_id, cluster_id) to read."""
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    clusters = cluster_pairwise_predictions_at_threshold(
        splink.put("cluster_nodes", nodes_sql),
        splink.put("cluster_edges", edges_sql),
        db_api=splink.db_api,
        node_id_column_name="record_id",
        edge_id_column_name_left="record_id_l",
        edge_id_column_name_right="record_id_r",
        threshold_match_probability=None,
    )
    return splink.read(clusters, "_identity_clusters_splink")
