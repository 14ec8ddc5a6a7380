"""Export folders on disk: atomic publication, data files, checksums and the manifest.

A run writes into a hidden sibling folder and renames it into place once every file and
then the manifest are written, so a reader listing `export_dir/<kind>/` only ever sees
complete exports. Erasure rewrites files in place with the same write-then-rename rule.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from activation import export_dialect
from core.warehouse import copy_atomically, one_row, scalar

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
EXTENSIONS = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}
_COPY_OPTIONS = {
    "parquet": "format parquet, compression zstd",
    "jsonl": "format json",
}


def run_timestamp(moment: datetime | None = None) -> str:
    """Folder name for a run: sortable UTC timestamp down to the microsecond."""
    return (moment or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``final`` on success and vanishes on failure.

    Partial folders an earlier, killed export of the same kind left are deleted first: they
    hold personal data nobody reads (exports of one kind run one at a time, on the writer pool).
    """
    if final.exists():
        raise FileExistsError(f"export folder {final} already exists; wait a moment and re-run")
    final.parent.mkdir(parents=True, exist_ok=True)
    for stale in final.parent.glob(".*.partial"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
    staging = final.parent / f".{final.name}.partial"
    staging.mkdir()
    try:
        yield staging
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_data_file(
    con: duckdb.DuckDBPyConnection, select_sql: str, folder: Path, stem: str, fmt: str
) -> dict[str, Any]:
    """COPY a query into ``folder/stem.<ext>``; returns the manifest entry for the file.

    CSV follows :mod:`activation.export_dialect` (text quoted, formulas neutralised).
    """
    path = folder / f"{stem}{EXTENSIONS[fmt]}"
    escaped = str(path).replace("'", "''")
    if fmt == "csv":
        written_sql, options = export_dialect.csv_copy(con, select_sql)
    else:
        written_sql, options = select_sql, _COPY_OPTIONS[fmt]
    con.execute(f"copy ({written_sql}) to '{escaped}' ({options})")
    rows = scalar(con, f"select count(*) from ({select_sql})")
    return file_entry(path, fmt, rows)


def file_entry(path: Path, fmt: str, rows: int) -> dict[str, Any]:
    """Manifest entry of one data file."""
    return {
        "name": path.name,
        "format": fmt,
        "rows": rows,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
    }


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` (last file of an export) through a temporary name."""
    path = folder / MANIFEST
    partial = folder / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a published export folder."""
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def published_folders(root: Path) -> list[Path]:
    """Complete export folders under ``root`` (those with a manifest), oldest first."""
    if not root.exists():
        return []
    return sorted(p for p in root.rglob(MANIFEST) if not p.parent.name.startswith("."))


def _matches(value: Any, needles: frozenset[str]) -> bool:
    if value is None:
        return False
    return export_dialect.original(str(value)).strip().lower() in needles


def _filter_text_file(path: Path, fmt: str, needles: frozenset[str]) -> tuple[int, int]:
    """Drop rows holding a needle from a CSV/JSONL file; returns (rows kept, rows removed)."""
    partial = path.with_name(f".{path.name}.partial")
    kept = removed = 0
    with (
        path.open(encoding="utf-8", newline="") as source,
        partial.open("w", encoding="utf-8", newline="") as target,
    ):
        if fmt == "csv":
            # Kept records are copied as written (their quoting is the dialect); a record
            # may span lines when a quoted cell holds a line break.
            lines = source.readlines()
            reader, consumed = csv.reader(lines), 0
            for number, row in enumerate(reader):
                record = "".join(lines[consumed : reader.line_num])
                consumed = reader.line_num
                if number and any(_matches(cell, needles) for cell in row):
                    removed += 1
                else:
                    target.write(record)
                    kept += bool(number)
        else:
            for line in source:
                if line.strip() and any(_matches(v, needles) for v in json.loads(line).values()):
                    removed += 1
                else:
                    target.write(line)
                    kept += bool(line.strip())
    if removed:
        os.replace(partial, path)
    else:
        partial.unlink()
    return kept, removed


def _filter_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, needles: frozenset[str]
) -> tuple[int, int]:
    escaped = str(path).replace("'", "''")
    columns = con.execute(
        f"select name from parquet_schema('{escaped}') where type = 'BYTE_ARRAY'"
    ).fetchall()
    if not columns:
        return scalar(con, f"select count(*) from read_parquet('{escaped}')"), 0
    con.execute("create or replace temp table _erasure_needles(needle varchar)")
    con.executemany("insert into _erasure_needles values (?)", [[n] for n in needles])
    hit = " or ".join(
        f'lower(trim("{c[0]}")) in (select needle from _erasure_needles)' for c in columns
    )
    total, removed = one_row(
        con, f"select count(*), count(*) filter (where {hit}) from read_parquet('{escaped}')"
    )
    if removed:
        copy_atomically(
            con,
            f"select * from read_parquet('{escaped}') where not coalesce({hit}, false)",
            path,
            _COPY_OPTIONS["parquet"],
        )
    return total - removed, removed


def erase_from_exports(
    con: duckdb.DuckDBPyConnection, export_root: Path, needles: set[str], request_id: str
) -> dict[str, int]:
    """Remove every exported row holding one of ``needles`` (compared lower-cased, exact).

    Rewrites the data files and their manifests (row counts, checksums); returns the number
    of rows removed per kind of export. Files without a match are left untouched.
    """
    lowered = frozenset(n.strip().lower() for n in needles if n and n.strip())
    removed_per_kind: dict[str, int] = {}
    for manifest_path in published_folders(export_root):
        folder = manifest_path.parent
        manifest = read_manifest(folder)
        changed = False
        for entry in manifest.get("files", []):
            path = folder / entry["name"]
            if not path.exists():
                continue
            if entry["format"] == "parquet":
                kept, removed = _filter_parquet(con, path, lowered)
            else:
                kept, removed = _filter_text_file(path, entry["format"], lowered)
            if removed:
                entry.update(file_entry(path, entry["format"], kept))
                kind = manifest.get("kind", folder.parent.name)
                removed_per_kind[kind] = removed_per_kind.get(kind, 0) + removed
                changed = True
        if changed:
            if "row_count" in manifest:  # every file of a golden-record export holds the same rows
                manifest["row_count"] = manifest["files"][0]["rows"]
            for entry in manifest["files"]:
                if "audience" in entry:
                    manifest["audiences"][entry["audience"]]["rows"] = entry["rows"]
            manifest.setdefault("erasure_request_ids", []).append(request_id)
            write_manifest(folder, manifest)
            log.info("erasure %s: rewrote export %s", request_id, folder)
    return removed_per_kind
