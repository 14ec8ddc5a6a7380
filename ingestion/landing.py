"""Landing files before they are read: which ones a definition matches, and their scratch copies.

A definition's ``files:`` glob is confined to the landing folder: the definition check refuses
absolute globs and ``..`` (:func:`glob_problem`), and a match that resolves outside the folder
(a symbolic link to ``/etc/passwd``, a linked folder) is refused here, unread. Scratch copies
(the UTF-8 copy of a cp1252 export) live under ``Settings.tmp_dir``, inside the data folder
that erasure and backups know about; a killed ingest's leftovers go at the next run.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath

log = logging.getLogger(__name__)

SCRATCH_PREFIX = "cdp_ingest_"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SNIFF_BYTES = 4096


class RefusedFileError(Exception):
    """A matched path is not a landing file that may be read (outside the folder, empty...)."""


def glob_problem(pattern: str) -> str | None:
    """Why a ``files:`` glob could reach outside the landing folder, or None when it cannot."""
    if (
        PurePosixPath(pattern).is_absolute()
        or PureWindowsPath(pattern).is_absolute()
        or pattern.startswith("~")
    ):
        return (
            f"{pattern!r} is absolute: `files:` is a glob relative to the landing folder "
            "(e.g. pos/pos_receipts_*.csv); move the exports under the landing folder"
        )
    if ".." in PurePosixPath(pattern.replace("\\", "/")).parts:
        return (
            f"{pattern!r} climbs out of the landing folder with '..': `files:` must stay "
            "inside it; move the exports under the landing folder"
        )
    return None


def matching_files(landing_dir: Path, pattern: str) -> list[Path]:
    """Files under ``landing_dir`` matching ``pattern``, sorted; links included (see
    :func:`check_confined`)."""
    return sorted(p for p in landing_dir.glob(pattern) if p.is_file())


def check_confined(landing_dir: Path, path: Path) -> None:
    """Refuse a matched file whose real location is outside the landing folder."""
    if not path.resolve().is_relative_to(landing_dir.resolve()):
        # The target is not named: what is outside the landing folder is none of the ledger's
        # business.
        raise RefusedFileError(
            "is a symbolic link (or under a linked folder) pointing outside the landing "
            "folder: refused, nothing read; copy the export into the landing folder instead"
        )


def check_readable(path: Path, size: int, header: bool) -> None:
    """Say plainly what an empty, UTF-16 or binary file is, before any reader guesses."""
    if size == 0:
        if header:
            raise RefusedFileError(
                "is empty (0 bytes, not even the header line): the export wrote nothing; "
                "replace it with the full export, or delete it if there was nothing to send"
            )
        return
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    zeros = max(head[0::2].count(0), head[1::2].count(0))
    if head.startswith(_UTF16_BOMS) or zeros > len(head) // 4:
        raise RefusedFileError(
            "is UTF-16 (a byte-order mark or every other byte zero), which the readers do not "
            "take: re-export it as UTF-8, or convert it (iconv -f UTF-16 -t UTF-8) and set "
            "`encoding: utf-8` in its source definition"
        )
    if b"\x00" in head:
        raise RefusedFileError(
            "holds NUL bytes in its first 4 kB: a binary file (compressed, a spreadsheet?), "
            "not text; export it as CSV or JSON lines"
        )


def clean_scratch(tmp_dir: Path) -> None:
    """Remove scratch folders a killed ingest left behind (callers hold the warehouse lock)."""
    if not tmp_dir.is_dir():
        return
    for leftover in tmp_dir.glob(SCRATCH_PREFIX + "*"):
        log.info("removing %s, left by an interrupted ingest", leftover)
        shutil.rmtree(leftover, ignore_errors=True)


@contextmanager
def scratch_dir(tmp_dir: Path, prefix: str = SCRATCH_PREFIX) -> Iterator[Path]:
    """A private folder for one file's scratch copies, removed on the way out."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=prefix, dir=tmp_dir) as folder:
        yield Path(folder)
