"""Seeded sample exports of a French retailer, with the truth behind every identity.

Each source draws from its own RNG stream (``<seed>:<source>``), so the files are
byte-identical for a given seed and changing one source's noise leaves the others as they
were. Rows are streamed to disk; only people, cards, accounts and subscribers stay in memory.
"""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sample_data._callcenter import write_tickets
from sample_data._catalogue import build_campaigns, build_catalogue, popularity_weights
from sample_data._email import write_activity, write_subscribers
from sample_data._files import Timeline
from sample_data._people import PROFILES, build_population
from sample_data._pos import write_pos
from sample_data._reviews import write_reviews
from sample_data._sms import write_sms_activity
from sample_data._truth import Truth, write_people
from sample_data._web_accounts import write_accounts
from sample_data._web_events import write_events

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)
SOURCES = ("pos", "web", "email", "callcenter", "reviews", "sms")


def _clear(directory: Path, patterns: tuple[str, ...]) -> None:
    """Remove earlier generated files, so a smaller run leaves no stale batch behind."""
    for pattern in patterns:
        for path in sorted(directory.glob(pattern)):
            path.unlink()


def generate(
    settings: Settings,
    people: int = 5000,
    seed: int = 42,
    batches: int = 2,
    end_date: date = date(2026, 10, 31),
    profile: str = "default",
) -> dict[str, Any]:
    """Write the landing exports and the truth for ``people`` people; return a summary.

    ``profile`` picks the population (``_people.PROFILES``): ``default``, or ``hard`` (dense
    namesakes, family e-mails, apartment buildings, e-mail-only subscribers).

    The summary holds the seed, the people count, the rows written per file (keyed by path
    relative to the landing folder), identities per type and the generation time.
    """
    if people < 10:
        raise ValueError(f"people must be at least 10, got {people}")
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; known: {sorted(PROFILES)}")
    started = time.perf_counter()
    timeline = Timeline(end_date, batches)
    landing, truth_dir = Path(settings.landing_dir), Path(settings.truth_dir)
    dirs = {source: landing / source for source in SOURCES}
    _clear(dirs["pos"], ("pos_receipts_*.csv",))
    _clear(dirs["web"], ("ga4_events_*.jsonl", "eshop_accounts_*.parquet"))
    _clear(dirs["email"], ("subscribers_*.csv", "activity_*.csv"))
    _clear(dirs["callcenter"], ("tickets_*.csv",))
    _clear(dirs["reviews"], ("reviews_*.csv", "mentions_*.jsonl"))
    _clear(dirs["sms"], ("sms_activity_*.csv",))

    def stream(name: str) -> random.Random:
        return random.Random(f"{seed}:{name}")

    catalogue_rng = stream("catalogue")
    products = build_catalogue(catalogue_rng)
    popularity = popularity_weights(catalogue_rng, products)
    campaigns = build_campaigns(catalogue_rng, timeline.start.date(), end_date)
    population = build_population(
        stream("people"), people, end_date, timeline.span_days, PROFILES[profile]
    )
    truth = Truth()
    files: dict[str, dict[str, int]] = {}

    pos = write_pos(dirs["pos"], stream("pos"), population, products, popularity, timeline, truth)
    files["pos"] = pos.rows
    accounts, files["web_accounts"] = write_accounts(
        dirs["web"], stream("web_accounts"), population, timeline, truth
    )
    files["web_events"] = write_events(
        dirs["web"],
        stream("web_events"),
        population,
        accounts,
        products,
        popularity,
        timeline,
        truth,
    )
    subscribers, files["email_subscribers"] = write_subscribers(
        dirs["email"], stream("email"), population, timeline, truth, PROFILES[profile]
    )
    files["email_activity"] = write_activity(
        dirs["email"], stream("email_activity"), subscribers, campaigns, timeline
    )
    files["callcenter"] = write_tickets(
        dirs["callcenter"], stream("callcenter"), population, pos, products, timeline, truth
    )
    files["reviews"] = write_reviews(
        dirs["reviews"], stream("reviews"), population, products, timeline, truth
    )
    files["sms"] = write_sms_activity(
        dirs["sms"], stream("sms"), population, products, campaigns, timeline, truth
    )

    truth_dir.mkdir(parents=True, exist_ok=True)
    truth.write(truth_dir / "identity_truth.csv")
    write_people(population, truth_dir / "people.parquet")
    cases: dict[str, int] = {}
    for person in population:
        for case in set(person.cases):
            cases[case] = cases.get(case, 0) + 1
    generation = {
        "seed": seed,
        **({"profile": profile} if profile != "default" else {}),
        "people": people,
        "batches": batches,
        "end_date": end_date.isoformat(),
        "history_start": timeline.start.date().isoformat(),
        "file_dates": timeline.file_dates,
        "products": len(products),
        "campaigns": len(campaigns),
        "files": {
            f"{_source_dir(kind)}/{name}": rows
            for kind, per_file in files.items()
            for name, rows in per_file.items()
        },
        "identities": truth.counts(),
        "people_with_case": dict(sorted(cases.items())),
        "junk": {"till_default_card": pos.till_card},
    }
    # No timing in the file: it must be byte-identical for a given seed.
    (truth_dir / "generation.json").write_text(
        json.dumps(generation, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    seconds = round(time.perf_counter() - started, 2)
    log.info("generated %d people into %s in %.1f s", people, landing, seconds)
    return {
        **generation,
        "seconds": seconds,
        "landing_dir": str(landing),
        "truth_dir": str(truth_dir),
    }


def _source_dir(kind: str) -> str:
    return kind.split("_")[0]
