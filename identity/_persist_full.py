"""A full run's writes by key: most of a full run's records, memberships and links are as
stored, so only the rows that differ are deleted and inserted (the whole tables were
rewritten before, about 8 s of CPU at 1M records). Each table is compared with its stored
rows in one join on its key; a stored table whose columns are not the run's (an older
version's) is replaced whole by ``_persist``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.warehouse import described_columns
from identity._config import ATTRIBUTES, DISPLAYED
from identity._tables import (
    CHANGED_RECORDS,
    EDGES,
    LINK_COLUMNS_DDL,
    LINKS_STAGE,
    RECORD_COLUMNS,
    RECORDS,
)

if TYPE_CHECKING:
    import duckdb


def differ_sql(columns: list[str], new: str = "n", old: str = "p") -> str:
    """True when two rows of one key differ on any of ``columns`` (NULLs equal)."""
    return " or ".join(f"{new}.{c} is distinct from {old}.{c}" for c in columns)


def changed_rows_sql(new: str, old: str, key: str, columns: list[str], where: str = "") -> str:
    """The keys whose row is in one of ``new`` and ``old`` only, or differs on ``columns``:
    one join on the key (the rows' EXCEPTs both ways read and hashed every column twice)."""
    return f"""select coalesce(n.{key}, p.{key}) as {key}
  from (select * from {new} {where}) n full join (select * from {old} {where}) p using ({key})
  where n.{key} is null or p.{key} is null or {differ_sql(columns)}"""


# what golden records read of a record
GOLDEN_RECORD_COLUMNS = [
    "identity_type",
    *ATTRIBUTES,
    *(f"{a}_display" for a in DISPLAYED),
    "last_seen_at",
]
RECORDS_DIFFER = "_identity_records_differ"


def stage_changed_records(con: duckdb.DuckDBPyConnection) -> None:
    """A full run's :data:`CHANGED_RECORDS`: the records whose stored row it changes (new,
    removed, or any column different), each flagged when a column golden records read
    changed. Most of a full run's records are as stored: only those rows are rewritten."""
    columns = [c.split()[0] for c in RECORD_COLUMNS.split(", ")][1:]
    golden = differ_sql(GOLDEN_RECORD_COLUMNS)
    con.execute(f"""create or replace temp table {RECORDS_DIFFER} as
select coalesce(n.record_id, p.record_id) as record_id,
  n.record_id is null or p.record_id is null or {golden} as golden_changed
from {RECORDS} n full join identity.identity_records p using (record_id)
where n.record_id is null or p.record_id is null or {differ_sql(columns)}""")
    con.execute(
        f"create or replace temp view {CHANGED_RECORDS} as select record_id from {RECORDS_DIFFER}"
    )


_LINK_KEY = ("record_id_l", "record_id_r", "link_type", "rule")  # one pair, several rules
_LINKS_JOINED = "_identity_links_joined"
# the columns stage_links adds beside a link: whether the run holds it, whether it is as
# stored, and its stored twin's key
_LINK_FLAGS = ", ".join(["_is_edge", "_as_stored", *(f"_stored_{c}" for c in _LINK_KEY)])


def stage_links(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """A full run's links, each with the run that first made it, beside its stored twin (same
    records, type and rule) and the stored links no edge holds any more: the write replaces
    only the links that differ (most of a full run's are as stored)."""
    on = " and ".join(f"p.{c} is not distinct from e.{c}" for c in _LINK_KEY)
    values = [c.split()[0] for c in LINK_COLUMNS_DDL.split(", ") if c.split()[0] not in _LINK_KEY]
    same = " and ".join(f"p.{c} is not distinct from e.{c}" for c in values)
    con.execute(f"""create or replace temp table {_LINKS_JOINED} as
select coalesce(p.run_id, '{run_id}') as run_id, e.*, e.record_id_l is not null as _is_edge,
  e.record_id_l is not null and p.record_id_l is not null and {same} as _as_stored,
  {", ".join(f"p.{c} as _stored_{c}" for c in _LINK_KEY)}
from {EDGES} e full join identity.links p on {on}""")
    con.execute(
        f"create or replace temp view {LINKS_STAGE} as "
        f"select * exclude ({_LINK_FLAGS}) from {_LINKS_JOINED} where _is_edge"
    )


def replace_links(con: duckdb.DuckDBPyConnection) -> None:
    """identity.links after a full run: the stored links that differ from the run's (or that
    it no longer makes) deleted, the run's that differ inserted."""
    on = " and ".join(f"l.{c} is not distinct from d._stored_{c}" for c in _LINK_KEY)
    con.execute(f"""delete from identity.links l using (
  select {", ".join(f"_stored_{c}" for c in _LINK_KEY)} from {_LINKS_JOINED}
  where _stored_record_id_l is not null and not _as_stored) d
where {on}""")
    con.execute(
        f"insert into identity.links by name select * exclude ({_LINK_FLAGS}) from {_LINKS_JOINED} "
        "where _is_edge and not _as_stored"
    )


def links_by_key(con: duckdb.DuckDBPyConnection) -> bool:
    """True when identity.links has the columns the run's links have (an older version's
    table is replaced whole)."""
    return described_columns(con, "identity.links") == described_columns(
        con, f"select ''::varchar as run_id, * from {EDGES}"
    )


def replace_members(con: duckdb.DuckDBPyConnection, rows: str, run_id: str) -> None:
    """identity.customer_records after a full run: the rows of the records whose customer
    (or key) changed, or that came or went, replaced; every row carries the run's id."""
    compared = [c for c, _ in described_columns(con, rows) if c not in ("record_id", "run_id")]
    con.execute(f"""create or replace temp table _identity_members_differ as
{changed_rows_sql(f"({rows})", "identity.customer_records", "record_id", compared)}""")
    con.execute(
        "delete from identity.customer_records "
        "where record_id in (select record_id from _identity_members_differ)"
    )
    con.execute(f"update identity.customer_records set run_id = '{run_id}'")
    con.execute(
        f"insert into identity.customer_records by name select * from ({rows}) "
        "where record_id in (select record_id from _identity_members_differ)"
    )
