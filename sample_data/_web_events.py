"""GA4 events (BigQuery export shape, JSON lines): cookies browse anonymously, log in later,
buy; some cookies never log in at all."""

from __future__ import annotations

import itertools
import json
import random
from datetime import datetime
from pathlib import Path

from sample_data._catalogue import Product
from sample_data._files import JsonlWriter, Timeline, batch_paths
from sample_data._people import Person
from sample_data._reference import DEVICES, TRAFFIC_SOURCES
from sample_data._truth import Truth
from sample_data._web_accounts import Account

SITE = "https://www.comptoir-celeste.fr"
BRAND = "Comptoir Céleste"
ANONYMOUS_BROWSER_RATE = 0.25
_EPOCH = datetime(1970, 1, 1)


def _param(key: str, value: str | int) -> dict:
    if isinstance(value, int):
        return {
            "key": key,
            "value": {"string_value": None, "int_value": value, "double_value": None},
        }
    return {"key": key, "value": {"string_value": value, "int_value": None, "double_value": None}}


def _item(product: Product, quantity: int = 1) -> dict:
    return {
        "item_id": product.sku,
        "item_name": product.name,
        "item_category": product.category,
        "price": product.price,
        "quantity": quantity,
    }


class _Cookie:
    """One browser: its id, device, city and acquisition source, and its sessions."""

    def __init__(self, events: _Events, person: Person, first_seen: int):
        rng = events.rng
        self.events, self.person = events, person
        epoch = int((events.timeline.at(first_seen) - _EPOCH).total_seconds())
        self.pseudo_id = f"{rng.randrange(10**9, 2 * 10**9)}.{epoch}"
        while self.pseudo_id in events.cookies:
            self.pseudo_id = f"{rng.randrange(10**9, 2 * 10**9)}.{epoch}"
        events.cookies.add(self.pseudo_id)
        self.first_seen = first_seen
        self.device = rng.choices(DEVICES)[0][0]
        self.source, self.medium = rng.choices(
            [s for s, _ in TRAFFIC_SOURCES], [w for _, w in TRAFFIC_SOURCES]
        )[0]
        self.city = person.city

    def browse(self, account: Account | None, buyer: bool) -> None:
        """Sessions over time; with ``account`` one of them logs in and later ones stay in."""
        rng, span = self.events.rng, self.events.timeline.span
        count = 1 + min(int(rng.expovariate(0.42)), 12)
        starts = sorted(rng.randrange(self.first_seen, span + 1) for _ in range(count))
        login_at = None
        if account is not None:
            login_at = max(account.created, self.first_seen)
            starts = sorted([s for s in starts if s != login_at] + [login_at])
        for start in starts:
            if account is None or login_at is None or start < login_at:
                self._session(start, None, False, buyer)
            elif start == login_at:
                self._session(start, account.account_id, True, buyer)
            else:
                logged = rng.random() < 0.8
                self._session(
                    start, account.account_id if logged else None, False, buyer and logged
                )

    def _session(self, start: int, user_id: str | None, logs_in: bool, buyer: bool) -> None:
        ev, rng = self.events, self.events.rng
        session_id = int((ev.timeline.at(start) - _EPOCH).total_seconds())
        clock = [start * 1_000_000 + rng.randrange(1_000_000)]
        current = None if logs_in else user_id

        def emit(name: str, path: str, title: str, items=(), ecommerce=None) -> None:
            clock[0] += rng.randrange(2_000_000, 90_000_000)
            ev.emit(self, name, clock[0], current, session_id, path, title, list(items), ecommerce)

        emit("session_start", "/", f"Accueil – {BRAND}")
        emit("page_view", "/", f"Accueil – {BRAND}")
        if logs_in:
            emit("page_view", "/mon-compte/connexion", f"Connexion – {BRAND}")
            current = user_id
            emit("login", "/mon-compte", f"Mon compte – {BRAND}")
        basket = []
        for _ in range(min(int(rng.expovariate(0.9)), 4)):
            product = ev.product()
            emit("view_item", f"/p/{product.sku}", product.name, [_item(product)])
            if rng.random() < 0.3:
                quantity = 1 if rng.random() < 0.85 else 2
                basket.append(_item(product, quantity))
                emit("add_to_cart", f"/p/{product.sku}", product.name, [basket[-1]])
        if basket and current and buyer and rng.random() < 0.6:
            emit("begin_checkout", "/commande", f"Commande – {BRAND}", basket)
            if rng.random() < 0.75:
                ev.transactions += 1
                revenue = round(sum(i["price"] * i["quantity"] for i in basket), 2)
                emit(
                    "purchase",
                    "/commande/confirmation",
                    f"Merci ! – {BRAND}",
                    basket,
                    {
                        "transaction_id": f"W{ev.transactions:09d}",
                        "purchase_revenue": revenue,
                        "total_item_quantity": sum(i["quantity"] for i in basket),
                    },
                )


class _Events:
    def __init__(
        self,
        rng: random.Random,
        products: list[Product],
        popularity: list[float],
        timeline: Timeline,
        writer: JsonlWriter,
    ):
        self.rng, self.products, self.popularity = rng, products, popularity
        self.timeline, self.writer = timeline, writer
        self.cookies: set[str] = set()
        self.transactions = 0

    def product(self) -> Product:
        return self.rng.choices(self.products, cum_weights=self.popularity)[0]

    def emit(
        self,
        cookie: _Cookie,
        name: str,
        micros: int,
        user_id: str | None,
        session_id: int,
        path: str,
        title: str,
        items: list,
        ecommerce,
    ) -> None:
        micros = min(micros, self.timeline.span * 1_000_000 + 999_999)
        second = micros // 1_000_000
        when = self.timeline.at(second)
        self.writer.write(
            self.timeline.batch_of(second),
            {
                "event_date": f"{when:%Y%m%d}",
                "event_timestamp": micros
                + int((self.timeline.start - _EPOCH).total_seconds()) * 1_000_000,
                "event_name": name,
                "event_params": [
                    _param("ga_session_id", session_id),
                    _param("page_location", SITE + path),
                    _param("page_title", title),
                ],
                "user_pseudo_id": cookie.pseudo_id,
                "user_id": user_id,
                "device": {"category": cookie.device},
                "geo": {"country": "France", "city": cookie.city},
                "traffic_source": {"source": cookie.source, "medium": cookie.medium},
                "ecommerce": ecommerce,
                "items": items,
            },
        )


def _malformer():
    kinds = itertools.cycle(("truncated", "event_name", "timestamp"))
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def malformed(row: dict, rng: random.Random) -> str | dict:
        kind = next(kinds)
        if kind == "truncated":
            line = dumps(row)
            return line[: rng.randrange(20, len(line) // 2)]
        if kind == "event_name":
            return dict(row, event_name="scroll depth 90%")  # breaks GA4 naming rules
        return dict(row, event_timestamp=None)

    return malformed


def write_events(
    directory: Path,
    rng: random.Random,
    people: list[Person],
    accounts: list[Account],
    products: list[Product],
    popularity: list[float],
    timeline: Timeline,
    truth: Truth,
) -> dict[str, int]:
    """Write ``ga4_events_<date>.jsonl`` per batch; every cookie goes into the truth."""
    writer = JsonlWriter(
        batch_paths(directory, "ga4_events", ".jsonl", timeline),
        rng=rng,
        malformer=_malformer(),
        malformed_rate=0.0002,
        reexport_rate=0.01,
        min_malformed=3,
    )
    events = _Events(rng, products, popularity, timeline, writer)
    by_person: dict[str, list[Account]] = {}
    for account in accounts:
        by_person.setdefault(account.person.person_id, []).append(account)
    for person in people:
        own = by_person.get(person.person_id, [])
        buyer = not person.is_prospect
        for account in own:
            count = rng.choices((1, 2, 3), (50, 35, 15))[0]
            for n in range(count):
                logs_in = n == 0 and rng.random() < 0.92 or rng.random() < 0.5
                first = (
                    max(0, account.created - rng.randrange(60 * 86400))
                    if n == 0
                    else rng.randrange(account.created, timeline.span + 1)
                )
                cookie = _Cookie(events, person, first)
                cookie.browse(account if logs_in else None, buyer)
                truth.add("web_cookie", cookie.pseudo_id, person.person_id)
                if not logs_in:
                    person.cases.append("anonymous_cookie")
        if not own and ("anonymous_only" in person.cases or rng.random() < ANONYMOUS_BROWSER_RATE):
            cookie = _Cookie(
                events, person, rng.randrange(person.joined_day * 86400, timeline.span + 1)
            )
            cookie.browse(None, False)
            truth.add("web_cookie", cookie.pseudo_id, person.person_id)
            person.cases.append("anonymous_cookie")
    return writer.close()
