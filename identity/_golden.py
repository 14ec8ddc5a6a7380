"""Golden records: one per active customer, each attribute chosen by configured survivorship.

Per attribute, candidates are the customer's non-null values ranked by: the attribute's
source trust order (identity types listed in config, unlisted last), then the most recent
record (``last_seen_at``), then the most frequent value. The winner keeps the identity type
it came from (``<attr>_source``), that record's ``last_seen_at`` (``<attr>_updated_at``) and,
for the attributes shown to people, that record's display form (``<attr>_display``).
"""

from __future__ import annotations

from identity._config import ATTRIBUTES, DISPLAYED, IdentityConfig

_UNLISTED = 1000  # trust rank of an identity type the attribute's rule does not list
_AGE = "-epoch(coalesce({t}.last_seen_at, timestamp '1900-01-01'))"


def _display(attribute: str, table: str) -> str:
    """The attribute's display form in ``table`` (NULL for those shown as their value)."""
    return f"{table}.{attribute}_display" if attribute in DISPLAYED else "null::varchar"


def _trust_values(config: IdentityConfig) -> str:
    rows = []
    for attribute in ATTRIBUTES:
        for rank, identity_type in enumerate(config.survivorship.rule_for(attribute).trust):
            rows.append(f"('{attribute}', '{identity_type}', {rank})")
    return ", ".join(rows) or "(null, null, null)"


def _trust_case(attribute: str, config: IdentityConfig) -> str:
    ranks = " ".join(
        f"when '{identity_type}' then {rank}"
        for rank, identity_type in enumerate(config.survivorship.rule_for(attribute).trust)
    )
    return f"case r.identity_type {ranks} else {_UNLISTED} end" if ranks else str(_UNLISTED)


def golden_records_sql(records: str, members: str, customers: str, config: IdentityConfig) -> str:
    """SQL for identity.golden_records from records, memberships and active customers.

    Three paths, one answer: a customer of one record takes its values as they are; for a
    customer of several, an attribute all its records agree on takes the best occurrence
    (one hash aggregate per customer); only attributes the records disagree on (a few
    percent) go through the full ranking by trust, recency and frequency.
    """
    best = ",\n    ".join(
        f"coalesce(min(r.{a}) <> max(r.{a}), false) as {a}_contested, "
        f"arg_min(struct_pack(value := r.{a}, display := {_display(a, 'r')}, "
        f"source := r.identity_type, updated_at := r.last_seen_at), "
        f"struct_pack(trust := {_trust_case(a, config)}, "
        f"age := {_AGE.format(t='r')})) filter (where r.{a} is not null) as {a}_best"
        for a in ATTRIBUTES
    )
    # one struct per attribute (NULL when the value is: unpivot drops it) carrying its display
    columns = ", ".join(
        f"case when {a} is not null then struct_pack(v := cast({a} as varchar), "
        f"d := {_display(a, 'r')}) end as {a}"
        for a in ATTRIBUTES
    )
    flags = ", ".join(f"{a}_contested as {a}" for a in ATTRIBUTES)
    picked = ",\n  ".join(
        f"case when b.{a}_contested then "
        + (f"cast(w_{a}.value as date)" if a == "birth_date" else f"w_{a}.value")
        + f" else b.{a}_best.value end as {a}, "
        + (
            f"case when b.{a}_contested then w_{a}.display else b.{a}_best.display end "
            f"as {a}_display, "
            if a in DISPLAYED
            else ""
        )
        + f"case when b.{a}_contested then w_{a}.source else b.{a}_best.source end as {a}_source, "
        f"case when b.{a}_contested then w_{a}.updated_at else b.{a}_best.updated_at end "
        f"as {a}_updated_at"
        for a in ATTRIBUTES
    )
    contested = ",\n  ".join(
        f"max(w) filter (where attribute = '{a}') as w_{a}" for a in ATTRIBUTES
    )
    single = ",\n  ".join(
        f"r.{a}, {f'r.{a}_display, ' if a in DISPLAYED else ''}"
        f"case when r.{a} is not null then r.identity_type end as {a}_source, "
        f"case when r.{a} is not null then r.last_seen_at end as {a}_updated_at"
        for a in ATTRIBUTES
    )
    rank = f"struct_pack(trust := coalesce(t.trust_rank, {_UNLISTED}), age := {_AGE.format(t='l')})"
    return f"""
with sizes as (
  select customer_id, count(*) as records from {members} group by customer_id
), sized as (
  select m.customer_id, m.record_id, s.records from {members} m join sizes s using (customer_id)
), singles as (
  select s.customer_id,
  {single}
  from {records} r join sized s using (record_id) where s.records = 1
), agreed as (
  select s.customer_id,
    {best}
  from {records} r join sized s using (record_id) where s.records > 1
  group by s.customer_id
), disputed_pairs as (
  unpivot (select customer_id, {flags} from agreed)
  on {", ".join(ATTRIBUTES)} into name attribute value is_contested
), long as (
  unpivot (
    select s.customer_id, r.identity_type, r.last_seen_at, {columns}
    from {records} r join sized s using (record_id)
    where s.customer_id in (select customer_id from disputed_pairs where is_contested)
  ) on {", ".join(ATTRIBUTES)} into name attribute value value
), trust(attribute, identity_type, trust_rank) as (values {_trust_values(config)}),
per_value as (
  select l.customer_id, l.attribute, l.value.v as value, count(*) as frequency,
    min({rank}) as best,
    arg_min(struct_pack(display := l.value.d, source := l.identity_type,
                        updated_at := l.last_seen_at), {rank}) as origin
  from long l left join trust t using (attribute, identity_type)
  semi join (select customer_id, attribute from disputed_pairs where is_contested)
    using (customer_id, attribute)
  group by l.customer_id, l.attribute, l.value.v
), winners as (
  select customer_id, attribute,
    arg_min(struct_pack(value := value, display := origin.display, source := origin.source,
                        updated_at := origin.updated_at),
            struct_pack(trust := best.trust, age := best.age, rarity := -frequency, value := value))
      as w
  from per_value group by customer_id, attribute
), disputed as (
  select customer_id,
  {contested}
  from winners group by customer_id
), several as (
  select b.customer_id,
  {picked}
  from agreed b left join disputed using (customer_id)
)
select c.customer_id, p.* exclude (customer_id)
from {customers} c
left join (select * from several union all by name select * from singles) p using (customer_id)
where c.is_active"""
