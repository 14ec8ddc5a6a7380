"""The stability gate: how much a run changes customer ids, and a ceiling on it.

Computed after clustering and id assignment, before anything is written: the share of the
records the previous run knew (and that still exist) whose customer_id changes, and the
number of merges, splits, new and retired customers. A run above the configured ceiling
(``stability`` in config/identity.yml, one value for incremental and one for full runs)
raises :class:`ChurnGateError` and writes nothing but its row in ``identity.run_stability``
(``gate = 'failed'``), unless approved (``approve_churn``). The first run always passes.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core.warehouse import one_row, rows
from identity._config import IdentityConfig
from identity._tables import (
    ASSIGNED,
    ID_EVENTS,
    ID_OVERLAP,
    PREV_MEMBERS,
    PREV_MEMBERS_SCOPE,
    REMOVED,
)

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

_DDL = """create schema if not exists identity;
create table if not exists identity.run_stability (run_id varchar, mode varchar,
  computed_at timestamp, previous_records bigint, changed_records bigint, changed_share double,
  ceiling double, merges bigint, splits bigint, new_customers bigint, retired_customers bigint,
  gate varchar, approved boolean)"""


class ChurnGateError(RuntimeError):
    """A run would change more customer ids than the configured ceiling allows."""

    def __init__(self, message: str, metrics: dict[str, Any]) -> None:
        super().__init__(message)
        self.metrics = metrics


def compute(con: duckdb.DuckDBPyConnection, run_id: str, mode: str, config: IdentityConfig):
    """Churn of this run against the previous state (temp tables of the run in progress)."""
    # the previous run's records still present: on an incremental run all but the removed
    known = (
        f"select count(*) from {PREV_MEMBERS} anti join {REMOVED} using (record_id)"
        if mode == "incremental"
        else f"select count(*) from {PREV_MEMBERS_SCOPE}"
    )
    row = one_row(
        con,
        f"""
-- only re-clustered records can change customer (all present records on a full run): those
-- a cluster shares with a previous customer whose id it does not take
select ({known}),
  (select coalesce(sum(o.n), 0) from {ID_OVERLAP} o join {ASSIGNED} a using (cluster_id)
   where a.customer_id <> o.customer_id),
  (select count(*) from {ID_EVENTS} where event = 'merged'),
  (select count(distinct customer_id) from {ID_EVENTS} where event = 'split'),
  (select count(*) from {ID_EVENTS} where event = 'created'),
  (select count(*) from {ID_EVENTS} where event = 'retired')""",
    )
    previous, changed = row[0], row[1]
    ceiling = (
        config.stability.max_changed_share_incremental
        if mode == "incremental"
        else config.stability.max_changed_share_full
    )
    return {
        "run_id": run_id,
        "mode": mode,
        "previous_records": previous,
        "changed_records": changed,
        "changed_share": round(changed / previous, 6) if previous else 0.0,
        "ceiling": ceiling,
        "merges": row[2],
        "splits": row[3],
        "new_customers": row[4],
        "retired_customers": row[5],
    }


def record(con: duckdb.DuckDBPyConnection, metrics: dict[str, Any], gate: str, approved: bool):
    """Append the run's row to identity.run_stability."""
    con.execute(_DDL)
    con.execute(
        "insert into identity.run_stability by name select ? as run_id, ? as mode, "
        "?::timestamp as computed_at, ? as previous_records, ? as changed_records, "
        "? as changed_share, ? as ceiling, ? as merges, ? as splits, ? as new_customers, "
        "? as retired_customers, ? as gate, ? as approved",
        [
            metrics["run_id"],
            metrics["mode"],
            datetime.now(UTC).replace(tzinfo=None),
            metrics["previous_records"],
            metrics["changed_records"],
            metrics["changed_share"],
            metrics["ceiling"],
            metrics["merges"],
            metrics["splits"],
            metrics["new_customers"],
            metrics["retired_customers"],
            gate,
            approved,
        ],
    )


def gate(con: duckdb.DuckDBPyConnection, metrics: dict[str, Any], approve_churn: bool) -> str:
    """Pass, pass as approved, or record the failure and raise ChurnGateError."""
    over = metrics["previous_records"] > 0 and metrics["changed_share"] > metrics["ceiling"]
    if not over:
        return "passed"
    if approve_churn:
        log.warning(
            "run %s changes %.2f%% of customer ids (ceiling %.2f%%): approved, going ahead",
            metrics["run_id"],
            100 * metrics["changed_share"],
            100 * metrics["ceiling"],
        )
        return "approved"
    record(con, metrics, "failed", False)
    raise ChurnGateError(
        f"identity run {metrics['run_id']} ({metrics['mode']}) would change the customer_id of "
        f"{metrics['changed_records']} of {metrics['previous_records']} known records "
        f"({100 * metrics['changed_share']:.2f}% > ceiling {100 * metrics['ceiling']:.2f}%; "
        f"{metrics['merges']} merges, {metrics['splits']} splits, {metrics['new_customers']} "
        f"new, {metrics['retired_customers']} retired). Nothing was written: the identity "
        "tables keep the previous run. Check the change (identity.run_stability, the new "
        "records, `cdp identity review export`), then re-run with `cdp identity resolve "
        "--approve-churn` (DAG param approve_churn) or raise `stability` in "
        "config/identity.yml.",
        metrics,
    )


def history(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs' stability rows, newest first."""
    con.execute(_DDL)
    return rows(
        con, "select * from identity.run_stability order by computed_at desc limit ?", [limit]
    )
