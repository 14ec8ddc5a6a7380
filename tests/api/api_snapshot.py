"""Reading the published snapshot directly, to check the API against it."""

from __future__ import annotations


def snapshot_rows(settings, sql: str, params=None) -> list[tuple]:
    """Read the published snapshot directly (what the API should agree with)."""
    from cdp.snapshot import open_snapshot

    con = open_snapshot(settings)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
