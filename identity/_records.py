"""Identity records: one per source identity, extracted from raw tables by configuration.

Each `identities:` mapping becomes one grouped SQL query over its raw table: attributes
take the most recent non-null value of the source key's rows, first/last seen are the
min/max timestamps, and strong identifiers keep the most frequent value per record (so a
shared computer seen with two accounts links only to its main user, not to both).
The result lands in two temporary tables, then standardisation runs in SQL
(``_records_standardise``; Python only for phones SQL cannot read, once per distinct value).
An incremental run standardises only new and changed records: the others keep their stored
row (same ``fingerprint``: ``_records_fingerprint``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.warehouse import scalar
from identity import _contacts, _watermark
from identity._config import RAW_INPUTS, IdentityConfig, IdentityMapping
from identity._records_fingerprint import settings_hash
from identity._records_standardise import per_type, standardise_records
from identity._tables import RECORDS, STRONG_IDS
from identity._watermark import REREAD_RECORD_IDS

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

_EPOCH = "timestamp '1900-01-01'"
# the records an incremental run re-reads from the raw layer (those of the changed keys)


class IdentitySourceError(RuntimeError):
    """No raw table an identity mapping reads from exists yet."""


def _one_row_per_key(
    con: duckdb.DuckDBPyConnection, mapping: IdentityMapping, only: str | None = None
) -> bool:
    """Whether no source key has two raw rows (an accounts or subscribers table, not a
    receipts one): then each row is its record as it stands. Not asked of a mapping without
    attributes, nor on an incremental read (``only``): their grouping (first and last seen;
    the few rows of the changed keys) costs less than the question."""
    if not mapping.attributes or only:
        return False
    key = f"cast(({mapping.source_key}) as varchar)"
    filters = " and ".join(f"({f})" for f in (mapping.where, f"{key} is not null") if f)
    return bool(
        scalar(
            con,
            f"select count(*) = count(distinct {key}) from {mapping.raw_table} where {filters}",
        )
    )


def _raw_extract_sql(
    mapping: IdentityMapping, only: str | None = None, one_row_per_key: bool = False
) -> str:
    attrs = mapping.attributes
    columns = [
        f"cast(({mapping.attribute_sql(a)}) as varchar) as raw_{a}"
        if a in attrs
        else f"null::varchar as raw_{a}"
        for a in RAW_INPUTS
    ]
    first_seen = mapping.first_seen_at or mapping.last_seen_at or "null"
    last_seen = mapping.last_seen_at or mapping.first_seen_at or "null"
    filters = [f"({f})" for f in (mapping.where, only) if f]
    where = f"where {' and '.join(filters)}" if filters else ""
    # an attribute the mapping does not read is NULL on every row: no aggregate to run;
    # arg_max skips a NULL value (arg_max_null keeps it): the most recent non-null value,
    # without a FILTER clause per attribute
    picked = ",\n  ".join(
        f"arg_max(raw_{a}, _order) as raw_{a}" if a in attrs else f"null::varchar as raw_{a}"
        for a in RAW_INPUTS
    )
    # a key's only row is its record: no grouping (three sources of the bench's six; an
    # arg_max per attribute over rows one to a key cost three times the rows' reading)
    if one_row_per_key:
        picked = ", ".join(f"raw_{a}" for a in RAW_INPUTS)
    seen = (
        "_first_seen as first_seen_at, _last_seen as last_seen_at"
        if one_row_per_key
        else "min(_first_seen) as first_seen_at, max(_last_seen) as last_seen_at"
    )
    return f"""
with base as (
  select cast(({mapping.source_key}) as varchar) as source_key,
    {", ".join(columns)},
    cast(({first_seen}) as timestamp) as _first_seen,
    cast(({last_seen}) as timestamp) as _last_seen,
    coalesce(cast(({last_seen}) as timestamp), {_EPOCH}) as _order
  from {mapping.raw_table} {where}
)
select '{mapping.identity_type}' as identity_type, '{mapping.source}' as source, source_key,
  {picked},
  {seen}
from base where source_key is not null{"" if one_row_per_key else " group by source_key"}"""


def _strong_ids_sql(
    mapping: IdentityMapping, only: str | None = None, one_row_per_key: bool = False
) -> list[str]:
    where = "".join(f" and ({f})" for f in (mapping.where, only) if f)
    order = mapping.last_seen_at or mapping.first_seen_at or "null"
    queries = []
    for id_type, expr in mapping.strong_identifiers.items():
        if one_row_per_key:  # the key's one row gives its one value: nothing to rank
            queries.append(f"""
select '{mapping.identity_type}:' || cast(({mapping.source_key}) as varchar) as record_id,
  '{id_type}' as identifier_type, cast(({expr}) as varchar) as identifier_value
from {mapping.raw_table}
where ({mapping.source_key}) is not null and ({expr}) is not null {where}""")
            continue
        queries.append(f"""
select '{mapping.identity_type}:' || source_key as record_id, '{id_type}' as identifier_type,
  identifier_value
from (
  select cast(({mapping.source_key}) as varchar) as source_key,
    cast(({expr}) as varchar) as identifier_value, count(*) as n,
    max(coalesce(cast(({order}) as timestamp), {_EPOCH})) as last_at
  from {mapping.raw_table}
  where ({mapping.source_key}) is not null and ({expr}) is not null {where}
  group by all
) qualify row_number() over (
  partition by source_key order by n desc, last_at desc, identifier_value) = 1""")
    # a person's other e-mails and phones in the row (the landline beside the mobile)
    queries += [
        _contacts.other_contacts_sql(mapping, kind, exprs, where)
        for kind, exprs in mapping.other_contacts().items()
    ]
    return queries


def _available(
    con: duckdb.DuckDBPyConnection, mappings: list[IdentityMapping]
) -> list[IdentityMapping]:
    from core.warehouse import table_exists

    present = []
    for mapping in mappings:
        schema, table = mapping.raw_table.split(".", 1)
        if table_exists(con, schema, table):
            present.append(mapping)
        else:
            # a configured source whose exports have not arrived yet: normal, not a warning
            log.info(
                "identity type %s skipped: %s does not exist yet (run `cdp ingest`)",
                mapping.identity_type,
                mapping.raw_table,
            )
    if not present:
        tables = ", ".join(m.raw_table for m in mappings)
        raise IdentitySourceError(
            f"none of the raw tables exist ({tables}); run `cdp ingest` first"
        )
    return present


def extract_records(
    con: duckdb.DuckDBPyConnection,
    mappings: list[IdentityMapping],
    config: IdentityConfig,
    reuse_previous: bool = False,
) -> int:
    """Build the standardised identity records as temp tables; returns the record count.

    With ``reuse_previous`` (incremental runs), a record whose source values, strong
    identifiers and standardisation settings are unchanged since the stored
    ``identity.identity_records`` row (same ``fingerprint``) keeps that row: only new and
    changed records are standardised again.
    """
    mappings = _available(con, mappings)
    measured = _watermark.measure(con, mappings, settings_hash(config))
    # an incremental run re-reads only the source keys of batches loaded since the last run
    partial = reuse_previous and measured and _watermark.changed_keys(con, mappings)
    only = [_watermark.only_changed(m) if partial else None for m in mappings]
    one_row = [_one_row_per_key(con, m, o) for m, o in zip(mappings, only, strict=True)]
    read = list(zip(mappings, only, one_row, strict=True))
    raw_sql = "\nunion all\n".join(
        f"select * from ({_raw_extract_sql(m, o, single)})" for m, o, single in read
    )
    # a view: the fingerprinting pass (``_records_fingerprint``) materialises the raw records
    con.execute(f"create or replace temp view _identity_raw_stage as {raw_sql}")
    id_sql = "\nunion all\n".join(
        f"select * from ({q})" for m, o, single in read for q in _strong_ids_sql(m, o, single)
    )
    if partial:
        # A record whose source keys were not re-read keeps its stored identifiers: they are
        # what its unchanged raw rows give (its fingerprint, identifiers included, is stored).
        id_sql = "\nunion all\n".join(
            q
            for q in (
                id_sql,
                "select record_id, identifier_type, identifier_value "
                f"from identity.record_identifiers where record_id not in ({REREAD_RECORD_IDS})",
            )
            if q
        )
    con.execute(
        f"create or replace temp table {STRONG_IDS} as "
        + (
            id_sql
            or "select null::varchar as record_id, null::varchar as identifier_type, "
            "null::varchar as identifier_value where false"
        )
    )
    unread = [m.identity_type for m in mappings] if partial else []
    standardise_records(con, config, reuse_previous, unread, mappings)
    region = per_type(mappings, lambda m: m.country, "varchar")
    _contacts.standardise_other_contacts(con, config, mappings, region)
    return scalar(con, f"select count(*) from {RECORDS}")
