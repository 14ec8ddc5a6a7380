"""Over-merge guards at the source: junk identifiers and identifier cardinality.

Run right after standardisation, before anything is scored or linked:

- an identifier value on the configured block list (exact values or RE2 patterns, compared
  after standardisation) or held by more identity records than its type's frequency ceiling
  is *blocked*: it is nulled in the matching view (:data:`MATCH_RECORDS`) and yields no
  deterministic link. The stored identity records keep it: only matching ignores it;
- a value of a type with ``max_people`` is checked against the people its holders look like
  (distinct first names, distinct birth dates). For e-mails and phones, a value beyond the
  ceiling is blocked like junk. For strong identifiers (one person per loyalty card or web
  account), a holder whose name or birth date contradicts the value's owner (the record the
  identifier belongs to, e.g. the loyalty card's own record) gets no deterministic link
  through it: a till's default card typed for many customers links none of them to the owner.

Nothing is dropped silently: every blocked value lands in :data:`BLOCKED` (then
``identity.blocked_identifiers``) and every decision in :data:`EVENTS` (then
``identity.guard_events``). The e-mails and phones that then link their holders are
``_guard_contacts``'; what tells two holders' people apart is ``_same_person``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.warehouse import sql_literal as _quote
from identity import _guard_contacts
from identity._guard_contacts import ATTRIBUTE_IDS
from identity._same_person import different_birth_dates_sql, different_first_names_sql
from identity._tables import BLOCKED, LINK_IDS, MATCH_RECORDS, RECORDS, STRONG_IDS
from identity._tables import GUARD_EVENTS as EVENTS

if TYPE_CHECKING:
    import duckdb

    from identity._config import IdentityConfig

log = logging.getLogger(__name__)

_ATTRIBUTE_TYPES = ", ".join(f"'{a}'" for a in ATTRIBUTE_IDS)


def _holders_sql(only: str = "") -> str:
    """Every (record, identifier type, value): e-mails and phones, with the name and birth
    date their people are counted by, plus strong identifiers (``only``: a filter joined to
    each part, e.g. a semi join on the values to guard again)."""
    attrs = [
        f"select record_id, '{a}' as identifier_type, {a} as identifier_value, first_name, "
        f"last_name, birth_date, address_line, false as is_other from {RECORDS} "
        f"where {a} is not null"
        for a in ATTRIBUTE_IDS
    ]
    # a record's other e-mails and phones (the landline beside the mobile) are held like
    # its main ones, with its name (``is_other``: they link on positive evidence only)
    others = (
        f"select i.record_id, i.identifier_type, i.identifier_value, r.first_name, "
        f"r.last_name, r.birth_date, r.address_line, true from {STRONG_IDS} i "
        f"join {RECORDS} r using (record_id) where i.identifier_type in ({_ATTRIBUTE_TYPES})"
    )
    strong = (
        f"select record_id, identifier_type, identifier_value, null::varchar, null::varchar, "
        f"null::date, null::varchar, false from {STRONG_IDS} "
        f"where identifier_type not in ({_ATTRIBUTE_TYPES})"
    )
    # ``only`` joined to each part, not to their union: a semi join right above a scan
    # filters the scan itself, and the names and dates are read for the values kept only
    return " union all ".join(f"select * from ({part}) {only}" for part in (*attrs, others, strong))


def _blocklist_sql(config: IdentityConfig) -> str:
    clauses = []
    for id_type, block in config.guards.blocklist.items():
        tests = []
        if block.values:
            tests.append(f"identifier_value in ({', '.join(_quote(v) for v in block.values)})")
        if block.patterns:  # one expression: one pass of RE2 over each value, not one a pattern
            either = "|".join(f"(?:{p})" for p in block.patterns)
            tests.append(f"regexp_matches(identifier_value, {_quote(either)})")
        if tests:
            clauses.append(f"(identifier_type = {_quote(id_type)} and ({' or '.join(tests)}))")
    return " or ".join(clauses) or "false"


def _ceiling_sql(limits: dict[str, int]) -> str:
    if not limits:
        return "null::bigint"
    cases = " ".join(f"when {_quote(t)} then {int(n)}" for t, n in limits.items())
    return f"case identifier_type {cases} end"


def _block(con: duckdb.DuckDBPyConnection, config: IdentityConfig, only: str = "") -> None:
    guards = config.guards
    attribute_ids = ", ".join(_quote(a) for a in ATTRIBUTE_IDS)
    max_people = _ceiling_sql(guards.max_people)
    # A view: each reader scans the records for the columns it needs (the counts read the
    # values alone); a table of 1.6M holders cost 0.3 s of CPU to write at 1M records
    con.execute(f"create or replace temp view _identity_holders as {_holders_sql(only)}")
    # People are counted only for values with more holders than max_people allows: a value
    # held by n records belongs to at most n people, so the rest cannot breach it.
    con.execute(f"""
create or replace temp table {BLOCKED} as
with counted as (
  select identifier_type, identifier_value, count(*) as record_count
  from _identity_holders group by all
), flagged as (
  select *, {_blocklist_sql(config)} as is_listed,
    coalesce(record_count > {_ceiling_sql(guards.frequency_ceiling)}, false) as is_over
  from counted
), crowded as (
  select identifier_type, identifier_value,
    greatest(count(distinct first_name), count(distinct birth_date)) as people
  from _identity_holders
  -- read from the counts, not from ``flagged``: a listed or over-ceiling value counted
  -- too is blocked for that reason all the same, and the block list's expressions ran
  -- again over every distinct value (0.2 s of CPU at 1M records)
  semi join (select identifier_type, identifier_value from counted
             where identifier_type in ({attribute_ids}) and record_count > {max_people})
    using (identifier_type, identifier_value)
  group by all
)
select identifier_type, identifier_value,
  case when is_listed then 'blocklist' when is_over then 'frequency_ceiling'
       else 'max_people' end as reason, record_count
from flagged left join crowded using (identifier_type, identifier_value)
where is_listed or is_over or people > {max_people}""")


def _owner_conflict_sql(config: IdentityConfig) -> str:
    """A holder contradicting the identifier's owner: another first name or birth date."""
    names = different_first_names_sql("o", "h")
    days = config.guards.cannot_link.birth_date_tolerance_days
    if days is None:
        return names
    return f"({names} or ({different_birth_dates_sql('o', 'h', days)}))"


def _cardinality(con: duckdb.DuckDBPyConnection, config: IdentityConfig, only: str = "") -> None:
    """Strong identifiers owned by one person: holders contradicting the owner lose the link."""
    single = [t for t, n in config.guards.max_people.items() if n == 1]
    types = ", ".join(_quote(t) for t in single) or "null"
    con.execute(f"""
create or replace temp table _identity_cardinality_refused as
with shared as (  -- only values with several holders can have a contradicting one
  select identifier_type, identifier_value from {STRONG_IDS} {only}
  where identifier_type in ({types}) group by all having count(*) > 1
), held as (
  select s.record_id, s.identifier_type, s.identifier_value,
    r.identity_type = s.identifier_type as is_own, r.first_seen_at, r.first_name, r.last_name,
    r.birth_date, r.address_line
  from {STRONG_IDS} s semi join shared using (identifier_type, identifier_value)
  join {RECORDS} r using (record_id)
  anti join {BLOCKED} b using (identifier_type, identifier_value)
), disputed as (
  -- a holder contradicts the owner on another first name or birth date only: the values
  -- whose holders all give one (or none) need no owner (a window over every shared
  -- value's holders cost 0.8 s of CPU at 1M records: 1.4% of those values are disputed)
  select identifier_type, identifier_value from held group by all
  having count(*) > 1 and (coalesce(min(first_name) <> max(first_name), false)
                           or coalesce(min(birth_date) <> max(birth_date), false))
), groups as (
  select h.*,
    -- the owner: the record the identifier belongs to (a card's own record), else the oldest
    first_value(record_id) over (partition by identifier_type, identifier_value
      order by is_own desc, first_seen_at nulls last, record_id) as owner
  from held h semi join disputed using (identifier_type, identifier_value)
)
select h.owner, h.record_id, h.identifier_type, h.identifier_value
from groups h join groups o on o.record_id = h.owner
  and o.identifier_type = h.identifier_type and o.identifier_value = h.identifier_value
where h.record_id <> h.owner and {_owner_conflict_sql(config)}""")


def _link_ids_sql(shared_contacts: str) -> str:
    """The identifiers that link records: strong ones neither blocked nor refused, and the
    shared contacts' holders (``shared_contacts``)."""
    return f"""
select s.* from {STRONG_IDS} s
anti join {BLOCKED} using (identifier_type, identifier_value)
anti join _identity_cardinality_refused using (record_id, identifier_type, identifier_value)
where s.identifier_type not in ({_ATTRIBUTE_TYPES})  -- those link as shared contacts
union all by name select * from {shared_contacts}"""


def apply(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig, incremental: bool = False
) -> dict[str, int]:
    """Block junk values and cardinality breaches; build the matching view and link ids.

    ``incremental``: guard again only the values new, changed or removed records hold, the
    others keeping the last run's results (``_guard_cache``), when those are still valid."""
    from identity import _guard_cache

    only = _guard_cache.changed_values_filter(con, config) if incremental else ""
    if not only:
        _guard_cache.forget_changed_values(con)
    _block(con, config, only)
    _cardinality(con, config, only)
    _guard_contacts.shared_contacts(con, config)
    if only:
        _guard_cache.add_unchanged(con)
    replaced = ", ".join(
        f"case when {a} in (select identifier_value from {BLOCKED} where identifier_type = '{a}') "
        f"then null else {a} end as {a}"
        for a in ATTRIBUTE_IDS
    )
    con.execute(
        f"create or replace temp view {MATCH_RECORDS} as "
        f"select * replace ({replaced}) from {RECORDS}"
    )
    if only:
        # Views: most shared contacts' holders are the stored ones (``add_unchanged``), read
        # where needed rather than copied; the link ids of the values guarded again (what
        # the run's deterministic links are built from) without them.
        guarded = _guard_cache.GUARDED_LINK_IDS
        con.execute(
            f"create or replace temp view {guarded} as "
            + _link_ids_sql(_guard_cache.GUARDED_SHARED)
        )
        con.execute(
            f"create or replace temp view {LINK_IDS} as select * from {guarded} "
            f"union all by name {_guard_cache.unchanged_shared_sql()}"
        )
    else:
        con.execute(
            f"create or replace temp table {LINK_IDS} as "
            + _link_ids_sql("_identity_shared_contacts")
        )
    con.execute(f"""
create or replace temp table {EVENTS} as
select null::varchar as run_id, 'blocked_identifier' as event_type, null::varchar as customer_id,
  null::varchar as record_id_l, null::varchar as record_id_r, identifier_type, identifier_value,
  reason || ': held by ' || record_count || ' identity records' as detail,
  now()::timestamp as created_at
from {BLOCKED}
union all
select null, 'cardinality_split', null, owner, record_id, identifier_type, identifier_value,
  'one person per ' || identifier_type || ': the holder contradicts the owner''s name or '
  || 'birth date, so the identifier does not link them', now()::timestamp
from _identity_cardinality_refused""")
    con.execute("drop view _identity_holders")
    counts = dict(
        zip(
            ("blocked_identifiers", "cardinality_refused"),
            con.execute(
                f"select (select count(*) from {BLOCKED}), "
                "(select count(*) from _identity_cardinality_refused)"
            ).fetchall()[0],
            strict=True,
        )
    )
    if counts["blocked_identifiers"]:
        top = con.execute(
            f"select identifier_type, identifier_value, reason, record_count from {BLOCKED} "
            "order by record_count desc limit 5"
        ).fetchall()
        log.warning(
            "%d identifier values blocked (never used to link; see identity.blocked_identifiers)"
            ", largest: %s",
            counts["blocked_identifiers"],
            top,
        )
    return counts


def persist(con: duckdb.DuckDBPyConnection, run_id: str, members: str) -> None:
    """Append this run's blocked values and guard events (with the customer_id the left
    record ended in, from the ``members`` table) to the identity schema."""
    con.execute(f"create table if not exists identity.guard_events ({EVENTS.columns})")
    con.execute(
        "create table if not exists identity.blocked_identifiers "
        f"(run_id varchar, {BLOCKED.columns})"
    )
    con.execute(
        f"insert into identity.blocked_identifiers select '{run_id}', identifier_type, "
        f"identifier_value, reason, record_count from {BLOCKED}"
    )
    con.execute(
        f"insert into identity.guard_events by name select e.* replace ('{run_id}' as run_id, "
        f"m.customer_id as customer_id) from {EVENTS} e "
        f"left join {members} m on m.record_id = e.record_id_l"
    )
