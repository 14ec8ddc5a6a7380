"""The DuckDB warehouse file: one place that opens it, so configuration stays identical.

DuckDB allows one writing process per file, and a file opened twice in one process must be
opened with the same configuration; every module goes through :func:`connect`. A second
writer waits up to ``settings.writer_lock_wait_seconds`` for the lock, then fails with one
line naming the holder (:class:`WarehouseLockedError`). Readers do not open this file: they
read the published snapshot (``core.snapshot``).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

log = logging.getLogger(__name__)

_LOCK_ERROR = "Could not set lock on file"
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")
_POLL_SECONDS = 0.25


class WarehouseLockedError(RuntimeError):
    """Another process holds the warehouse's lock and kept it past the wait."""


def lock_holder(message: str) -> str:
    """Who holds the lock, from DuckDB's lock error: PID and command line when known."""
    match = _HOLDER.search(message)
    if not match:
        return "another process"
    pid = match["pid"]
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        command = " ".join(raw.decode(errors="replace").replace("\0", " ").split())
    except OSError:  # not Linux, or the holder exited meanwhile
        command = match["program"]
    return f"PID {pid} ({command[:120]})"


def _open_waiting(settings: Settings) -> duckdb.DuckDBPyConnection:
    import duckdb

    waited_from = time.monotonic()
    deadline = waited_from + max(settings.writer_lock_wait_seconds, 0)
    announced = False
    while True:
        try:
            return duckdb.connect(str(settings.duckdb_path))
        except duckdb.IOException as error:
            if _LOCK_ERROR not in str(error):
                raise
            holder = lock_holder(str(error))
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"warehouse {settings.duckdb_path} is locked by {holder}; waited "
                    f"{time.monotonic() - waited_from:.0f} s (CDP_WRITER_LOCK_WAIT_SECONDS): "
                    "let that run finish, or stop it, then retry"
                ) from None
            if not announced:
                log.warning("warehouse locked by %s: waiting for it", holder)
                announced = True
            time.sleep(_POLL_SECONDS)


@contextmanager
def connect(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse read-write, creating its folder, waiting (bounded) for another
    writer to finish; closed on exit.

    First finishes a compaction an interrupted erasure left owing (:mod:`core.compaction`).
    """
    from core import compaction

    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    compaction.finish_pending(settings.duckdb_path)
    con = _open_waiting(settings)
    try:
        _limit_resources(con, settings)
        yield con
    finally:
        con.close()


def _limit_resources(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Apply the settings' memory ceiling, spill folder and insertion order (set after
    opening, not as connection config: a second connection of this process to the file,
    read-only or not, would otherwise have to repeat the same config)."""
    if settings.duckdb_memory_limit:
        con.execute(f"set memory_limit = {sql_literal(settings.duckdb_memory_limit)}")
    if settings.duckdb_temp_directory:
        Path(settings.duckdb_temp_directory).mkdir(parents=True, exist_ok=True)
        con.execute(f"set temp_directory = {sql_literal(settings.duckdb_temp_directory)}")
    if not settings.duckdb_preserve_insertion_order:
        con.execute("set preserve_insertion_order = false")


def wait_for_writer_lock(settings: Settings) -> None:
    """Wait (bounded) until no other process writes the warehouse; for code that opens the
    file by other means (dbt), so it fails in one line instead of mid-build."""
    if settings.duckdb_path.exists():
        with connect(settings):
            pass


@contextmanager
def connect_read_only(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse itself read-only; fails clearly when it does not exist.

    This takes a lock that blocks every writer: readers who must not stop the pipeline
    use ``core.snapshot.open_snapshot`` instead."""
    import duckdb

    if not settings.duckdb_path.exists():
        raise FileNotFoundError(
            f"no warehouse at {settings.duckdb_path}: run `make demo` or the pipeline first, "
            "or point CDP_DUCKDB_PATH at an existing DuckDB file"
        )
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def columns_of(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Column names of ``schema.table`` in order; empty when it does not exist."""
    schema, name = table.split(".", 1)
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    return [row[0] for row in rows]


def described_columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    """Column names and types of a relation or a query, in order (DuckDB's ``describe``):
    :func:`columns_of` for anything a ``select`` reads; raises when it does not exist."""
    return [(row[0], row[1]) for row in con.execute(f"describe {relation}").fetchall()]


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """True when ``schema.table`` exists (table or view)."""
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def one_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | dict[str, object] | None = None
) -> tuple[Any, ...]:
    """The single row a query returns (an aggregate, a lookup that must exist).

    ``params`` are positional (``?``) as a list, or named (``$key``) as a dict.
    """
    row = con.execute(sql, params or []).fetchone()
    if row is None:
        raise LookupError(f"query returned no row: {sql.strip().splitlines()[0][:120]}")
    return row


def scalar(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | dict[str, object] | None = None
) -> Any:
    """The first column of the single row a query returns (``select count(*) ...``)."""
    return one_row(con, sql, params)[0]


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | dict[str, object] | None = None
) -> list[dict[str, Any]]:
    """A query's rows as dicts keyed by column name (small results: summaries, listings)."""
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def sql_literal(value: object) -> str:
    """``value`` as a SQL string literal (quotes doubled), for text built into a statement."""
    return "'" + str(value).replace("'", "''") + "'"


def temp_relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the connection's temporary tables and views."""
    found = con.execute(
        "select table_name from duckdb_tables() where temporary "
        "union all select view_name from duckdb_views() where temporary"
    ).fetchall()
    return {row[0] for row in found}


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block in one transaction: committed at the end, rolled back on any error."""
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def fsync_path(path: Path) -> None:
    """Flush a file or a folder's entries to disk (a folder after a rename in it)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def copy_atomically(
    con: duckdb.DuckDBPyConnection, query: str, path: Path, options: str = "format parquet"
) -> None:
    """Write ``query``'s rows to ``path`` through a hidden ``.<name>.partial`` beside it,
    renamed into place: a reader never sees half a file, and a crash leaves only a name the
    export and erasure sweeps recognise (privacy/files.py)."""
    partial = path.with_name(f".{path.name}.partial")
    con.execute(f"copy ({query}) to {sql_literal(str(partial))} ({options})")
    os.replace(partial, path)
