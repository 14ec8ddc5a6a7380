"""What real-time identification reads and answers: the records' shape and the answer.

The candidates are identified records with their customer and the derived columns Splink's
input holds (``_model.DERIVED_COLUMNS``); an :class:`Identification` is the answer for one
incoming person; a strong identifier given as is finds its customer by key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from identity import _model
from identity._realtime_input import KEYED_IDENTIFIERS

if TYPE_CHECKING:
    import duckdb

INPUT_COLUMNS = tuple(c for c in _model.MODEL_COLUMNS if c != "record_id")
# _model.DERIVED_COLUMNS of a record without an e-mail: those reading it are null or false
_EMAILLESS = {"email_user": None, "email_user_is_name": False, "email_user_names_holder": False}


def _name_pair(first: str | None, last: str | None) -> str | None:
    """``_model``'s ``name_pair`` (DuckDB orders strings by UTF-8 bytes, Python by code
    points: the same order)."""
    if first is None or last is None:
        return None
    return f"{min(first, last)} {max(first, last)}"


def derived_keys(record: dict[str, Any]) -> dict[str, str | None]:
    """``_model``'s blocking keys derived from the names and the address line, computed
    here for a record without an e-mail (its other derived columns are known: _EMAILLESS):
    ``name_pair``, ``name_low``, ``name_high``, ``name_stems``, ``address_compact``,
    ``last_name_stem``."""
    first, last = record.get("first_name"), record.get("last_name")
    address = record.get("address_line")
    keys: dict[str, str | None] = dict.fromkeys(
        ("name_pair", "name_low", "name_high", "name_stems")
    )
    if first is not None and last is not None:
        keys = {
            "name_pair": _name_pair(first, last),
            "name_low": min(first, last),
            "name_high": max(first, last),
            "name_stems": f"{first[:3]} {last[:3]}",
        }
    compact = re.sub("[^a-z0-9]", "", address) if address is not None else ""
    keys["address_compact"] = compact or None
    keys["last_name_stem"] = last[:3] if last is not None else None
    return keys


@dataclass
class Identification:
    """The answer for one incoming person."""

    customer_id: str | None
    match_probability: float | None
    match_weight: float | None
    reasons: list[dict[str, Any]] = field(default_factory=list)
    matched_record_id: str | None = None
    refused: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.customer_id is None


def with_derived(relation: str) -> str:
    """``relation`` with the derived columns Splink's input holds (``_model``)."""
    derived = ", ".join(f"{sql} as {name}" for name, sql in _model.DERIVED_COLUMNS.items())
    return f"select *, {derived} from {relation}"


def candidate_records_sql(
    records: str = "identity.identity_records",
    customer_records: str = "identity.customer_records",
) -> str:
    """The identified records with their customer and derived columns: what candidates are
    read from (the API stores copies of it sorted by each blocking rule's first column)."""
    return with_derived(
        f"(select r.*, m.customer_id from {records} r join {customer_records} m "
        "using (record_id) where not r.is_anonymous)"
    )


def identify_keyed(con: duckdb.DuckDBPyConnection, kind: str, value: str) -> tuple[str, str] | None:
    """(customer_id, record_id) of a strong identifier given as is (card, account, cookie)."""
    identity_type = KEYED_IDENTIFIERS[kind]
    record_id = f"{identity_type}:{value.strip()}"
    row = con.execute(
        "select customer_id from identity.customer_records where record_id = ?", [record_id]
    ).fetchone()
    return (row[0], record_id) if row else None
