"""pseudopeople's simulated US population as seven exports: `python -m bench.accuracy_bench
--datasets pseudopeople pseudopeople_ssn`.

pseudopeople (PyPI, the `bench` extra; IHME's simulation for testing entity resolution)
generates, offline from its bundled sample, seven noisy sources about one fictional town:
the decennial census, two household surveys (ACS, CPS), the WIC programme, Social
Security, W-2/1099 tax forms and 1040 returns. Each becomes one CSV an export would give:
`contact_id, first_name, last_name, birth_date, address_line, postcode, city, ssn`, read
through a `contact` source definition (`bench/public/pseudopeople*/`); the truth is
pseudopeople's `simulant_id`, households its `household_id`. With SSN, the SSN comes in as
the custom identifier `national_id` (preset `us_ssn`), guarded like any identifier
(`guards.max_people`, config/identity.yml): pseudopeople copies a household member's SSN
onto some records.
"""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
SOURCES = {
    "pseudopeople": BENCH_DIR / "public" / "pseudopeople",
    "pseudopeople_ssn": BENCH_DIR / "public" / "pseudopeople_ssn",
}
# generator -> (short name, address column prefix, date of birth format)
_GENERATORS = {
    "generate_decennial_census": ("census", "", "%m/%d/%Y"),
    "generate_american_community_survey": ("acs", "", "%m/%d/%Y"),
    "generate_current_population_survey": ("cps", "", "%m/%d/%Y"),
    "generate_women_infants_and_children": ("wic", "", "%m/%d/%Y"),
    "generate_social_security": ("ssa", None, "%Y%m%d"),
    "generate_taxes_w2_and_1099": ("w2", "mailing_address_", None),
    "generate_taxes_1040": ("tax1040", "mailing_address_", None),
}
HEADER = ["contact_id", "first_name", "last_name", "birth_date", "address_line", "postcode",
          "city", "ssn"]  # fmt: skip


def _kept(simulant_id: str, share: float) -> bool:
    """A stable share of the simulated people (their every record), for quick runs."""
    return zlib.crc32(simulant_id.encode()) % 1000 < share * 1000


def _text(value) -> str:
    import pandas as pd

    return "" if value is None or pd.isna(value) else str(value).strip()


def write_exports(landing: Path, truth_dir: Path, share: float = 1.0) -> int:
    """Write the seven sources' CSVs into ``landing``, the truth and the households into
    ``truth_dir``; returns the records written."""
    import pandas as pd
    import pseudopeople as pp
    import pyarrow as pa
    import pyarrow.parquet as pq

    landing.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    homes: dict[str, str] = {}
    rows = 0
    with (truth_dir / "identity_truth.csv").open("w", newline="") as truth_file:
        truth = csv.writer(truth_file)
        truth.writerow(["identity_type", "source_key", "person_id"])
        for generator, (name, prefix, dob_format) in _GENERATORS.items():
            frame = getattr(pp, generator)()
            frame = frame[[_kept(str(s), share) for s in frame["simulant_id"]]]
            births = (
                pd.to_datetime(frame["date_of_birth"], format=dob_format, errors="coerce")
                if dob_format
                else pd.Series(pd.NaT, index=frame.index)
            )
            with (landing / f"{name}.csv").open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(HEADER)
                for index, (row, born) in enumerate(
                    zip(frame.to_dict("records"), births, strict=True)
                ):
                    key = f"{name}-{index}"
                    address = ""
                    if prefix is not None:
                        address = " ".join(
                            part
                            for part in (
                                _text(row.get(f"{prefix}street_number")),
                                _text(row.get(f"{prefix}street_name")),
                                _text(row.get(f"{prefix}unit_number")),
                            )
                            if part
                        ) or (f"po box {_text(row.get(f'{prefix}po_box'))}"
                              if _text(row.get(f"{prefix}po_box")) else "")  # fmt: skip
                    writer.writerow([
                        key, _text(row.get("first_name")), _text(row.get("last_name")),
                        "" if pd.isna(born) else born.strftime("%Y-%m-%d"), address,
                        _text(row.get(f"{prefix}zipcode")) if prefix is not None else "",
                        _text(row.get(f"{prefix}city")) if prefix is not None else "",
                        _text(row.get("ssn")),
                    ])  # fmt: skip
                    truth.writerow(["pseudopeople_person", key, row["simulant_id"]])
                    if _text(row.get("household_id")):
                        homes.setdefault(str(row["simulant_id"]), str(row["household_id"]))
                    rows += 1
    people = sorted(homes)
    pq.write_table(
        pa.table({"person_id": people, "household_id": [homes[p] for p in people]}),
        truth_dir / "people.parquet",
    )
    return rows
