"""``read_csv``'s buffer: large enough to keep a big file's ordered scan from copying its rows.

DuckDB keeps a file's records in order by writing each of its read buffers as a batch; a
batch of fewer rows than a row group (122,880) is copied again to merge it with its
neighbours. The default buffer holds ~65k lines of 125 bytes: at 1M POS lines that copy
costs ~0.4 s of CPU. A buffer holding 1.25 row groups of the file's lines (its first MB
gives their length) is written as it is.

But a buffer given to DuckDB 2.0 is also its longest line: a line over the default
2 MiB ``max_line_size`` would then load instead of being refused (and quarantined whole by
the second read), and saying ``max_line_size`` beside the buffer lost a row of a 300k-line
file. So the buffer is enlarged only for a file that provably has no record as long as
half that limit: no quote byte (a record is then one line) and a line break in every
aligned window of :data:`_WINDOW` bytes (a line of 2 windows or more would hold a whole
window without one). Any other file keeps DuckDB's defaults, so its reading is unchanged.
"""

from __future__ import annotations

import mmap
from pathlib import Path

_ROW_GROUP_ROWS = 122_880
_BUFFER_SAMPLE = 1024 * 1024
_BUFFER_BYTES = (8 * 1024 * 1024, 128 * 1024 * 1024)
_DEFAULT_BUFFER = 8 * 1024 * 1024  # smaller files are one buffer already
# every line of a file with a line break in each aligned window is under 2 windows: 1 MiB,
# half DuckDB's default max_line_size (2 MiB)
_WINDOW = 512 * 1024


def buffer_option(path: Path, quote: str, max_line_size: int | None) -> str:
    """``, buffer_size = N`` for ``read_csv`` of ``path``, or nothing (DuckDB's default).

    ``quote`` is the file's quote character ('' when it has none); beside a
    ``max_line_size`` (the long-line read) the default is kept.
    """
    if max_line_size:
        return ""
    size = path.stat().st_size
    if size <= _DEFAULT_BUFFER:
        return ""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
        if not _records_are_short(view, size, quote):
            return ""
        lines = view[:_BUFFER_SAMPLE].count(b"\n")
    wanted = int(min(size, _BUFFER_SAMPLE) / lines * _ROW_GROUP_ROWS * 1.25)
    low, high = _BUFFER_BYTES
    return f", buffer_size = {min(max(wanted, low), high)}"


def _records_are_short(view: mmap.mmap, size: int, quote: str) -> bool:
    """True when no record of the file is :data:`_WINDOW` * 2 bytes or longer.

    A quoted field may hold line breaks, so a file with a quote byte (or a quote that is
    not one ASCII byte in every encoding) is not looked into.
    Only the windows' first line breaks are read (memchr from each window's start): the
    search touches a few pages per window, not the file.
    """
    if quote and not (len(quote) == 1 and quote.isascii() and view.find(quote.encode()) == -1):
        return False
    return all(
        view.find(b"\n", start, start + _WINDOW) != -1
        for start in range(0, size - _WINDOW + 1, _WINDOW)
    )
