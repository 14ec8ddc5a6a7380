"""The guards' shared contacts: e-mails and phones that link their holders deterministically.

A value not blocked (``_guards``), held by several records, none of whose holders
contradict each other, links them; a family's address whose holders are two people links
nobody here. Read from the holders view ``_guards`` makes (``_identity_holders``); the
result is ``_identity_shared_contacts``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.warehouse import sql_literal as _quote
from identity._same_person import (
    different_birth_dates_sql,
    different_first_names_sql,
    same_first_name_sql,
)
from identity._tables import BLOCKED

if TYPE_CHECKING:
    import duckdb

    from identity._config import IdentityConfig

ATTRIBUTE_IDS = ("email", "phone")  # record attributes guarded like identifiers


def named_by_value_sql() -> str:
    """Whether an e-mail's username names its holder (``_model.username_names_holder_sql``);
    true for a phone. Computed for shared values' holders only: the regular expressions
    over every record's e-mail cost more than the rest of the holders' table."""
    from identity._model import username_names_holder_sql

    named = username_names_holder_sql("identifier_value", inline=True)
    return f"case when identifier_type = 'email' then {named} else true end"


def shared_contacts(con: duckdb.DuckDBPyConnection, config: IdentityConfig) -> None:
    """E-mails and phones that link their holders deterministically: not blocked, held by
    several records, and no two holders contradict each other (plainly different first
    names, birth dates apart). A newsletter address with no name and the loyalty card
    carrying it are one person; a family address whose holders are two people links nobody
    here (the model and the conflicts decide on the rest of the evidence)."""
    types = ", ".join(_quote(a) for a in ATTRIBUTE_IDS)
    days = config.guards.cannot_link.birth_date_tolerance_days
    contradiction = different_first_names_sql("a", "b")
    if days is not None:
        contradiction = f"({contradiction} or ({different_birth_dates_sql('a', 'b', days)}))"
    # A record with no name and a named holder of an e-mail whose username names neither
    # the holder nor the holder's surname (``fredericpire@`` held by Claude Lelievre): a
    # family's or partner's address, and the nameless record as likely the other person.
    # Unless it names another holder: a holder's mistyped name (``mraie rousseau`` beside
    # ``marie rousseau`` on ``marie1987@``) is no one else.
    nameless = "({x}.first_name is null and {x}.last_name is null)"
    named_other = "({y}.last_name is not null and not {y}.names_a_holder)"
    # A second phone or e-mail is a household's as often as its holder's (the home landline
    # beside the mobile): it links two holders only when both give the same first name
    same_first = same_first_name_sql("a.first_name", "b.first_name", "a.last_name", "b.last_name")
    contradiction = (
        f"({contradiction} or ({nameless.format(x='a')} and {named_other.format(y='b')}) "
        f"or ({nameless.format(x='b')} and {named_other.format(y='a')}) "
        f"or ((a.is_other or b.is_other) and not coalesce({same_first}, false)))"
    )
    con.execute(f"""
create or replace temp table _identity_shared_contacts as
with held as (
  select * from _identity_holders
  anti join {BLOCKED} using (identifier_type, identifier_value)
  where identifier_type in ({types})
), values_shared as (
  select identifier_type, identifier_value,
    bool_or(first_name is null and last_name is null) as has_nameless,
    -- two holders can contradict each other only where some differ on the first name or
    -- on the birth date, one is nameless, or one holds the value as another contact
    bool_or(first_name is null and last_name is null) or bool_or(is_other)
      or coalesce(min(first_name) <> max(first_name), false)
      or coalesce(min(birth_date) <> max(birth_date), false) as may_contradict
  from held group by all having count(*) > 1
), named as (
  -- whether the username names a holder is read only beside a nameless holder: the
  -- regular expressions run for those values' holders alone, and one grouping of them
  -- (a window over every shared value's holders sorted them all: 0.5 s of CPU at 1M)
  select identifier_type, identifier_value, bool_or({named_by_value_sql()}) as names_a_holder
  from held semi join (select * from values_shared where has_nameless)
    using (identifier_type, identifier_value)
  group by all
), disputed as (
  -- only the holders of values that may be contradicted are paired (a value's holders
  -- are mostly one person's records: the pairs of every shared value cost 0.5 s at 1M)
  select h.*, coalesce(n.names_a_holder, false) as names_a_holder
  from held h semi join (select * from values_shared where may_contradict)
    using (identifier_type, identifier_value)
  left join named n using (identifier_type, identifier_value)
), contradicted as (
  select distinct a.identifier_type, a.identifier_value from disputed a join disputed b
    on a.identifier_type = b.identifier_type and a.identifier_value = b.identifier_value
   and a.record_id < b.record_id
  where {contradiction}
)
-- the values kept found first (331k of them at 1M records), then their holders: one
-- join of the holders, not a semi and an anti join of them
select record_id, identifier_type, identifier_value from held
semi join (select identifier_type, identifier_value from values_shared
           anti join contradicted using (identifier_type, identifier_value))
  using (identifier_type, identifier_value)""")
