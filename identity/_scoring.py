"""Scoring: which records Splink sees, and which pairs it scores on each kind of run.

A full run scores every blocked pair of the model records. An incremental run scores only
new and changed records (a different ``fingerprint``, or a steward's decision since the last
run): against the unchanged records that share a blocking key with one of them (the only
ones Splink could pair them with) and among themselves, with term frequencies from all
records. Pairs are scored down to the review band's low end (``_review``).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from core.warehouse import scalar, temp_relations
from identity import _decisions, _links, _model, _replaced, _review
from identity._tables import (
    MATCH_RECORDS,
    PREV_RECORDS,
    RECORDS,
    REMOVED,
    RESCORED,
    RESTANDARDISED,
    STRONG_IDS,
)

if TYPE_CHECKING:
    import duckdb

    from identity._backend import SplinkTables
    from identity._config import IdentityConfig

# what ``model_records_sql`` reads of a record
_SELECTED_COLUMNS = ", ".join((*_model.MODEL_COLUMNS, "identity_type", "is_anonymous"))
_HAS_ATTRIBUTE = (
    "coalesce(first_name, last_name, email, phone, postcode, city, address_line, "
    "cast(birth_date as varchar)) is not null"
)


def model_records_sql(
    where: str = "true",
    link_only: list[str] | tuple[str, ...] = (),
    selected: str | None = None,
) -> str:
    """The records Splink sees: identified, with at least one attribute to compare; in a
    link-only run only those of the linked identity types, each type one dataset.
    ``selected``: a query giving the :data:`MATCH_RECORDS` rows to shape, instead of
    filtering every record by ``where``."""
    columns = _model.model_columns_sql(usernames=True)
    if link_only:
        types = ", ".join("'" + t.replace("'", "''") + "'" for t in link_only)
        where = f"({where}) and identity_type in ({types})"
    # People known by each full name, counted over every record whatever the run scores
    # (an incremental run sees the same counts as a full one): one person has one birth
    # date and mostly one phone and one e-mail (standardised), so a name carried with two
    # of one of them is likely two people's. (Splink sees it as a retained column; the
    # `names_and_place_only` conflict reads it.)
    # Only the values of the records selected need counting (all of them on a full run):
    # the selected records are read once, then each count reads every record once.
    every = where == "true" and selected is None
    source = MATCH_RECORDS if every else "_identity_selected"
    named = (
        ""
        if every
        else f"semi join (select first_name, last_name from {source}) using (first_name, last_name)"
    )
    people = f"""(select first_name, last_name, greatest(count(distinct birth_date),
    count(distinct phone), count(distinct email)) as name_people
  from {MATCH_RECORDS} {named} where not is_anonymous and first_name is not null
    and last_name is not null group by all)"""
    counts = [_distinct_by_sql(name, keys, every) for name, (_, keys) in _model.DISTINCT_BY.items()]
    if selected is None:
        selected = f"select * from {MATCH_RECORDS} where {where}"
    selected = "" if every else f"with {source} as materialized ({selected}) "
    read = _model.with_usernames_sql(source)
    # Not ordered: Splink 5 picks its u sample and its prediction chunks by a hash of the
    # record id, whatever the rows' order (a sort of every model record cost 0.9 s of CPU
    # at 1M records)
    return (
        f"{selected}select {columns}, coalesce(n.name_people, 0) as name_people, "
        + "".join(f"coalesce({name}, 0) as {name}, " for name in _model.DISTINCT_BY)
        + f"identity_type as {_model.SOURCE_DATASET} "
        f"from {read} left join {people} n using (first_name, last_name) "
        + "".join(counts)
        + f"where not is_anonymous and {_HAS_ATTRIBUTE} and ({where})"
    )


def _distinct_by_sql(name: str, keys: tuple[str, ...], every: bool) -> str:
    """A left join adding ``name``: the distinct values seen with the record's ``keys``
    values (``_model.DISTINCT_BY``), over every record; unless ``every``, only the values of
    the selected records (``model_records_sql``) counted.

    Counted over the records, not the matching view: a blocked e-mail or phone, NULL in the
    view, is never a key value joined here, and an unblocked one is held by the same records
    in both (the view's blocked-value test over every record kept the scan from being
    filtered by the selected values)."""
    on = ", ".join(keys)
    selected = "" if every else f"semi join (select {on} from _identity_selected) using ({on})"
    counts = _model.distinct_by_counts_sql(name, RECORDS, STRONG_IDS, selected)
    return f"left join ({counts}) using ({on}) "


def all_records(splink: SplinkTables, config: IdentityConfig | None = None) -> str:
    """Every model record, given to Splink once per run (training and scoring share it)."""
    if not splink.has("identity_records"):
        splink.put(
            "identity_records", model_records_sql(link_only=config.link_only if config else ())
        )
    return "identity_records"


def score(
    con: duckdb.DuckDBPyConnection,
    splink: SplinkTables,
    model: dict | None,
    config: IdentityConfig,
    mode: str,
) -> int:
    """Score pairs (all, or new/changed records only) into accepted and refused links;
    an incremental run's new and changed records are :data:`RESCORED` (``changed_records``,
    run after the extraction)."""
    # measured over every record when the run chose its mode (``_resolve._choose_mode``)
    replaced = _replaced.stored(con)
    if model is None:  # no model (too few identified records to train one): nothing scored
        _links.create_empty(con)
        con.execute(f"create or replace temp table {RESCORED} as select record_id from {RECORDS}")
        return 0
    labels = _model.level_labels(model)
    scoring = _review.scoring_config(config)  # down to the review band's low end
    if mode == "full":
        records = all_records(splink, config)
        predictions = _model.predict_all(splink, records, model, scoring)
        _links.accept_predictions(con, predictions, labels, config, replaced)
        return splink.rows(records)
    # the new records' blocking keys first (no counts): they pick the unchanged candidates;
    # then new and candidate records are shaped into model records in one pass
    rescored = f"record_id in (select record_id from {RESCORED})"
    con.execute(
        "create or replace temp table _identity_new_model_records as "
        + _selected_records_sql(f"semi join {RESCORED} using (record_id)")
    )
    new = scalar(con, "select count(*) from _identity_new_model_records")
    if new == 0:
        _links.create_empty(con)
        return 0
    con.execute(f"create or replace temp table _identity_candidates as {_candidates_sql(config)}")
    # a semi join on a few thousand ids: the scan skips most records before the matching
    # view's blocked-value tests, where an IN test per id list read them all; a table, so
    # that the counts' joins know the selection is small (they hash it, not every record);
    # only the columns model records read (not the display forms, dates and fingerprint)
    con.execute(
        "create or replace temp table _identity_selected_records as "
        f"select {_SELECTED_COLUMNS} from {MATCH_RECORDS} "
        "semi join _identity_candidates using (record_id)"
    )
    con.execute(
        "create or replace temp table _identity_scored_records as "
        + model_records_sql(selected="select * from _identity_selected_records")
    )
    con.execute("drop table _identity_candidates")
    con.execute("drop table _identity_selected_records")
    splink.put("new_records", f"select * from _identity_scored_records where {rescored}")
    splink.put("existing_records", f"select * from _identity_scored_records where not ({rescored})")
    tf_tables = {}
    for column, comparison in _model.TF_COLUMNS.items():
        if comparison not in labels:
            continue
        value = _model.DERIVED_COLUMNS.get(column, column)
        tf_tables[column] = f"tf_lookup_{column}"
        # frequencies over every record, of the values the scored records hold only; each
        # record's value computed once for both counts (the e-mail username's regular
        # expression ran twice over every e-mail)
        splink.put(
            tf_tables[column],
            f"with v as materialized (select {value} as {column} from {MATCH_RECORDS}) "
            f"select {column}, count(*) / (select count({column}) from v) as tf_{column} "
            f"from v where {column} in (select {column} from _identity_scored_records) "
            "group by all",
        )
    con.execute("drop table _identity_scored_records")
    predictions = _model.predict_new(
        splink, "existing_records", "new_records", tf_tables, model, scoring
    )
    _links.accept_predictions(con, predictions, labels, config, replaced)
    return new


def changed_records(con: duckdb.DuckDBPyConnection) -> None:
    """:data:`RESCORED` (new and changed records, and those of decisions since the last
    run) and :data:`REMOVED` (stored records no longer in the sources), after an
    extraction that reused the stored records (what an incremental run scores again).

    A record standardised again is one whose fingerprint differs from its stored row's or
    that had none (``_records``): those ids, without comparing every record's fingerprint.
    The stored records missing now are counted first (stored, minus present, plus present
    ones that are new): usually none, and then no anti join over every record is needed."""
    if RESTANDARDISED in temp_relations(con):
        differ = f"select record_id from {RESTANDARDISED}"
    else:
        differ = (
            f"select record_id from {RECORDS} r left join {PREV_RECORDS} p using (record_id) "
            "where p.fingerprint is distinct from r.fingerprint"
        )
    con.execute(
        f"create or replace temp table {RESCORED} as {differ} "
        f"union select record_id from ({_decisions.changed_since_last_run_sql()})"
    )
    removed = scalar(
        con,
        f"""select (select count(*) from {PREV_RECORDS}) - (select count(*) from {RECORDS})
  + (select count(*) from ({differ}) anti join {PREV_RECORDS} using (record_id))""",
    )
    gone = f"select record_id from {PREV_RECORDS} anti join {RECORDS} using (record_id)"
    con.execute(
        f"create or replace temp table {REMOVED} as "
        + (gone if removed else "select null::varchar as record_id where false")
    )


def _selected_records_sql(join: str) -> str:
    """The records ``model_records_sql`` would select among those ``join`` keeps (a semi
    join on their ids), with the model's columns but not the people counts (which read every
    record). A semi join, not an ``IN`` test: the scan then skips the other records before
    the matching view's blocked-value tests."""
    return (
        f"select {_model.model_columns_sql()} from {MATCH_RECORDS} {join} "
        f"where not is_anonymous and {_HAS_ATTRIBUTE}"
    )


def _candidates_sql(config: IdentityConfig) -> str:
    """Ids of the :data:`RESCORED` records and of those sharing a blocking key with a new one
    (the only ones Splink could pair them with, so the only unchanged ones it needs to see).
    Found on the records' blocking columns first, so that only they are read whole
    and shaped into model records."""
    keys = sorted({c for cols in config.blocking for c in cols})
    # the records, not the matching view: a new record's blocked value is NULL (it comes from
    # the view), so it meets no record on it, and the view's blocked-value test over every
    # record is not paid (a wider key would only add candidates Splink then does not pair)
    records = (
        "(select record_id, "
        + ", ".join(f"{_model.DERIVED_COLUMNS.get(c, c)} as {c}" for c in keys)
        + f" from {RECORDS})"
    )
    # a hash probe per rule in one pass over the records (not one scan per rule and a
    # union), except for rules sharing a column (``_rules_by_shared_column``): those are
    # probed only on the records carrying one of the new records' values of it (a semi join
    # first: for a +1% batch a quarter of the records by birth date, two thirds by
    # postcode, a few thousand by compact address)
    groups, alone = _rules_by_shared_column(config.blocking)
    parts = [
        f"select e.record_id from {records} e "
        f"semi join (select distinct {column} from _identity_new_model_records) using ({column}) "
        f"where {_hits_sql(rules)}"
        for column, rules in groups
    ]
    if alone:
        parts.append(f"select e.record_id from {records} e where {_hits_sql(alone)}")
    return "\nunion ".join([*parts, f"select record_id from {RESCORED}"])


def _rules_by_shared_column(
    blocking: list[list[str]],
) -> tuple[list[tuple[str, list[list[str]]]], list[list[str]]]:
    """The blocking rules grouped by a column they share (the column most rules hold first,
    then the most of the rest's, while two or more hold one), and the rules left alone.
    A record meets a new one by a rule of a group only if it carries one of the new
    records' values of that column, so a group's probes need only those records (at 1M
    records and a +1% batch: 0.48 s of CPU with the birth date's rules grouped alone,
    0.37-0.38 with the postcode's and the compact address's grouped too; the same ids)."""
    groups: list[tuple[str, list[list[str]]]] = []
    rest = [list(cols) for cols in blocking]
    while True:
        held = Counter(c for cols in rest for c in cols).most_common(1)
        if not held or held[0][1] < 2:
            return groups, rest
        column = held[0][0]
        groups.append((column, [cols for cols in rest if column in cols]))
        rest = [cols for cols in rest if column not in cols]


def _hits_sql(rules: list[list[str]]) -> str:
    """True for a record sharing the key of one of ``rules`` with a new record."""
    return " or ".join(
        "exists (select 1 from _identity_new_model_records n where "
        + " and ".join(f"n.{c} = e.{c}" for c in cols)
        + ")"
        for cols in rules
    )
