"""Consent signals: the marketing-consent decisions the sources recorded, extracted as rows.

Signals (raw layer, attached to customers through `identity.customer_records`):

- e-mail platform subscribers: `subscribed` grants e-mail, `unsubscribed` / `cleaned` refuse
  it (`pending` is no decision yet: double opt-in not confirmed);
- e-mail activity: an `unsubscribe` or `complaint` refuses e-mail at that moment;
- SMS replies: a reply holding the word STOP (any case: `STOP`, `stop svp`, `Stop, trop de
  sms`) refuses SMS for the number's record at that moment, as the French STOP rule asks;
  any `identities:` mapping whose raw table has `activity_type` and `reply_text` (an SMS
  platform's activity, config/sources/sms.yml) gives these, named `<source>.<entity>.stop`;
- opt-ins of any identity record: every `identities:` mapping of a source definition whose
  raw table has `email_opt_in` / `sms_opt_in` (e-shop accounts, loyalty sign-ups, a CRM's
  contacts) gives its record's answers, dated by the mapping's `last_seen_at`, counted when
  an answer first appears or changes (each receipt or re-export repeats it). The source is
  named `<source>.<entity>` (`web.accounts`, `pos.receipt_lines`).

`consent.signals` keeps every decision, one row each, attached to the customer of the record
that carried it. This module only extracts: which decision is in force, and whether the
channel can be reached, is decided once, in dbt (`int_consent_in_force` and the
`marts.customer_consent` mart, docs/consent.md), which every reader (profile, exports,
audiences, access, API) reads. The table is rebuilt from the raw layer, which keeps every
loaded row, so the signals survive rebuilds.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.identifiers import email_typed_sql, phone_e164_sql
from core.warehouse import columns_of, scalar, table_exists, transaction

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings
    from identity import IdentityMapping

log = logging.getLogger(__name__)

SIGNALS_TABLE = "consent.signals"
# ``address``: the contact point the decision is about when the signal names it (the e-mail
# unsubscribed, the number that sent STOP), else null; used to apply refusals loaded since
# the last build to customers identity has not resolved them into yet (activation)
SIGNAL_COLUMNS = "identity_type, source_key, channel, is_granted, decided_at, source, address"
# Restricts a raw table to some of its rows (``{new_rows}``): all of them by default.
ALL_ROWS = "true"

# (raw table, the columns it needs, SQL yielding SIGNAL_COLUMNS); the subscriber's source key
# is its e-mail as typed, as config/sources/email.yml keys it
_SIGNALS = (
    (
        "email__subscribers",
        ("email", "status", "opted_in_at", "status_changed_at"),
        f"""
select distinct 'email_subscriber', {email_typed_sql("email")}, 'email', status = 'subscribed',
  case when status = 'subscribed' then coalesce(opted_in_at, status_changed_at)
       else coalesce(status_changed_at, opted_in_at) end, 'email.subscribers',
  {email_typed_sql("email")}
from raw.email__subscribers
where email is not null and status in ('subscribed', 'unsubscribed', 'cleaned')
  and ({{new_rows}})""",
    ),
    (
        "email__activity",
        ("email", "activity_type", "activity_at"),
        f"""
select distinct 'email_subscriber', {email_typed_sql("email")}, 'email', false, activity_at,
  'email.activity.' || activity_type, {email_typed_sql("email")}
from raw.email__activity
where email is not null and activity_type in ('unsubscribe', 'complaint')
  and ({{new_rows}})""",
    ),
)
OPT_INS = {"email": "email_opt_in", "sms": "sms_opt_in"}
# A reply is a STOP when it holds the word, however written (RE2, over the lower-cased text).
STOP_PATTERN = r"\bstop\b"


def _stop_signals(mapping: IdentityMapping, columns: set[str], new_rows: str) -> str | None:
    """SMS refusals: the mapping's records' replies holding STOP."""
    decided_at = mapping.last_seen_at or mapping.first_seen_at
    if not {"activity_type", "reply_text"} <= columns or decided_at is None:
        return None
    source_key = f"cast(({mapping.source_key}) as varchar)"
    return f"""
select distinct '{mapping.identity_type}', {source_key}, 'sms', false,
  cast(({decided_at}) as timestamp), '{mapping.source}.{mapping.entity}.stop',
  {phone_e164_sql(source_key)}
from {mapping.raw_table}
where activity_type = 'reply' and regexp_matches(lower(reply_text), '{STOP_PATTERN}')
  and ({mapping.where or "true"}) and ({new_rows})"""


def _opt_in_signals(mapping: IdentityMapping, columns: set[str], new_rows: str) -> str | None:
    """The mapping's records' opt-in answers, when its raw table has opt-in columns.

    An answer counts when it first appears or changes, judged over every row; with
    ``new_rows`` only the changes some of those rows carry are kept."""
    channels = {channel: col for channel, col in OPT_INS.items() if col in columns}
    decided_at = mapping.last_seen_at or mapping.first_seen_at
    if not channels or decided_at is None:
        return None
    answers = " union all ".join(
        f"select cast(({mapping.source_key}) as varchar) as source_key, "
        f"cast(({decided_at}) as timestamp) as decided_at, '{channel}' as channel, "
        f"{column} as is_granted, ({new_rows}) as is_new from {mapping.raw_table} "
        f"where {column} is not null and ({mapping.where or 'true'})"
        for channel, column in channels.items()
    )
    label = f"{mapping.source}.{mapping.entity}"
    return f"""
with answers as (
  select source_key, decided_at, channel, is_granted, bool_or(is_new) as is_new
  from ({answers}) where source_key is not null group by all
),
changes as (
  select *, lag(is_granted) over (partition by source_key, channel
                                  order by decided_at, is_granted) as previous_answer
  from answers
)
select '{mapping.identity_type}', source_key, channel, is_granted, decided_at, '{label}',
  null::varchar
from changes where previous_answer is distinct from is_granted and is_new"""


def signals_sql(
    con: duckdb.DuckDBPyConnection, settings: Settings, new_rows: str = ALL_ROWS
) -> str:
    """One SELECT of every decision the raw layer records (``SIGNAL_COLUMNS``), from the
    rows ``new_rows`` (a predicate over a raw row, e.g. on ``_batch_id``) keeps."""
    from identity import identity_mappings

    selects = []
    for mapping in identity_mappings(settings):
        columns = set(columns_of(con, mapping.raw_table))
        if new_rows != ALL_ROWS and "_batch_id" not in columns:
            continue  # not written by ingestion: no row of it is new
        for sql in (
            _opt_in_signals(mapping, columns, new_rows),
            _stop_signals(mapping, columns, new_rows),
        ):
            if sql:
                selects.append(f"select * from ({sql})")
    for table, required, sql in _SIGNALS:
        if not table_exists(con, "raw", table):
            continue
        present = set(columns_of(con, f"raw.{table}"))
        missing = set(required) - present
        if missing:
            log.warning(
                "consent: raw.%s lacks %s; its consent signals are skipped",
                table,
                ", ".join(sorted(missing)),
            )
            continue
        if new_rows != ALL_ROWS and "_batch_id" not in present:
            continue
        selects.append(f"select * from ({sql.format(new_rows=new_rows)})")
    return " union all ".join(selects) or (
        "select null::varchar, null::varchar, null::varchar, null::boolean, "
        "null::timestamp, null::varchar, null::varchar where false"
    )


def extract_consent_signals(con: duckdb.DuckDBPyConnection, settings: Settings) -> int:
    """Rebuild `consent.signals` (every decision, attached to its customer); returns its rows."""
    signals = signals_sql(con, settings)
    has_members = table_exists(con, "identity", "customer_records")
    members = (
        "identity.customer_records"
        if has_members
        else "(select null::varchar as identity_type, null::varchar as source_key, "
        "null::varchar as customer_id where false)"
    )
    con.execute("create schema if not exists consent")
    with transaction(con):
        con.execute(f"""create or replace table {SIGNALS_TABLE} as
with signals({SIGNAL_COLUMNS}) as ({signals})
select m.customer_id, s.channel, s.is_granted, s.decided_at, s.source,
  s.identity_type || ':' || s.source_key as record_id
from signals s join {members} m using (identity_type, source_key)
where s.decided_at is not null""")
        count = scalar(con, f"select count(*) from {SIGNALS_TABLE}")
    log.info("consent: %d signals extracted", count)
    return int(count)
