"""CPU seconds per SQL statement of an identity run: the warehouse connection's and Splink's.

``with statements() as profile: identity.resolve(...)`` times every ``execute``/``sql`` on
the connections :func:`core.warehouse.connect` opens meanwhile, and every statement Splink
runs through its DuckDB cursor; ``profile.top(n)`` gives the costliest, grouped by the
identity function that ran them and the statement's first words. CPU seconds are the whole
process's (DuckDB's threads included), so a statement's figure is what it cost, whatever
the load; what is not in a statement is Python, Splink's setup and its SQL generation.
"""

from __future__ import annotations

import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

_SPACE = re.compile(r"\s+")


class Profile:
    """Statements' CPU and wall seconds, by caller and text."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def timed(self, run, sql: str, *args: Any, **kwargs: Any):
        label = f"{_caller()}: {_SPACE.sub(' ', str(sql)).strip()[:110]}"
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return run(sql, *args, **kwargs)
        finally:
            self.cpu[label] += time.process_time() - cpu
            self.wall[label] += time.perf_counter() - wall
            self.calls[label] += 1

    @property
    def total_cpu(self) -> float:
        return sum(self.cpu.values())

    def top(self, n: int) -> list[dict]:
        ranked = sorted(self.cpu, key=self.cpu.__getitem__, reverse=True)[:n]
        return [
            {
                "statement": label,
                "cpu": round(self.cpu[label], 3),
                "wall": round(self.wall[label], 3),
                "calls": self.calls[label],
            }
            for label in ranked
        ]


def _caller() -> str:
    """The innermost identity (or core) function on the stack: what ran the statement."""
    frame: FrameType | None = sys._getframe(3)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith(("identity", "core")) and module != "core.warehouse":
            return f"{module.rsplit('.', 1)[-1]}.{frame.f_code.co_name}"
        frame = frame.f_back
    return "?"


class _TimedConnection:
    """A DuckDB connection whose ``execute`` and ``sql`` are timed; the rest passes through."""

    def __init__(self, con, profile: Profile) -> None:
        self._con, self._profile = con, profile

    def execute(self, sql, *args, **kwargs):
        return self._profile.timed(self._con.execute, sql, *args, **kwargs)

    def sql(self, sql, *args, **kwargs):
        return self._profile.timed(self._con.sql, sql, *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._con, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._con.__exit__(*exc)


@contextmanager
def statements() -> Iterator[Profile]:
    """Time the SQL of what runs inside (warehouse connections opened meanwhile, Splink)."""
    from splink.internals.duckdb.database_api import DuckDBAPI

    import core.warehouse as warehouse

    profile = Profile()
    connect, backend = warehouse.connect, DuckDBAPI._execute_sql_against_backend

    @contextmanager
    def timed_connect(settings):
        with connect(settings) as con:
            yield _TimedConnection(con, profile)

    def timed_backend(api, final_sql: str):
        return profile.timed(lambda sql: backend(api, sql), final_sql)

    setattr(warehouse, "connect", timed_connect)  # noqa: B010 (patched for the block only)
    setattr(DuckDBAPI, "_execute_sql_against_backend", timed_backend)  # noqa: B010
    try:
        yield profile
    finally:
        setattr(warehouse, "connect", connect)  # noqa: B010
        setattr(DuckDBAPI, "_execute_sql_against_backend", backend)  # noqa: B010
