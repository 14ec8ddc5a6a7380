"""The population: who the people are, how they live together, and where they show up.

Hard cases are planted here on purpose and tagged in ``Person.cases`` so evaluation can
count wrong merges per case: households sharing an e-mail or phone, namesakes, married-name
changes, moves. Junk identifiers are planted by the sources that carry them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sample_data._noise import email_token, fold
from sample_data._reference import (
    CITIES,
    EMAIL_PROVIDERS,
    FIRST_NAMES_FEMALE,
    FIRST_NAMES_MALE,
    LAST_NAMES,
    STREET_NAMES,
)

PRESENCE = {"card": 0.55, "account": 0.40, "subscriber": 0.50, "caller": 0.12}
HOUSEHOLD_RATE = 0.30
SHARED_EMAIL_RATE = 0.12
SHARED_PHONE_RATE = 0.12
MARRIED_RATE = 0.04
MOVED_RATE = 0.06
NAMESAKE_RATE = 0.015


@dataclass(frozen=True)
class Profile:
    """How hard the population is to resolve. ``default`` is the sample every figure of the
    docs is measured on (its bytes never change for a seed); ``hard`` is a second world:
    dense namesakes (half the people share first and last name with someone of their
    postcode, as a regional retailer's common surnames and a generation's first names do),
    family e-mail addresses, apartment buildings shared by several households, and
    newsletter subscribers known by their e-mail alone."""

    name: str = "default"
    household_rate: float = HOUSEHOLD_RATE
    shared_email_rate: float = SHARED_EMAIL_RATE
    shared_phone_rate: float = SHARED_PHONE_RATE
    dense_namesakes: float = 0.0  # share of people renamed after someone of their postcode
    building_rate: float = 0.0  # share of households living in a shared apartment building
    subscriber_first_name: float = 0.7  # share of subscribers giving a first name
    subscriber_last_name: float = 0.6


PROFILES = {
    "default": Profile(),
    "hard": Profile(
        "hard",
        shared_email_rate=0.35,
        dense_namesakes=0.5,
        building_rate=0.4,
        subscriber_first_name=0.25,
        subscriber_last_name=0.2,
    ),
}


@dataclass(slots=True)
class Person:
    person_id: str
    female: bool
    first_name: str
    last_name: str
    birth_date: date
    address_line: str
    postcode: str
    city: str
    store: str
    household_id: str
    joined_day: int
    email: str = ""
    phone: str = ""
    maiden_name: str | None = None
    old_address: tuple[str, str, str] | None = None
    has_card: bool = False
    has_account: bool = False
    is_subscriber: bool = False
    calls: int = 0
    is_prospect: bool = False
    cases: list[str] = field(default_factory=list)

    @property
    def email_name(self) -> str:
        """The last name the e-mail was made from (the maiden name survives a marriage)."""
        return self.maiden_name or self.last_name


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


_LAST_CUM = _cumulative(1.0 / (rank + 30) ** 0.7 for rank in range(len(LAST_NAMES)))
_CITY_CUM = _cumulative(city[2] for city in CITIES)
_PROVIDER_CUM = _cumulative(weight for _, weight in EMAIL_PROVIDERS)
_PROVIDERS = [domain for domain, _ in EMAIL_PROVIDERS]


def _address(rng: random.Random) -> tuple[str, str, str, str]:
    city, postcodes, _, store = rng.choices(CITIES, cum_weights=_CITY_CUM)[0]
    number = rng.randrange(1, 180)
    suffix = rng.choices(("", " bis", " ter"), (94, 5, 1))[0]
    return f"{number}{suffix} {rng.choice(STREET_NAMES)}", rng.choice(postcodes), city, store


def _first_name(rng: random.Random, female: bool, avoid: str = "") -> str:
    names = FIRST_NAMES_FEMALE if female else FIRST_NAMES_MALE
    name = rng.choice(names)
    while name == avoid:
        name = rng.choice(names)
    return name


def _email(rng: random.Random, person: Person, taken: set[str]) -> str:
    f, last = email_token(person.first_name), email_token(person.email_name)
    yy, domain = (
        f"{person.birth_date.year % 100:02d}",
        rng.choices(_PROVIDERS, cum_weights=_PROVIDER_CUM)[0],
    )
    local = rng.choice(
        (
            f"{f}.{last}",
            f"{f}.{last}",
            f"{f}{last}",
            f"{f[0]}.{last}",
            f"{f[0]}{last}",
            f"{last}.{f}",
            f"{f}.{last}{yy}",
            f"{f}_{last}",
            f"{last}{f[0]}",
        )
    )
    email = f"{local}@{domain}"
    while email in taken:
        email = f"{local}{rng.randrange(1, 999)}@{domain}"
    taken.add(email)
    return email


def _phone(rng: random.Random, taken: set[str]) -> str:
    phone = f"0{rng.choice('67')}{rng.randrange(10**8):08d}"
    while phone in taken:
        phone = f"0{rng.choice('67')}{rng.randrange(10**8):08d}"
    taken.add(phone)
    return phone


def _person(rng: random.Random, index: int, end: date, span_days: int, width: int) -> Person:
    female = rng.random() < 0.53
    age_days = int(rng.triangular(18, 88, 38) * 365.25)
    line, postcode, city, store = _address(rng)
    return Person(
        person_id=f"P{index:0{width}d}",
        female=female,
        first_name=_first_name(rng, female),
        last_name=rng.choices(LAST_NAMES, cum_weights=_LAST_CUM)[0],
        birth_date=end - timedelta(days=age_days),
        address_line=line,
        postcode=postcode,
        city=city,
        store=store,
        household_id=f"H{index:0{width}d}",
        joined_day=rng.randrange(span_days),
    )


def _join_household(rng: random.Random, head: Person, member: Person, adult: date) -> None:
    """``member`` moves in with ``head``: same address, another first name and birth date."""
    member.address_line, member.postcode = head.address_line, head.postcode
    member.city, member.store, member.household_id = head.city, head.store, head.household_id
    member.female = not head.female if rng.random() < 0.85 else head.female
    member.first_name = _first_name(rng, member.female, avoid=head.first_name)
    if rng.random() < 0.7:
        member.last_name = head.last_name
    member.birth_date = head.birth_date + timedelta(days=rng.randrange(-2900, 2900))
    while member.birth_date == head.birth_date or member.birth_date > adult:
        member.birth_date -= timedelta(days=rng.randrange(1, 400))


def _marry(rng: random.Random, person: Person, partner: Person | None) -> None:
    person.maiden_name = person.last_name
    new = partner.last_name if partner and not partner.female else person.last_name
    while new == person.maiden_name:
        new = rng.choices(LAST_NAMES, cum_weights=_LAST_CUM)[0]
    person.last_name = new
    person.cases.append("married_name_change")


def build_population(
    rng: random.Random,
    count: int,
    end: date,
    span_days: int,
    profile: Profile = PROFILES["default"],
) -> list[Person]:
    """``count`` people with addresses, households, contact details and source presence."""
    width = max(6, len(str(count)))
    people = [_person(rng, i + 1, end, span_days, width) for i in range(count)]
    partners: dict[int, int] = {}
    i = 0
    while i < count - 1:
        if rng.random() < profile.household_rate:
            _join_household(rng, people[i], people[i + 1], end - timedelta(days=18 * 366))
            partners[i], partners[i + 1] = i + 1, i
            i += 2
        else:
            i += 1
    for i, person in enumerate(people):
        partner = people[partners[i]] if i in partners else None
        if person.female and rng.random() < MARRIED_RATE and person.birth_date.year < end.year - 22:
            _marry(rng, person, partner)
        if rng.random() < MOVED_RATE:
            old_line, old_postcode, old_city, _ = _address(rng)
            person.old_address = (old_line, old_postcode, old_city)
            person.cases.append("moved")
        if rng.random() < NAMESAKE_RATE and person.maiden_name is None:
            other = people[rng.randrange(count)]
            if other is not person and other.household_id != person.household_id:
                person.first_name, person.last_name = other.first_name, other.last_name
                person.female = other.female
    # the hard profile's extra draws come from their own stream: the default's are unchanged
    extra = random.Random(rng.getrandbits(32)) if profile.name != "default" else None
    if extra and profile.dense_namesakes:
        _dense_namesakes(extra, people, profile.dense_namesakes)
    emails: set[str] = set()
    phones: set[str] = set()
    for person in people:
        person.email = _email(rng, person, emails)
        person.phone = _phone(rng, phones)
    _share_contacts(rng, people, partners, profile)
    if extra and profile.building_rate:
        _apartment_buildings(extra, people, profile.building_rate)
    _assign_presence(rng, people)
    _tag_namesakes(people)
    return people


def _dense_namesakes(rng: random.Random, people: list[Person], share: float) -> None:
    """``share`` of the people take the first and last name of someone of their postcode
    (another household): namesakes a town's common names make."""
    by_postcode: dict[str, list[Person]] = {}
    for person in people:
        by_postcode.setdefault(person.postcode, []).append(person)
    for person in people:
        if rng.random() >= share or person.maiden_name is not None:
            continue
        others = [p for p in by_postcode[person.postcode] if p.household_id != person.household_id]
        if others:
            model = rng.choice(others)
            person.first_name, person.female = model.first_name, model.female
            person.last_name = model.last_name
            if model.maiden_name is None:
                person.cases.append("dense_namesake")


def _apartment_buildings(rng: random.Random, people: list[Person], share: float) -> None:
    """``share`` of the households live in buildings of 2 to 6 households of one city: one
    street address line for all of them."""
    homes: dict[str, list[Person]] = {}
    for person in people:
        homes.setdefault(person.household_id, []).append(person)
    by_city: dict[str, list[list[Person]]] = {}
    for members in homes.values():
        if rng.random() < share:
            by_city.setdefault(members[0].city, []).append(members)
    for households in by_city.values():
        while len(households) > 1:
            size = min(len(households), rng.randint(2, 6))
            building, households = households[:size], households[size:]
            line, postcode = building[0][0].address_line, building[0][0].postcode
            for members in building:
                for person in members:
                    person.address_line, person.postcode = line, postcode
                    person.cases.append("apartment_building")


def _share_contacts(
    rng: random.Random, people: list[Person], partners: dict[int, int], profile: Profile
) -> None:
    for i, j in partners.items():
        if i > j:
            continue
        head, member = people[i], people[j]
        if rng.random() < profile.shared_email_rate:
            member.email = head.email
            head.cases.append("household_shared_email")
            member.cases.append("household_shared_email")
        if rng.random() < profile.shared_phone_rate:
            member.phone = head.phone
            head.cases.append("household_shared_phone")
            member.cases.append("household_shared_phone")


def _assign_presence(rng: random.Random, people: list[Person]) -> None:
    for person in people:
        person.has_card = rng.random() < PRESENCE["card"]
        person.has_account = rng.random() < PRESENCE["account"]
        person.is_subscriber = rng.random() < PRESENCE["subscriber"]
        person.calls = (
            rng.choices((1, 2, 3), (65, 25, 10))[0] if (rng.random() < PRESENCE["caller"]) else 0
        )
        if not (person.has_card or person.has_account or person.is_subscriber or person.calls):
            # Everyone shows up somewhere: a card, or a browser that never logs in.
            if rng.random() < 0.5:
                person.has_card = True
            else:
                person.cases.append("anonymous_only")
        if (
            (person.has_account or person.is_subscriber)
            and not person.has_card
            and (rng.random() < 0.35)
        ):
            person.is_prospect = True
            person.cases.append("prospect")


def pick(rng: random.Random, people: list[Person], rate: float, minimum: int) -> set[str]:
    """Ids of ``rate`` of ``people``, at least ``minimum``: planted cases always show up."""
    count = min(len(people), max(minimum, round(len(people) * rate)))
    return {person.person_id for person in rng.sample(people, count)}


def _tag_namesakes(people: list[Person]) -> None:
    groups: dict[tuple[str, str], list[Person]] = {}
    for person in people:
        key = (fold(person.first_name).lower(), fold(person.last_name).lower())
        groups.setdefault(key, []).append(person)
    for group in groups.values():
        if len(group) > 1:
            for person in group:
                person.cases.append("namesake")
