"""Call-center tickets (UTF-8 with BOM, ``;``): each ticket is its own source identity, with
whatever the agent typed: a free-text name, a phone in any format, sometimes an e-mail or
a loyalty number, and a verbatim about the call's reason and more (``_verbatims``), its
CSAT drawn around the verbatim's sentiment. Junk values callers give (``0000000000``, the
store's number, a placeholder e-mail, the till's default card) are planted here."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from sample_data._catalogue import Product
from sample_data._files import CsvWriter, Timeline, batch_paths
from sample_data._noise import caller_name, email_variant, nickname, phone_any_format, typo
from sample_data._people import Person, pick
from sample_data._pos import PosResult
from sample_data._reference import CALL_REASONS, STORES
from sample_data._reviews_text import rating_for
from sample_data._truth import Truth
from sample_data._verbatims import call_verbatim
from sample_data._web_accounts import JUNK_EMAIL

HEADER = [
    "ticket_id",
    "opened_at",
    "closed_at",
    "caller_name",
    "caller_phone",
    "caller_email",
    "loyalty_number",
    "channel",
    "reason",
    "status",
    "duration_sec",
    "csat",
    "verbatim",
]
JUNK_PHONE = "0000000000"
_REASONS = [r for r, _ in CALL_REASONS]
_REASON_WEIGHTS = [w for _, w in CALL_REASONS]
_STORE_PHONES = {code: phone for code, _, phone in STORES}
_STORE_NAMES = {code: name for code, name, _ in STORES}
_STAMP = "%d/%m/%Y %H:%M:%S"


def _card_as_typed(card: str, rng: random.Random) -> str:
    if rng.random() < 0.3:
        return " ".join(card[i : i + 4] for i in range(0, len(card), 4))
    return card if rng.random() < 0.8 else f"{card[:4]}-{card[4:]}"


def _contact(
    rng: random.Random, person: Person, cards: list[str], till: str | None, victim: bool, junk: str
) -> tuple[str, str, str]:
    """Phone, e-mail and loyalty number as given on one call; ``junk`` plants a junk value."""
    phone = phone_any_format(person.phone, rng) if rng.random() < 0.85 else ""
    if junk == "phone":
        phone = JUNK_PHONE
    elif junk == "store_phone":
        phone = _STORE_PHONES[person.store]
    email = ""
    if junk == "email":
        email = JUNK_EMAIL
    elif rng.random() < 0.35:
        email = person.email
        if rng.random() < 0.1:
            email, _ = email_variant(email, rng)
            person.cases.append("email_variant")
    loyalty = ""
    if victim and till and rng.random() < 0.6:
        loyalty = _card_as_typed(till, rng)
    elif cards and rng.random() < 0.25:
        loyalty = _card_as_typed(cards[-1], rng)
    if junk:
        person.cases.append("junk_identifier")
    return phone, email, loyalty


def _plant_junk(rng: random.Random, callers: list[Person]) -> dict[str, str]:
    """Which callers give ``0000000000``, the store's number, or the placeholder e-mail."""
    junk: dict[str, str] = {}
    for kind, rate, minimum in (("phone", 0.01, 2), ("store_phone", 0.01, 4), ("email", 0.015, 2)):
        for person_id in sorted(pick(rng, callers, rate, minimum)):
            junk.setdefault(person_id, kind)
    return junk


def _name(rng: random.Random, person: Person) -> str:
    first, last = person.first_name, person.last_name
    if rng.random() < 0.04 and (nick := nickname(first)):
        first = nick
        person.cases.append("nickname")
    if rng.random() < 0.04:
        last = typo(last, rng)
        person.cases.append("name_typo")
    if rng.random() < 0.03:
        first, last = last, first
        person.cases.append("swapped_names")
    return caller_name(first, last, person.female, rng) if rng.random() < 0.95 else ""


def _malformer():
    kinds = itertools.cycle(("csat", "date", "missing_columns"))

    def malformed(row: list[str], rng: random.Random) -> list[str]:
        kind = next(kinds)
        if kind == "csat":
            return [*row[:11], "7", row[12]]
        if kind == "date":
            return [row[0], "32/13/2026 10:00:00", *row[2:]]
        return row[:6]

    return malformed


def write_tickets(
    directory: Path,
    rng: random.Random,
    people: list[Person],
    pos: PosResult,
    products: list[Product],
    timeline: Timeline,
    truth: Truth,
) -> dict[str, int]:
    """Write ``tickets_<date>.csv`` per batch; a ticket updated later is re-exported."""
    writer = CsvWriter(
        batch_paths(directory, "tickets", ".csv", timeline),
        HEADER,
        delimiter=";",
        encoding="utf-8-sig",
        lineterminator="\r\n",
        rng=rng,
        malformer=_malformer(),
        malformed_rate=0.002,
        reexport_rate=0.02,
        min_malformed=3,
    )
    victims = {p.person_id for p in pos.till_victims}
    callers = [p for p in people if p.calls or p.person_id in victims]
    junk = _plant_junk(rng, callers)
    number = 0
    for person in callers:
        calls = person.calls or 2
        cards = pos.cards.get(person.person_id, [])
        for call in range(calls):
            number += 1
            ticket = f"TCK-{number:07d}"
            truth.add("callcenter_caller", ticket, person.person_id)
            opened = rng.randrange(person.joined_day * 86400, timeline.span + 1)
            channel = rng.choices(("phone", "chat", "email"), (70, 20, 10))[0]
            duration = rng.randrange(45, 1500) if channel != "email" else 0
            status = rng.choices(("closed", "open", "escalated"), (80, 10, 10))[0]
            resolved = min(opened + duration + rng.randrange(0, 3 * 86400), timeline.span)
            phone, email, loyalty = _contact(
                rng,
                person,
                cards,
                pos.till_card,
                person.person_id in victims,
                junk.get(person.person_id, "") if call == 0 else "",
            )
            reason = rng.choices(_REASONS, _REASON_WEIGHTS)[0]
            verbatim, sentiment = "", "neutral"  # some tickets are closed without a word
            if rng.random() < 0.92:
                product = rng.choice(products).name.split(" ")[0].lower()
                store = _STORE_NAMES.get(person.store, "la boutique")
                verbatim, sentiment = call_verbatim(rng, reason, product, store)
            closed = status == "closed"
            row = [
                ticket,
                f"{timeline.at(opened):{_STAMP}}",
                f"{timeline.at(resolved):{_STAMP}}" if status == "closed" else "",
                _name(rng, person),
                phone,
                email,
                loyalty,
                channel,
                reason,
                status,
                str(duration),
                str(rating_for(sentiment, rng)) if closed and rng.random() < 0.6 else "",
                verbatim,
            ]
            batch = timeline.batch_of(opened)
            writer.write(batch, row)
            if status != "closed" and timeline.batch_of(resolved) > batch:
                # Settled after the export: the next file sends the ticket again, closed.
                writer.write(
                    timeline.batch_of(resolved),
                    [
                        *row[:2],
                        f"{timeline.at(resolved):{_STAMP}}",
                        *row[3:9],
                        "closed",
                        row[10],
                        str(rating_for(sentiment, rng)),
                        row[12],
                    ],
                )
    return writer.close()
