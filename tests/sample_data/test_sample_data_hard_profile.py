"""`cdp generate --profile hard`: the second world of the accuracy benchmark."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from core.settings import Settings
from sample_data import generate


def test_hard_profile_plants_dense_namesakes_buildings_and_family_emails(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data")
    settings.ensure_dirs()
    summary = generate(settings, people=400, seed=5, profile="hard")
    assert summary["profile"] == "hard"
    people = pq.read_table(settings.truth_dir / "people.parquet").to_pylist()
    cases = Counter(case for person in people for case in person["cases"])
    # half the people renamed after someone of their postcode (married women excepted)
    assert cases["dense_namesake"] >= 0.4 * len(people)
    assert cases["apartment_building"] >= 0.2 * len(people)
    # family e-mail addresses: a third of two-adult households (phones: an eighth)
    assert cases["household_shared_email"] > 2 * cases["household_shared_phone"]
    same_place = Counter((p["first_name"], p["last_name"], p["postcode"]) for p in people)
    assert sum(n for n in same_place.values() if n > 1) >= 0.3 * len(people)
