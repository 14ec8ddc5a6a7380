"""SMS platform: campaign activity per phone number (sent, delivered, failed, click, reply).

About a third of the people with a card or an account gave their mobile for SMS offers. Every
fourth e-mail campaign also goes out by SMS to part of that list. The platform writes numbers
as international digits (``33612345678``); an inbound reply carries what the person wrote: a
STOP in any spelling (the platform sends nothing more to that number afterwards), thanks, a
question or a complaint (``_verbatims.sms_reply``).
"""

from __future__ import annotations

import random
from pathlib import Path

from sample_data._catalogue import Campaign, Product
from sample_data._files import CsvWriter, Timeline, batch_paths
from sample_data._people import Person
from sample_data._reference import STORES
from sample_data._truth import Truth
from sample_data._verbatims import sms_reply
from sample_data._web_events import SITE

HEADER = ["id", "campaign_id", "campaign_name", "number", "event", "date", "url", "reply"]
_STAMP = "%Y-%m-%d %H:%M:%S"
_STORE_NAMES = {code: name for code, name, _ in STORES}
SMS_LIST_RATE = 0.3
CAMPAIGN_REACH = 0.5


def platform_number(phone: str) -> str:
    """A French national number as the platform writes it: ``0612345678`` -> ``33612345678``."""
    return "33" + phone[1:]


def _malformer():
    def malformed(row: list[str], rng: random.Random) -> list[str]:
        return [*row[:4], "opened", *row[5:]]  # an event type the contract does not know

    return malformed


def write_sms_activity(
    directory: Path,
    rng: random.Random,
    people: list[Person],
    products: list[Product],
    campaigns: list[Campaign],
    timeline: Timeline,
    truth: Truth,
) -> dict[str, int]:
    """Write ``sms_activity_<date>.csv`` per batch."""
    writer = CsvWriter(
        batch_paths(directory, "sms_activity", ".csv", timeline),
        HEADER,
        delimiter=",",
        encoding="utf-8",
        rng=rng,
        malformer=_malformer(),
        malformed_rate=0.0005,
        reexport_rate=0.005,
        min_malformed=2,
    )
    numbers: dict[str, Person] = {}
    for person in people:
        if (person.has_card or person.has_account) and person.phone not in numbers:
            if rng.random() < SMS_LIST_RATE:
                numbers[person.phone] = person
    stopped: set[str] = set()
    event = 0

    def emit(campaign: Campaign, number: str, kind: str, second: int, url="", text="") -> None:
        nonlocal event
        event += 1
        second = min(second, timeline.span)
        writer.write(timeline.batch_of(second), [
            f"SMS-{event:08d}", f"SMS-{campaign.campaign_id}", campaign.name, number, kind,
            f"{timeline.at(second):{_STAMP}}", url, text,
        ])  # fmt: skip

    for campaign in campaigns[::4]:
        sent = int((campaign.sent_at - timeline.start).total_seconds())
        if not 0 <= sent <= timeline.span:
            continue
        for phone, person in numbers.items():
            if phone in stopped or person.joined_day * 86400 > sent:
                continue
            if rng.random() >= CAMPAIGN_REACH:
                continue
            number = platform_number(phone)
            emit(campaign, number, "sent", sent)
            truth.add("sms_recipient", number, person.person_id)  # a number the file holds
            if rng.random() < 0.04:
                emit(campaign, number, "failed", sent + rng.randrange(5, 120))
                continue
            emit(campaign, number, "delivered", sent + rng.randrange(5, 120))
            if rng.random() < 0.08:
                emit(campaign, number, "click", sent + rng.randrange(60, 86400),
                     url=f"{SITE}/offres/{campaign.campaign_id.lower()}")  # fmt: skip
            if rng.random() < 0.03:
                store = _STORE_NAMES.get(person.store, "la boutique")
                product = rng.choice(products).name.split(" ")[0].lower()
                text, _, is_stop = sms_reply(rng, product, store)
                emit(campaign, number, "reply", sent + rng.randrange(30, 7200), text=text)
                if is_stop:
                    stopped.add(phone)
    return writer.close()
