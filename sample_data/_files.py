"""Batches in time and the writers that stream each source's rows into one file per batch.

Batch 1 holds the history up to a cut date; each later batch holds one more week, plus a
few rows of the previous batch exported again (real exports overlap). Every file also gets
a few malformed rows, at least ``min_malformed`` of them, so quarantine always has work.
"""

from __future__ import annotations

import bisect
import csv
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

HISTORY_DAYS = 730
WEEK_DAYS = 7
MAX_BATCHES = 52


@dataclass
class Timeline:
    """Seconds since the start of the history, and which batch each second belongs to."""

    end_date: date
    batches: int
    start: datetime = field(init=False)
    span: int = field(init=False)
    cuts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        if not 1 <= self.batches <= MAX_BATCHES:
            raise ValueError(
                f"batches must be between 1 and {MAX_BATCHES} (one week each after the first), "
                f"got {self.batches}"
            )
        self.start = datetime.combine(self.end_date - timedelta(days=HISTORY_DAYS - 1), time())
        self.span = HISTORY_DAYS * 86400 - 1
        self.cuts = [
            self.span - WEEK_DAYS * 86400 * (self.batches - k) for k in range(1, self.batches)
        ]

    @property
    def span_days(self) -> int:
        """Days of history."""
        return HISTORY_DAYS

    @property
    def file_dates(self) -> list[str]:
        """Export date of each batch: the last day it covers."""
        return [
            f"{self.end_date - timedelta(days=WEEK_DAYS * (self.batches - k)):%Y%m%d}"
            for k in range(1, self.batches + 1)
        ]

    def batch_of(self, second: int) -> int:
        """0-based batch holding the moment ``second``."""
        return bisect.bisect_left(self.cuts, second)

    def at(self, second: int) -> datetime:
        """The local timestamp ``second`` seconds into the history."""
        return self.start + timedelta(seconds=second)


class BatchWriter:
    """One open file per batch; rows are written as they come, never held in memory."""

    def __init__(
        self,
        paths: list[Path],
        rng: random.Random,
        malformer: Callable,
        malformed_rate: float,
        reexport_rate: float,
        min_malformed: int = 2,
    ):
        self.paths = paths
        self.rng = rng
        self.malformer = malformer
        self.malformed_rate = malformed_rate
        self.reexport_rate = reexport_rate
        self.min_malformed = min_malformed
        self.rows = [0] * len(paths)
        self.malformed = [0] * len(paths)
        self.last: list[object] = [None] * len(paths)
        self.reexports: list[list[object]] = [[] for _ in paths]
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, batch: int, row: object) -> None:
        """Write a good row; sometimes also a malformed sibling or a later re-export."""
        self._emit(batch, row)
        self.last[batch] = row
        draw = self.rng.random()
        if draw < self.malformed_rate:
            self._emit_malformed(batch, row)
        elif draw < self.malformed_rate + self.reexport_rate and batch + 1 < len(self.paths):
            self.reexports[batch + 1].append(row)

    def close(self) -> dict[str, int]:
        """Append re-exports and missing malformed rows; close; rows written per file."""
        for batch in range(len(self.paths)):
            for row in self.reexports[batch]:
                self._emit(batch, row)
            model = self.last[batch] or (self.reexports[batch] or [None])[-1]
            while self.malformed[batch] < self.min_malformed and model is not None:
                self._emit_malformed(batch, model)
        self._close()
        return {path.name: rows for path, rows in zip(self.paths, self.rows, strict=True)}

    def _emit_malformed(self, batch: int, row: object) -> None:
        self._emit(batch, self.malformer(row, self.rng))
        self.malformed[batch] += 1

    def _emit(self, batch: int, row: object) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError


class CsvWriter(BatchWriter):
    """Delimited text; a malformer may return raw ``bytes`` to plant undecodable bytes."""

    def __init__(
        self,
        paths: list[Path],
        header: list[str],
        *,
        delimiter: str,
        encoding: str,
        lineterminator: str = "\n",
        **kwargs,
    ):
        super().__init__(paths, **kwargs)
        self.handles = [p.open("w", encoding=encoding, newline="") for p in paths]
        self.writers = [
            csv.writer(h, delimiter=delimiter, lineterminator=lineterminator) for h in self.handles
        ]
        for writer in self.writers:
            writer.writerow(header)

    def _emit(self, batch: int, row: object) -> None:
        if isinstance(row, bytes):
            self.handles[batch].flush()
            self.handles[batch].buffer.write(row)
        elif isinstance(row, Iterable):
            self.writers[batch].writerow(row)
        else:
            raise TypeError(f"a CSV row is a sequence of fields or raw bytes, not {row!r}")
        self.rows[batch] += 1

    def _close(self) -> None:
        for handle in self.handles:
            handle.close()


class JsonlWriter(BatchWriter):
    """Newline-delimited JSON; rows are dicts, a malformer returns the broken line as text."""

    def __init__(self, paths: list[Path], **kwargs):
        super().__init__(paths, **kwargs)
        self.handles = [p.open("w", encoding="utf-8", newline="\n") for p in paths]
        self._dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def _emit(self, batch: int, row: object) -> None:
        line = row if isinstance(row, str) else self._dumps(row)
        self.handles[batch].write(line + "\n")
        self.rows[batch] += 1

    def _close(self) -> None:
        for handle in self.handles:
            handle.close()


def batch_paths(directory: Path, stem: str, suffix: str, timeline: Timeline) -> list[Path]:
    """``directory/<stem>_<export date><suffix>`` for each batch."""
    return [directory / f"{stem}_{day}{suffix}" for day in timeline.file_dates]
