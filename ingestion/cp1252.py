"""Read a cp1252 export with DuckDB, which has no offline cp1252.

Without a byte in 0x80-0x9F a cp1252 file is latin-1 too, read natively after a check; with
one (``€ œ ’``) it is transcoded to UTF-8 at C speed. Either way a file that is UTF-8 in
disguise is refused, and the characters without which no row can show broken encoding are
looked for, so a clean file skips that check row by row.
"""

from __future__ import annotations

import codecs
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from ingestion.csv_scan import PaddingWatch
from ingestion.readers import FileReadError

# 64 KB: each pass over a chunk (decode, encode, write) reads it from the CPU's cache, and the
# chunk's objects (its text is twice its size once € makes it UCS-2) stay small enough for
# malloc to reuse the same memory: 1 MB chunks were mapped fresh and freed each time, ~100k
# page faults per 125 MB (0.52-0.60 s CPU against 0.41-0.44)
_CHUNK = 64 * 1024
# the byte checks' chunks: numpy's fixed cost per call is spread over more bytes (the
# padding watch 0.10 s per 125 MB against 0.13 in 64 KB chunks), still without page faults
_CHECK_CHUNK = 256 * 1024
# A cp1252 file's text can match ingestion.sql.BROKEN_ENCODING_PATTERN only if it holds "â€"
# or one of these bytes: Â, Ã, Ä, Å, ‚ (UTF-8's € read as cp1252 is "â‚¬"; a real cp1252 export
# hardly ever holds the low quote ‚) and the five that cp1252 leaves undefined (U+FFFD).
_CP1252_SUSPECT_BYTES = tuple(bytes([b]) for b in b"\xc2\xc3\xc4\xc5\x82\x81\x8d\x8f\x90\x9d")
# "â€" in cp1252: â then €
_MOJIBAKE_EURO = (0xE2, 0x80)
_NON_ASCII = re.compile(rb"[\x80-\xff]")
# The bytes where cp1252 and latin-1 differ (cp1252's € œ ’ … and its five undefined bytes)
_CP1252_ONLY = bytes(range(0x80, 0xA0))


class Cp1252Read(NamedTuple):
    """How DuckDB reads a cp1252 export."""

    path: Path  # the export itself, or its UTF-8 copy
    encoding: str  # DuckDB's name for the encoding of ``path``
    suspect: bool  # some row may show broken encoding
    padded: bool  # some field may carry spaces to trim (:mod:`ingestion.csv_scan`)


class Cp1252Bytes(NamedTuple):
    """What a cp1252 export's bytes say about its text, whichever way DuckDB reads it."""

    suspect: bool  # some row may show broken encoding
    padded: bool  # some field may carry spaces to trim


def read_cp1252(path: Path, target: Path, padding: PaddingWatch | None = None) -> Cp1252Read:
    """How DuckDB reads a cp1252 export, watched for padded fields by ``padding``.

    A file without a byte in 0x80-0x9F is latin-1 as well (the two differ only there), which
    DuckDB reads natively: it is only checked (UTF-8 in disguise is refused), not copied.
    Otherwise it is transcoded into ``target`` (:func:`transcode_cp1252`). Either way its
    bytes are checked (:func:`check_bytes`) on a thread of their own meanwhile: the codec holds
    the GIL, numpy's passes and the file's reads mostly do not, so the checks leave the path
    to DuckDB's scan. Without ``padding`` every field is taken as padded.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cdp_cp1252_check") as pool:
        checking = pool.submit(check_bytes, path, padding)
        if _latin1(path):
            read = Cp1252Read(path, "latin-1", False, True)
        else:
            transcode_cp1252(path, target)
            read = Cp1252Read(target, "utf-8", False, True)
        checked = checking.result()
    return read._replace(suspect=checked.suspect, padded=checked.padded)


def _latin1(path: Path) -> bool:
    """True when the file holds no byte in 0x80-0x9F (refused if it is UTF-8 in disguise)."""
    disguise = _Utf8Disguise()
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            # deleting them is a C loop at memory speed; a regex class scan is 3x slower
            if len(chunk.translate(None, _CP1252_ONLY)) != len(chunk):
                return False
            disguise.feed(chunk)
    disguise.refuse_if_utf8()
    return True


def check_bytes(path: Path, padding: PaddingWatch | None = None) -> Cp1252Bytes:
    """Whether a cp1252 export's text may show broken encoding, and (fed to ``padding``)
    hold padded fields; without ``padding`` every field is taken as padded.

    Broken encoding needs one of :data:`_CP1252_SUSPECT_BYTES` (single bytes: memchr speed)
    or "â€" (its two bytes side by side, found with numpy: â is common in French text).
    """
    import numpy as np

    suspect, last = False, -1
    with path.open("rb") as source:
        while chunk := source.read(_CHECK_CHUNK):
            if not suspect:
                data = np.frombuffer(chunk, dtype=np.uint8)
                first, second = _MOJIBAKE_EURO
                after_first = np.flatnonzero(data[:-1] == first) + 1
                suspect = (
                    any(byte in chunk for byte in _CP1252_SUSPECT_BYTES)
                    or (last == first and chunk[0] == second)
                    or bool((data[after_first] == second).any())
                )
                last = chunk[-1]
            if padding:
                padding.feed(chunk)
    return Cp1252Bytes(suspect, padding.finish() if padding else True)


def transcode_cp1252(path: Path, target: Path) -> None:
    """Rewrite a cp1252 file as UTF-8.

    DuckDB 2.0 has no offline cp1252 and its ``latin-1`` reader rejects 0x80-0x9F, the very
    bytes where cp1252 puts ``€ œ ’ …``. Python's codec decodes them at C speed; the five
    bytes cp1252 leaves undefined become U+FFFD, which the contract query quarantines as
    broken encoding.
    A file that is valid UTF-8 throughout and not plain ASCII is refused (:func:`_refuse_utf8`):
    read as cp1252 its ``œ €`` would become ``Å“ â‚¬``, which no row check can tell from text.
    """
    disguise = _Utf8Disguise()
    with path.open("rb") as source, target.open("wb") as out:
        # cp1252 is one byte per character: any chunk boundary is a character boundary.
        while chunk := source.read(_CHUNK):
            out.write(chunk.decode("cp1252", errors="replace").encode("utf-8"))
            disguise.feed(chunk)
    disguise.refuse_if_utf8()


class _Utf8Disguise:
    """Whether a file given as cp1252 is UTF-8 throughout, fed chunk by chunk: real cp1252
    text fails to decode as UTF-8 at its first é; a UTF-8 file that is not plain ASCII is
    refused (:func:`_refuse_utf8`), naming the line of its first non-ASCII character."""

    def __init__(self) -> None:
        self._utf8: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder("utf-8")()
        self._lines_before = 0
        self._first_non_ascii = 0

    def feed(self, chunk: bytes) -> None:
        if self._utf8 is None:
            return
        try:
            self._utf8.decode(chunk)
        except UnicodeDecodeError:
            self._utf8 = None
            return
        if not self._first_non_ascii and not chunk.isascii():
            at = _NON_ASCII.search(chunk).start()  # type: ignore[union-attr]
            self._first_non_ascii = self._lines_before + chunk.count(b"\n", 0, at) + 1
        self._lines_before += chunk.count(b"\n")

    def refuse_if_utf8(self) -> None:
        if self._utf8 is not None and self._first_non_ascii:
            _refuse_utf8(self._utf8, self._first_non_ascii)


def _refuse_utf8(decoder: codecs.IncrementalDecoder, line: int) -> None:
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return  # a truncated last character: not UTF-8 after all
    raise FileReadError(
        "is declared `encoding: cp1252` but is UTF-8 (every non-ASCII character is a valid "
        f"UTF-8 sequence, the first on line {line}; read as cp1252, œ and € would become "
        "Å“ and â‚¬): set `encoding: utf-8` in its source definition, or have it exported "
        "in cp1252"
    )
