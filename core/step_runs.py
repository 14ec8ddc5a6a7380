"""``ops.step_runs``: when each write step started and finished, so a killed one is seen.

A step inserts its row (``status = 'running'``, its PID) in its own short transaction
before it writes anything, and sets ``finished_at`` and ``succeeded`` / ``failed`` at the
end. A row still ``running`` whose process is gone was killed (kill -9, power loss): the
next run of that step marks it ``interrupted``, logs it, and must not trust what it left
(the profiles build rebuilds every model; exports refuse to read half-built marts).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

log = logging.getLogger(__name__)

TABLE_SQL = """
create schema if not exists ops;
create table if not exists ops.step_runs (
  run_id varchar, step varchar, pid integer, started_at timestamp, finished_at timestamp,
  status varchar, detail varchar
)
"""


class IncompleteStepError(RuntimeError):
    """A step's last run never finished, so the tables it writes may mix two runs."""


@dataclass(frozen=True)
class StepRun:
    """One row of ``ops.step_runs``."""

    run_id: str
    step: str
    pid: int
    started_at: datetime
    finished_at: datetime | None
    status: str


def new_run_id(prefix: str) -> str:
    """A run id readable in logs and sortable: ``<prefix>-20261206T154249123456Z``."""
    return f"{prefix}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def mark_interrupted(con: duckdb.DuckDBPyConnection, step: str) -> list[StepRun]:
    """Flag runs of ``step`` left ``running`` by a process that no longer exists."""
    con.execute(TABLE_SQL)
    rows = con.execute(
        "select run_id, step, pid, started_at, finished_at, status from ops.step_runs "
        "where step = ? and status = 'running'",
        [step],
    ).fetchall()
    # Our own PID is not alive-proof: a killed run may have had the PID this process got.
    dead = [StepRun(*row) for row in rows if row[2] == os.getpid() or not _alive(row[2])]
    for run in dead:
        con.execute(
            "update ops.step_runs set status = 'interrupted', "
            "detail = 'process gone before the step finished' where run_id = ? and step = ?",
            [run.run_id, step],
        )
        log.warning(
            "%s run %s (PID %s, started %s) never finished: its writes are not trusted",
            step,
            run.run_id,
            run.pid,
            run.started_at,
        )
    return dead


def last_run(con: duckdb.DuckDBPyConnection, step: str) -> StepRun | None:
    """The most recently started run of ``step``, whatever its status."""
    con.execute(TABLE_SQL)
    row = con.execute(
        "select run_id, step, pid, started_at, finished_at, status from ops.step_runs "
        "where step = ? order by started_at desc limit 1",
        [step],
    ).fetchone()
    return StepRun(*row) if row else None


def require_finished(con: duckdb.DuckDBPyConnection, step: str, remedy: str) -> None:
    """Raise :class:`IncompleteStepError` unless the last run of ``step`` (if any) succeeded."""
    mark_interrupted(con, step)
    run = last_run(con, step)
    if run is not None and run.status != "succeeded":
        state = "is still running" if run.status == "running" else run.status
        raise IncompleteStepError(
            f"the last {step} (run {run.run_id}, PID {run.pid}, started "
            f"{run.started_at:%Y-%m-%d %H:%M:%S} UTC) {state}: its tables may mix two runs; "
            f"{remedy}"
        )


def record_finished(
    settings: Settings,
    step: str,
    run_id: str,
    detail: str,
    then: Callable[[duckdb.DuckDBPyConnection], object] | None = None,
) -> None:
    """Record a run of ``step`` that succeeded elsewhere (dbt tasks run by Airflow); ``then``
    as in :func:`recorded_step`."""
    from core.warehouse import connect

    with connect(settings) as con:
        mark_interrupted(con, step)
        now = _now()
        con.execute(
            "insert into ops.step_runs values (?, ?, ?, ?, ?, 'succeeded', ?)",
            [run_id, step, os.getpid(), now, now, detail],
        )
        if then is not None:
            then(con)


@contextmanager
def recorded_step(
    settings: Settings,
    step: str,
    run_id: str,
    then: Callable[[duckdb.DuckDBPyConnection], object] | None = None,
) -> Iterator[list[StepRun]]:
    """Record ``step`` in ``ops.step_runs`` around the block; yields the earlier runs of the
    step found interrupted (empty when the last one ended normally).

    The warehouse is opened only to write the two rows, so the block may open it itself
    (or let dbt do so). ``then`` runs after a success on the connection that recorded it,
    before the lock is released (the profiles build publishes the snapshot there, so no
    other writer slips in between).
    """
    from core.warehouse import connect

    with connect(settings) as con:
        interrupted = mark_interrupted(con, step)
        con.execute(
            "insert into ops.step_runs values (?, ?, ?, ?, null, 'running', null)",
            [run_id, step, os.getpid(), _now()],
        )
    status, detail = "failed", None
    try:
        yield interrupted
        status = "succeeded"
    except BaseException as error:
        # The type only: error texts of some steps quote source rows.
        detail = type(error).__name__
        raise
    finally:
        with connect(settings) as con:
            con.execute(
                "update ops.step_runs set finished_at = ?, status = ?, detail = ? "
                "where run_id = ? and step = ?",
                [_now(), status, detail, run_id, step],
            )
            if then is not None and status == "succeeded":
                then(con)
