"""The consent exports send on: the last build's, with the refusals loaded since applied.

`marts.customer_consent` is as fresh as the last `cdp profiles build`: it decides from the
consent signals extracted when that build started. A file loaded afterwards (an unsubscribe
list, an SMS STOP) is not in it, and an export run before the next build would send to
people who have just said no. So, before an export or an audience reads the mart, the
refusals among the rows loaded since are applied to it:

- *since* is when the build read the raw layer: the start of the consent extraction it ran
  (``ops.step_runs``, step ``consent signals``; the build's own start for a build recorded
  before that step was); *loaded* is the ledger's ``finished_at``. Both are UTC instants
  (ingestion/ledger.py).
- the rows of those batches give their consent signals by the one extraction rule
  (profiles/consent.py); only refusals are applied (a new opt-in waits for the build:
  when in doubt, do not contact);
- a refusal reaches the customer of the record that carried it (``identity.customer_records``)
  and any customer whose golden e-mail or phone is the address refused, so a record identity
  has not resolved yet still counts;
- as in the mart's rule (`int_consent_in_force`), a refusal overrides the decision in force
  unless that decision is later: a tie goes to the refusal.

The result is a temporary table with the mart's columns, which the export and the audiences
read in its place. The next build decides the same for these customers, from the full rule.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from core.step_runs import last_run
from core.warehouse import columns_of, scalar, table_exists
from ingestion.ledger import loaded_since
from profiles import consent
from profiles.build import BUILD_STEP, CONSENT_STEP, require_customer_consent

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

log = logging.getLogger(__name__)

IN_FORCE = "_consent_in_force_now"
_BATCHES = "_consent_batches_since_build"
_REFUSALS = "_consent_refusals_since_build"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def consent_read_at(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the last build read the raw layer (naive UTC); None when no build is recorded."""
    build = last_run(con, BUILD_STEP)
    if build is None:
        return None
    extracted = scalar(
        con,
        "select max(started_at) from ops.step_runs where step = ? and status = 'succeeded' "
        "and started_at <= ?",
        [CONSENT_STEP, build.finished_at or build.started_at],
    )
    return extracted or build.started_at


def refusals_since_build(con: duckdb.DuckDBPyConnection, settings: Settings) -> str | None:
    """A temporary table (customer_id, channel, decided_at, source, record_id) of the
    refusals loaded since the last build read the raw layer, the latest per customer and
    channel; None when no file was loaded since."""
    return _refusals_loaded_since(con, settings, consent_read_at(con))


def _refusals_loaded_since(
    con: duckdb.DuckDBPyConnection, settings: Settings, since: datetime | None
) -> str | None:
    # a mart no recorded build wrote: every loaded row may be newer
    batches = loaded_since(con, _EPOCH if since is None else since)
    if not batches:
        return None
    con.execute(
        f"create or replace temp table {_BATCHES} as select unnest(?::varchar[]) as batch_id",
        [[batch for batch, _, _ in batches]],
    )
    _attach_refusals(con, settings)
    log.debug("%d file(s) loaded since the last profiles build (%s UTC)", len(batches), since)
    return _REFUSALS


def in_force_sql(mart: str, refusals: str) -> str:
    """The mart's rows (its columns) with ``refusals`` (customer_id, channel, decided_at,
    source, record_id) applied: a refusal overrides the decision in force unless that
    decision is later (a tie goes to the refusal), as ``int_consent_in_force`` decides.

    The one statement of the rule outside dbt: exports and audiences read it through
    :func:`consent_for_sending`, the API through :mod:`api.consent_now`."""
    overridden = (
        "r.customer_id is not null "
        "and (c.consent_decided_at is null or r.decided_at >= c.consent_decided_at)"
    )
    return f"""select c.* replace (
  case when {overridden} then 'refused' else c.consent_status end as consent_status,
  c.is_consent_granted and not ({overridden}) as is_consent_granted,
  case when {overridden} then r.decided_at else c.consent_decided_at end as consent_decided_at,
  case when {overridden} then r.source else c.consent_source end as consent_source,
  case when {overridden} then r.record_id else c.consent_record_id end as consent_record_id,
  c.is_sendable and not ({overridden}) as is_sendable
)
from {mart} c left join {refusals} r using (customer_id, channel)"""


def consent_for_sending(con: duckdb.DuckDBPyConnection, settings: Settings, reader: str) -> str:
    """The relation to read consent from (the mart's columns): the mart itself, or, when
    files were loaded since the build read the raw layer, a temporary copy with their
    refusals applied. Raises what :func:`profiles.build.require_customer_consent` raises."""
    mart = require_customer_consent(con, reader)
    since = consent_read_at(con)
    refusals = _refusals_loaded_since(con, settings, since)
    if refusals is None:
        return mart
    con.execute(f"create or replace temp table {IN_FORCE} as {in_force_sql(mart, refusals)}")
    applied = scalar(
        con,
        f"select count(*) from {IN_FORCE} c join {mart} m using (customer_id, channel) "
        "where m.is_sendable and not c.is_sendable",
    )
    log.info(
        "%s: the refusals loaded since the last profiles build (as of %s UTC) change %d "
        "customer channel(s) to not sendable",
        reader,
        since,
        applied,
    )
    return IN_FORCE


def _attach_refusals(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    signals = consent.signals_sql(con, settings, f"_batch_id in (select batch_id from {_BATCHES})")
    by_record = (
        """
  select m.customer_id, r.channel, r.decided_at, r.source,
    r.identity_type || ':' || r.source_key as record_id
  from refusals r join identity.customer_records m using (identity_type, source_key)
  union all"""
        if table_exists(con, "identity", "customer_records")
        else ""
    )
    golden = set(columns_of(con, "marts.golden_records"))
    emails = "g.email" + (", lower(g.email_display)" if "email_display" in golden else "")
    con.execute(f"""create or replace temp table {_REFUSALS} as
with signals({consent.SIGNAL_COLUMNS}) as ({signals}),
refusals as (select * from signals where not is_granted and decided_at is not null),
attached as ({by_record}
  select g.customer_id, r.channel, r.decided_at, r.source,
    r.identity_type || ':' || r.source_key as record_id
  from refusals r join marts.golden_records g
    on (r.channel = 'email' and r.address in ({emails}))
    or (r.channel = 'sms' and r.address = g.phone)
)
select customer_id, channel, max(decided_at) as decided_at,
  arg_max(source, decided_at) as source, arg_max(record_id, decided_at) as record_id
from attached group by customer_id, channel""")
