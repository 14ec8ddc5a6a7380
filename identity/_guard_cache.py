"""The guards' results kept between runs: an incremental run guards again only the values its
new, changed or removed records hold.

Every guard decides about one identifier value from that value's holders alone: how many
records hold it, the people they look like, whether two of them contradict each other, which
record owns it (``_guards``). A value none of whose holders changed since the last run
therefore keeps the last run's results. They are stored, per value, in
``identity.guard_blocked`` (blocked values), ``identity.guard_refused`` (holders refused by
their one-person identifier's owner) and ``identity.guard_shared`` (holders of the e-mails
and phones that link), written in the run's transaction, with a hash of what decides them
(the guards' configuration and their SQL, the deterministic links' SQL) in
``identity.guard_state``: a changed guard, a full run or a missing state guards every value.
The deterministic links of the values not guarded again are the stored ones
(``identity.links``): their holders are the same, so are their links.

An erasure empties these tables (:func:`clear`): the values of a forgotten person must not
survive in them, and a shared value's results without one of its holders would be wrong.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.warehouse import scalar, table_exists, temp_relations
from identity import _persist_full
from identity._tables import (
    BLOCKED,
    GUARD_CHANGED_VALUES,
    GUARD_REFUSED,
    PREV_RECORDS,
    RECORDS,
    REMOVED,
    RESTANDARDISED,
    SHARED_CONTACTS,
    STRONG_IDS,
    Relation,
)

if TYPE_CHECKING:
    import duckdb

    from identity._config import IdentityConfig

log = logging.getLogger(__name__)

STATE = "identity.guard_state"


@dataclass(frozen=True)
class Kept:
    """How one guard result is kept between runs: the stored table's columns, the run's
    relation it keeps, and the stored columns as that relation names them. ``guarded``:
    the name the run's own rows take after an incremental guard, when the relation becomes
    a view adding the stored rows of the values not guarded again (many rows: copying them
    cost more than reading them where needed); None: those stored rows are copied in."""

    columns: str
    relation: Relation
    read_back: str = "*"
    guarded: str | None = None


# after an incremental guard: the run's own shared contacts' holders (those of the values
# guarded again), and the link ids of the values guarded again (``_guards.apply``)
GUARDED_SHARED = "_identity_shared_contacts_guarded"
GUARDED_LINK_IDS = "_identity_link_ids_guarded"
TABLES = {
    "identity.guard_blocked": Kept(BLOCKED.columns, BLOCKED),
    "identity.guard_refused": Kept(
        # ``record_id_owner``: erasure finds record ids by the column's name
        "record_id_owner varchar, record_id varchar, identifier_type varchar, "
        "identifier_value varchar",
        GUARD_REFUSED,
        "record_id_owner as owner, record_id, identifier_type, identifier_value",
    ),
    "identity.guard_shared": Kept(SHARED_CONTACTS.columns, SHARED_CONTACTS, guarded=GUARDED_SHARED),
}
_VALUE = "identifier_type, identifier_value"


def guards_hash(config: IdentityConfig) -> str:
    """What decides the guards' results: their configuration, the SQL of their rules (the
    ``_guards``, ``_guard_contacts`` and ``_same_person`` modules, what they read of
    ``_model``) and of the deterministic links."""
    from identity import _guard_contacts, _guards, _links, _same_person

    described = {
        "guards": config.guards.model_dump(mode="json"),
        "code": [inspect.getsource(m) for m in (_guards, _guard_contacts, _same_person)],
        "named": _guard_contacts.named_by_value_sql(),
        "owner": _guards._owner_conflict_sql(config),
        "links": _links.deterministic_links_sql(),
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


def _stored_hash(con: duckdb.DuckDBPyConnection) -> str | None:
    if not all(table_exists(con, *t.split(".")) for t in (STATE, *TABLES)):
        return None
    return scalar(con, f"select any_value(guards_hash) from {STATE}")


def changed_values_filter(con: duckdb.DuckDBPyConnection, config: IdentityConfig) -> str:
    """A filter (a semi join) keeping the values to guard again, after building
    :data:`GUARD_CHANGED_VALUES`; empty when every value must be guarded (no stored results,
    other guards, or records not read incrementally)."""
    present = temp_relations(con)
    if RESTANDARDISED not in present or PREV_RECORDS not in present:
        return ""
    try:
        wanted = guards_hash(config)
    except OSError:  # no source to hash (a frozen install): guard every value
        return ""
    if _stored_hash(con) != wanted:
        log.info("guards changed or not stored yet: guarding every identifier value")
        return ""
    # the records whose identifiers may have changed: new, changed and removed ones; the
    # values they hold now, and the values they held at the last run
    removed = (  # listed after the extraction (``_scoring.changed_records``)
        f"select record_id from {REMOVED}"
        if REMOVED in present
        else f"select record_id from {PREV_RECORDS} anti join {RECORDS} using (record_id)"
    )
    con.execute(f"""
create or replace temp table _identity_guard_changed_records as
select record_id from {RESTANDARDISED}
union all
{removed}""")
    # Which of them have stored rows, found on the id alone: the stored values are read for
    # those only (a semi join on every changed id decompressed nearly every vector of the
    # stored tables, a new id's bloom filter hitting them, to find nothing for new records).
    for stored, table in (("records", "identity_records"), ("ids", "record_identifiers")):
        con.execute(
            f"create or replace temp table _identity_guard_stored_{stored} as select record_id "
            f"from _identity_guard_changed_records semi join identity.{table} using (record_id)"
        )
    con.execute(f"""
create or replace temp table {GUARD_CHANGED_VALUES} as
with held as (  -- each table read once for both attributes
  select email, phone from {RECORDS} semi join _identity_guard_changed_records using (record_id)
  union all
  select email, phone from identity.identity_records
  semi join _identity_guard_stored_records using (record_id)
)
select 'email' as identifier_type, email as identifier_value from held where email is not null
union select 'phone', phone from held where phone is not null
union select {_VALUE} from {STRONG_IDS} semi join _identity_guard_changed_records using (record_id)
union select {_VALUE} from identity.record_identifiers
  semi join _identity_guard_stored_ids using (record_id)""")
    for table in ("changed_records", "stored_records", "stored_ids"):
        con.execute(f"drop table _identity_guard_{table}")
    log.info(
        "guards: %d identifier values guarded again, the others as at the last run",
        scalar(con, f"select count(*) from {GUARD_CHANGED_VALUES}"),
    )
    return changed_values_join()


def changed_values_join() -> str:
    """A semi join keeping the rows of the values guarded again."""
    return f"semi join {GUARD_CHANGED_VALUES} using ({_VALUE})"


def forget_changed_values(con: duckdb.DuckDBPyConnection) -> None:
    """Every value is guarded this run: no changed-values table to mislead a later stage."""
    con.execute(f"drop table if exists {GUARD_CHANGED_VALUES}")


def incremental(con: duckdb.DuckDBPyConnection) -> bool:
    """True when this run's guards ran only over :data:`GUARD_CHANGED_VALUES`."""
    return GUARD_CHANGED_VALUES in temp_relations(con)


def add_unchanged(con: duckdb.DuckDBPyConnection) -> None:
    """The stored results of the values not guarded again, beside this run's, each kept as
    its :data:`TABLES` entry says: copied in (the blocked values and refused holders, a few
    rows), or a view adding them to this run's rows (the shared contacts' holders: most
    e-mails and phones), which the run's write leaves the same (it replaces the stored rows
    of the values guarded again only)."""
    for table, kept in TABLES.items():
        unchanged = _unchanged_sql(table, kept.read_back)
        if kept.guarded is None:
            con.execute(f"insert into {kept.relation} {unchanged}")
            continue
        con.execute(f"drop table if exists {kept.guarded}")
        con.execute(f"alter table {kept.relation} rename to {kept.guarded}")
        con.execute(
            f"create temp view {kept.relation} as select * from {kept.guarded} "
            f"union all {unchanged}"
        )


def _unchanged_sql(table: str, columns: str = "*") -> str:
    """The stored rows of ``table`` of the values not guarded again."""
    return f"select {columns} from {table} anti join {GUARD_CHANGED_VALUES} using ({_VALUE})"


def unchanged_shared_sql() -> str:
    """The stored shared contacts' holders of the values not guarded again."""
    return _unchanged_sql("identity.guard_shared")


def unchanged_links_sql(link_columns: str, links: str = "identity.links") -> str:
    """The stored deterministic links of the values not guarded again (their holders, so
    their anchor, are the last run's; ``_links.deterministic_links_sql`` made them);
    ``links``: the stored links to read (a filtered part of them)."""
    return f"""
select {link_columns} from {links} anti join (
  select 'same_' || identifier_type as rule,
    json_object(identifier_type, identifier_value)::varchar as top_comparisons
  from {GUARD_CHANGED_VALUES}
) using (rule, top_comparisons)
where link_type = 'deterministic'"""


def save(con: duckdb.DuckDBPyConnection, config: IdentityConfig) -> None:
    """Store this run's guard results (inside the run's transaction): the changed values'
    rows after an incremental guard, every table whole otherwise."""
    try:
        wanted = guards_hash(config)
    except OSError:
        clear(con)
        return
    if incremental(con):
        for table, kept in TABLES.items():
            con.execute(
                f"delete from {table} t using {GUARD_CHANGED_VALUES} c "
                "where t.identifier_type = c.identifier_type "
                "and t.identifier_value = c.identifier_value"
            )
            con.execute(
                f"insert into {table} select * from {kept.guarded or kept.relation} "
                f"semi join {GUARD_CHANGED_VALUES} using ({_VALUE})"
            )
    else:
        for table, kept in TABLES.items():
            # a full run's results are mostly the stored ones: written by their difference
            if not _persist_full.replace_rows(con, table, kept.relation):
                con.execute(f"create or replace table {table} ({kept.columns})")
                con.execute(f"insert into {table} select * from {kept.relation}")
    con.execute(f"create or replace table {STATE} as select '{wanted}' as guards_hash")


def clear(con: duckdb.DuckDBPyConnection) -> None:
    """Empty the stored guard results (an erasure): the next run guards every value. The
    tables stay (empty): the erasure goes on to scan every table it listed."""
    for table in (STATE, *TABLES):
        if table_exists(con, *table.split(".")):
            con.execute(f"delete from {table}")
