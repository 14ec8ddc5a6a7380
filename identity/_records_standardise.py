"""Identity records standardised: their values standardised in SQL (each distinct e-mail,
name, city, address line and phone once), and the values standardisation nulled counted
(``_records_nulled``). ``_records.extract_records`` reads the raw records and
``_records_fingerprint`` keys and fingerprints them: an incremental run standardises only new
and changed ones, the others keep their stored row (same ``fingerprint``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.warehouse import scalar, sql_literal
from identity import _records_fingerprint as _fingerprint
from identity import _standardise as std
from identity._config import DISPLAYED, IdentityConfig, IdentityMapping
from identity._records_nulled import count_nulled, counted_attributes, mask_sql
from identity._tables import RECORDS, RESTANDARDISED

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

_PHONES = "_identity_phones"  # raw_phone, phone_region -> phone: each distinct phone once


def _lookup_maps(con: duckdb.DuckDBPyConnection, config: IdentityConfig, country: str) -> None:
    """Caller names split in SQL; each distinct phone (and region) standardised once, into
    :data:`_PHONES`: French spellings in SQL, everything else, and every other country's
    numbers, through `phonenumbers` with the record's country as region (only new and
    changed records on an incremental run)."""
    cfg = config.standardisation
    con.execute(
        "create or replace temp table _identity_name_split as "
        + std.split_full_name_sql("_identity_raw_todo", "raw_full_name", cfg)
    )
    con.execute(f"""create or replace temp table {_PHONES} as
select raw_phone, phone_region,
  case when phone_region = 'FR' then {std.phone_sql("raw_phone")} end as phone
from (select distinct raw_phone, {country} as phone_region from _identity_raw_todo r
  where raw_phone is not null)""")
    phones = con.execute(
        f"select raw_phone, phone_region from {_PHONES} where phone is null"
    ).fetchall()
    std.register_phone_fallback(con, "_identity_phone_fallback", phones)
    con.execute(f"""update {_PHONES} s set phone = f.phone_fallback
from _identity_phone_fallback f
where s.phone is null and f.raw_phone = s.raw_phone and f.phone_region = s.phone_region""")
    con.execute("drop table _identity_phone_fallback")
    log.info("standardisation: %d phones through phonenumbers", len(phones))


def per_type(mappings: list[IdentityMapping], value, sql_type: str) -> str:
    """SQL picking a per-mapping setting by the record's identity type (NULL when unset)."""

    cases = " ".join(
        f"when '{m.identity_type}' then {sql_literal(value(m))}"
        for m in mappings
        if value(m) is not None
    )
    return f"cast(case r.identity_type {cases} end as {sql_type})" if cases else f"null::{sql_type}"


def standardise_records(
    con: duckdb.DuckDBPyConnection,
    config: IdentityConfig,
    reuse: bool,
    unread: list[str],
    mappings: list[IdentityMapping] | None = None,
) -> None:
    cfg = config.standardisation
    mappings = mappings or []
    source_country = per_type(mappings, lambda m: m.country, "varchar")
    earliest = per_type(mappings, lambda m: m.min_birth_date, "date")
    country = (
        f"coalesce(nullif(upper(trim(r.raw_country)), ''), {source_country}, "
        f"'{cfg.default_phone_region}')"
    )
    _fingerprint.key_raw_rows(con, config, reuse, unread, f"{source_country}, {earliest}")
    _lookup_maps(con, config, country)
    attributes = {
        "first_name": std.name_sql("coalesce(r.raw_first_name, n.split_first)", cfg),
        "last_name": std.name_sql("coalesce(r.raw_last_name, n.split_last)", cfg),
        "email": std.email_sql("r.raw_email", cfg),
        "phone": "p.phone",
        "birth_date": std.birth_date_sql("r.raw_birth_date", cfg, earliest),
        "postcode": std.postcode_sql("r.raw_postcode", country),
        "city": std.city_sql("r.raw_city"),
        "address_line": std.address_sql("r.raw_address_line"),
    }
    # DuckDB 2.0 fails to bind some expressions over a column it knows to be all NULL
    # ("BindBuiltinScalarFunction did not return a BoundFunctionExpression"): an attribute
    # no record carries is a typed NULL instead.
    present = con.execute(
        "select "
        + ", ".join(f"count(raw_{a}) > 0" for a in attributes)
        + " from _identity_raw_todo"
    ).fetchall()[0]
    for (name, _), known in zip(list(attributes.items()), present, strict=True):
        if not known and name not in ("first_name", "last_name", "phone"):
            attributes[name] = "null::date" if name == "birth_date" else "null::varchar"
    # the display form comes from what the key came from (a split full name included)
    typed_from = {
        "first_name": "coalesce(r.raw_first_name, n.split_first)",
        "last_name": "coalesce(r.raw_last_name, n.split_last)",
    }
    by_value = _standardise_by_value(con, cfg, typed_from, attributes)
    for name in by_value:
        attributes[name] = f"v_{name}.{name}"
    selects = ",\n  ".join(f"{sql} as {name}" for name, sql in attributes.items())
    typed = ", ".join(
        f"v_{a}._display as _display_{a}"
        if a in by_value
        else f"{std.collapse_spaces_sql(typed_from.get(a, f'r.raw_{a}'))} as _typed_{a}"
        for a in DISPLAYED
    )
    displays = ", ".join(
        f"_display_{a} as {a}_display"
        if a in by_value
        else f"case when {a} is not null then {std.display_sql(a, f'_typed_{a}')} end "
        f"as {a}_display"
        for a in DISPLAYED
    )
    lookups = "".join(
        f"\n  left join _identity_by_value_{a} v_{a} "
        f"on v_{a}._typed = {typed_from.get(a, f'r.raw_{a}')}"
        for a in by_value
    )
    # One materialisation: the records with, last, the columns only the counts of nulled
    # values read, dropped once counted (a dropped column costs no copy; a second table
    # without them copied every record again: 0.54 s of CPU at 1M records). Those columns
    # are two bit masks, not the raw values: each string column of a million records
    # costs about 0.04 s of CPU to write.
    counted = counted_attributes(list(attributes))
    extras = ["_country", "_present", "_nulled"]
    standardised = f"""
select record_id, identity_type, source, source_key, {", ".join(attributes)}, first_seen_at,
  last_seen_at, {displays},
  coalesce(first_name, last_name, email, phone, cast(birth_date as varchar), postcode, city,
           address_line) is null and identifiers is null as is_anonymous,
  fingerprint, _country, {mask_sql(counted, "raw_{a} is not null")} as _present,
  {mask_sql(counted, "raw_{a} is not null and {a} is null")} as _nulled
from (
  select r.record_id, r.identity_type, r.source, r.source_key, {selects}, r.first_seen_at,
    r.last_seen_at, r.identifiers, r.fingerprint, {country} as _country,
    {", ".join(f"r.raw_{a}" for a in attributes)}, {typed}
  from _identity_raw_todo r
  left join _identity_name_split n using (raw_full_name)
  left join {_PHONES} p
    on p.raw_phone = r.raw_phone and p.phone_region = {country}{lookups}
)"""
    if reuse:  # the kept rows first, as stored, then the records standardised again
        _stage_kept_and_standardised(con, standardised, counted, extras)
    else:
        con.execute(f"create or replace temp table {RECORDS} as {standardised}")
        count_nulled(con, counted, RECORDS)
        for column in extras:
            con.execute(f"alter table {RECORDS} drop column {column}")
    for name in by_value:
        con.execute(f"drop table _identity_by_value_{name}")
    con.execute("drop table _identity_name_split")
    con.execute(f"drop table {_PHONES}")
    if reuse:
        standardised_count = scalar(con, f"select count(*) from {RESTANDARDISED}")
        kept = scalar(con, f"select count(*) from {RECORDS}") - standardised_count
        log.info("standardisation: %d unchanged records kept from the previous run", kept)
    _fingerprint.drop_keyed(con, reuse)


def _stage_kept_and_standardised(
    con: duckdb.DuckDBPyConnection, standardised: str, counted: list[str], extras: list[str]
) -> None:
    """An incremental run's records: the kept rows as stored, then the records standardised
    again; and :data:`RESTANDARDISED`, the ids of the latter (whose guards ``_guard_cache``
    checks again). The columns only the counts of nulled values read are the standardised
    records' alone (NULL on every kept row: the nine columns they were cost about 0.2 s of CPU
    over a million kept rows to write, then to drop)."""
    con.execute(f"create or replace temp table {RECORDS} as select * from _identity_records_kept")
    con.execute(f"create or replace temp table _identity_standardised as {standardised}")
    count_nulled(con, counted, "_identity_standardised")
    con.execute(
        f"create or replace temp table {RESTANDARDISED} as "
        "select record_id from _identity_standardised"
    )
    con.execute(
        f"insert into {RECORDS} by name "
        f"select * exclude ({', '.join(extras)}) from _identity_standardised"
    )
    con.execute("drop table _identity_standardised")


# Attributes standardised once per distinct value typed, then joined back: a million records
# hold a few hundred thousand e-mails, tens of thousands of last names, a few thousand first
# names and cities, and theirs are the dearest expressions (the e-mail rule's repeated
# clean-up, a name in capitals title-cased letter by letter, the titles and particles of a
# name, a city's CEDEX and saints). Address lines too: one per person, not per record (a
# person's records carry the same line: 170k distinct in the bench's 1M records), and the
# street-type rewrite is the dearest expression left per record (0.48 s of CPU over 1M).
_BY_VALUE = ("first_name", "last_name", "email", "city", "address_line")


def _standardise_by_value(
    con: duckdb.DuckDBPyConnection,
    cfg,
    typed_from: dict[str, str],
    attributes: dict[str, str],
) -> tuple[str, ...]:
    """For each of :data:`_BY_VALUE` some record carries, a table
    ``_identity_by_value_<attribute>`` (``_typed``: the value as read, the attribute's key,
    ``_display``: its display form); the attributes done so."""
    keys = {
        "first_name": std.name_sql("_typed", cfg),
        "last_name": std.name_sql("_typed", cfg),
        "email": std.email_sql("_typed", cfg),
        "city": std.city_sql("_typed"),
        "address_line": std.address_sql("_typed"),
    }
    done = []
    for name in _BY_VALUE:
        if attributes[name].startswith("null::"):  # no record carries it
            continue
        typed = typed_from.get(name, f"r.raw_{name}")
        display = std.display_sql(name, std.collapse_spaces_sql("_typed"))
        con.execute(f"""
create or replace temp table _identity_by_value_{name} as
select _typed, {name}, case when {name} is not null then {display} end as _display
from (select _typed, {keys[name]} as {name} from (
  select distinct {typed} as _typed from _identity_raw_todo r
  left join _identity_name_split n using (raw_full_name)
  where {typed} is not null))""")
        done.append(name)
    return tuple(done)
