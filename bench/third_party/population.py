"""The people of an independently written French retailer: households, namesakes, moves.

Written from the accuracy issue's text alone (not from `sample_data`), so that the product is
measured on a population its authors did not shape. Two profiles:
- ``realistic``: surnames and first names drawn by real frequency, most surnames from a long
  tail, a hundred towns across France, some apartment buildings and family e-mails;
- ``dense``: a regional retailer (ten towns of one department, local surnames common) where
  half the households copy the surname and first names of another household of their
  postcode, family e-mails are common and namesakes write ``prenom.nom@`` at other providers.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from bench.third_party import names

PROFILES = ("realistic", "dense")


@dataclass
class Address:
    number: str  # "12", "12 bis"
    street: str  # "rue Victor Hugo"
    extra: str  # "Bât. B apt 12", "" for a house
    postcode: str
    city: str


@dataclass
class Person:
    person_id: str
    household_id: str
    sex: str
    first: str
    last: str  # the name in use today
    birth_last: str  # the birth name (a married woman's maiden name)
    born: date
    mobile: str | None
    email: str | None
    address: Address
    landline: str | None
    family_email: str | None = None
    old_email: str | None = None  # changed e-mail: the old one lives on in older systems
    old_address: Address | None = None  # moved: the old address lives on in older systems
    work_email: str | None = None  # a shared corporate address (accueil@garage-x.fr)
    flags: set[str] = field(default_factory=set)


def plain(text: str) -> str:
    """Accents dropped, as many systems store names."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _local(text: str) -> str:
    return plain(text).lower().replace(" ", "").replace("'", "")


def _mailbox(address: str) -> str:
    """The mailbox an address reaches: Gmail ignores the dots of a username, so
    ``p.martin@gmail.com`` is taken once ``pmartin@gmail.com`` is."""
    local, domain = address.split("@")
    return f"{local.replace('.', '')}@{domain}" if domain == "gmail.com" else address


class _Draw:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def weighted(self, pairs):
        items = [p[0] for p in pairs]
        weights = [p[-1] for p in pairs]
        return self.rng.choices(items, weights)[0]


class World:
    """Generates households until ``people`` people exist."""

    def __init__(self, people: int, profile: str, seed: int):
        if profile not in PROFILES:
            raise ValueError(f"profile {profile!r}: expected one of {PROFILES}")
        self.rng = random.Random(f"{seed}-{profile}")
        self.draw = _Draw(self.rng)
        self.profile = profile
        self.dense = profile == "dense"
        self.places = names.DENSE_PLACES if self.dense else names.PLACES
        self.people: list[Person] = []
        self.buildings: dict[str, list[Address]] = {}  # postcode -> buildings
        self.used_emails: set[str] = set()
        self.used_phones: set[str] = set()
        self.next_id = 0
        while len(self.people) < people:
            self._household(len(self.people))
        del self.people[people:]
        if self.dense:
            self._namesakes()
        self._emails()
        self._work_emails()

    # --- names -------------------------------------------------------------------------
    def surname(self) -> str:
        if self.dense and self.rng.random() < 0.7:
            return self.draw.weighted(names.DENSE_SURNAMES)
        if self.dense or self.rng.random() < 0.35:
            return self.draw.weighted(names.SURNAMES)
        prefix = self.draw.weighted(names.TAIL_PREFIXES)
        root = self.rng.choice(names.TAIL_ROOTS)
        ending = self.rng.choice(names.TAIL_ENDINGS)
        return (prefix + (root.lower() if prefix == "La" else root) + ending).strip()

    def first_name(self, sex: str, year: int) -> str:
        fitting = [
            (n, w) for n, s, w, (lo, hi) in names.FIRST_NAMES if s == sex and lo <= year <= hi
        ]
        if not fitting:
            fitting = [(n, w) for n, s, w, _ in names.FIRST_NAMES if s == sex]
        if self.dense:  # a generation's few fashionable names
            fitting = sorted(fitting, key=lambda p: -p[1])[:6]
        return self.draw.weighted(fitting)

    # --- contact points ----------------------------------------------------------------
    def phone(self, prefix: str) -> str:
        while True:
            number = prefix + "".join(str(self.rng.randint(0, 9)) for _ in range(8))
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def landline(self, postcode: str) -> str:
        region = {"7": "01", "9": "01", "2": "02", "3": "02", "4": "02", "5": "03"}.get(
            postcode[0], "04"
        )
        if postcode[:2] in ("29", "22", "35", "56", "44", "49", "53", "72", "85", "14", "50"):
            region = "02"
        return self.phone(region)

    def address(self, postcode: str, city: str) -> Address:
        rng = self.rng
        number = str(rng.choice([rng.randint(1, 30), rng.randint(1, 180)]))
        if rng.random() < 0.06:
            number += rng.choice([" bis", " ter"])
        street = f"{self.draw.weighted(names.STREET_TYPES)} {rng.choice(names.STREET_NAMES)}"
        return Address(number, street, "", postcode, city)

    def home(self) -> Address:
        postcode, city = self.rng.choice(self.places)
        buildings = self.buildings.setdefault(postcode, [])
        # apartment buildings: one street line, several households, told apart by the flat
        if buildings and self.rng.random() < (0.35 if self.dense else 0.2):
            base = self.rng.choice(buildings)
        elif self.rng.random() < 0.3:
            base = self.address(postcode, city)
            buildings.append(base)
        else:
            return self.address(postcode, city)
        flat = self.rng.choice(
            [f"Bât. {self.rng.choice('ABCD')} apt {self.rng.randint(1, 60)}",
             f"apt {self.rng.randint(1, 120)}", f"Esc. {self.rng.randint(1, 4)} "
             f"{self.rng.randint(1, 9)}e étage",
             f"Résidence Les {self.rng.choice(['Pins', 'Mouettes', 'Lilas'])}"]
        )  # fmt: skip
        return Address(base.number, base.street, flat, base.postcode, base.city)

    # --- households ----------------------------------------------------------------------
    def _household(self, index: int) -> None:
        rng = self.rng
        hid = f"H{index:06d}"
        home = self.home()
        landline = self.landline(home.postcode) if rng.random() < 0.35 else None
        shape = rng.choices(["single", "couple", "family", "single_parent"], [32, 30, 30, 8])[0]
        surname = self.surname()
        members: list[Person] = []
        year = rng.randint(1942, 1990)
        first_sex = rng.choice("FM")
        adult = self._person(hid, first_sex, surname, surname, year, home, landline)
        members.append(adult)
        if shape in ("couple", "family"):
            sex = "M" if first_sex == "F" else ("F" if rng.random() < 0.95 else "M")
            spouse_year = max(1940, min(1995, year + rng.randint(-6, 6)))
            own = self.surname()
            married = sex == "F" and first_sex == "M" and rng.random() < 0.6
            members.append(
                self._person(
                    hid, sex, surname if married else own, own, spouse_year, home, landline
                )  # fmt: skip
            )
            if married:
                members[-1].flags.add("married_name")
        if shape in ("family", "single_parent"):
            for _ in range(rng.choices([1, 2, 3], [40, 45, 15])[0]):
                child_year = min(2008, year + rng.randint(22, 38))
                sex = rng.choice("FM")
                members.append(self._person(hid, sex, surname, surname, child_year, home, landline))
        for index, member in enumerate(members):  # parents do not name a child after them
            for _ in range(10):
                if member.first not in {m.first for m in members[:index]}:
                    break
                member.first = self.first_name(member.sex, member.born.year)
        shares_family_mail = rng.random() < (0.3 if self.dense else 0.06)
        if shares_family_mail and len(members) > 1:
            family = self._family_email(members)
            for member in members[:2]:
                member.family_email = family
        self.people.extend(members)

    def _person(self, hid, sex, last, birth_last, year, home, landline) -> Person:
        rng = self.rng
        born = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
        self.next_id += 1
        person = Person(
            person_id=f"P{self.next_id:06d}",
            household_id=hid,
            sex=sex,
            first=self.first_name(sex, year),
            last=last,
            birth_last=birth_last,
            born=born,
            mobile=self.phone(rng.choice(["06", "06", "07"])) if rng.random() < 0.85 else None,
            email=None,
            address=home,
            landline=landline,
        )
        return person

    def _family_email(self, members: list[Person]) -> str:
        rng = self.rng
        last = _local(members[0].last)
        a, b = (_local(m.first) for m in members[:2])
        local = rng.choice(
            [f"famille.{last}", f"{last}.famille", f"{a}.et.{b}", f"{last}.{a[0]}{b[0]}",
             f"{a}{b}.{last}", f"les{last}"]
        )  # fmt: skip
        return self._unique(local, self.draw.weighted(names.MAIL_PROVIDERS))

    def _unique(self, local: str, domain: str) -> str:
        candidate = f"{local}@{domain}"
        while _mailbox(candidate) in self.used_emails:
            candidate = f"{local}{self.rng.randint(1, 99)}@{domain}"
        self.used_emails.add(_mailbox(candidate))
        return candidate

    def personal_email(self, person: Person) -> str:
        rng = self.rng
        f, n = _local(person.first), _local(person.last)
        year = str(person.born.year)
        patterns = [
            (f"{f}.{n}", 70 if self.dense else 35), (f"{f}{n}", 10), (f"{f[0]}.{n}", 10),
            (f"{f[0]}{n}", 8), (f"{n}.{f}", 8), (f"{f}.{n}{year[2:]}", 10),
            (f"{f}_{n}", 4), (f"{f}{year}", 4), (f"{n}{rng.randint(1, 999)}", 5),
        ]  # fmt: skip
        return self._unique(self.draw.weighted(patterns), self.draw.weighted(names.MAIL_PROVIDERS))

    def _emails(self) -> None:
        for person in self.people:
            if self.rng.random() < 0.88:
                person.email = self.personal_email(person)
            if self.rng.random() < 0.12 and person.email:  # changed provider or address
                person.old_email = person.email
                person.email = self.personal_email(person)
                person.flags.add("changed_email")
            if self.rng.random() < 0.12:  # moved: older systems keep the old address
                person.old_address = person.address
                postcode, city = (
                    (person.address.postcode, person.address.city)
                    if self.rng.random() < 0.4
                    else self.rng.choice(self.places)
                )
                person.address = self.address(postcode, city)
                person.flags.add("moved")

    def _work_emails(self) -> None:
        # a few small businesses whose shared mailbox its staff give as their own
        adults = [p for p in self.people if p.born.year < 1995]
        for index in range(max(1, len(self.people) // 400)):
            trade = self.rng.choice(["garage", "cabinet", "boulangerie", "pharmacie", "sarl"])
            domain = f"{trade}-{_local(self.surname())}{index}.fr"
            box = f"{self.rng.choice(['contact', 'accueil', 'compta', 'info'])}@{domain}"
            for person in self.rng.sample(adults, self.rng.randint(2, 4)):
                person.work_email = box

    # --- dense namesakes -----------------------------------------------------------------
    def _namesakes(self) -> None:
        """Half the households take the surname and first names of another household of
        their postcode: every member then shares first and last name with someone nearby."""
        by_postcode: dict[str, dict[str, list[Person]]] = {}
        for person in self.people:
            by_postcode.setdefault(person.address.postcode, {}).setdefault(
                person.household_id, []
            ).append(person)
        for homes in by_postcode.values():
            ids = list(homes)
            self.rng.shuffle(ids)
            for copy, source in zip(ids[::2], ids[1::2], strict=False):
                models = homes[source]
                old, surname = homes[copy][0].last, models[0].last
                for person in homes[copy]:
                    if person.last == old:  # a spouse who kept her own name keeps it
                        if person.birth_last == old:
                            person.birth_last = surname
                        person.last = surname
                    # two members of one household are not given one first name (a
                    # father and son both Jean exist, but are not what this profile tests)
                    taken = {m.first for m in homes[copy] if m is not person}
                    same_sex = [m for m in models if m.sex == person.sex and m.first not in taken]
                    if same_sex:
                        person.first = self.rng.choice(same_sex).first
                    person.flags.add("namesake")
