"""Personal data outside the rows `forget` deletes: quoted values, reports, leftover files.

A person's identifiers also turn up quoted inside other things: a quality check's example
values (``quality.validation_results``), the Great Expectations validation JSON and Data
Docs, the quality page, a model or review report, an export a crash left half-written
(``.<name>.partial``). `forget` redacts each quoted identifier (``[erased]``) in every text
column of every table and in every text file under the data folder, and deletes the
leftover partial exports. Left alone: ``landing/`` and ``truth/`` (the sources' own files,
owned by whoever delivers them), binary files other than the warehouse and the published
Parquet exports (which `forget` rewrites itself).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from core.warehouse import scalar

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

log = logging.getLogger(__name__)

REDACTED = "[erased]"
_MIN_LENGTH = 6  # shorter keys (A001, T1) would redact other people's text by accident


def _bounded(needle: str) -> str:
    """A needle as a regex that does not match inside a longer word or number."""
    escaped = re.escape(needle)
    head = r"\b" if needle[:1].isalnum() else ""
    tail = r"\b" if needle[-1:].isalnum() else ""
    return head + escaped + tail


def searchable(needles: set[str]) -> list[str]:
    """The needles worth searching for, longest first (so a longer form wins a match)."""
    kept = {n.strip() for n in needles if n and len(n.strip()) >= _MIN_LENGTH}
    return sorted(kept, key=len, reverse=True)


def needle_pattern(needles: set[str]) -> str | None:
    """One case-insensitive pattern for every needle worth searching (RE2 and Python)."""
    kept = searchable(needles)
    if not kept:
        return None
    return "(?i)(" + "|".join(_bounded(n) for n in kept) + ")"


def redact_tables(
    con: duckdb.DuckDBPyConnection, tables: dict, pattern: str | None, skip: set
) -> dict[str, int]:
    """Redact the pattern in every VARCHAR and JSON column; returns rows changed per table."""
    if not pattern:
        return {}
    counts: dict[str, int] = {}
    literal = "'" + pattern.replace("'", "''") + "'"
    for (schema, table), columns in tables.items():
        texts = [(c, t) for c, t in columns if t in ("VARCHAR", "JSON")]
        if (schema, table) in skip or not texts:
            continue
        sets, hits = [], []
        for column, data_type in texts:  # one pass over the table for all its columns
            text = f'cast("{column}" as varchar)'
            replaced = f"regexp_replace({text}, {literal}, '{REDACTED}', 'g')"
            if data_type == "JSON":
                replaced = f"cast({replaced} as json)"
            sets.append(f'"{column}" = {replaced}')
            hits.append(f"coalesce(regexp_matches({text}, {literal}), false)")
        changed = scalar(
            con, f'update "{schema}"."{table}" set {", ".join(sets)} where {" or ".join(hits)}'
        )
        if changed:
            counts[f"{schema}.{table}"] = changed
    return counts


def remove_partial_exports(export_dir: Path) -> int:
    """Delete the hidden ``.<name>.partial`` files and folders a crashed export left."""
    removed = 0
    if not export_dir.exists():
        return 0
    for path in sorted(export_dir.rglob(".*.partial"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        removed += 1
    return removed


def _scanned_files(settings: Settings) -> list[Path]:
    """Files under the data folder forget must clean, without the sources' own folders."""
    skipped = {settings.landing_dir, settings.truth_dir}
    warehouse = settings.duckdb_path
    files = []
    for root, dirs, names in os.walk(settings.data_dir):
        folder = Path(root)
        dirs[:] = [d for d in dirs if folder / d not in skipped]
        for name in names:
            path = folder / name
            if path.is_symlink() or path.name.startswith(warehouse.name):
                continue
            files.append(path)
    return files


def redact_files(settings: Settings, needles: set[str]) -> int:
    """Redact the needles in every text file under the data folder; returns files changed."""
    pattern = needle_pattern(needles)
    if not pattern:
        return 0
    regex = re.compile(pattern.removeprefix("(?i)"), re.IGNORECASE)
    lowered = [n.lower().encode() for n in searchable(needles)]
    changed = 0
    for path in _scanned_files(settings):
        if not path.is_file():
            continue
        content = path.read_bytes()
        if b"\0" in content[:8192]:
            continue  # binary: not ours to rewrite (docs/privacy.md, limits)
        folded = content.lower()
        if not any(n in folded for n in lowered):  # plain search first: the regex is slow
            continue
        text = content.decode("utf-8", errors="surrogateescape")
        redacted = regex.sub(REDACTED, text)
        if redacted == text:
            continue
        partial = path.with_name(f".{path.name}.erasure")
        partial.write_text(redacted, encoding="utf-8", errors="surrogateescape")
        os.replace(partial, path)
        changed += 1
    if changed:
        log.info("erasure: redacted %d file(s) under %s", changed, settings.data_dir)
    return changed
