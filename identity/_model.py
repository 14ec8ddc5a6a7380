"""The Splink model: comparisons, blocking, scoring (training: ``_training``; backend:
``_backend``).

Names and birth dates use Splink's library comparisons. E-mail, phone and place are
written here; their levels, in order (with an example pair):

``email`` (standardised: typo domains fixed, gmail dots and +tags gone)
  - null: one side missing
  - same email: ``jean.dupont@orange.fr`` twice
  - same name-made username, other domain: ``isabelle.morel@orange.fr`` /
    ``isabelle.morel@free.fr`` for an Isabelle Morel. Two namesakes write exactly this at
    two providers: it says the name again, so it weighs nothing (m = u, fixed); the name
    comparisons already count the name, with its term frequency.
  - same username, other domain: ``lapin.bleu75@orange.fr`` / ``lapin.bleu75@free.fr``,
    term-frequency adjusted on the username (``email_user``): a common one says less.
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
  - postcode typo (one digit off, or two swapped: ``04570`` / ``04579``, ``03072`` /
    ``03027``) in another or an unknown city: a typo is not another place
  - same departement: ``75011`` / ``75018``
  - different: anything else

``address`` (standardised address line: lower case, accents folded, single spaces)
  - null: one side missing
  - same address: ``12 rue de la paix`` twice, term-frequency adjusted: an apartment
    building's line, shared by many records, says less than a house's
  - similar address (Jaro-Winkler >= 0.9): ``12 rue de la paix`` / ``12 rue de la pais``
  - different: anything else
An address is household evidence, not personal evidence: a household, or a building, shares
it. Its term-frequency adjustment can only lower it (``_training``), and in a pair whose
phones or birth dates differ it weighs at most ``household_max_match_weight`` (``_links``),
so it never outweighs a different phone or birth date.

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

from identity import _plan
from identity._config import ATTRIBUTES, IdentityConfig

if TYPE_CHECKING:
    from identity._backend import SplinkTables
    from identity._plan import ModelPlan

log = logging.getLogger(__name__)

MODEL_COLUMNS = ("record_id", *ATTRIBUTES)


def _username_spells_name_sql(email: str = "email") -> str:
    """True when the e-mail's username only spells the record's own name, in the forms the
    usual address patterns give (jean.dupont, dupontjean, jdupont, dupontj, jean, dupont,
    jeand). Computed per record so the e-mail comparison reads no name column (Splink then
    still estimates it in a session blocked on names)."""
    f, last, initial = "first_name", "last_name", "substr(first_name, 1, 1)"
    forms = (
        f"{f} || {last}, {last} || {f}, {initial} || {last}, {last} || {initial}, "
        f"{f}, {last}, {f} || substr({last}, 1, 1)"
    )
    user = f"regexp_replace(regexp_extract({email}, '^[^@]+'), '[^a-z0-9]', '', 'g')"
    return f"coalesce({user} in ({forms}), false)"


def username_names_holder_sql(email: str = "email") -> str:
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
    (Computed by DuckDB before Splink reads the records.)"""
    letters = f"regexp_replace(regexp_extract({email}, '^[^@]+'), '[^a-z]', '', 'g')"
    spelled = _username_spells_name_sql(f"{letters} || '@'")
    f, last, initial = "first_name", "last_name", "substr(first_name, 1, 1)"
    forms = (f"{f} || {last}", f"{last} || {f}", f"{initial} || {last}", f"{last} || {initial}")
    closest = ", ".join(f"damerau_levenshtein({letters}, {form})" for form in (*forms, last))
    mistyped = f"coalesce(length({letters}) >= 6 and least({closest}) <= 1, false)"
    by_initial = (
        f"coalesce(length({last}) = 1 and (starts_with({letters}, {f} || {last}) or "
        f"(starts_with({letters}, {last}) and ends_with({letters}, {initial}))), false)"
    )
    # each term is true or false (never NULL), so their greatest is their OR; DuckDB runs an
    # OR of these IN lists about three times slower than the three terms (3.1 s against
    # 1.0 s of CPU over 832k records)
    return f"greatest({_username_spells_name_sql(email)}, {spelled}, {mistyped}, {by_initial})"


_BOTH_NAMES = "case when first_name is not null and last_name is not null then {} end"
# Columns Splink sees that records do not store: name -> portable SQL over record columns.
DERIVED_COLUMNS = {
    "email_user": "regexp_extract(email, '^[^@]+')",
    "email_user_is_name": _username_spells_name_sql(),
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


def counted_by_sql(keys: tuple[str, ...], records: str, identifiers: str) -> str:
    """The rows a ``DISTINCT_BY`` count reads: ``records``, and for a phone or an e-mail
    also each record's other ones (``identifiers``: the home landline listed beside every
    member's mobile shows the household's first names, where the main phones show one)."""
    if len(keys) != 1 or keys[0] not in HELD_CONTACTS:
        return records
    key = keys[0]
    return (
        f"(select {key}, first_name, last_name, is_anonymous from {records} union all "
        f"select i.identifier_value, r.first_name, r.last_name, r.is_anonymous "
        f"from {identifiers} i join {records} r using (record_id) "
        f"where i.identifier_type = '{key}')"
    )


def model_columns_sql() -> str:
    """The select list Splink's input table is built with."""
    derived = [f"{sql} as {name}" for name, sql in DERIVED_COLUMNS.items()]
    return ", ".join([*MODEL_COLUMNS, *derived])


# A name found in the other field counts when equal or within a typo (issue 12: a typo is
# Jaro-Winkler >= 0.9)
CROSSED_TYPO = 0.9


def _swapped_names_level():
    """``kyra everett`` / ``everett kyra``: the first and last names typed the other way
    round, whichever record is on the left, one of them possibly with a typo
    (``vincejnt jessica`` / ``jessica vincent``). A level of both name comparisons, so a
    swap weighs like two agreeing names. Both names must cross over: one name in the other
    field (``bernard`` of ``thomas bernard`` / ``bernard michel``) is a coincidence."""
    from splink.internals.comparison_level_creator import ComparisonLevelCreator

    class SwappedNames(ComparisonLevelCreator):
        def create_sql(self, sql_dialect) -> str:
            jw = sql_dialect.jaro_winkler_function_name
            # the crossing name equal or within a typo (``samuel ryan`` / ``ryman samel``)
            return (
                f"({jw}(first_name_l, last_name_r) >= {CROSSED_TYPO} "
                f"and {jw}(last_name_l, first_name_r) >= 0.8) or "
                f"({jw}(first_name_r, last_name_l) >= {CROSSED_TYPO} "
                f"and {jw}(last_name_r, first_name_l) >= 0.8)"
            )

        def create_label_for_charts(self) -> str:
            return "first and last names swapped"

    return SwappedNames()


def _one_name_crossed_level():
    """``james coleman`` / ``howie james``: one record's first name is the other's last
    name (or within a typo of it: ``rhett george`` / ``maier rhet``), the other two names
    unrelated (swapped at the till, one of them then mistyped
    past recognition or replaced), both records carrying both names. A coincidence as
    often as not (``thomas bernard`` / ``bernard michel``: a first name that is also a
    surname): its own level of both name comparisons, weighed by what training finds."""
    from splink.internals.comparison_level_creator import ComparisonLevelCreator

    class OneNameCrossed(ComparisonLevelCreator):
        def create_sql(self, sql_dialect) -> str:
            jw = sql_dialect.jaro_winkler_function_name
            return (
                f"({jw}(first_name_l, last_name_r) >= {CROSSED_TYPO} and last_name_l is not null "
                "and first_name_r is not null) or "
                f"({jw}(first_name_r, last_name_l) >= {CROSSED_TYPO} and last_name_r is not null "
                "and first_name_l is not null)"
            )

        def create_label_for_charts(self) -> str:
            return "one name in the other field"

    return OneNameCrossed()


def _name_comparison(column: str, description: str, letter_slip: bool = False):
    """Splink's NameComparison levels plus first and last names swapped, for ``column``:
    null, exact (term-frequency adjusted), swapped, Jaro-Winkler >= 0.92, >= 0.8, one name
    in the other field, and with ``letter_slip`` one letter slip before "All other
    comparisons" ("lae" / "lea":
    Jaro-Winkler 0.56; a typo is not another person). The real-time scorer
    (``_realtime_weights``) reads these levels from the saved model."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    slip = [cll.DamerauLevenshteinLevel(column, 1).configure(label_for_charts="one letter slip")]
    return cl.CustomComparison(
        output_column_name=column,
        comparison_description=description,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column, term_frequency_adjustments=True),
            _swapped_names_level(),
            cll.JaroWinklerLevel(column, 0.92),
            cll.JaroWinklerLevel(column, 0.8),
            _one_name_crossed_level(),
            *(slip if letter_slip else []),
            cll.ElseLevel(),
        ],
    )


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
            # m = u: the username repeats the name, which the name comparisons weigh
            cll.CustomLevel(
                "email_user_l = email_user_r and (email_user_is_name_l or email_user_is_name_r)"
            ).configure(
                label_for_charts="same name-made username, other domain",
                m_probability=0.01,
                u_probability=0.01,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            cll.ExactMatchLevel("email_user", term_frequency_adjustments=True).configure(
                label_for_charts="same username, other domain"
            ),
            cll.ElseLevel().configure(label_for_charts="different email"),
        ],
    )
    first_name = _name_comparison("first_name", "first name", letter_slip=True)
    # Splink's DateOfBirthComparison levels, where a typo is one level: one digit off or two
    # swapped (Damerau-Levenshtein, "1971" / "1917"), or day and month swapped
    as_text = ColumnExpression("birth_date").cast_to_string()
    birth_date = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_description="date of birth",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date").configure(
                label_for_charts="Exact match on date of birth"
            ),
            cll.DamerauLevenshteinLevel(as_text, 1).configure(label_for_charts="one typo apart"),
            cll.CustomLevel(
                "year(birth_date_l) = year(birth_date_r) and month(birth_date_l) = "
                "day(birth_date_r) and day(birth_date_l) = month(birth_date_r)",
                label_for_charts="day and month swapped",
            ),
            cll.AbsoluteDateDifferenceLevel(
                "birth_date", input_is_string=False, threshold=1, metric="month"
            ).configure(label_for_charts="Abs date difference <= 1 month"),
            cll.AbsoluteDateDifferenceLevel(
                "birth_date", input_is_string=False, threshold=1, metric="year"
            ).configure(label_for_charts="Abs date difference <= 1 year"),
            cll.ElseLevel(),
        ],
    )
    last_name = _name_comparison("last_name", "last name")
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
            cll.DamerauLevenshteinLevel("postcode", 1).configure(label_for_charts="postcode typo"),
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
            cll.ExactMatchLevel("address_line", term_frequency_adjustments=True).configure(
                label_for_charts="same address"
            ),
            cll.JaroWinklerLevel("address_line", 0.9).configure(label_for_charts="similar address"),
            cll.ElseLevel().configure(label_for_charts="different address"),
        ],
    )
    every = {
        "first_name": first_name,
        "last_name": last_name,
        "birth_date": birth_date,
        "email": email,
        "phone": phone,
        "place": place,
        "address": address,
    }
    return [every[name] for name in _plan.COMPARISON_INPUTS if name in kept]


def settings_creator(plan: ModelPlan, link_only: bool = False):
    """Splink settings for the comparisons and blocking rules the records support; with
    ``link_only``, records are compared only across datasets (identity types)."""
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        **_link_type(link_only),
        unique_id_column_name="record_id",
        comparisons=_comparisons(plan.comparisons),
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
        for d in (c.create_comparison_dict(dialect) for c in _comparisons(names))
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

    linker = Linker(
        splink.frame(records), with_link_type(model, bool(config.link_only)), log_level=_QUIET
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


def cluster(splink: SplinkTables, nodes_sql: str, edges_sql: str) -> str:
    """Connected components over accepted links; a relation (record_id, cluster_id) to read."""
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    nodes, edges = splink.put_graph(nodes_sql, edges_sql)
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
