"""The published serving snapshot: a read-only copy of the warehouse after each profiles run.

Readers that must never wait for the pipeline (the API, analysts) open this copy instead of
the writer's warehouse. Publishing copies the warehouse into a fresh file beside the live
one and swaps it in with one ``os.replace``, so a reader opens either the previous run or
the new one, never half of one; a connection opened before the swap keeps reading the file
it opened. The manifest (``manifest.json``: run_id, as_of) says which run a reader sees.

Minimal version owned by the `api` lane until the `snapshot` lane's module lands on main.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from cdp.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnapshotInfo:
    """Which run a published snapshot holds."""

    path: str
    run_id: str
    as_of: str


def snapshot_path(settings: Settings) -> Path:
    """Where the published read-only copy of the warehouse lives."""
    return settings.data_dir / "published" / "cdp.duckdb"


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _manifest_path(settings: Settings) -> Path:
    return snapshot_path(settings).with_name("manifest.json")


def publish_snapshot(settings: Settings, run_id: str) -> SnapshotInfo:
    """Copy the warehouse into the published snapshot and swap it in atomically."""
    target = snapshot_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.partial")
    staging.unlink(missing_ok=True)
    import duckdb

    as_of = datetime.now(UTC).replace(tzinfo=None)
    con = duckdb.connect()  # in memory: the warehouse attached read-only, the copy writable
    try:
        con.execute(f"attach '{_quoted(settings.duckdb_path)}' as _warehouse (read_only)")
        con.execute(f"attach '{_quoted(staging)}' as _snapshot_copy")
        con.execute("copy from database _warehouse to _snapshot_copy")
        # the run, inside the copy too: a reader learns it from its connection alone
        con.execute("create schema if not exists _snapshot_copy.ops")
        con.execute(
            "create or replace table _snapshot_copy.ops.snapshot_info as "
            "select ?::varchar as run_id, ?::timestamp as as_of",
            [run_id, as_of],
        )
    finally:
        con.close()
    info = SnapshotInfo(str(target), run_id, as_of.isoformat(timespec="seconds") + "Z")
    manifest = _manifest_path(settings)
    partial_manifest = manifest.with_name(f".{manifest.name}.partial")
    partial_manifest.write_text(json.dumps(asdict(info), indent=2) + "\n", encoding="utf-8")
    os.replace(staging, target)
    os.replace(partial_manifest, manifest)
    log.info("published snapshot of run %s: %s", run_id, target)
    return info


def read_manifest(settings: Settings) -> SnapshotInfo | None:
    """The manifest of the published snapshot, or None before the first publish."""
    path = _manifest_path(settings)
    if not path.exists():
        return None
    return SnapshotInfo(**json.loads(path.read_text(encoding="utf-8")))


def open_snapshot(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot; the caller closes it.

    The file is attached to a private in-memory database: ``duckdb.connect(path)`` would
    return the instance this process already holds on that path, still reading the file a
    publish has since replaced.
    """
    import duckdb

    path = snapshot_path(settings)
    if not path.exists():
        raise FileNotFoundError(
            f"no published snapshot at {path}: run the pipeline (or `cdp snapshot publish`) "
            "after a profiles build"
        )
    con = duckdb.connect()
    escaped = str(path).replace("'", "''")
    con.execute(f"attach '{escaped}' as snapshot (read_only)")
    con.execute("use snapshot")
    return con
