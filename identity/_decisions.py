"""Data stewards' decisions: must-link and cannot-link, with who, when and why.

A decision names two subjects, each an identity record (``record_id``) or a customer
(``customer_id``, aliases followed). The records each side covers are resolved when the
decision is taken and stored in ``identity.decision_records``, so the decision survives any
later change of customer ids, re-run, retraining or full re-resolution. Every run:

- must-link decisions become ``decision`` edges (:func:`must_link_edges_sql`) joining all the
  records of both sides; clustering never cuts them;
- cannot-link decisions become rows of ``_identity_constraints`` (:func:`add_cannot_links`):
  no record of one side may end in the same customer as a record of the other (the
  constrained clustering of identity/_cluster.py refuses the weakest links between them);
- records of decisions taken or revoked since the last run are re-scored, so an incremental
  run re-clusters the customers they touch.

A revoked decision stays in the table (``revoked_at``/``revoked_by``) for the audit trail.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from core.warehouse import rows
from identity._tables import CONSTRAINTS, RECORDS

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

KINDS = ("must_link", "cannot_link")
# Column names follow privacy/person.py so `cdp privacy forget` erases them.
_DDL = """
create schema if not exists identity;
create table if not exists identity.decisions (decision_id varchar, decision varchar,
  record_id_l varchar, left_customer_id varchar, record_id_r varchar, right_customer_id varchar,
  decided_by varchar, decided_at timestamp, reason varchar, origin varchar,
  revoked_by varchar, revoked_at timestamp, revoke_reason varchar);
create table if not exists identity.decision_records (decision_id varchar, side varchar,
  record_id varchar);
"""
_ACTIVE = "select * from identity.decisions where revoked_at is null"


class DecisionError(ValueError):
    """A decision cannot be recorded or revoked; the message says why and what to do."""


@dataclass(frozen=True)
class Subject:
    """One side of a decision: what the steward gave, and the records it covers now."""

    given: str
    record_id: str | None
    customer_id: str
    record_ids: tuple[str, ...]


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the decision tables if missing."""
    con.execute(_DDL)


def _subject(con: duckdb.DuckDBPyConnection, given: str) -> Subject:
    row = con.execute(
        "select customer_id from identity.customer_records where record_id = ?", [given]
    ).fetchone()
    if row:
        return Subject(given, given, row[0], (given,))
    row = con.execute(
        """select customer_id from identity.customers where customer_id = $k and is_active
union select customer_id from identity.customer_aliases where retired_customer_id = $k""",
        {"k": given},
    ).fetchone()
    if not row:
        raise DecisionError(
            f"{given!r} is neither a record_id of identity.customer_records nor a customer_id "
            "(or alias) of identity.customers; find ids with `cdp identity explain <email>` "
            "and run `cdp identity resolve` first if the record is new"
        )
    records = con.execute(
        "select record_id from identity.customer_records where customer_id = ? order by 1",
        [row[0]],
    ).fetchall()
    return Subject(given, None, row[0], tuple(r[0] for r in records))


def _conflict(con: duckdb.DuckDBPyConnection, kind: str, left: Subject, right: Subject) -> str:
    """The id of an active decision this one contradicts, or ''."""
    con.execute("create or replace temp table _decision_l (record_id varchar)")
    con.execute("create or replace temp table _decision_r (record_id varchar)")
    con.executemany("insert into _decision_l values (?)", [[r] for r in left.record_ids])
    con.executemany("insert into _decision_r values (?)", [[r] for r in right.record_ids])
    if kind == "must_link":  # a cannot-link between any two records this would join
        sql = f"""select d.decision_id from ({_ACTIVE}) d
join identity.decision_records a on a.decision_id = d.decision_id and a.side = 'l'
join identity.decision_records b on b.decision_id = d.decision_id and b.side = 'r'
where d.decision = 'cannot_link'
  and a.record_id in (select * from _decision_l union select * from _decision_r)
  and b.record_id in (select * from _decision_l union select * from _decision_r) limit 1"""
    else:  # a must-link already joining a record of each side
        sql = f"""select d.decision_id from ({_ACTIVE}) d
join identity.decision_records a on a.decision_id = d.decision_id
join identity.decision_records b on b.decision_id = d.decision_id
where d.decision = 'must_link' and a.record_id in (select * from _decision_l)
  and b.record_id in (select * from _decision_r) limit 1"""
    row = con.execute(sql).fetchone()
    con.execute("drop table _decision_l; drop table _decision_r")
    return row[0] if row else ""


def record_decision(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    a: str,
    b: str,
    by: str,
    reason: str,
    origin: str = "cli",
) -> dict:
    """Validate and store one decision; returns it as a dict. Raises DecisionError."""
    given, kind = kind, kind.replace("-", "_").strip().lower()
    if kind not in KINDS:
        raise DecisionError(f"decision {given!r} unknown: use must-link or cannot-link")
    if not by.strip() or not reason.strip():
        raise DecisionError("a decision needs who took it (--by) and why (--reason)")
    ensure_tables(con)
    left, right = _subject(con, a.strip()), _subject(con, b.strip())
    overlap = set(left.record_ids) & set(right.record_ids)
    if overlap:
        raise DecisionError(
            f"{a!r} and {b!r} cover the same records ({sorted(overlap)[:3]}): a decision joins "
            "or separates two different records or customers"
        )
    clash = _conflict(con, kind, left, right)
    if clash:
        raise DecisionError(
            f"{kind} {a!r} / {b!r} contradicts active decision {clash}; revoke it first "
            f"(`cdp identity decide revoke {clash} --by NAME --reason TEXT`)"
        )
    decision_id = "D" + uuid.uuid4().hex[:12].upper()
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        "insert into identity.decisions values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, null, null)",
        [
            decision_id,
            kind,
            left.record_id,
            left.customer_id,
            right.record_id,
            right.customer_id,
            by.strip(),
            now,
            reason.strip(),
            origin,
        ],
    )
    con.executemany(
        "insert into identity.decision_records values (?, ?, ?)",
        [[decision_id, "l", r] for r in left.record_ids]
        + [[decision_id, "r", r] for r in right.record_ids],
    )
    log.info("decision %s: %s %s / %s by %s", decision_id, kind, a, b, by)
    return {
        "decision_id": decision_id,
        "decision": kind,
        "left": a,
        "right": b,
        "records_l": len(left.record_ids),
        "records_r": len(right.record_ids),
        "decided_by": by.strip(),
        "decided_at": now,
    }


def revoke(con: duckdb.DuckDBPyConnection, decision_id: str, by: str, reason: str) -> None:
    """Mark an active decision revoked (kept for the audit trail). Raises DecisionError."""
    ensure_tables(con)
    found = con.execute(
        "select revoked_at from identity.decisions where decision_id = ?", [decision_id]
    ).fetchone()
    if not found:
        raise DecisionError(
            f"no decision {decision_id!r}; list them with `cdp identity decide list`"
        )
    if found[0] is not None:
        raise DecisionError(f"decision {decision_id} was already revoked at {found[0]}")
    if not by.strip() or not reason.strip():
        raise DecisionError("revoking needs who (--by) and why (--reason)")
    con.execute(
        "update identity.decisions set revoked_by = ?, revoked_at = ?, revoke_reason = ? "
        "where decision_id = ?",
        [by.strip(), datetime.now(UTC).replace(tzinfo=None), reason.strip(), decision_id],
    )


def list_decisions(con: duckdb.DuckDBPyConnection, include_revoked: bool = False) -> list[dict]:
    """Decisions, newest first, with how many records each side covers."""
    ensure_tables(con)
    where = "" if include_revoked else "where d.revoked_at is null"
    return rows(
        con,
        f"""select d.*,
  count(*) filter (where r.side = 'l') as records_l, count(*) filter (where r.side = 'r')
    as records_r
from identity.decisions d left join identity.decision_records r using (decision_id)
{where} group by all order by d.decided_at desc""",
    )


def must_link_edges_sql() -> str:
    """`decision` edges (LINK_COLUMNS shape): each must-link's records to its smallest one."""
    return f"""
with covered as (
  select d.decision_id, d.decided_by, d.reason, r.record_id
  from ({_ACTIVE}) d join identity.decision_records r using (decision_id)
  where d.decision = 'must_link' and r.record_id in (select record_id from {RECORDS})
), anchored as (
  select *, min(record_id) over (partition by decision_id) as anchor from covered
)
select anchor as record_id_l, record_id as record_id_r, 'decision' as link_type,
  'must_link ' || decision_id as rule, null::double as match_weight,
  1.0::double as match_probability,
  json_object('decision_id', decision_id, 'by', decided_by, 'reason', reason)::varchar
    as top_comparisons
from anchored where record_id <> anchor"""


def add_cannot_links(con: duckdb.DuckDBPyConnection) -> int:
    """Insert every active cannot-link's record pairs into :data:`CONSTRAINTS`."""
    con.execute(f"create temp table if not exists {CONSTRAINTS} ({CONSTRAINTS.columns})")
    con.execute(f"""insert into {CONSTRAINTS}
select least(a.record_id, b.record_id), greatest(a.record_id, b.record_id), 'decision',
  d.decision_id || ' by ' || d.decided_by || ': ' || d.reason
from ({_ACTIVE}) d
join identity.decision_records a on a.decision_id = d.decision_id and a.side = 'l'
join identity.decision_records b on b.decision_id = d.decision_id and b.side = 'r'
where d.decision = 'cannot_link'
  and a.record_id in (select record_id from {RECORDS})
  and b.record_id in (select record_id from {RECORDS})""")
    return con.execute(
        f"select count(*) from {CONSTRAINTS} where constraint_source = 'decision'"
    ).fetchall()[0][0]


def changed_since_last_run_sql() -> str:
    """Records of decisions taken or revoked since the last committed run: to re-cluster."""
    last = "(select coalesce(max(started_at), '-infinity'::timestamp) from identity.runs)"
    return f"""select r.record_id from identity.decisions d
join identity.decision_records r using (decision_id)
where d.decided_at >= {last} or d.revoked_at >= {last}"""
