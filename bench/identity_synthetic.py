"""Synthetic raw tables for identity tests and benchmarks, with the truth of who is who.

Follows the raw-layer contract (docs/architecture.md). Each person gets some of: a web
account with cookies, a loyalty card with receipt lines, an e-mail subscription, call-center
tickets; values carry realistic noise (typos, phone spellings, gmail dots, typo domains,
missing fields). Households share an e-mail or phone; namesakes share full names.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

FIRST = (
    "jean marie pierre michel anne nathalie philippe isabelle sophie nicolas catherine "
    "christophe sylvie francois julien camille lea hugo louis emma chloe thomas manon "
    "lucas ines nathan sarah antoine julie mathieu laura alexandre pauline claire "
    "olivier celine romain aurelie vincent marion damien elodie guillaume amelie "
    "benoit helene arnaud lucie cedric margaux fabrice oceane yann gaelle"
).split()
_SYL = (
    "bar ber bou cha che dal de dou fa fer gar gou la le ma mar mo mou na no pa pe pi "
    "ra re ro sa se ta te to va ve vi lan mon ron tin det gnon chet rand vier court".split()
)
DOMAINS = ("gmail.com", "orange.fr", "hotmail.fr", "free.fr", "yahoo.fr", "laposte.net")
TYPO = {"gmail.com": "gmial.com", "orange.fr": "orange.fe", "hotmail.fr": "hotmial.fr"}
CITIES = [
    ("75011", "Paris"),
    ("69003", "Lyon"),
    ("13008", "Marseille"),
    ("31000", "Toulouse"),
    ("33000", "Bordeaux"),
    ("44000", "Nantes"),
    ("59000", "Lille"),
    ("67000", "Strasbourg"),
    ("06000", "Nice"),
    ("35000", "Rennes"),
    ("42000", "Saint-Étienne"),
    ("21000", "Dijon"),
]


def _last_names(rng: random.Random, n: int) -> list[str]:
    return sorted(
        {"".join(rng.choice(_SYL) for _ in range(rng.choice((2, 2, 3)))) for _ in range(n)}
    )


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word))
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :] if len(word) > 2 else word


def _phone_spelling(rng: random.Random, digits: str) -> str:
    spaced = " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return rng.choice(
        (
            digits,
            spaced,
            spaced.replace(" ", "."),
            "+33 " + digits[1:],
            "+33 (0)" + spaced[1:],
            "0033" + digits[1:],
        )
    )


def _person(rng: random.Random, pid: int, lasts: list[str], postcodes: int = 1) -> dict:
    first, last = rng.choice(FIRST), rng.choice(lasts)
    postcode, city = rng.choice(CITIES)
    if postcodes > 1:  # one of `postcodes` codes of the city's departement
        postcode = postcode[:2] + f"{rng.randrange(postcodes):03d}"
    return {
        "person_id": f"P{pid:07d}",
        "first": first,
        "last": last,
        "dob": date(1940, 1, 1) + timedelta(days=rng.randrange(0, 65 * 365)),
        "email": f"{first}.{last}{rng.randrange(100)}@{rng.choice(DOMAINS)}",
        "phone": "0" + rng.choice("67") + "".join(rng.choice("0123456789") for _ in range(8)),
        "postcode": postcode,
        "city": city,
    }


def generate(
    people: int, seed: int = 7, offset: int = 0, postcodes: int = 1
) -> dict[str, list[dict]]:
    """Rows per raw table plus `truth` (identity_type, source_key, person_id).

    ``offset`` numbers people (and so their keys) from there: a later batch of new people.
    ``postcodes`` spreads each city's people over that many postcodes (default: one per
    city, twelve in all: at a million people a postcode then holds a big city's customers,
    and blocking on first name and postcode grows with the square of the records).
    """
    rng = random.Random(seed)
    lasts = _last_names(random.Random(seed), max(300, people // 3))
    persons = [_person(rng, offset + i, lasts, postcodes) for i in range(people)]
    for a, b in zip(persons[0::40], persons[1::40], strict=False):  # households: shared contact
        b["last"] = a["last"]
        if rng.random() < 0.5:
            b["email"] = a["email"]
        else:
            b["phone"] = a["phone"]
    for a, b in zip(persons[2::50], persons[3::50], strict=False):  # namesakes
        b["first"], b["last"] = a["first"], a["last"]
    out: dict[str, list[dict]] = {
        k: [] for k in ("accounts", "events", "receipts", "subscribers", "tickets", "truth")
    }
    base = datetime(2025, 1, 1)
    subscribed: set[str] = set()
    for i, p in enumerate(persons, start=offset):

        def noisy_first(p: dict = p) -> str:
            return _typo(rng, p["first"]) if rng.random() < 0.05 else p["first"]

        def noisy_email(p: dict = p) -> str | None:
            if rng.random() < 0.08:
                return None
            local, domain = p["email"].split("@")
            if domain == "gmail.com" and rng.random() < 0.2:
                local = local.replace(".", "")
            if rng.random() < 0.05:
                domain = TYPO.get(domain, domain)
            return (local + "@" + domain).upper() if rng.random() < 0.1 else local + "@" + domain

        seen = base + timedelta(days=rng.randrange(600))
        account = card = None
        if rng.random() < 0.55:
            account = f"A{i:08d}"
            out["accounts"].append(
                {
                    "account_id": account,
                    "email": noisy_email(),
                    "first_name": noisy_first().title(),
                    "last_name": p["last"].title(),
                    "birth_date": p["dob"] if rng.random() < 0.85 else None,
                    "phone": _phone_spelling(rng, p["phone"]) if rng.random() < 0.8 else None,
                    "address_line": f"{rng.randrange(1, 99)} rue {rng.choice(lasts)}",
                    "postcode": p["postcode"],
                    "city": p["city"],
                    "email_opt_in": True,
                    "sms_opt_in": False,
                    "created_at": seen,
                    "updated_at": seen,
                }
            )
            out["truth"].append(("web_account", account, p["person_id"]))
        for c in range(rng.choice((0, 1, 1, 2))):
            cookie = f"{1000000000 + i * 3 + c}.{1700000000 + i}"
            logged = account is not None and rng.random() < 0.8
            for _ in range(2):
                out["events"].append(
                    {
                        "event_at": seen + timedelta(minutes=rng.randrange(999)),
                        "event_name": "page_view",
                        "user_pseudo_id": cookie,
                        "user_id": account if logged else None,
                    }
                )
            out["truth"].append(("web_cookie", cookie, p["person_id"]))
        if rng.random() < 0.6:
            card = f"FID{i:09d}"
            for line in range(rng.choice((1, 2, 3))):
                out["receipts"].append(
                    {
                        "store_id": "S01",
                        "receipt_id": f"R{i}-{line}",
                        "line_number": 1,
                        "sold_at": seen + timedelta(days=line),
                        "loyalty_card_id": card,
                        "customer_last_name": p["last"].upper(),
                        "customer_first_name": noisy_first().title(),
                        "customer_email": noisy_email(),
                        "customer_phone": _phone_spelling(rng, p["phone"])
                        if rng.random() < 0.7
                        else None,
                        "customer_postcode": p["postcode"],
                        "customer_city": p["city"].upper(),
                        "customer_birth_date": p["dob"] if rng.random() < 0.7 else None,
                    }
                )
            out["truth"].append(("loyalty_card", card, p["person_id"]))
        email = noisy_email()
        if rng.random() < 0.45 and email:
            if email.lower() not in subscribed:
                subscribed.add(email.lower())
                out["subscribers"].append(
                    {
                        "email": email,
                        "first_name": noisy_first().title(),
                        "last_name": p["last"].title(),
                        "status": "subscribed",
                        "opted_in_at": seen,
                        "status_changed_at": None,
                        "postcode": p["postcode"] if rng.random() < 0.5 else None,
                    }
                )
                out["truth"].append(("email_subscriber", email.lower().strip(), p["person_id"]))
        for t in range(rng.choice((0, 0, 0, 1, 2))):
            ticket = f"T{i:08d}{t}"
            name = rng.choice(
                (
                    f"{p['last'].upper()} {p['first'].title()}",
                    f"Mme {p['first'].title()} {p['last'].title()}",
                )
            )
            out["tickets"].append(
                {
                    "ticket_id": ticket,
                    "opened_at": seen + timedelta(hours=t),
                    "closed_at": None,
                    "caller_name": name,
                    "caller_phone": _phone_spelling(rng, p["phone"]),
                    "caller_email": email if rng.random() < 0.3 else None,
                    "loyalty_card_id": card if card and rng.random() < 0.5 else None,
                }
            )
            out["truth"].append(("callcenter_caller", ticket, p["person_id"]))
    return out


_SCHEMAS = {
    "raw.web__accounts": "account_id varchar, email varchar, first_name varchar, "
    "last_name varchar, "
    "birth_date date, phone varchar, address_line varchar, postcode varchar, city varchar, "
    "email_opt_in boolean, sms_opt_in boolean, created_at timestamp, updated_at timestamp",
    "raw.web__events": "event_at timestamp, event_name varchar, user_pseudo_id varchar, "
    "user_id varchar",
    "raw.pos__receipt_lines": "store_id varchar, receipt_id varchar, line_number integer, "
    "sold_at timestamp, loyalty_card_id varchar, customer_last_name varchar, "
    "customer_first_name varchar, customer_email varchar, customer_phone varchar, "
    "customer_postcode varchar, customer_city varchar, customer_birth_date date",
    "raw.email__subscribers": "email varchar, first_name varchar, last_name varchar, "
    "status varchar, opted_in_at timestamp, status_changed_at timestamp, postcode varchar",
    "raw.callcenter__tickets": "ticket_id varchar, opened_at timestamp, closed_at timestamp, "
    "caller_name varchar, caller_phone varchar, caller_email varchar, loyalty_card_id varchar",
}
_TABLES = {
    "accounts": "raw.web__accounts",
    "events": "raw.web__events",
    "receipts": "raw.pos__receipt_lines",
    "subscribers": "raw.email__subscribers",
    "tickets": "raw.callcenter__tickets",
}


def write_raw(con, data: dict[str, list[dict]], batch_id: str | None = None) -> None:
    """Append rows to the raw tables (created with the contract's columns if missing);
    with ``batch_id``, the rows carry it as ingestion's lineage ``_batch_id`` does."""
    import pyarrow as pa

    con.execute("create schema if not exists raw")
    for key, table in _TABLES.items():
        con.execute(f"create table if not exists {table} ({_SCHEMAS[table]})")
        if batch_id:
            con.execute(f"alter table {table} add column if not exists _batch_id varchar")
        rows = data.get(key) or []
        if rows:
            columns = list(rows[0])
            arrow = pa.table({c: [r.get(c) for r in rows] for c in columns})
            if batch_id:
                arrow = arrow.append_column("_batch_id", pa.array([batch_id] * len(rows)))
            con.register("_synthetic_rows", arrow)
            con.execute(f"insert into {table} by name select * from _synthetic_rows")
            con.unregister("_synthetic_rows")


def write_truth(path, truth: list[tuple[str, str, str]]) -> None:
    """identity_truth.csv as the generator writes it."""
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["identity_type", "source_key", "person_id"])
        writer.writerows(truth)
