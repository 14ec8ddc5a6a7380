"""Landing files a clumsy operator or a broken export produces, for the ingestion fault tests.

The POS layout is the one tests/ingestion writes (imported from there rather than copied).
Every personal value carries :data:`SECRET` so a test can look for it in the ledger, the
errors, the CLI output and the logs: it must appear in none of them.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingestion"))

from ingestion_landing import POS_HEADER, pos_line  # noqa: E402

SECRET = "Zorglubowski"
CARD, PHONE, BIRTH = "C778899", "0611223344", "29/02/1972"


def secret_line(receipt: int, **overrides: str) -> str:
    """A POS line of a loyalty member whose name, card, phone and birth date are private."""
    values = {
        "card": CARD,
        "last": SECRET.upper(),
        "first": SECRET,
        "phone": PHONE,
        "birth": BIRTH,
        "email": f"{SECRET.lower()}@example.fr",
    }
    return pos_line(receipt, **{**values, **overrides})


def private_values() -> list[str]:
    """What must never leave the landing file but for raw and quarantine rows."""
    return [SECRET, SECRET.upper(), CARD, PHONE, BIRTH]


def write_pos_lines(landing: Path, name: str, lines: list[str], encoding: str = "cp1252") -> Path:
    """A POS export named ``name`` holding the header then ``lines``, CRLF-terminated."""
    path = landing / "pos" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join([POS_HEADER, *lines]) + "\r\n").encode(encoding))
    return path


def good_lines(first: int, count: int) -> list[str]:
    """``count`` valid anonymous POS lines, receipts ``first``, ``first + 1``..."""
    return [pos_line(first + i) for i in range(count)]
