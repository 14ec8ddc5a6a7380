"""Whether a UTF-8 export can hold a row showing broken encoding, seen from its bytes.

The staging query flags a row whose texts hold one of :data:`ingestion.sql.ENCODING_SUSPECTS`
and match the broken-encoding pattern: on 1M GA4 events the flag costs ~0.8 s of CPU, even
though no row of a clean file can raise it. In UTF-8 each suspect holds one of six bytes
that French text hardly uses (Â Ã Ä Å: 0x82-0x85; â€: the € 0xE2 0x82 0xAC; â‚: 0x9A;
U+FFFD: 0xBD), so a file holding none of them has no suspect, whatever it spells: a byte
search over the mapped file (memchr, ~0.1 s per 650 MB) tells, and the rows of
such a file skip the check. A file holding one of them is checked row by row, as before.

JSON can spell any character as a ``\\uXXXX`` escape, which the readers decode: a JSON
file with one is checked row by row too. Like the cp1252 check (:mod:`ingestion.cp1252`),
this looks at the file's text, not at what a definition's ``sql:`` or ``default:`` adds.
"""

from __future__ import annotations

import mmap
from pathlib import Path

# one byte of each suspect's UTF-8 form: Â Ã Ä Å (0xC3 0x82-0x85), â€ (€ holds 0x82),
# â‚ (‚ is 0xE2 0x80 0x9A), U+FFFD (0xEF 0xBF 0xBD)
_TELLING_BYTES = tuple(bytes([b]) for b in b"\x82\x83\x84\x85\x9a\xbd")
# searched a slice at a time: one memchr pulls it into the cache, the others read it there
# (0.1 s per 650 MB for the six bytes, against 0.37 s for six passes over the whole file)
_SLICE = 256 * 1024
# backslashes looked at before a JSON file is taken as escaped throughout
_MAX_ESCAPES = 10_000


def may_show_broken_encoding(path: Path, json_escapes: bool = False) -> bool:
    """False when no text read from the UTF-8 file at ``path`` can show broken encoding;
    ``json_escapes``: the file is JSON, whose ``\\u`` escapes may spell any character."""
    size = path.stat().st_size
    if size == 0:
        return False
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
        first_escape = -1
        # slice by slice, so that the searches after the first read a slice already in cache
        for start in range(0, size, _SLICE):
            end = start + _SLICE
            if any(view.find(byte, start, end) != -1 for byte in _TELLING_BYTES):
                return True
            if json_escapes and first_escape == -1:
                first_escape = view.find(b"\\", start, end)
        return first_escape != -1 and _has_unicode_escape(view, first_escape)


def _has_unicode_escape(view: mmap.mmap, at: int) -> bool:
    """True when the JSON text holds a ``\\u`` escape from the backslash at ``at`` on (or
    too many escapes to look at)."""
    seen = 0
    while at != -1:
        if view[at + 1 : at + 2] == b"u":
            return True
        seen += 1
        if seen > _MAX_ESCAPES:
            return True
        # a two-byte escape (\\ \" \n ...): its second byte starts nothing
        at = view.find(b"\\", at + 2)
    return False
