"""The Splink model: its input columns, settings, scoring and clustering (comparisons and
their levels: ``_comparisons``; training: ``_training``; backend: ``_backend``).

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

import logging
from typing import TYPE_CHECKING

from identity import _components
from identity._comparisons import comparisons
from identity._config import ATTRIBUTES, IdentityConfig

if TYPE_CHECKING:
    from identity._backend import SplinkTables
    from identity._plan import ModelPlan

log = logging.getLogger(__name__)

MODEL_COLUMNS = ("record_id", *ATTRIBUTES)


def _username_sql(email: str, keep: str = "a-z0-9") -> str:
    """The e-mail's username with only the characters ``keep`` (a character class) left."""
    return f"regexp_replace(regexp_extract({email}, '^[^@]+'), '[^{keep}]', '', 'g')"


def _spells_name_sql(user: str) -> str:
    """True when the username ``user`` only spells the record's own name, in the forms the
    usual address patterns give (jean.dupont, dupontjean, jdupont, dupontj, jean, dupont,
    jeand). Computed per record so the e-mail comparison reads no name column (Splink then
    still estimates it in a session blocked on names)."""
    f, last, initial = "first_name", "last_name", "substr(first_name, 1, 1)"
    forms = (
        f"{f} || {last}, {last} || {f}, {initial} || {last}, {last} || {initial}, "
        f"{f}, {last}, {f} || substr({last}, 1, 1)"
    )
    return f"coalesce({user} in ({forms}), false)"


def username_names_holder_sql(email: str = "email", inline: bool = False) -> str:
    """True when the e-mail's username spells the record's own name, whatever digits it
    carries (``olivier.fleury``, ``jeanne1986``, ``fleury75``: a birth year or a number the
    provider asked for); false for one naming somebody else (``fredericpire@`` on Claude
    Lelievre's card: a partner's address) or a family (``famille.legoff@``,
    ``lesabgrall@``, ``christophemarie.martin@``: the surname beside other words or a
    second first name), where a nameless record is as likely another member. (A username
    merely holding the first name is not enough either: ``julie.et.lea@``.) A name
    mistyped on the record still names it (``theopelinet08@`` on Theo Pelinte's card,
    ``pbonnet@`` on Patrick Bonnt's): the username's letters (six or more) one slip from a
    form holding the surname. A surname known by its initial alone (a review signed
    ``rene b``) is named by the first name then a word of that initial (``rene.bermudez``)
    or a word of that initial then the first name's (``beckersg`` for ``gabriel b``).
    (Computed by DuckDB before Splink reads the records.)

    A scalar subquery over the record's own columns: the username and its letters are
    extracted once per row there and read by every test. Written inline in the tests, each
    use inside the ``CASE`` runs the regular expressions again (up to sixteen a row: 3.1 s
    of CPU over 832k records, 1.0 s as a subquery). ``inline`` writes them so all the same,
    for a caller that evaluates the test on a few rows under a condition (the guards): a
    correlated subquery is computed for every row before the condition is applied."""
    user, letters = _username_sql(email), _username_sql(email, keep="a-z")
    if inline:
        return _username_names_holder_tests(user, letters)
    tests = _username_names_holder_tests("_username", "_letters")
    return f"(select {tests} from (select {user} as _username, {letters} as _letters))"


def _username_names_holder_tests(user: str, letters: str) -> str:
    """``username_names_holder_sql``'s tests over the username (``user``, its letters and
    digits) and its letters alone (``letters``)."""
    f, last, initial = "first_name", "last_name", "substr(first_name, 1, 1)"
    forms = (f"{f} || {last}", f"{last} || {f}", f"{initial} || {last}", f"{last} || {initial}")
    # one slip apart needs lengths one apart: the edit distance, the costly part (ten times
    # the rest over 1M records), is computed only where it can be 1 or less
    closest = ", ".join(
        f"case when abs(length({letters}) - length({form})) <= 1 "
        f"then damerau_levenshtein({letters}, {form}) end"
        for form in (*forms, last)
    )
    mistyped = f"coalesce(length({letters}) >= 6 and least({closest}) <= 1, false)"
    by_initial = (
        f"coalesce(length({last}) = 1 and (starts_with({letters}, {f} || {last}) or "
        f"(starts_with({letters}, {last}) and ends_with({letters}, {initial}))), false)"
    )
    # each term is true or false (never NULL): the first that holds answers, and DuckDB
    # evaluates a later one only for the rows no earlier one answered (an OR of these IN
    # lists ran about three times slower than the terms apart)
    terms = (_spells_name_sql(user), _spells_name_sql(letters), by_initial, mistyped)
    return "case " + " ".join(f"when {t} then true" for t in terms) + " else false end"


_BOTH_NAMES = "case when first_name is not null and last_name is not null then {} end"
# Columns Splink sees that records do not store: name -> portable SQL over record columns.
DERIVED_COLUMNS = {
    "email_user": "regexp_extract(email, '^[^@]+')",
    "email_user_is_name": _spells_name_sql(_username_sql("email")),
    "email_user_names_holder": username_names_holder_sql(),
    # the full name whichever way round it was typed: a blocking key that finds first and
    # last names swapped (an agent's slip) as well as the name typed right
    # (both names or none: least/greatest skip a null, and "martin martin" would pair
    # every record known by one name with every other of that name)
    "name_pair": _BOTH_NAMES.format(
        "least(first_name, last_name) || ' ' || greatest(first_name, last_name)"
    ),
    # each of the two names, whichever field holds it: with a typo in one name of a swapped
    # pair (``sebretgs james`` / ``james sebregts``) the other still meets here; the first
    # in alphabetical order or the last (both keys are needed unless the typo moves a name
    # past the other, which is rare)
    "name_low": _BOTH_NAMES.format("least(first_name, last_name)"),
    "name_high": _BOTH_NAMES.format("greatest(first_name, last_name)"),
    # the address line without its spaces and punctuation: a blocking key that still meets
    # a space typed, dropped or moved (``rollstonstreet`` / ``rollston street``,
    # ``swanto n street``), the most common slip in a typed address
    "address_compact": "nullif(regexp_replace(address_line, '[^a-z0-9]', '', 'g'), '')",
    # the first three letters of each name (``jul mat`` for juliana matthews): with the
    # postcode, records whose names both carry a typo past their third letter
    # (``julinaa matthrws``) still meet
    "name_stems": _BOTH_NAMES.format("substr(first_name, 1, 3) || ' ' || substr(last_name, 1, 3)"),
    # the surname's first three letters: with the birth date, a surname mistyped past its
    # third letter (``priest`` / ``prise``) on a record with no first name, or a replaced one
    "last_name_stem": "substr(last_name, 1, 3)",
}
# Term-frequency adjusted columns -> the comparison they adjust.
TF_COLUMNS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email_user": "email",
    "address_line": "address",
}
# Distinct values of a column seen with each value of some keys, over every record:
# name -> (column counted, keys). Conflicts read them.
DISTINCT_BY = {
    # first names seen with a home (surname at an address line), a phone, an e-mail: the
    # people it is known to hold (`household_evidence_only`: a record without a first name
    # is placed by them only where they name one person)
    "home_people": ("first_name", ("last_name", "address_line")),
    "phone_people": ("first_name", ("phone",)),
    "email_people": ("first_name", ("email",)),
    # surnames seen with a first name: a name in common use (`nicolas`, `nicole`) is borne by
    # many families, a typo of one (`nicloas`) by a few (`two_names_alike`)
    "first_name_surnames": ("last_name", ("first_name",)),
}
# people known by the record's full name, and the counts above
RETAINED_COLUMNS = ("name_people", *DISTINCT_BY)
HELD_CONTACTS = ("email", "phone")  # a record's other e-mails and phones count as held too
SOURCE_DATASET = "source_dataset"  # the record's identity type: a dataset of a link-only run
# derived columns read by conflicts, not compared
CONFLICT_COLUMNS = ("email_user_names_holder",)
HOUSEHOLD_EVIDENCE = ("address",)  # comparisons a household shares (capped in training)
_QUIET = logging.WARNING  # Splink narrates every SQL step at INFO; our run summary suffices


def counted_by_sql(keys: tuple[str, ...], records: str, identifiers: str, only: str = "") -> str:
    """The rows a ``DISTINCT_BY`` count reads: ``records``, and for a phone or an e-mail
    also each record's other ones (``identifiers``: the home landline listed beside every
    member's mobile shows the household's first names, where the main phones show one);
    ``only``: a filter joined to each part (see :func:`distinct_by_counts_sql`)."""
    if len(keys) != 1 or keys[0] not in HELD_CONTACTS:
        return f"(select * from {records} {only})" if only else records
    key = keys[0]
    # the filter joined to each part, not to the union: DuckDB does not push a semi join's
    # filter through a UNION ALL, so each of these counts grouped every record first
    # (0.10 s of CPU each at 1M records, 0.02 with the filter in each part)
    return (
        f"(select {key}, first_name, last_name, is_anonymous from {records} {only} "
        f"union all select * from ("
        f"select i.identifier_value as {key}, r.first_name, r.last_name, r.is_anonymous "
        f"from {identifiers} i join {records} r using (record_id) "
        f"where i.identifier_type = '{key}') {only})"
    )


def distinct_by_counts_sql(name: str, records: str, identifiers: str, only: str = "") -> str:
    """The ``DISTINCT_BY`` count ``name``: each known value of its keys with the distinct
    values counted beside it, over named records (``only``: a filter joined to the rows
    read, e.g. a semi join on some key values). Batch scoring and the real-time scorer
    count alike."""
    counted, keys = DISTINCT_BY[name]
    known = " and ".join(f"{k} is not null" for k in keys)
    return (
        f"select {', '.join(keys)}, count(distinct {counted}) as {name} "
        f"from {counted_by_sql(keys, records, identifiers, only)} "
        f"where not is_anonymous and {known} group by all"
    )


# each record's e-mail username and its letters, for the derived columns reading them
_USERNAMES = {"_email_username": _username_sql("email"), "_letters": _username_sql("email", "a-z")}
_OVER_USERNAMES = {
    "email_user_is_name": _spells_name_sql("_email_username"),
    "email_user_names_holder": _username_names_holder_tests("_email_username", "_letters"),
}


def with_usernames_sql(relation: str) -> str:
    """``relation`` with each record's e-mail username beside it, for
    ``model_columns_sql(usernames=True)``."""
    extracted = ", ".join(f"{sql} as {name}" for name, sql in _USERNAMES.items())
    return f"(select *, {extracted} from {relation})"


def model_columns_sql(usernames: bool = False) -> str:
    """The select list Splink's input table is built with; with ``usernames``, over a
    relation given by :func:`with_usernames_sql`: the username's regular expressions then
    run once per record, not once for each column reading it (0.3 s of CPU at 1M records)."""
    columns = {**DERIVED_COLUMNS, **(_OVER_USERNAMES if usernames else {})}
    derived = [f"{sql} as {name}" for name, sql in columns.items()]
    return ", ".join([*MODEL_COLUMNS, *derived])


def settings_creator(plan: ModelPlan, link_only: bool = False):
    """Splink settings for the comparisons and blocking rules the records support; with
    ``link_only``, records are compared only across datasets (identity types)."""
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        **_link_type(link_only),
        unique_id_column_name="record_id",
        comparisons=comparisons(plan.comparisons),
        blocking_rules_to_generate_predictions=[block_on(*cols) for cols in plan.blocking],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        # read by conflicts, not compared (``_scoring.model_records_sql``)
        additional_columns_to_retain=[*RETAINED_COLUMNS, *CONFLICT_COLUMNS],
    )


def _link_type(link_only: bool) -> dict:
    if link_only:
        return {"link_type": "link_only", "source_dataset_column_name": SOURCE_DATASET}
    return {"link_type": "dedupe_only"}


def with_link_type(model: dict, link_only: bool) -> dict:
    """The saved model set to link across datasets only, or to deduplicate, as the run
    says (one trained model serves both)."""
    model = {k: v for k, v in model.items() if k != "source_dataset_column_name"}
    return {**model, **_link_type(link_only)}


def for_dialect(model: dict, dialect: str) -> dict:
    """The saved model with its SQL written for ``dialect``: trained on one engine, used on
    the other. The levels are rebuilt from the same library comparisons in that dialect and
    keep every trained parameter (m, u, term-frequency settings); blocking rules are
    translated by Splink from the dialect they carry."""
    import copy

    saved = model.get("sql_dialect", "duckdb")
    if saved == dialect:
        return model
    names = tuple(c["output_column_name"] for c in model["comparisons"])
    rebuilt = {
        d["output_column_name"]: d
        for d in (c.create_comparison_dict(dialect) for c in comparisons(names))
    }
    converted = copy.deepcopy(model)
    for comparison in converted["comparisons"]:
        name = comparison["output_column_name"]
        fresh = rebuilt.get(name, {}).get("comparison_levels", [])
        levels = comparison["comparison_levels"]
        labels = [lvl.get("label_for_charts") for lvl in levels]
        if labels != [lvl.get("label_for_charts") for lvl in fresh]:
            raise ValueError(
                f"the saved model's comparison {name!r} (levels {labels}) is not the one this "
                f"version builds: it cannot be translated from {saved} to {dialect}; run "
                "`cdp identity train` to retrain it"
            )
        for level, new in zip(levels, fresh, strict=True):
            level["sql_condition"] = new["sql_condition"]
    for rule in converted.get("blocking_rules_to_generate_predictions", []):
        if isinstance(rule, dict):
            rule.setdefault("sql_dialect", saved)
    converted["sql_dialect"] = dialect
    return converted


def predict_all(splink: SplinkTables, records: str, model: dict, config: IdentityConfig) -> str:
    """Score every blocked pair of records above the threshold; a relation name to read."""
    from splink import Linker

    # validate_settings=False, as in ``predict_new``: the saved model's columns are the
    # model records' (``model_columns_sql``), checked by Splink when it was trained; the
    # check parses every SQL string of the settings with sqlglot again (0.09-0.16 s of CPU a
    # full run) and only logs
    linker = Linker(
        splink.frame(records),
        with_link_type(model, bool(config.link_only)),
        log_level=_QUIET,
        validate_settings=False,
    )
    chunks = predict_chunks(splink, records)
    predictions = linker.inference.predict(
        threshold_match_probability=config.match_threshold,
        warning_mode="never",
        # Splink blocks and scores one slice of the left records at a time (a hash of the
        # id): each slice's candidate pairs are built, scored and filtered before the next
        num_chunks_left=chunks,
        num_chunks_right=1,
    )
    return splink.read(predictions, "_identity_predictions_all")


def predict_chunks(splink: SplinkTables, records: str) -> int:
    """Slices of the records to score one after another on DuckDB: one per
    ``identity_predict_chunk_records`` records (a setting; 0: never sliced). Spark spreads
    the pairs over its executors instead."""
    per_chunk = splink.settings.identity_predict_chunk_records if splink.settings else 0
    if not splink.is_duckdb or per_chunk <= 0:
        return 1
    return max(1, -(-splink.rows(records) // per_chunk))


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

    # validate_settings=False: the saved model's columns were checked against these same
    # model records when it was trained; the check parses every SQL string of the settings
    # again with sqlglot (0.07-0.1 s of CPU a run) and only logs
    linker = Linker(
        splink.frame(existing),
        with_link_type(model, False),
        log_level=_QUIET,
        validate_settings=False,
    )
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


def cluster(splink: SplinkTables, records_sql: str, edges_sql: str) -> tuple[str, str]:
    """Connected components over accepted links (``edges_sql``) among ``records_sql`` (every
    record an edge can hold): relations of the linked records (record_id, cluster_id) and of
    the others (record_id), found in process on DuckDB (``_components``), by Splink on
    Spark."""
    if splink.is_duckdb:
        return _components.connected_components(
            splink, records_sql, edges_sql, "_identity_clusters_graph"
        )
    components = splink_components(splink, edges_sql)
    return (
        components,
        f"(select record_id from ({records_sql}) anti join {components} using (record_id))",
    )


def splink_components(splink: SplinkTables, edges_sql: str) -> str:
    """The linked records of ``edges_sql`` (record_id, cluster_id) in connected components
    found by Splink's ``cluster_pairwise_predictions_at_threshold``: the Spark engine's
    clustering, and the reference the in-process one is tested against."""
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    linked = (
        f"select record_id_l as record_id from ({edges_sql}) "
        f"union select record_id_r from ({edges_sql})"
    )
    nodes, edges = splink.put_graph(linked, edges_sql)
    clusters = cluster_pairwise_predictions_at_threshold(
        nodes,
        edges,
        db_api=splink.db_api,
        node_id_column_name="record_id",
        edge_id_column_name_left="record_id_l",
        edge_id_column_name_right="record_id_r",
        threshold_match_probability=None,
    )
    return splink.read_graph(clusters, "_identity_clusters_splink")
