"""The answer key: which person is behind every source identity the exports contain."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sample_data._people import Person


class Truth:
    """Source identities by ``(identity_type, source_key)``; one person each, always."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], str] = {}

    def add(self, identity_type: str, source_key: str, person_id: str) -> None:
        """Record that ``source_key`` belongs to ``person_id``; a clash is a generator bug."""
        owner = self.keys.setdefault((identity_type, source_key), person_id)
        if owner != person_id:
            raise AssertionError(
                f"{identity_type} {source_key!r} given to both {owner} and {person_id}: the "
                "generator must keep every source identity to one person"
            )

    def counts(self) -> dict[str, int]:
        """Identities per identity type."""
        out: dict[str, int] = {}
        for identity_type, _ in self.keys:
            out[identity_type] = out.get(identity_type, 0) + 1
        return out

    def write(self, path: Path) -> None:
        """``identity_truth.csv``: identity_type, source_key, person_id."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(("identity_type", "source_key", "person_id"))
            for (identity_type, key), person_id in self.keys.items():
                writer.writerow((identity_type, key, person_id))


def write_people(people: list[Person], path: Path) -> None:
    """One row per person with the hard cases they take part in."""
    table = pa.table(
        {
            "person_id": [p.person_id for p in people],
            "household_id": [p.household_id for p in people],
            "first_name": [p.first_name for p in people],
            "last_name": [p.last_name for p in people],
            "maiden_name": [p.maiden_name for p in people],
            "birth_date": pa.array([p.birth_date for p in people], pa.date32()),
            "email": [p.email for p in people],
            "phone": [p.phone for p in people],
            "address_line": [p.address_line for p in people],
            "postcode": [p.postcode for p in people],
            "city": [p.city for p in people],
            "cases": pa.array([sorted(set(p.cases)) for p in people], pa.list_(pa.string())),
        }
    )
    pq.write_table(table, path, compression="zstd")
