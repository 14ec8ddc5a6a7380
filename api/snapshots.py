"""One read-only connection per published snapshot generation, swapped when a new one lands.

A request takes the current generation and keeps it to its end: a publish in the middle of
a request (``os.replace`` of the snapshot file) is not noticed by that request, whose
connection still reads the file it opened; the next request reads the new one. Each server
thread keeps one cursor per generation (opening a cursor and choosing its catalog is a query
of its own), made on its first request there; an old generation's connection and cursors
close when its last request has finished.

The forgotten list (``core.erasure``) is read here too, so a person erased after the snapshot
was published answers 404 from the next request on; and so are the consent refusals loaded
since the snapshot's build (:mod:`api.consent_now`), so an unsubscribe stops the API calling
the customer sendable from the request after the writer published it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from activation.consent_published import refusals_path
from api.serving import CATALOG
from core import snapshot
from core.erasure import ForgottenCustomers, forgotten_list_path, read_forgotten
from core.warehouse import table_exists

if TYPE_CHECKING:
    import duckdb

    from api.consent_now import Overlay
    from core.settings import Settings

log = logging.getLogger(__name__)


class SnapshotUnavailableError(RuntimeError):
    """No snapshot has been published yet."""


@dataclass
class Generation:
    """One published snapshot file, opened once."""

    stamp: tuple[int, int]
    con: duckdb.DuckDBPyConnection
    run_id: str
    as_of: str
    users: int = 0
    retired: bool = False
    cache: dict[str, Any] = field(default_factory=dict)  # per-generation objects (scorer)
    cursors: list[duckdb.DuckDBPyConnection] = field(default_factory=list)
    _local: threading.local = field(default_factory=threading.local)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def run_json(self) -> str:
        """``"run_id":...,"as_of":...`` to splice into a stored JSON answer."""
        return json.dumps({"run_id": self.run_id, "as_of": self.as_of})[1:-1]

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the generation's serving catalog."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._lock:
                cursor = self.con.cursor()
                self.cursors.append(cursor)
            cursor.execute(f"use {CATALOG}")  # a cursor starts in the default in-memory catalog
            self._local.cursor = cursor
        return cursor

    def close(self) -> None:
        for value in self.cache.values():
            if hasattr(value, "close"):
                value.close()
        for cursor in self.cursors:
            cursor.close()
        self.con.close()


@dataclass
class View:
    """What one request reads: one generation (through this thread's cursor on it), who is
    forgotten, and the consent refusals loaded since the generation's build."""

    generation: Generation
    forgotten: ForgottenCustomers
    consent: Overlay = field(default_factory=dict)

    def refused_since_build(self, customer_id: str, channel: str) -> bool:
        """True when a refusal loaded since the build stops sends the mart allowed."""
        block = self.consent.get(customer_id, {}).get(channel)
        return block is not None and not block["sendable"]

    @property
    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.generation.cursor()

    @property
    def run(self) -> dict[str, str]:
        return {"run_id": self.generation.run_id, "as_of": self.generation.as_of}


def _stamp(path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns)


def _open(path) -> duckdb.DuckDBPyConnection:
    """The snapshot file attached read-only to a private in-memory database.

    ``duckdb.connect(path)`` would hand back the instance already open on that path in this
    process (DuckDB's instance cache), which still reads the file replaced by a publish; an
    attach opens the file the path names now.
    """
    import duckdb

    con = duckdb.connect()
    escaped = str(path).replace("'", "''")
    con.execute(f"attach '{escaped}' as snapshot (read_only)")
    con.execute("use snapshot")
    return con


class SnapshotPool:
    """The current generation, and the forgotten list, checked on every request."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._current: Generation | None = None
        self._building: tuple[int, int] | None = None
        self._forgotten: tuple[tuple[int, int] | None, ForgottenCustomers] = (
            None,
            ForgottenCustomers(),
        )

    def _run_of(self, con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
        """The run the opened file holds: its own ``ops.snapshot_info`` (written with the
        copy, so it cannot disagree with it), else the manifest, else the last identity run."""
        if table_exists(con, "ops", "snapshot_info"):
            row = con.execute("select run_id, as_of from ops.snapshot_info").fetchone()
            if row:
                return str(row[0]), str(row[1])
        info = snapshot.read_manifest(self.settings) if hasattr(snapshot, "read_manifest") else None
        if info is not None:
            return str(info.run_id), str(info.as_of)
        row = con.execute(
            "select run_id, finished_at from identity.runs order by finished_at desc limit 1"
        ).fetchone()
        return (str(row[0]), str(row[1])) if row else ("unknown", "unknown")

    def _open_generation(self, path, stamp: tuple[int, int]) -> Generation:
        from api.serving import blocking_leads, build

        con = _open(path)
        try:
            run_id, as_of = self._run_of(con)
            build(con, leads=blocking_leads(self.settings))
            generation = Generation(stamp, con, run_id, as_of)
            self._consent(generation)  # before it serves, as the rest of the serving copy
        except Exception:
            con.close()
            raise
        log.info("serving snapshot of run %s (as of %s)", run_id, as_of)
        return generation

    def _build_next(self, path, stamp: tuple[int, int]) -> None:
        """Open and copy a newly published snapshot while the current one keeps serving."""
        try:
            fresh = self._open_generation(path, stamp)
        except Exception:  # replaced again while copying, or unreadable: next request retries
            log.exception("could not open the snapshot published at %s", path)
            with self._lock:
                self._building = None
            return
        with self._lock:
            old, self._current, self._building = self._current, fresh, None
            if old is not None:
                old.retired = True
                if old.users == 0:
                    old.close()

    def _generation(self) -> Generation:
        """The generation to serve (call with the lock held). The first one is opened before
        answering; a newer publish is opened in the background, the current one serving
        meanwhile, so no request waits for the copy."""
        path = snapshot.snapshot_path(self.settings)
        stamp = _stamp(path)
        if stamp is None:
            raise SnapshotUnavailableError(
                f"no published snapshot at {path}: run the pipeline (profiles build) first"
            )
        current = self._current
        if current is None:
            self._current = self._open_generation(path, stamp)
            return self._current
        if current.stamp != stamp and self._building != stamp and self._building is None:
            self._building = stamp
            threading.Thread(target=self._build_next, args=(path, stamp), daemon=True).start()
        return current

    def warm(self) -> None:
        """Open the published snapshot and build its serving copy now, if there is one."""
        try:
            with self._lock:
                self._generation()
        except SnapshotUnavailableError:
            log.warning("no snapshot published yet: the API answers 503 until one is")

    def forgotten(self) -> ForgottenCustomers:
        path = forgotten_list_path(self.settings.data_dir)
        stamp = _stamp(path)
        if stamp != self._forgotten[0]:
            self._forgotten = (stamp, read_forgotten(self.settings.data_dir))
        return self._forgotten[1]

    def _consent(self, generation: Generation) -> Overlay:
        """The generation's consent overlay for the refusals file as it is now (read again
        when the writer replaces it)."""
        from api.consent_now import read_overlay

        path = refusals_path(self.settings)
        stamp = _stamp(path)
        cached = generation.cache.get("consent")
        if cached is None or cached[0] != stamp:
            cursor = generation.con.cursor()
            try:
                cursor.execute(f"use {CATALOG}")
                cached = (stamp, read_overlay(cursor, path) if stamp else {})
            finally:
                cursor.close()
            generation.cache["consent"] = cached
        return cached[1]

    @contextmanager
    def view(self) -> Iterator[View]:
        """A cursor on the current snapshot for one request."""
        with self._lock:
            generation = self._generation()
            generation.users += 1
            try:
                forgotten = self.forgotten()
                consent = self._consent(generation)
            except BaseException:
                generation.users -= 1
                raise
        try:
            yield View(generation, forgotten, consent)
        finally:
            with self._lock:
                generation.users -= 1
                if generation.retired and generation.users == 0:
                    generation.close()

    def close(self) -> None:
        with self._lock:
            if self._current is not None and self._current.users == 0:
                self._current.close()
            self._current = None
