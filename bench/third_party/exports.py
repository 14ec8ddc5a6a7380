"""A French retailer's exports of one :class:`~bench.third_party.population.World`, each
shaped as its own system writes it, and the truth.

- ``fidelite/``: the loyalty programme's member file (cp1252, ``;``, dd/mm/yyyy, upper-case
  surnames, two phones, a second address line), some members holding two cards;
- ``caisse/``: till lines (cp1252, ``;``, comma decimals) carrying the loyalty card and the
  postcode the cashier asks for;
- ``eshop/``: the web shop's accounts (UTF-8, ``,``, ISO dates, names as typed by the
  customer) and ``ga4/``: GA4 BigQuery-export events (JSON lines, epoch microseconds,
  ``user_id`` set on logged-in events);
- ``newsletter/``: the e-mailing platform's contact export (UTF-8 with BOM, ``;``, French
  statuses), most subscribers known by their e-mail alone;
- ``service_client/``: the call center's tickets (UTF-8, ``,``, ISO 8601 with offset, one
  free-text contact name, phones in every spelling).

``identity_truth.csv`` maps each record (``identity_type, source_key``) to its person and
``people.parquet`` each person to a household.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.third_party.population import Address, Person, World, plain

_ABBREVIATIONS = [("RUE ", "R "), ("AVENUE ", "AV "), ("BOULEVARD ", "BD "),
                  ("ALLEE ", "ALL "), ("IMPASSE ", "IMP "), ("CHEMIN ", "CH ")]  # fmt: skip
_ARTICLES = [
    ("3560070894222", "BAGUETTE TRADITION", "1,10"), ("3017620422003", "PATE A TARTINER", "3,89"),
    ("3228857000166", "PAIN DE MIE", "2,15"), ("3274080005003", "EAU MINERALE 6X1,5L", "3,20"),
    ("3045320094084", "CAFE MOULU 250G", "4,35"), ("3263670011111", "LAIT DEMI-ECREME", "1,05"),
]  # fmt: skip
_REASONS = ["Retour produit", "Carte fidélité", "Livraison", "Réclamation", "Information"]
_NEIGHBOURS = dict(zip("aeioubcdfglmnprst", "ezuoivxsdhkknoeay", strict=True))


EXPORTED = datetime(2026, 11, 30, 23, 0)  # the day the exports were taken: nothing after it


def _until_export(moment: datetime) -> datetime:
    return min(moment, EXPORTED)


class Writer:
    """Renders people the way each system spells them, with the typos people make."""

    def __init__(self, world: World, seed: int):
        self.world = world
        self.rng = random.Random(f"exports-{seed}-{world.profile}")
        self.truth: list[tuple[str, str, str]] = []

    # --- spellings ---------------------------------------------------------------------
    def typo(self, text: str, rate: float = 0.04) -> str:
        rng = self.rng
        if len(text) < 4 or rng.random() >= rate:
            return text
        i = rng.randint(1, len(text) - 2)
        kind = rng.choice(["swap", "drop", "double", "near"])
        if kind == "swap":
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if kind == "drop":
            return text[:i] + text[i + 1 :]
        if kind == "double":
            return text[:i] + text[i] + text[i:]
        return text[:i] + _NEIGHBOURS.get(text[i].lower(), text[i]) + text[i + 1 :]

    def name(self, text: str, case: str, accents: float) -> str:
        text = self.typo(text)
        if self.rng.random() < accents:
            text = plain(text)
        if case == "upper":
            return text.upper()
        if case == "lower":
            return text.lower()
        if case == "mixed":
            return self.rng.choice([text, text.upper(), text.lower()])
        return text

    def phone(self, number: str | None) -> str:
        if number is None:
            return ""
        rng = self.rng
        if rng.random() < 0.01:  # one digit misheard or mistyped
            i = rng.randint(2, 9)
            number = number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1 :]
        pairs = [number[i : i + 2] for i in range(0, 10, 2)]
        national = number[1:]
        style = rng.choice(["spaced", "plain", "dots", "intl", "intl_plain", "0033", "dashes"])
        return {
            "spaced": " ".join(pairs),
            "plain": number,
            "dots": ".".join(pairs),
            "dashes": "-".join(pairs),
            "intl": "+33 " + national[0] + " " + " ".join(pairs[1:]),
            "intl_plain": "+33" + national,
            "0033": "0033 " + national[0] + " " + " ".join(pairs[1:]),
        }[style]

    def email(self, address: str | None) -> str:
        if not address:
            return ""
        rng = self.rng
        local, domain = address.split("@")
        if rng.random() < 0.01:  # a slip on the domain
            domain = rng.choice(
                {
                    "gmail.com": ["gmial.com", "gmail.fr", "gmai.com"],
                    "hotmail.fr": ["hotmal.fr", "hotmail.com"],
                    "orange.fr": ["orange.com", "ornage.fr"],
                }.get(domain, [domain])  # fmt: skip
            )
        if rng.random() < 0.2:
            local = ".".join(part.capitalize() for part in local.split("."))
        if rng.random() < 0.1:
            domain = domain.capitalize()
        if rng.random() < 0.05:
            return f" {local}@{domain} ".upper() if rng.random() < 0.3 else f" {local}@{domain}"
        return f"{local}@{domain}"

    def street(self, address: Address, style: str) -> str:
        line = f"{address.number} {address.street}"
        if style == "upper":
            line = plain(line).upper()
            for long, short in _ABBREVIATIONS:
                if self.rng.random() < 0.5:
                    line = line.replace(long, short)
            line = line.replace(" BIS ", "B ").replace(" TER ", "T ")
        elif self.rng.random() < 0.3:
            line = line.replace("rue ", "r. ").replace("avenue ", "av. ")
        return self.typo(line, 0.02)

    def city(self, address: Address, upper: bool) -> str:
        city = address.city
        if self.rng.random() < 0.15:
            city = city.replace("Saint-", "St-").replace("Sainte-", "Ste-")
        if self.rng.random() < 0.03:
            city += " CEDEX"
        return plain(city).upper() if upper else city

    def birth(self, born: date, fmt: str) -> str:
        rng = self.rng
        if rng.random() < 0.03:
            if born.day <= 12 and born.day != born.month:  # day and month swapped
                born = date(born.year, born.day, born.month)
            else:  # one digit off
                born = born + timedelta(days=rng.choice([-10, -1, 1, 10]))
        return born.strftime(fmt)

    def when(self, start: int = 2019, end: int = 2026) -> datetime:
        first = datetime(start, 1, 1)
        span = (min(datetime(end, 11, 30), EXPORTED - timedelta(days=5)) - first).total_seconds()
        return first + timedelta(seconds=self.rng.randint(0, int(span)))

    def record(self, identity_type: str, key: str, person: Person) -> None:
        self.truth.append((identity_type, key, person.person_id))


def _csv(path: Path, header: list[str], rows: list[list], delimiter: str, encoding: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=encoding, errors="replace") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)


def write_loyalty(w: Writer, landing: Path) -> list[tuple[str, Person]]:
    rng, members, cards = w.rng, [], []
    for person in w.world.people:
        if rng.random() >= 0.65:
            continue
        old_card = rng.random() < 0.7  # a card opened years ago keeps what was true then
        for second in (False, True):
            if second and rng.random() >= 0.07:
                break
            card = f"29{rng.randint(0, 10**11 - 1):011d}"
            address = (
                person.old_address
                if old_card and person.old_address and not second
                else person.address
            )
            email = person.email
            if person.old_email and old_card and not second:
                email = person.old_email
            if person.family_email and rng.random() < 0.5:
                email = person.family_email
            if rng.random() < 0.15:
                email = None
            last = (
                person.birth_last
                if "married_name" in person.flags and old_card and rng.random() < 0.3
                else person.last
            )
            extra = address.extra if rng.random() < 0.6 else ""
            members.append([
                card, {"F": rng.choice(["Mme", "Mme", "Mlle"]), "M": "M."}[person.sex],
                w.name(last, "upper", 0.6), w.name(person.first, "title", 0.3),
                w.birth(person.born, "%d/%m/%Y") if rng.random() < 0.75 else "",
                w.street(address, "upper"), plain(extra).upper(), address.postcode,
                w.city(address, upper=True),
                w.phone(person.landline) if rng.random() < 0.8 else "",
                w.phone(person.mobile) if rng.random() < 0.85 else "",
                w.email(email), w.when(2012, 2025).strftime("%d/%m/%Y"), rng.choice("ON"),
            ])  # fmt: skip
            w.record("fid_carte", card, person)
            cards.append((card, person))
    _csv(landing / "fidelite" / "adherents_20261130.csv",
         ["N° carte", "Civilité", "NOM", "Prénom", "Né(e) le", "Adresse 1", "Adresse 2", "CP",
          "Ville", "Tél. domicile", "Tél. portable", "E-mail", "Date adhésion", "Opt-in e-mail"],
         members, ";", "cp1252")  # fmt: skip
    return cards


def write_tills(w: Writer, landing: Path, cards: list[tuple[str, Person]]) -> None:
    rng, rows, ticket = w.rng, [], 100000
    articles = _ARTICLES
    for card, person in cards + [(None, None)] * (len(cards) // 5):
        for _ in range(rng.randint(1, 3)):
            ticket += 1
            at = w.when(2024, 2026).strftime("%d/%m/%Y %H:%M:%S")
            store = f"M{rng.randint(1, 40):03d}"
            postcode = ""
            if person is not None and rng.random() < 0.6:
                postcode = (
                    (person.old_address or person.address).postcode
                    if rng.random() < 0.2
                    else person.address.postcode
                )
            for line in range(1, rng.randint(1, 3) + 1):
                ean, label, price = rng.choice(articles)
                rows.append([store, ticket, at, line, ean, label, rng.randint(1, 4), price, "0,00",
                             rng.choice(["CB", "ESP", "CHQ"]), card or "", postcode])  # fmt: skip
        if card is not None and person is not None:
            w.record("caisse_carte", card, person)
    _csv(landing / "caisse" / "tickets_20261130.csv",
         ["CODE_MAG", "N_TICKET", "DATE_TICKET", "N_LIGNE", "EAN", "LIBELLE", "QTE", "PU_TTC",
          "REMISE", "MODE_PAIEMENT", "N_CARTE_FID", "CP_CLIENT"], rows, ";", "cp1252")  # fmt: skip


def write_eshop(w: Writer, landing: Path) -> None:
    rng, accounts, events = w.rng, [], []
    number = 0
    for person in w.world.people:
        share = 0.6 if person.born.year > 1975 else 0.35
        if rng.random() >= share or not (person.email or person.family_email or person.work_email):
            continue
        for second in (False, True):
            if second and rng.random() >= 0.05:
                break
            number += 1
            account = f"C{number:07d}"
            email = person.email or person.family_email or person.work_email
            pick = rng.random()
            if person.work_email and pick < 0.3:
                email = person.work_email
            elif person.family_email and pick < 0.5:
                email = person.family_email
            if second:  # forgotten password: a new account under another address
                email = person.old_email or w.world.personal_email(person)
            case = rng.choice(["title", "title", "lower", "upper"])
            address = person.address
            phone = person.mobile if rng.random() < 0.75 else person.landline
            created = w.when(2016, 2026)
            accounts.append([
                account, w.email(email), {"F": "Mme", "M": "M."}[person.sex],
                w.name(person.first, case, 0.3), w.name(person.last, case, 0.3),
                w.birth(person.born, "%Y-%m-%d") if rng.random() < 0.4 else "",
                w.phone(phone) if rng.random() < 0.8 else "", w.street(address, "typed"),
                address.extra if rng.random() < 0.5 else "", address.postcode,
                w.city(address, upper=False), "FR", rng.choice(["true", "false"]),
                created.isoformat(timespec="seconds") + "Z",
                _until_export(created + timedelta(days=rng.randint(0, 400))).isoformat() + "Z",
            ])  # fmt: skip
            w.record("eshop_compte", account, person)
            for _ in range(rng.randint(1, 2)):  # devices: a cookie each, logged in once
                cookie = f"{rng.randint(10**8, 10**10)}.{rng.randint(1600000000, 1760000000)}"
                at = w.when(2024, 2026)
                for name, user in (("page_view", None), ("login", account)):
                    events.append({
                        "event_date": at.strftime("%Y%m%d"),
                        "event_timestamp": int(at.timestamp() * 1_000_000),
                        "event_name": name, "user_pseudo_id": cookie, "user_id": user,
                        "device": {"category": rng.choice(["mobile", "desktop", "tablet"])},
                        "geo": {"city": address.city},
                    })  # fmt: skip
                    at += timedelta(seconds=rng.randint(5, 300))
                w.record("ga4_cookie", cookie, person)
    _csv(landing / "eshop" / "export_clients_2026-11-30.csv",
         ["id_client", "email", "civilite", "prenom", "nom", "date_naissance", "telephone",
          "adresse", "complement_adresse", "code_postal", "ville", "pays", "optin_newsletter",
          "date_creation", "date_maj"], accounts, ",", "utf-8")  # fmt: skip
    (landing / "ga4").mkdir(parents=True, exist_ok=True)
    with (landing / "ga4" / "events_20261130.jsonl").open("w") as out:
        out.writelines(json.dumps(event) + "\n" for event in events)


def write_newsletter(w: Writer, landing: Path) -> None:
    rng, rows, seen = w.rng, [], set()
    for person in w.world.people:
        if rng.random() >= 0.5:
            continue
        addresses = [(person.email, "Abonné")]
        if person.old_email:
            addresses.append((person.old_email, rng.choice(["Désabonné", "Rebond"])))
        if person.family_email and rng.random() < 0.4:
            addresses = [(person.family_email, "Abonné")]
        for address, status in addresses:
            if not address or address in seen:
                continue
            seen.add(address)
            named = rng.random() < 0.35
            if status == "Abonné" and rng.random() < 0.12:
                status = rng.choice(["Désabonné", "Blacklisté"])
            subscribed = w.when(2015, 2026)
            left = _until_export(subscribed + timedelta(days=rng.randint(10, 900)))
            # the truth's key is the address as the platform holds it, a domain slip included
            # (keyed by the true address, a slipped record fell out of the evaluation)
            written = w.email(address).strip()
            rows.append([
                written, w.name(person.first, "upper", 0.5) if named else "",
                w.name(person.last, "upper", 0.5) if named else "",
                person.address.postcode if rng.random() < 0.25 else "", status,
                subscribed.strftime("%d/%m/%Y %H:%M"),
                left.strftime("%d/%m/%Y %H:%M") if status != "Abonné" else "",
            ])  # fmt: skip
            w.record("nl_contact", written.lower(), person)
    _csv(landing / "newsletter" / "contacts_export_30-11-2026.csv",
         ["EMAIL", "PRENOM", "NOM", "CODE_POSTAL", "STATUT", "DATE_INSCRIPTION",
          "DATE_DESINSCRIPTION"], rows, ";", "utf-8-sig")  # fmt: skip


def caller_name(w: Writer, person: Person) -> str:
    rng = w.rng
    first, last = w.typo(person.first), w.typo(person.last)
    title = {"F": "Mme", "M": "M."}[person.sex]
    shape = rng.choices(
        ["LAST First", "First Last", "title LAST", "lower", "maiden", "couple"],
        [40, 25, 15, 10, 5, 5],
    )[0]  # fmt: skip
    if shape == "maiden" and "married_name" in person.flags:
        return f"{title} {plain(last).upper()} née {person.birth_last}"
    if shape == "couple":
        return f"M. et Mme {last}"
    if shape == "title LAST":
        return f"{title} {plain(last).upper()}"
    if shape == "lower":
        return f"{first} {last}".lower()
    if shape == "First Last":
        return f"{first} {last}"
    return f"{plain(last).upper()} {first}"


def write_callcenter(w: Writer, landing: Path, cards: list[tuple[str, Person]]) -> None:
    rng, rows, number = w.rng, [], 0
    card_of = {person.person_id: card for card, person in cards}
    for person in w.world.people:
        if rng.random() >= 0.15:
            continue
        for _ in range(rng.choices([1, 2, 3], [60, 28, 12])[0]):
            number += 1
            ticket = f"SC-{number:06d}"
            opened = w.when(2023, 2026)
            phone = rng.choices([person.mobile, person.landline, None], [60, 30, 10])[0]
            email = person.email if rng.random() < 0.3 else None
            status = rng.choice(["Résolu", "Résolu", "En cours", "Escaladé"])
            offset = "+01:00" if opened.month in (1, 2, 3, 11, 12) else "+02:00"
            rows.append([
                ticket, opened.isoformat(timespec="seconds") + offset,
                rng.choice(["Téléphone", "Téléphone", "Chat", "E-mail"]), status,
                _until_export(opened + timedelta(hours=rng.randint(1, 72))).isoformat() + offset
                if status == "Résolu" else "",
                caller_name(w, person), w.phone(phone), w.email(email),
                card_of.get(person.person_id, "") if rng.random() < 0.25 else "",
                rng.choice(_REASONS),
                rng.randint(30, 1200), rng.choice(["", "1", "2", "3", "4", "5"]),
            ])  # fmt: skip
            w.record("sc_ticket", ticket, person)
    _csv(landing / "service_client" / "tickets_2026-11.csv",
         ["Ticket ID", "Créé le", "Canal", "Statut", "Clôturé le", "Nom du contact", "Téléphone",
          "E-mail", "N° fidélité", "Motif", "Durée (s)", "Note"], rows, ",", "utf-8")  # fmt: skip


def write_exports(landing: Path, truth_dir: Path, people: int, profile: str, seed: int = 7) -> int:
    """Write every export under ``landing``, the truth and households under ``truth_dir``;
    returns the number of identity records in the truth."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    world = World(people, profile, seed)
    w = Writer(world, seed)
    cards = write_loyalty(w, landing)
    write_tills(w, landing, cards)
    write_eshop(w, landing)
    write_newsletter(w, landing)
    write_callcenter(w, landing, cards)
    truth_dir.mkdir(parents=True, exist_ok=True)
    _csv(truth_dir / "identity_truth.csv", ["identity_type", "source_key", "person_id"],
         [list(row) for row in w.truth], ",", "utf-8")  # fmt: skip
    pq.write_table(
        pa.table({
            "person_id": [p.person_id for p in world.people],
            "household_id": [p.household_id for p in world.people],
        }),
        truth_dir / "people.parquet",
    )  # fmt: skip
    return len(w.truth)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="an independent French retailer's exports")
    parser.add_argument("out", type=Path, help="folder: landing/ and truth/ are written in it")
    parser.add_argument("--profile", choices=["realistic", "dense"], default="realistic")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    records = write_exports(
        args.out / "landing", args.out / "truth", args.people, args.profile, args.seed
    )
    print(f"{records:,} records of {args.people:,} people ({args.profile}) in {args.out}")


if __name__ == "__main__":
    main()
