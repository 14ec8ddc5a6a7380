"""Read a cp1252 export with DuckDB, which has no offline cp1252.

Without a byte in 0x80-0x9F a cp1252 file is latin-1 too, read natively after a check; with
one (``€ œ ’``) it is transcoded to UTF-8 at C speed. Either way a file that is UTF-8 in
disguise is refused, and the characters without which no row can show broken encoding are
looked for, so a clean file skips that check row by row.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import NamedTuple

from ingestion.csv_scan import PaddingWatch
from ingestion.readers import FileReadError

# 64 KB: each pass over a chunk (decode, encode, the searches, the padding watch) reads it
# from the CPU's cache, and the chunk's objects (its text is twice its size once € makes it
# UCS-2) stay small enough for malloc to reuse the same memory: 1 MB chunks were mapped
# fresh and freed each time, ~100k page faults per 125 MB (0.52-0.60 s CPU against 0.41-0.44)
_CHUNK = 64 * 1024
# A cp1252 file's text can match ingestion.sql.BROKEN_ENCODING_PATTERN only if it holds "â€"
# or one of these bytes: Â, Ã, Ä, Å, ‚ (UTF-8's € read as cp1252 is "â‚¬"; a real cp1252 export
# hardly ever holds the low quote ‚) and the five that cp1252 leaves undefined (U+FFFD).
_CP1252_SUSPECT_BYTES = tuple(bytes([b]) for b in b"\xc2\xc3\xc4\xc5\x82\x81\x8d\x8f\x90\x9d")
_MOJIBAKE_EURO = "â€".encode()
_NON_ASCII = re.compile(rb"[\x80-\xff]")
# The bytes where cp1252 and latin-1 differ (cp1252's € œ ’ … and its five undefined bytes)
_CP1252_ONLY = bytes(range(0x80, 0xA0))


class Cp1252Read(NamedTuple):
    """How DuckDB reads a cp1252 export."""

    path: Path  # the export itself, or its UTF-8 copy
    encoding: str  # DuckDB's name for the encoding of ``path``
    suspect: bool  # some row may show broken encoding
    padded: bool  # some field may carry spaces to trim (:mod:`ingestion.csv_scan`)


def read_cp1252(path: Path, target: Path, padding: PaddingWatch | None = None) -> Cp1252Read:
    """How DuckDB reads a cp1252 export, watched for padded fields by ``padding``.

    A file without a byte in 0x80-0x9F is latin-1 as well (the two differ only there), which
    DuckDB reads natively: it is only checked (UTF-8 in disguise is refused, the characters
    of broken encoding looked for), not copied. Otherwise it is transcoded into ``target``
    (:func:`transcode_cp1252`) from its start, once a chunk holds such a byte.
    Without ``padding`` every field is taken as padded.
    """
    suspect = False
    disguise = _Utf8Disguise()
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            # deleting them is a C loop at memory speed; a regex class scan is 3x slower
            if len(chunk.translate(None, _CP1252_ONLY)) != len(chunk):
                if padding:
                    padding.reset()
                suspect = transcode_cp1252(path, target, padding)
                return Cp1252Read(target, "utf-8", suspect, _padded(padding))
            # without 0x80-0x9F, broken encoding shows as Ã or Â (é, à as UTF-8), or Ä, Å
            suspect = suspect or any(byte in chunk for byte in _CP1252_SUSPECT_BYTES)
            disguise.feed(chunk)
            if padding:
                padding.feed(chunk)
    disguise.refuse_if_utf8()
    return Cp1252Read(path, "latin-1", suspect, _padded(padding))


def _padded(padding: PaddingWatch | None) -> bool:
    return padding.finish() if padding else True


def transcode_cp1252(path: Path, target: Path, padding: PaddingWatch | None = None) -> bool:
    """Rewrite a cp1252 file as UTF-8; True when its text may show broken encoding.

    DuckDB 2.0 has no offline cp1252 and its ``latin-1`` reader rejects 0x80-0x9F, the very
    bytes where cp1252 puts ``€ œ ’ …``. Python's codec decodes them at C speed; the five
    bytes cp1252 leaves undefined become U+FFFD, which the contract query quarantines as
    broken encoding. While the text is at hand, it is searched for the characters without
    which no row can show broken encoding, so a clean file skips that check row by row.
    A file that is valid UTF-8 throughout and not plain ASCII is refused (:func:`_refuse_utf8`):
    read as cp1252 its ``œ €`` would become ``Å“ â‚¬``, which no row check can tell from text.
    """
    suspect, tail = False, b""
    disguise = _Utf8Disguise()
    with path.open("rb") as source, target.open("wb") as out:
        # cp1252 is one byte per character: any chunk boundary is a character boundary.
        while chunk := source.read(_CHUNK):
            encoded = chunk.decode("cp1252", errors="replace").encode("utf-8")
            # Ã, Â and the undefined bytes are single bytes here (memchr speed); â€ is
            # searched in the UTF-8, where its rare last byte makes the search skip ahead.
            suspect = (
                suspect
                or any(byte in chunk for byte in _CP1252_SUSPECT_BYTES)
                or _MOJIBAKE_EURO in tail + encoded[: len(_MOJIBAKE_EURO)]
                or _MOJIBAKE_EURO in encoded
            )
            tail = encoded[-len(_MOJIBAKE_EURO) :]
            out.write(encoded)
            disguise.feed(chunk)
            if padding:
                padding.feed(chunk)  # the cp1252 bytes: one byte per character, fewer bytes
    disguise.refuse_if_utf8()
    return suspect


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
