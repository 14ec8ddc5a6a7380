"""Golden records: one per active customer, each attribute chosen by configured survivorship.

Per attribute, candidates are the customer's non-null values ranked by: the attribute's
source trust order (identity types listed in config, unlisted last), then the most recent
record (``last_seen_at``), then the most frequent value. The winner keeps the identity type
it came from (``<attr>_source``) and that record's ``last_seen_at`` (``<attr>_updated_at``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from identity._config import ATTRIBUTES, IdentityConfig

if TYPE_CHECKING:
    pass


def _trust_values(config: IdentityConfig) -> str:
    rows = []
    for attribute in ATTRIBUTES:
        for rank, identity_type in enumerate(config.survivorship.rule_for(attribute).trust):
            rows.append(f"('{attribute}', '{identity_type}', {rank})")
    return ", ".join(rows) or "(null, null, null)"


def golden_records_sql(records: str, members: str, customers: str, config: IdentityConfig) -> str:
    """SQL for identity.golden_records from records, memberships and active customers."""
    columns = ", ".join(
        f"cast({a} as varchar) as {a}" if a == "birth_date" else a for a in ATTRIBUTES
    )
    picked = ",\n  ".join(
        (
            f"cast(max(w.value) filter (where attribute = '{a}') as date) as {a}"
            if a == "birth_date"
            else f"max(w.value) filter (where attribute = '{a}') as {a}"
        )
        + f", max(w.source) filter (where attribute = '{a}') as {a}_source"
        + f", max(w.updated_at) filter (where attribute = '{a}') as {a}_updated_at"
        for a in ATTRIBUTES
    )
    # Hash aggregates rather than window sorts: first the best occurrence and the frequency of
    # each (customer, attribute, value), then the best value per (customer, attribute).
    rank = (
        "struct_pack(trust := coalesce(t.trust_rank, 1000), "
        "age := -epoch(coalesce(l.last_seen_at, timestamp '1900-01-01')))"
    )
    return f"""
with candidates as (
  select m.customer_id, r.identity_type, r.last_seen_at, {columns}
  from {records} r join {members} m using (record_id)
), long as (
  unpivot candidates on {", ".join(ATTRIBUTES)} into name attribute value value
), trust(attribute, identity_type, trust_rank) as (values {_trust_values(config)}),
per_value as (
  select l.customer_id, l.attribute, l.value, count(*) as frequency, min({rank}) as best,
    arg_min(struct_pack(source := l.identity_type, updated_at := l.last_seen_at), {rank}) as origin
  from long l left join trust t using (attribute, identity_type)
  group by l.customer_id, l.attribute, l.value
), winners as (
  select customer_id, attribute,
    arg_min(struct_pack(value := value, source := origin.source, updated_at := origin.updated_at),
            struct_pack(trust := best.trust, age := best.age, rarity := -frequency, value := value))
      as w
  from per_value group by customer_id, attribute
), pivoted as (
  select customer_id,
  {picked}
  from winners group by customer_id
)
select c.customer_id, p.* exclude (customer_id)
from {customers} c left join pivoted p using (customer_id)
where c.is_active"""
