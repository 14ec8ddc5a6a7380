"""Till receipts: one cp1252 row per receipt line, loyalty members' details when scanned."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from pathlib import Path

from sample_data._catalogue import Product
from sample_data._files import CsvWriter, Timeline, batch_paths
from sample_data._noise import double_encoded, email_variant, fold, typo
from sample_data._people import Person
from sample_data._reference import PAYMENT_METHODS, STORES
from sample_data._truth import Truth

HEADER = (
    "CODE_MAGASIN;NUM_TICKET;NUM_LIGNE;DATE_HEURE;CODE_ARTICLE;LIBELLE_ARTICLE;FAMILLE;"
    "QUANTITE;PRIX_UNITAIRE;REMISE;PRIX_ACHAT;MODE_PAIEMENT;NUM_CARTE_FIDELITE;NOM_CLIENT;"
    "PRENOM_CLIENT;EMAIL_CLIENT;TEL_CLIENT;CP_CLIENT;VILLE_CLIENT;DATE_NAISSANCE_CLIENT;"
    "OPTIN_EMAIL;OPTIN_SMS"
).split(";")
ANONYMOUS_SHARE = 0.35
_NO_CUSTOMER = [""] * 9
_HOURS = list(range(9, 20))
_HOUR_WEIGHTS = (3, 5, 7, 9, 8, 6, 7, 9, 10, 9, 5)
_PAYMENTS = [m for m, _ in PAYMENT_METHODS]
_PAYMENT_WEIGHTS = [w for _, w in PAYMENT_METHODS]
_UNDEFINED_CP1252 = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


@dataclass
class PosResult:
    cards: dict[str, list[str]] = field(default_factory=dict)  # person_id -> card numbers
    till_card: str | None = None
    till_victims: list[Person] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def _money(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _card_number(rng: random.Random, taken: set[str]) -> str:
    number = f"2501{rng.randrange(10**9):09d}"
    while number in taken:
        number = f"2501{rng.randrange(10**9):09d}"
    taken.add(number)
    return number


def _customer_columns(person: Person, rng: random.Random) -> list[str]:
    """The loyalty member as the CRM behind the till knows them (old address, maiden name)."""
    first, last = person.first_name, person.maiden_name or person.last_name
    if rng.random() < 0.03:
        first, last = (typo(first, rng), last) if rng.random() < 0.5 else (first, typo(last, rng))
        person.cases.append("name_typo")
    if rng.random() < 0.45:
        first, last = fold(first), fold(last)
    elif rng.random() < 0.02 and fold(last) != last:
        last = double_encoded(last)
        person.cases.append("mojibake")
    if rng.random() < 0.6:
        last = last.upper()
    if rng.random() < 0.02:
        first, last = last, first
        person.cases.append("swapped_names")
    email = person.email if rng.random() < 0.8 else ""
    if email and rng.random() < 0.08:
        email, _ = email_variant(email, rng)
        person.cases.append("email_variant")
    line, postcode, city = person.old_address or (person.address_line, person.postcode, person.city)
    return [
        last,
        first,
        email,
        person.phone if rng.random() < 0.75 else "",
        postcode if rng.random() < 0.95 else "",
        (city.upper() if rng.random() < 0.5 else city) if rng.random() < 0.9 else "",
        f"{person.birth_date:%d/%m/%Y}" if rng.random() < 0.7 else "",
        rng.choice(("O", "O", "N", "")),
        rng.choice(("O", "N", "N", "")),
    ]


def _malformer():
    kinds = itertools.cycle(("encoding", "date", "missing_columns", "quantity"))

    def malformed(row: list[str], rng: random.Random) -> list[str] | bytes:
        return _malformed(row, rng, next(kinds))

    return malformed


def _malformed(row: list[str], rng: random.Random, kind: str) -> list[str] | bytes:
    bad = list(row)
    bad[2] = str(int(row[2]) + 50)
    if kind == "date":
        bad[3] = rng.choice(("31/02/2026 14:05", "2026-10-12 14:05", "12/13/2025 25:70"))
        return bad
    if kind == "quantity":
        bad[7] = f"-{rng.randint(1, 3)}"
        return bad
    if kind == "missing_columns":
        return bad[: rng.randint(9, 15)]
    name = bad[5].encode("cp1252")
    cut = rng.randrange(1, len(name))
    bad[5] = "\x00"
    encoded = (";".join(bad) + "\r\n").encode("cp1252")
    return encoded.replace(b"\x00", name[:cut] + rng.choice(_UNDEFINED_CP1252) + name[cut:])


class _Receipts:
    """Receipt numbering and line drawing shared by member and anonymous receipts."""

    def __init__(
        self,
        rng: random.Random,
        products: list[Product],
        popularity: list[float],
        timeline: Timeline,
        writer: CsvWriter,
    ):
        self.rng, self.timeline, self.writer = rng, timeline, writer
        self.products = [
            (
                p.sku,
                p.name,
                p.category,
                p.price,
                _money(p.price),
                _money(p.cost) if p.cost is not None else "",
            )
            for p in products
        ]
        self.popularity = popularity
        self.number = 0
        self.receipts = 0

    def write(self, store: str, second: int, card: str, customer: list[str]) -> None:
        rng = self.rng
        day_start = second - second % 86400
        second = day_start + rng.choices(_HOURS, _HOUR_WEIGHTS)[0] * 3600 + rng.randrange(3600)
        second = min(second, self.timeline.span)
        self.number += 1
        self.receipts += 1
        ticket = f"{store[1:]}{self.number:09d}"
        when = f"{self.timeline.at(second):%d/%m/%Y %H:%M}"
        batch = self.timeline.batch_of(second)
        payment = rng.choices(_PAYMENTS, _PAYMENT_WEIGHTS)[0]
        lines = 1 + min(int(rng.expovariate(0.9)), 7)
        for line in range(1, lines + 1):
            sku, name, category, price, price_text, cost = rng.choices(
                self.products, cum_weights=self.popularity
            )[0]
            quantity = 1 if rng.random() < 0.82 else rng.randint(2, 4)
            discount = (
                _money(price * quantity * rng.choice((0.1, 0.2, 0.3)))
                if (rng.random() < 0.18)
                else ""
            )
            self.writer.write(
                batch,
                [
                    store,
                    ticket,
                    str(line),
                    when,
                    sku,
                    name,
                    category,
                    str(quantity),
                    price_text,
                    discount,
                    cost,
                    payment,
                    card,
                    *customer,
                ],
            )


def write_pos(
    directory: Path,
    rng: random.Random,
    people: list[Person],
    products: list[Product],
    popularity: list[float],
    timeline: Timeline,
    truth: Truth,
) -> PosResult:
    """Write ``pos_receipts_<date>.csv`` per batch; return cards and the till's default card."""
    writer = CsvWriter(
        batch_paths(directory, "pos_receipts", ".csv", timeline),
        HEADER,
        delimiter=";",
        encoding="cp1252",
        lineterminator="\r\n",
        rng=rng,
        malformer=_malformer(),
        malformed_rate=0.0003,
        reexport_rate=0.01,
        min_malformed=4,
    )
    receipts = _Receipts(rng, products, popularity, timeline, writer)
    result, taken = PosResult(), set[str]()
    stores = [code for code, _, _ in STORES]
    members = [p for p in people if p.has_card]
    first_customer: list[str] = []
    for person in members:
        joined = person.joined_day * 86400
        cards = [_card_number(rng, taken)]
        switch = timeline.span + 1
        if rng.random() < 0.03:
            cards.append(_card_number(rng, taken))
            switch = rng.randrange(joined + 1, timeline.span)
            person.cases.append("multiple_cards")
        result.cards[person.person_id] = cards
        customers = [_customer_columns(person, rng) for _ in cards]
        if person is members[0]:
            first_customer = customers[0]
        visits = max(1, round(rng.gammavariate(1.3, 5.0)))
        seconds = [rng.randrange(joined, timeline.span) for _ in range(visits)]
        if len(cards) == 2:
            # Each card is scanned at least once, before and after the replacement.
            seconds += [rng.randrange(joined, switch), rng.randrange(switch, timeline.span + 1)]
        for second in seconds:
            index = 1 if second >= switch else 0
            store = person.store if rng.random() < 0.85 else rng.choice(stores)
            receipts.write(store, second, cards[index], customers[index])
        for card in cards:
            truth.add("loyalty_card", card, person.person_id)
    if members:
        cashier = members[0]
        _plant_till_card(rng, people, cashier, first_customer, result, receipts, timeline)
    for _ in range(int(receipts.receipts * ANONYMOUS_SHARE / (1 - ANONYMOUS_SHARE))):
        receipts.write(rng.choice(stores), rng.randrange(timeline.span), "", _NO_CUSTOMER)
    result.rows = writer.close()
    return result


def _plant_till_card(
    rng: random.Random,
    people: list[Person],
    cashier: Person,
    customer: list[str],
    result: PosResult,
    receipts: _Receipts,
    timeline: Timeline,
) -> None:
    """A cashier scans her own card for customers who have none: one card, many people."""
    result.till_card = result.cards[cashier.person_id][0]
    cashier.cases.append("junk_identifier")
    candidates = [p for p in people if p is not cashier and p.store == cashier.store]
    count = min(len(candidates), max(3, len(people) // 400))
    for victim in rng.sample(candidates, count):
        victim.cases.append("junk_identifier")
        result.till_victims.append(victim)
        for _ in range(rng.randint(2, 3)):
            receipts.write(cashier.store, rng.randrange(timeline.span), result.till_card, customer)
