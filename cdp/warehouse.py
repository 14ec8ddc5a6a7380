"""The DuckDB warehouse file: one place that opens it, so configuration stays identical.

DuckDB allows one writing process per file, and a file opened twice in one process must be
opened with the same configuration; every module goes through :func:`connect`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

    from cdp.settings import Settings


@contextmanager
def connect(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse read-write, creating its folder; closed on exit.

    First finishes a compaction an interrupted erasure left owing (:mod:`cdp.compaction`).
    """
    import duckdb

    from cdp import compaction

    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    compaction.finish_pending(settings.duckdb_path)
    con = duckdb.connect(str(settings.duckdb_path))
    try:
        yield con
    finally:
        con.close()


@contextmanager
def connect_read_only(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse read-only (analyst queries); fails clearly when it does not exist."""
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


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """True when ``schema.table`` exists (table or view)."""
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def one_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
) -> tuple[Any, ...]:
    """The single row a query returns (an aggregate, a lookup that must exist)."""
    row = con.execute(sql, params or []).fetchone()
    if row is None:
        raise LookupError(f"query returned no row: {sql.strip().splitlines()[0][:120]}")
    return row


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> Any:
    """The first column of the single row a query returns (``select count(*) ...``)."""
    return one_row(con, sql, params)[0]
