"""E-mail platform: the subscriber list (Mailchimp-like, one row per address) and the
campaign activity (sent, delivered, open, click, bounce, unsubscribe, complaint)."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from pathlib import Path

from sample_data._catalogue import Campaign
from sample_data._files import CsvWriter, Timeline, batch_paths
from sample_data._noise import double_encoded, email_variant, fold, nickname
from sample_data._people import PROFILES, Person, Profile, pick
from sample_data._reference import TYPO_DOMAINS
from sample_data._truth import Truth
from sample_data._web_events import SITE

SUBSCRIBER_HEADER = [
    "Email Address",
    "First Name",
    "Last Name",
    "Status",
    "Opt-in Date",
    "Last Changed",
    "Zip",
]
ACTIVITY_HEADER = [
    "campaign_id",
    "campaign_name",
    "email",
    "action",
    "timestamp",
    "url",
    "bounce_type",
]
JUNK_EMAILS = ("test@test.com", "aaa@aaa.fr", "noreply@gmail.com", "refus@refus.fr")
CAMPAIGN_REACH = 0.12
_TYPO_SUFFIXES = tuple(f"@{domain}" for domain in TYPO_DOMAINS.values())
_STAMP = "%Y-%m-%d %H:%M:%S"


@dataclass(slots=True)
class Subscriber:
    email: str
    opted_in: int
    status: str
    changed: int  # when ``status`` was reached; subscribed until then
    bounces_hard: bool


def _names(rng: random.Random, person: Person, profile: Profile) -> tuple[str, str]:
    first = person.first_name if rng.random() < profile.subscriber_first_name else ""
    last = person.last_name if rng.random() < profile.subscriber_last_name else ""
    if first and rng.random() < 0.04 and (nick := nickname(first)):
        first = nick
        person.cases.append("nickname")
    if rng.random() < 0.3:
        first, last = fold(first), fold(last)
    elif rng.random() < 0.015 and fold(last) != last:
        last = double_encoded(last)
        person.cases.append("mojibake")
    return first, last


def _subscriptions(rng: random.Random, person: Person, junk: list[str]) -> list[str]:
    """The addresses a person subscribed with (a second, variant one now and then)."""
    email = person.email
    if junk:
        email = junk.pop(0)
        person.cases.append("junk_identifier")
    elif rng.random() < 0.1:
        email, _ = email_variant(email, rng)
        person.cases.append("email_variant")
    emails = [email]
    if rng.random() < 0.03:
        emails.append(email_variant(person.email, rng)[0])
        person.cases.append("multiple_subscriptions")
    return emails


def _malformer():
    kinds = itertools.cycle(("status", "date", "missing_columns"))

    def malformed(row: list[str], rng: random.Random) -> list[str]:
        kind = next(kinds)
        if kind == "status":
            return [*row[:3], "unknown", *row[4:]]
        if kind == "date":
            return [*row[:4], "2025-02-30 10:00:00", *row[5:]]
        return row[:3]

    return malformed


def write_subscribers(
    directory: Path,
    rng: random.Random,
    people: list[Person],
    timeline: Timeline,
    truth: Truth,
    profile: Profile = PROFILES["default"],
) -> tuple[list[Subscriber], dict]:
    """Write ``subscribers_<date>.csv`` per batch; an address is one subscriber."""
    writer = CsvWriter(
        batch_paths(directory, "subscribers", ".csv", timeline),
        SUBSCRIBER_HEADER,
        delimiter=",",
        encoding="utf-8",
        rng=rng,
        malformer=_malformer(),
        malformed_rate=0.0005,
        reexport_rate=0.02,
        min_malformed=3,
    )
    subscribers, keys, junk = [], set(), list(JUNK_EMAILS)
    members = [p for p in people if p.is_subscriber]
    junk_people = pick(rng, members, 0.0, len(JUNK_EMAILS))
    for person in members:
        first, last = _names(rng, person, profile)
        zip_code = person.postcode if rng.random() < 0.5 else ""
        given = junk if person.person_id in junk_people else []
        for email in _subscriptions(rng, person, given):
            key = email.strip(" ").lower()
            if key in keys:
                continue  # a household's shared address is subscribed once, by one of them
            keys.add(key)
            truth.add("email_subscriber", key, person.person_id)
            opted = min(person.joined_day * 86400 + rng.randrange(30 * 86400), timeline.span)
            hard = key.endswith(_TYPO_SUFFIXES)
            status = (
                "cleaned"
                if hard
                else rng.choices(
                    ("subscribed", "unsubscribed", "cleaned", "pending"), (80, 13, 3, 4)
                )[0]
            )
            changed = (
                opted
                if status in ("subscribed", "pending")
                else rng.randrange(opted, timeline.span + 1)
            )
            subscribers.append(Subscriber(email, opted, status, changed, hard))
            row = [
                email,
                first,
                last,
                "subscribed",
                f"{timeline.at(opted):{_STAMP}}",
                f"{timeline.at(opted):{_STAMP}}",
                zip_code,
            ]
            if timeline.batch_of(changed) == timeline.batch_of(opted) or status == "pending":
                row[3], row[5] = status, f"{timeline.at(changed):{_STAMP}}"
                writer.write(timeline.batch_of(opted), row)
            else:
                writer.write(timeline.batch_of(opted), row)
                writer.write(
                    timeline.batch_of(changed),
                    [*row[:3], status, row[4], f"{timeline.at(changed):{_STAMP}}", row[6]],
                )
    return subscribers, writer.close()


def _activity_malformer():
    kinds = itertools.cycle(("date", "action", "email"))

    def malformed(row: list[str], rng: random.Random) -> list[str]:
        kind = next(kinds)
        if kind == "date":
            return [*row[:4], "2026-13-45 25:00:00", *row[5:]]
        if kind == "action":
            return [*row[:3], "opened", *row[4:]]
        return [row[0], row[1], "", *row[3:]]

    return malformed


def write_activity(
    directory: Path,
    rng: random.Random,
    subscribers: list[Subscriber],
    campaigns: list[Campaign],
    timeline: Timeline,
) -> dict[str, int]:
    """Write ``activity_<date>.csv`` per batch: each campaign reaches a sample of the list."""
    writer = CsvWriter(
        batch_paths(directory, "activity", ".csv", timeline),
        ACTIVITY_HEADER,
        delimiter=",",
        encoding="utf-8",
        rng=rng,
        malformer=_activity_malformer(),
        malformed_rate=0.0002,
        reexport_rate=0.005,
        min_malformed=3,
    )
    for campaign in campaigns:
        sent = int((campaign.sent_at - timeline.start).total_seconds())
        if not 0 <= sent <= timeline.span:
            continue
        for sub in subscribers:
            if (
                sub.opted_in > sent
                or (sub.status != "subscribed" and sub.changed <= sent)
                or (sub.status == "pending")
                or rng.random() >= CAMPAIGN_REACH
            ):
                continue
            _recipient(writer, rng, campaign, sub, sent, timeline)
    return writer.close()


def _recipient(
    writer: CsvWriter,
    rng: random.Random,
    campaign: Campaign,
    sub: Subscriber,
    sent: int,
    timeline: Timeline,
) -> None:
    email = sub.email.strip(" ")

    def emit(action: str, second: int, url: str = "", bounce: str = "") -> None:
        second = min(second, timeline.span)
        writer.write(
            timeline.batch_of(second),
            [
                campaign.campaign_id,
                campaign.name,
                email,
                action,
                f"{timeline.at(second):{_STAMP}}",
                url,
                bounce,
            ],
        )

    emit("sent", sent)
    if sub.bounces_hard or rng.random() < 0.02:
        emit("bounce", sent + 60, bounce="hard" if sub.bounces_hard else "soft")
        return
    emit("delivered", sent + rng.randrange(5, 300))
    if rng.random() < 0.3:
        opened = sent + rng.randrange(600, 3 * 86400)
        emit("open", opened)
        if rng.random() < 0.25:
            emit(
                "click",
                opened + rng.randrange(5, 600),
                url=f"{SITE}/c/{rng.choice(('nouveautes', 'soldes', 'mode-femme', 'maison'))}",
            )
    if rng.random() < 0.004:
        emit("unsubscribe", sent + rng.randrange(600, 86400))
    elif rng.random() < 0.0005:
        emit("complaint", sent + rng.randrange(600, 86400))
