"""The raw records keyed and fingerprinted, and which of them are standardised again.

A record's fingerprint hashes what the sources say about it (its raw values, dates and
identifiers) and how it is standardised (:func:`settings_hash`): an incremental run keeps the
stored row of a record with the same fingerprint and standardises the others. Tables for
``_records_standardise``: ``_identity_raw_keyed`` (every record read, keyed and
fingerprinted), ``_identity_raw_todo`` (those to standardise) and, reusing stored rows,
``_identity_records_kept`` (the stored rows kept as they are).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from identity._config import DISPLAYED, RAW_INPUTS, IdentityConfig
from identity._tables import REREAD, STRONG_IDS
from identity._watermark import REREAD_RECORD_IDS

if TYPE_CHECKING:
    import duckdb


def settings_hash(config: IdentityConfig) -> str:
    """How records are standardised, as a hash: part of each record's fingerprint and of the
    raw layer's watermark (``_watermark``)."""
    import hashlib
    import json

    # the record's shape is part of how it was standardised: a stored record without the
    # display columns is standardised again
    shape = {"displayed": DISPLAYED}
    dumped = json.dumps(config.standardisation.model_dump(mode="json") | shape, sort_keys=True)
    return hashlib.sha256(dumped.encode()).hexdigest()[:16]


def key_raw_rows(
    con: duckdb.DuckDBPyConnection,
    config: IdentityConfig,
    reuse: bool,
    unread: list[str],
    per_source: str = "''",
) -> None:
    """Fingerprint each raw record; keep the stored rows of unchanged ones (``reuse``), and
    of every record of the ``unread`` identity types whose source keys were not re-read."""
    raw_columns = ", ".join(f"r.raw_{a}" for a in RAW_INPUTS)
    # only the re-read records' identifiers are needed (all records' on a full read)
    reread = f"where record_id in ({REREAD_RECORD_IDS})" if unread else ""
    con.execute(f"""
create or replace temp table _identity_raw_keyed as
with several as (
  select record_id from {STRONG_IDS} {reread} group by record_id having count(*) > 1
), identified as (
  -- A record holding one identifier (nearly all) is listed as it: a grouping with a list
  -- per record cost 0.9 s of CPU at 1M records, a count per record 0.1. Those holding
  -- several: their identifiers sorted as a list (by type, then value; an ordered
  -- string_agg sorted every group apart, twice the CPU).
  select record_id, identifier_type || '=' || identifier_value as identifiers
  from {STRONG_IDS} anti join several using (record_id) {reread}
  union all
  select record_id, array_to_string(list_transform(
    list_sort(list((identifier_type, identifier_value))), lambda i: i[1] || '=' || i[2]), ','
  ) as identifiers
  from {STRONG_IDS} semi join several using (record_id) group by record_id
)
select r.identity_type || ':' || r.source_key as record_id, r.*, i.identifiers,
  -- what the sources say about the record, and how it was standardised: any change
  -- standardises and re-scores the record (hash() keeps NULLs apart from empty strings)
  cast(hash('{settings_hash(config)}', {raw_columns}, r.first_seen_at, r.last_seen_at,
            i.identifiers, {per_source}) as varchar) as fingerprint
from _identity_raw_stage r
left join identified i on i.record_id = r.identity_type || ':' || r.source_key""")
    con.execute("drop view _identity_raw_stage")
    if reuse:
        # The stored fingerprints of the re-read records: the ids with a stored row found
        # first, on the id column alone, then their fingerprints (a semi join on every
        # re-read id decompressed the fingerprints of nearly every vector, each holding an
        # id the bloom filter let through, to find nothing for new records).
        reread = (
            f"({REREAD_RECORD_IDS})" if unread else "(select record_id from _identity_raw_keyed)"
        )
        con.execute(
            "create or replace temp table _identity_reread_ids as select record_id "
            f"from identity.identity_records semi join {reread} k(record_id) using (record_id)"
        )
        con.execute("""create or replace temp table _identity_reread_stored as
select record_id, fingerprint from identity.identity_records
semi join _identity_reread_ids using (record_id)""")
        # the re-read records standardised again: those without a stored row of the same
        # fingerprint
        con.execute("""create or replace temp table _identity_raw_todo as
select * from _identity_raw_keyed
anti join _identity_reread_stored using (record_id, fingerprint)""")
        # A view, not a copy: the kept rows are copied once, into the records table. The
        # re-read records are all of changed keys; of those, the stored rows whose fingerprint
        # changed or whose key is gone are dropped, so that the stored records are read
        # whole once, by one anti join (not by a semi join and an anti join, each reading
        # every column of every record).
        kept = (
            "select * from identity.identity_records "
            "semi join _identity_raw_keyed using (record_id, fingerprint)"
        )
        if unread:
            types = ", ".join(f"'{t}'" for t in unread)
            con.execute("""create or replace temp table _identity_records_dropped as
select record_id from _identity_reread_stored
anti join _identity_raw_keyed using (record_id, fingerprint)""")
            kept = f"""select * from identity.identity_records
anti join _identity_records_dropped using (record_id) where identity_type in ({types})"""
        con.execute(f"create or replace temp view _identity_records_kept as {kept}")
    else:
        con.execute(
            "create or replace temp view _identity_raw_todo as select * from _identity_raw_keyed"
        )


def drop_keyed(con: duckdb.DuckDBPyConnection, reuse: bool) -> None:
    """Once the records are standardised: :data:`REREAD`, the count of the records read, and
    the tables :func:`key_raw_rows` made dropped."""
    con.execute(f"drop {'table' if reuse else 'view'} _identity_raw_todo")
    con.execute(
        f"create or replace temp table {REREAD} as select count(*) as n from _identity_raw_keyed"
    )
    if reuse:
        con.execute("drop view _identity_records_kept")
        con.execute("drop table if exists _identity_records_dropped")
        con.execute("drop table _identity_reread_stored")
        con.execute("drop table _identity_reread_ids")
    con.execute("drop table _identity_raw_keyed")
