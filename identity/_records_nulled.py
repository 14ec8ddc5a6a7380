"""The values standardisation turned into NULL, counted per source, attribute and country
(from two bit masks the run's records carry until they are counted), and a warning for
each: nothing is dropped silently."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.warehouse import rows
from identity._tables import NULLED

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)


_NULL_HINTS = {
    "postcode": "not a {country} postcode: set `country:` on the source (or a `country` "
    "attribute per row)",
    "phone": "not a {country} phone number: set `country:` on the source, or check the column",
    "birth_date": "unparsable, in the future or before the earliest birth date (a source's "
    "`min_birth_date`, standardisation.min_birth_year)",
    "email": "not an e-mail address",
}


def counted_attributes(attributes: list[str]) -> list[str]:
    """The attributes whose nulled values are counted: names come from a split, not from
    one value."""
    return [a for a in attributes if a not in ("first_name", "last_name")]


def mask_sql(counted: list[str], test: str) -> str:
    """An integer whose bit ``i`` says whether ``test`` (``{a}``: the attribute) holds for
    ``counted[i]``."""
    bits = " + ".join(
        f"(case when {test.format(a=a)} then {1 << i} else 0 end)" for i, a in enumerate(counted)
    )
    return f"cast({bits} as integer)"


def count_nulled(con: duckdb.DuckDBPyConnection, counted: list[str], records: str) -> None:
    """Count, per source, attribute and country, the values standardisation turned into
    NULL in ``records`` (into :data:`NULLED`, from its ``_present`` and ``_nulled`` masks
    over ``counted``), and warn about each: nothing is dropped silently."""
    per_attribute = " union all ".join(
        f"select source, identity_type, '{a}' as attribute, country, "
        f"cast(sum(n) filter (where _nulled & {1 << i} <> 0) as bigint) as nulled, "
        f"cast(sum(n) as bigint) as present "
        f"from masks where _present & {1 << i} <> 0 group by all"
        for i, a in enumerate(counted)
    )
    con.execute(f"""
create or replace temp table {NULLED} as
with masks as (  -- a few rows: one per source, country and combination of masks
  select source, identity_type, _country as country, _present, _nulled, count(*) as n
  from {records} where _present <> 0 group by all
)
select * from ({per_attribute}) where nulled > 0
order by source, attribute, country, identity_type""")
    for source, identity_type, attribute, country, nulled, present in con.execute(
        f"select * from {NULLED}"
    ).fetchall():
        hint = _NULL_HINTS.get(attribute, "not in its standard form").format(country=country)
        log.warning(
            "standardisation: %s.%s (%s) %s: %s of %s values nulled, %s",
            source,
            identity_type,
            country,
            attribute,
            f"{nulled:,}",
            f"{present:,}",
            hint,
        )


def standardisation_nulls(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """What the last :func:`extract_records` nulled: source, identity type, attribute,
    country, values nulled and values present (a run summary's ``standardisation_nulled``)."""
    import duckdb

    try:
        return rows(con, f"select * from {NULLED}")
    except duckdb.CatalogException:
        return []
