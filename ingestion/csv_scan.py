"""Whether a delimited export can hold a field with spaces to trim, seen from its bytes.

The staging query trims every field and reads a blank one as missing: at a million
22-field lines that is ~0.8 s of CPU, a third of DuckDB's own read. A field can start or end
with a space only where a space touches a field boundary: a byte of the delimiter or of the
quote, a line break, or the start or end of the file. An export read in chunks anyway (the
cp1252 check and transcode) is watched for such a space on the way, at memory speed; a file
without one is read without the trim (:func:`ingestion.sql.field_text_plain`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

_SPACE = 0x20


class PaddingWatch:
    """Fed a file's bytes chunk by chunk; ``padded`` once a space touches a field boundary.

    A space beside any byte of the delimiter or quote counts, so a multi-byte delimiter or
    a quote inside a field can only make the answer "padded": never a missed trim.
    """

    def __init__(self, delimiter: str, quote: str, encoding: str) -> None:
        import numpy as np

        self._boundary: np.ndarray = np.zeros(256, dtype=bool)
        try:
            separators = (delimiter + quote).encode(encoding)
        except UnicodeEncodeError:  # no byte of the file can be that delimiter: trim anyway
            separators, self._unknown = b"", True
        else:
            self._unknown = False
        for byte in separators + b"\r\n":
            self._boundary[byte] = True
        self.padded = self._unknown
        self._last: int | None = None  # the previous chunk's last byte; None: start of file

    def reset(self) -> None:
        """Start again from the first byte of the file."""
        self.padded, self._last = self._unknown, None

    def feed(self, chunk: bytes) -> None:
        """Look at the file's next bytes."""
        import numpy as np

        if self.padded or not chunk:
            return
        data = np.frombuffer(chunk, dtype=np.uint8)
        spaces = np.flatnonzero(data == _SPACE)
        # the byte before this chunk: the start of the file is a boundary
        starts_on_boundary = self._last is None or bool(self._boundary[self._last])
        self.padded = bool(
            (self._last == _SPACE and self._boundary[data[0]])
            or (spaces.size and spaces[0] == 0 and starts_on_boundary)
            or self._boundary[data[spaces[spaces > 0] - 1]].any()
            or self._boundary[data[spaces[spaces < data.size - 1] + 1]].any()
        )
        self._last = int(data[-1])

    def finish(self) -> bool:
        """True when some field may carry spaces to trim (the file's last byte included)."""
        self.padded = self.padded or self._last == _SPACE
        return self.padded
