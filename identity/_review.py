"""The stewards' review queue: borderline pairs and guard splits out, decisions back in.

A run scores pairs down to the lower end of the review band (``review.band`` in
config/identity.yml) instead of the match threshold; pairs whose probability falls in the
band are kept in ``identity.review_pairs`` with their top comparisons, and only pairs at or
above the threshold go on to become links. ``export_queue`` writes them, and the pairs the
guards split (``identity.guard_events``), as one CSV with both records side by side; the
steward fills the ``decision`` column and feeds the file back with ``import_decisions``.

Decision CSV format (UTF-8, header row, one decision per line):

- ``decision``: ``must-link`` or ``cannot-link``; empty (or ``skip``) lines are ignored;
- ``record_id_l`` and ``record_id_r`` (or ``a`` and ``b``): record_ids or customer_ids;
- ``decided_by`` and ``reason``: optional when given once for the file (``--by/--reason``).

Any other column (the evidence of the export) is ignored.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from core.warehouse import rows as dict_rows
from core.warehouse import scalar, transaction
from identity import _decisions
from identity._config import SHOWN_ATTRIBUTES, IdentityConfig
from identity._tables import REMOVED, RESCORED
from identity._tables import REVIEW as STAGE

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

_DDL = """create schema if not exists identity;
create table if not exists identity.review_pairs (run_id varchar, record_id_l varchar,
  record_id_r varchar, match_weight double, match_probability double, top_comparisons varchar)"""
SIDE = ("identity_type", "source", *SHOWN_ATTRIBUTES)  # a pair's record in the queue
QUEUE_COLUMNS = (
    "decision",
    "kind",
    "record_id_l",
    "record_id_r",
    "customer_l",
    "customer_r",
    "match_probability",
    "match_weight",
    "evidence",
    *(f"{side}_{c}" for side in ("l", "r") for c in SIDE),
    "decided_by",
    "reason",
)


def scoring_config(config: IdentityConfig) -> IdentityConfig:
    """The config to score with: down to the band's low end, to see borderline pairs."""
    low = min(config.review.band[0], config.match_threshold)
    return config.model_copy(update={"match_threshold": low})


def stage_borderline(con: duckdb.DuckDBPyConnection, scored: str, config: IdentityConfig) -> None:
    """Stage the scored pairs (``scored``: with ``top_comparisons``) in the review band."""
    low, high = config.review.band
    con.execute(f"""create or replace temp table {STAGE} as
select record_id_l, record_id_r, match_weight, match_probability, top_comparisons
from {scored} where match_probability between {low} and {high}""")


def persist_review(con: duckdb.DuckDBPyConnection, run_id: str, mode: str) -> None:
    """Write this run's borderline pairs: replace all (full) or those of re-scored records."""
    con.execute(_DDL)
    con.execute(f"create temp table if not exists {STAGE} ({STAGE.columns})")
    if mode == "full":
        con.execute("delete from identity.review_pairs")
    else:
        # re-scored records' pairs are staged again; a withdrawn record's pairs go, either side
        gone = f"select record_id from {RESCORED} union all select record_id from {REMOVED}"
        con.execute(
            f"delete from identity.review_pairs "
            f"where record_id_l in ({gone}) or record_id_r in ({gone})"
        )
    con.execute(f"insert into identity.review_pairs select '{run_id}', * from {STAGE}")
    con.execute(f"drop table {STAGE}")


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        scalar(
            con,
            "select count(*) from duckdb_tables() where schema_name = 'identity' "
            "and table_name = ?",
            [name],
        )
    )


def queue_rows(con: duckdb.DuckDBPyConnection, read_only: bool = False) -> list[dict]:
    """Borderline pairs and guard splits not yet decided, both records side by side.

    ``read_only`` (a published snapshot): nothing is created; no queue before the first run.
    """
    if read_only:
        if not (_has_table(con, "review_pairs") and _has_table(con, "decisions")):
            return []
    else:
        con.execute(_DDL)
        _decisions.ensure_tables(con)
    guards = ""
    if _has_table(con, "guard_events"):
        guards = """union all
select 'guard:' || event_type, record_id_l, record_id_r, null, null,
  'guard ' || event_type || coalesce(' on ' || identifier_type || ' ' || identifier_value, '')
    || ': ' || coalesce(detail, ''), 2
from identity.guard_events where record_id_l is not null and record_id_r is not null"""
    side = ", ".join(f"{s}.{c} as {s}_{c}" for s in ("l", "r") for c in SIDE)
    return dict_rows(
        con,
        f"""
with items as (
  select 'borderline' as kind, p.record_id_l, p.record_id_r, p.match_probability,
    p.match_weight,
    case when f.conflict is not null then 'refused by conflict ' || f.conflict || '; '
      else '' end || 'top comparisons ' || coalesce(p.top_comparisons, '[]') as evidence,
    1 as part
  from identity.review_pairs p left join identity.refused_links f
    using (record_id_l, record_id_r)
  {guards}
), decided as (
  select a.record_id as x, b.record_id as y from identity.decisions d
  join identity.decision_records a using (decision_id)
  join identity.decision_records b using (decision_id)
  where d.revoked_at is null
)
select '' as decision, i.kind, i.record_id_l, i.record_id_r, ml.customer_id as customer_l,
  mr.customer_id as customer_r, round(i.match_probability, 4) as match_probability,
  round(i.match_weight, 2) as match_weight,
  case when ml.customer_id = mr.customer_id then 'now linked (same customer); '
    else 'now apart; ' end || i.evidence as evidence,
  {side}, '' as decided_by, '' as reason
from items i
join identity.identity_records l on l.record_id = i.record_id_l
join identity.identity_records r on r.record_id = i.record_id_r
join identity.customer_records ml on ml.record_id = i.record_id_l
join identity.customer_records mr on mr.record_id = i.record_id_r
where not exists (select 1 from decided where x = i.record_id_l and y = i.record_id_r)
qualify row_number() over (partition by i.record_id_l, i.record_id_r order by i.part) = 1
order by i.part, abs(coalesce(i.match_probability, 0.5) - 0.5), i.record_id_l, i.record_id_r""",
    )


def export_queue(con: duckdb.DuckDBPyConnection, out: Path) -> int:
    """Write the review queue as CSV; returns the number of pairs."""
    rows = queue_rows(con)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=QUEUE_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    log.info("review queue: %d pairs written to %s", len(rows), out)
    return len(rows)


def import_decisions(
    con: duckdb.DuckDBPyConnection, path: Path, by: str = "", reason: str = ""
) -> list[dict]:
    """Record every decision of a reviewed CSV, all or none; errors name each bad line."""
    if not path.exists():
        raise _decisions.DecisionError(f"{path}: file not found")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = set(reader.fieldnames or [])
        pair = (
            ("record_id_l", "record_id_r")
            if {"record_id_l", "record_id_r"} <= header
            else ("a", "b")
        )
        if "decision" not in header or not set(pair) <= header:
            raise _decisions.DecisionError(
                f"{path}: the header needs columns decision, record_id_l, record_id_r (or a, b)"
                f" and optionally decided_by, reason; it has {sorted(header)}"
            )
        rows = list(enumerate(reader, start=2))
    errors: list[str] = []
    recorded: list[dict] = []
    _decisions.ensure_tables(con)
    with transaction(con):
        for line, row in rows:
            kind = (row.get("decision") or "").strip().lower()
            if kind in ("", "skip"):
                continue
            try:
                recorded.append(
                    _decisions.record_decision(
                        con,
                        kind,
                        row.get(pair[0]) or "",
                        row.get(pair[1]) or "",
                        (row.get("decided_by") or "").strip() or by,
                        (row.get("reason") or "").strip() or reason,
                        origin=f"file:{path.name}:{line}",
                    )
                )
            except _decisions.DecisionError as error:
                errors.append(f"{path}:{line}: {error}")
        if errors:
            raise _decisions.DecisionError(
                f"{len(errors)} invalid line(s), nothing recorded; fix them and re-run:\n"
                + "\n".join(errors)
            )
    return recorded
