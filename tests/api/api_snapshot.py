"""Reading the published snapshot directly, to check the API against it."""

from __future__ import annotations


def snapshot_rows(settings, sql: str, params=None) -> list[tuple]:
    """Read the published snapshot directly (what the API should agree with)."""
    from core.snapshot import open_snapshot

    con = open_snapshot(settings)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def wait_for_run(client, run_id: str, timeout: float = 120) -> None:
    """Poll /v1/health until the API serves ``run_id`` (a new publish opens in the
    background while the previous run keeps answering)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/v1/health").json()["run_id"] == run_id:
            return
        time.sleep(0.2)
    raise AssertionError(f"the API still serves another run than {run_id} after {timeout} s")
