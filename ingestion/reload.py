"""Re-loading a file after a definition was fixed: its previous load is replaced.

``cdp ingest --reload SOURCE`` (or ``--reload-file PATH``) loads a file again even though
its content was loaded before; in the same transaction as the new load, the rows, the
quarantine entries and the field issues of the file's previous batches are deleted, and
their ledger rows stay, marked ``replaced`` (history kept). Identity and the marts pick the
new rows up on their next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.warehouse import scalar

if TYPE_CHECKING:
    import duckdb

REPLACED = "replaced"


@dataclass(frozen=True)
class ReloadRequest:
    """What to load again: every file of these sources, and these files (landing paths)."""

    sources: frozenset[str] = field(default_factory=frozenset)
    files: frozenset[str] = field(default_factory=frozenset)

    def covers(self, source: str, file_path: str) -> bool:
        """True when this file of this source must be loaded again."""
        return source in self.sources or file_path in self.files

    def __bool__(self) -> bool:
        return bool(self.sources or self.files)


def previous_batches(
    con: duckdb.DuckDBPyConnection, source: str, entity: str, file_path: str
) -> list[str]:
    """The batches whose rows of this file are in the warehouse now."""
    rows = con.execute(
        "select batch_id from ops.load_ledger where source = ? and entity = ? "
        "and file_path = ? and status = 'loaded' order by started_at",
        [source, entity, file_path],
    ).fetchall()
    return [row[0] for row in rows]


def replace_batches(
    con: duckdb.DuckDBPyConnection, table: str, batches: list[str], new_batch: str
) -> int:
    """Delete what ``batches`` loaded and mark their ledger rows; inside the caller's
    transaction. Returns the raw rows deleted."""
    if not batches:
        return 0
    marks = ", ".join("?" for _ in batches)
    deleted = scalar(con, f"delete from {table} where _batch_id in ({marks})", list(batches))
    con.execute(f"delete from ops.quarantine where batch_id in ({marks})", batches)
    con.execute(f"delete from ops.field_issues where batch_id in ({marks})", batches)
    con.execute(
        f"update ops.load_ledger set status = '{REPLACED}', "
        f"error = coalesce(error || '; ', '') || 'replaced by ' || ? "
        f"where batch_id in ({marks}) and status = 'loaded'",
        [new_batch, *batches],
    )
    return deleted
