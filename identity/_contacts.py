"""A record's other e-mails and phones: the values beyond the first of a mapping's list
(``phone: [phone, other_phone]``, the home landline beside the mobile).

Extracted with the strong identifiers (:data:`STRONG_IDS`, types ``email`` and ``phone``),
then standardised the way the record's main e-mail and phone are, its main one dropped.
They become ``identity.record_identifiers`` rows: the guards hold them like the main ones
(:mod:`identity._guards`), erasure finds the person by them (:mod:`privacy.person`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from identity import _standardise as std
from identity._tables import RECORDS, STRONG_IDS

if TYPE_CHECKING:
    import duckdb

    from identity._config import IdentityConfig, IdentityMapping


def other_contacts_sql(mapping: IdentityMapping, kind: str, exprs: list[str], where: str) -> str:
    """Every value of ``exprs`` (SQL over the raw row) on a record's rows, as typed; ``where``
    the mapping's filters (`` and (...)``)."""
    values = ", ".join(f"cast(({e}) as varchar)" for e in exprs)
    return f"""
select distinct '{mapping.identity_type}:' || source_key as record_id,
  '{kind}' as identifier_type, identifier_value
from (select cast(({mapping.source_key}) as varchar) as source_key,
        unnest([{values}]) as identifier_value
      from {mapping.raw_table} where ({mapping.source_key}) is not null {where})
where nullif(trim(identifier_value), '') is not null"""


def standardise_other_contacts(
    con: duckdb.DuckDBPyConnection,
    config: IdentityConfig,
    mappings: list[IdentityMapping],
    region: str,
) -> None:
    """The :data:`STRONG_IDS` rows of type ``email`` and ``phone`` in the form the records'
    main ones take (``region``: SQL over the record ``r`` giving its source's country, NULL
    for the default); unreadable ones and a record's main one dropped. Idempotent: an
    incremental run's stored values come back unchanged."""
    if not any(m.other_contacts() for m in mappings):
        return
    cfg = config.standardisation
    region = f"coalesce({region}, '{cfg.default_phone_region}')"
    con.execute(f"""
create or replace temp table _identity_other_contacts as
select i.record_id, i.identifier_type, i.identifier_value as raw_value,
  {region} as phone_region,
  case i.identifier_type when 'email' then {std.email_sql("i.identifier_value", cfg)}
    when 'phone' then case when {region} = 'FR' then {std.phone_sql("i.identifier_value")} end
  end as identifier_value
from {STRONG_IDS} i join {RECORDS} r using (record_id)
where i.identifier_type in ('email', 'phone')""")
    # phones SQL cannot read go through `phonenumbers`, once per distinct value
    unread = con.execute(
        "select distinct raw_value, phone_region from _identity_other_contacts "
        "where identifier_type = 'phone' and identifier_value is null"
    ).fetchall()
    std.register_phone_fallback(con, "_identity_other_phone_fallback", unread)
    con.execute(f"""
create or replace temp table {STRONG_IDS} as
select * from {STRONG_IDS} where identifier_type not in ('email', 'phone')
union all
select distinct o.record_id, o.identifier_type, coalesce(o.identifier_value, f.phone_fallback)
from _identity_other_contacts o
left join _identity_other_phone_fallback f
  on f.raw_phone = o.raw_value and f.phone_region = o.phone_region
join {RECORDS} r using (record_id)
where coalesce(o.identifier_value, f.phone_fallback) is not null
  and coalesce(o.identifier_value, f.phone_fallback) is distinct from
      (case o.identifier_type when 'email' then r.email else r.phone end)""")
    con.execute("drop table _identity_other_phone_fallback")
    con.execute("drop table _identity_other_contacts")
