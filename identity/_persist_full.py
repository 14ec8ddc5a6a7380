"""A full run's writes by key: most of a full run's records, memberships and links are as
stored, so only the rows that differ are deleted and inserted (the whole tables were
rewritten before, about 8 s of CPU at 1M records). Each table is compared with its stored
rows in one join on its key; a stored table whose columns are not the run's (an older
version's) is replaced whole by ``_persist``. Tables of rows with no key (each record's
identifiers, the guards' results) are written by their difference (:func:`replace_rows`);
the memberships are compared only in the clusters whose records changed customer
(:func:`stage_clusters_summed`).

Records and links are compared by a hash of their values (:func:`row_hash_sql`), not column
by column: the join then carries two integers per row instead of every column of both sides
(1M records: 0.7 s instead of 1.1; 1.2M links: 0.65 s instead of 1.4). A changed row whose
64-bit hash happens to equal its stored twin's would be missed: odds of 2^-64 per row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.warehouse import described_columns, one_row, scalar, table_exists
from identity._config import ATTRIBUTES, DISPLAYED
from identity._tables import (
    ASSIGNED,
    CHANGED_CUSTOMERS,
    CHANGED_RECORDS,
    CLUSTERS,
    CUSTOMER_COLUMNS,
    CUSTOMERS_STAGE,
    EDGES,
    ID_OVERLAP,
    LINK_COLUMNS_DDL,
    LINKS_STAGE,
    PREV_MEMBERS_SCOPE,
    RECORD_COLUMNS,
    RECORDS,
    SCOPE_MEMBERS,
)

if TYPE_CHECKING:
    import duckdb


def differ_sql(columns: list[str], new: str = "n", old: str = "p") -> str:
    """True when two rows of one key differ on any of ``columns`` (NULLs equal)."""
    return " or ".join(f"{new}.{c} is distinct from {old}.{c}" for c in columns)


def row_hash_sql(columns: list[str]) -> str:
    """One 64-bit hash of ``columns`` (NULLs hash alike; the order of the columns counts)."""
    return f"hash({', '.join(columns)})"


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
    hashed = (
        f"record_id, {row_hash_sql(columns)} as row_hash, "
        f"{row_hash_sql(GOLDEN_RECORD_COLUMNS)} as golden_hash"
    )
    con.execute(f"""create or replace temp table {RECORDS_DIFFER} as
select coalesce(n.record_id, p.record_id) as record_id,
  n.record_id is null or p.record_id is null or n.golden_hash <> p.golden_hash as golden_changed
from (select {hashed} from {RECORDS}) n
full join (select {hashed} from identity.identity_records) p using (record_id)
where n.record_id is null or p.record_id is null or n.row_hash <> p.row_hash""")
    con.execute(
        f"create or replace temp view {CHANGED_RECORDS} as select record_id from {RECORDS_DIFFER}"
    )


# a customer's columns but its id
CUSTOMER_VALUES = [c.split()[0] for c in CUSTOMER_COLUMNS.split(", ")][1:]


def stage_changed_customers(con: duckdb.DuckDBPyConnection) -> None:
    """A full run's :data:`CHANGED_CUSTOMERS`: the customers whose stored row it changes (new
    ones, or any column different), the only ones it rewrites."""
    con.execute(f"""create or replace temp table _identity_customers_differ as
{changed_rows_sql(CUSTOMERS_STAGE, "identity.customers", "customer_id", CUSTOMER_VALUES)}""")
    con.execute(
        f"create or replace temp view {CHANGED_CUSTOMERS} as "
        "select customer_id from _identity_customers_differ"
    )


_LINK_KEY = ("record_id_l", "record_id_r", "link_type", "rule")  # one pair, several rules
_LINKS_JOINED = "_identity_links_joined"


def stage_links(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """A full run's links, each with the run that first made it: each edge beside its stored
    twin (same records, type and rule), and the stored links no edge holds any more, by row
    (``rowid``) and a hash of their values, so that the write replaces only the links that
    differ (most of a full run's are as stored)."""
    values = [c.split()[0] for c in LINK_COLUMNS_DDL.split(", ") if c.split()[0] not in _LINK_KEY]
    # The key joins as two 64-bit hashes computed apart (each column's hash combined, and the
    # hash of the columns' text joined), not as its four strings: a join on integers (1.2M
    # links: 0.8 s of CPU instead of 1.0). Two keys pair wrongly only if both hashes agree:
    # odds of about 2^-128 per pair of links.
    key = ", ".join(_LINK_KEY)
    keyed = (
        f"{row_hash_sql(list(_LINK_KEY))} as key_hash, hash(concat_ws('|', {key})) as key_check, "
        f"{row_hash_sql(values)} as value_hash"
    )
    # the rows' ids hold within the write's transaction, which alone writes identity.links
    con.execute(f"""create or replace temp table {_LINKS_JOINED} as
select e.rowid as edge_row, p.rowid as stored_row, coalesce(p.run_id, '{run_id}') as run_id,
  e.rowid is not null and p.rowid is not null and e.value_hash = p.value_hash as as_stored
from (select rowid, {keyed} from {EDGES}) e
full join (select rowid, run_id, {keyed} from identity.links) p using (key_hash, key_check)""")
    con.execute(
        f"create or replace temp view {LINKS_STAGE} as select j.run_id, e.* "
        f"from {EDGES} e join {_LINKS_JOINED} j on j.edge_row = e.rowid"
    )


def replace_links(con: duckdb.DuckDBPyConnection) -> None:
    """identity.links after a full run: the stored links that differ from the run's (or that
    it no longer makes) deleted, the run's that differ inserted."""
    con.execute(f"""delete from identity.links where rowid in (
  select stored_row from {_LINKS_JOINED} where stored_row is not null and not as_stored)""")
    con.execute(
        f"insert into identity.links by name select j.run_id, e.* from {EDGES} e "
        f"join {_LINKS_JOINED} j on j.edge_row = e.rowid where not j.as_stored"
    )


def links_by_key(con: duckdb.DuckDBPyConnection) -> bool:
    """True when identity.links has the columns the run's links have (an older version's
    table is replaced whole)."""
    return described_columns(con, "identity.links") == described_columns(
        con, f"select ''::varchar as run_id, * from {EDGES}"
    )


CLUSTERS_SUMMED = "_identity_clusters_summed"


def stage_clusters_summed(con: duckdb.DuckDBPyConnection) -> None:
    """Each cluster of a full run with its customer, whether all its records are anonymous,
    and whether any record changed customer: what a full run's customers
    (``_persist._stage_customers``) and its membership write (:func:`replace_members`) read.
    A cluster keeps its records' customer exactly when it holds its keeper's records alone,
    as many as it has (counted in ID_OVERLAP; a new id was never issued before), so the
    records' memberships are compared only in the clusters that changed. (A full run
    re-clusters every present record and no other: each cluster has some.)"""
    con.execute(f"""create or replace temp table {CLUSTERS_SUMMED} as
with anonymous as (
  select cluster_id, bool_and(r.is_anonymous) as is_anonymous
  from {CLUSTERS} c join {RECORDS} r using (record_id) group by cluster_id
)
select a.cluster_id, a.customer_id, n.is_anonymous,
  a.keeper is null or coalesce(o.n, 0) < a.record_count as changed
from {ASSIGNED} a join anonymous n using (cluster_id)
left join {ID_OVERLAP} o on o.cluster_id = a.cluster_id and o.customer_id = a.keeper""")


def replace_members(con: duckdb.DuckDBPyConnection, rows: str, run_id: str) -> None:
    """identity.customer_records after a full run: the rows of the records whose customer
    changed, or that came or went, replaced; every row carries the run's id. (A row's type
    and source key are its record id's two parts: they change only with it.)"""
    # the records of the changed clusters whose stored customer (if any) is not the new one
    differ = f"""select c.record_id from {CLUSTERS} c
join (select cluster_id, customer_id from {CLUSTERS_SUMMED} where changed) a using (cluster_id)
left join {PREV_MEMBERS_SCOPE} p using (record_id)
where p.customer_id is distinct from a.customer_id"""
    stored, compared = one_row(
        con,
        "select (select count(*) from identity.customer_records), "
        f"(select coalesce(sum(n), 0) from {ID_OVERLAP})",
    )
    if stored != compared:  # stored rows of records the run did not re-cluster: gone
        differ += (
            "\nunion all select record_id from identity.customer_records "
            f"anti join {SCOPE_MEMBERS} using (record_id)"
        )
    con.execute(f"create or replace temp table _identity_members_differ as {differ}")
    con.execute(
        "delete from identity.customer_records "
        "where record_id in (select record_id from _identity_members_differ)"
    )
    con.execute(f"update identity.customer_records set run_id = '{run_id}'")
    con.execute(
        f"insert into identity.customer_records by name select * from ({rows}) "
        "where record_id in (select record_id from _identity_members_differ)"
    )


def _is_temp_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when ``name`` is a temporary table (whose rows have ids), not a view."""
    sql = "select count(*) from duckdb_tables() where temporary and table_name = ?"
    return scalar(con, sql, [name]) > 0


def replace_rows(con: duckdb.DuckDBPyConnection, table: str, rows: str) -> bool:
    """Make ``table`` hold exactly the rows of the temporary table ``rows`` (rows with no
    key, e.g. each record's identifiers) by their difference: the stored rows no longer there
    deleted, the new ones inserted, found in one join on every column (most of a full run's
    rows are as stored; a rewrite compressed every row again). False, and nothing written,
    when the stored table is missing or has other columns, or when a row held several times
    on both sides would be paired copy by copy: the caller replaces the table whole."""
    schema, name = table.split(".")
    if not table_exists(con, schema, name) or not _is_temp_table(con, rows):
        return False
    columns = described_columns(con, rows)
    if described_columns(con, table) != columns:
        return False
    names = ", ".join(column for column, _ in columns)
    # NULLs never join: such a row is deleted and inserted again, which leaves it as it was
    con.execute(f"""create or replace temp table _identity_rows_paired as
select o.rowid as stored_row, n.rowid as new_row
from (select rowid, {names} from {table}) o full join (select rowid, {names} from {rows}) n
  using ({names})""")
    stored, new, paired, only_stored, only_new = one_row(
        con,
        f"""select (select count(*) from {table}), (select count(*) from {rows}),
  count(*) filter (where stored_row is not null and new_row is not null),
  count(*) filter (where new_row is null), count(*) filter (where stored_row is null)
from _identity_rows_paired""",
    )
    # one pair per stored row and per new row exactly when no row held twice was paired (a
    # row stored a times and new b times gives a * b pairs of a + b rows)
    if paired != stored - only_stored or paired != new - only_new:
        return False
    if only_stored:
        con.execute(
            f"delete from {table} where rowid in "
            "(select stored_row from _identity_rows_paired where new_row is null)"
        )
    if only_new:
        con.execute(
            f"insert into {table} select * from {rows} where rowid in "
            "(select new_row from _identity_rows_paired where stored_row is null)"
        )
    return True
