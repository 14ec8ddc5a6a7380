"""Rewrite the warehouse file so deleted rows leave no bytes behind (used by `forget`).

DuckDB marks deleted rows but leaves their bytes in the file's blocks (a checkpoint does not
clear them); copying the database into a fresh file keeps only live rows. The copy is made
by the connection that holds the writer lock and swapped in atomically (``os.replace``), so
no other writer can slip a write into the old file meanwhile.

An erasure first leaves a marker beside the file; the marker goes only once the compacted
file is in place. A process killed in between leaves the marker, and the next connection
(:func:`core.warehouse.connect`) finishes the compaction before anything else.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from core.warehouse import fsync_path, scalar

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)


def marker(path: Path) -> Path:
    """The file saying a compaction of ``path`` is owed."""
    return path.with_name(f".{path.name}.compact-pending")


def owe(path: Path) -> None:
    """Record, durably, that ``path`` must be compacted (before deleting anything)."""
    flag = marker(path)
    with flag.open("w", encoding="utf-8") as out:
        out.write("erased rows may remain in the file's free blocks until compaction\n")
        out.flush()
        os.fsync(out.fileno())
    fsync_path(path.parent)


def compact(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Copy the database ``con`` holds open (at ``path``) into a fresh file and swap it in."""
    fresh = path.with_name(f".{path.name}.compact")
    fresh.unlink(missing_ok=True)  # a copy a killed compaction left: start again
    Path(f"{fresh}.wal").unlink(missing_ok=True)
    con.execute("checkpoint")
    database = scalar(con, "select current_database()")
    escaped = str(fresh).replace("'", "''")
    con.execute(f"attach '{escaped}' as _cdp_compacted")
    try:
        con.execute(f'copy from database "{database}" to _cdp_compacted')
    finally:
        con.execute("detach _cdp_compacted")
    with fresh.open("rb") as copied:
        os.fsync(copied.fileno())
    os.replace(fresh, path)
    fsync_path(path.parent)
    marker(path).unlink(missing_ok=True)
    log.info("warehouse rewritten without deleted rows: %s", path)


def finish_pending(path: Path) -> bool:
    """Compact ``path`` if an interrupted erasure owes it; True when it did."""
    if not marker(path).exists():
        return False
    import duckdb

    log.warning("finishing the compaction an interrupted erasure left owing: %s", path)
    if not path.exists():
        marker(path).unlink()
        return False
    con = duckdb.connect(str(path))
    try:
        compact(con, path)
    finally:
        con.close()
    return True
