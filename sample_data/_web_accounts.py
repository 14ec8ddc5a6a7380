"""E-shop accounts (Parquet): created in one export, updated in a later one when people
marry or move, and a few sign-ups with a placeholder e-mail."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sample_data._files import Timeline, batch_paths
from sample_data._noise import email_variant, nickname, phone_any_format
from sample_data._people import Person, pick
from sample_data._truth import Truth

JUNK_EMAIL = "test@test.com"
JUNK_EMAIL_RATE = 0.015
SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("email", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("birth_date", pa.date32()),
        ("phone", pa.string()),
        ("address_line", pa.string()),
        ("postcode", pa.string()),
        ("city", pa.string()),
        ("email_opt_in", pa.bool_()),
        ("sms_opt_in", pa.bool_()),
        ("created_at", pa.timestamp("us")),
        ("updated_at", pa.timestamp("us")),
    ]
)


@dataclass(slots=True)
class Account:
    account_id: str
    person: Person
    created: int  # seconds into the history


def _row(
    account_id: str,
    email: str | None,
    first: str | None,
    last: str | None,
    birth: date | None,
    phone: str | None,
    address: tuple[str, str, str],
    opt_in: tuple[bool, bool],
    created: datetime,
    updated: datetime,
) -> dict:
    return {
        "account_id": account_id,
        "email": email,
        "first_name": first,
        "last_name": last,
        "birth_date": birth,
        "phone": phone,
        "address_line": address[0],
        "postcode": address[1],
        "city": address[2],
        "email_opt_in": opt_in[0],
        "sms_opt_in": opt_in[1],
        "created_at": created,
        "updated_at": updated,
    }


def _account_rows(
    rng: random.Random,
    person: Person,
    account_id: str,
    created: int,
    second_account: bool,
    junk: bool,
    timeline: Timeline,
) -> list[tuple[int, dict]]:
    """The account as first exported, then as updated after a marriage or a move."""
    email = person.email
    if junk:
        email = JUNK_EMAIL
        person.cases.append("junk_identifier")
    elif second_account or rng.random() < 0.06:
        email, _ = email_variant(email, rng)
        person.cases.append("email_variant")
    first = person.first_name
    if rng.random() < 0.03 and (nick := nickname(first)):
        first = nick
        person.cases.append("nickname")
    phone = phone_any_format(person.phone, rng) if rng.random() < 0.6 else None
    birth = person.birth_date if rng.random() < 0.85 else None
    opt_in = (rng.random() < 0.6, rng.random() < 0.3)
    current = (person.address_line, person.postcode, person.city)
    changes = person.maiden_name is not None or person.old_address is not None
    update = rng.randrange(created, timeline.span + 1) if changes else created
    created_at = timeline.at(created)
    if timeline.batch_of(update) == timeline.batch_of(created):
        # Both facts predate the first export the account appears in: one row, up to date.
        updated_at = timeline.at(update)
        return [
            (
                created,
                _row(
                    account_id,
                    email,
                    first,
                    person.last_name,
                    birth,
                    phone,
                    current,
                    opt_in,
                    created_at,
                    updated_at,
                ),
            )
        ]
    old = _row(
        account_id,
        email,
        first,
        person.maiden_name or person.last_name,
        birth,
        phone,
        person.old_address or current,
        opt_in,
        created_at,
        created_at,
    )
    new = dict(
        old,
        last_name=person.last_name,
        address_line=current[0],
        postcode=current[1],
        city=current[2],
        updated_at=timeline.at(update),
    )
    return [(created, old), (update, new)]


def write_accounts(
    directory: Path, rng: random.Random, people: list[Person], timeline: Timeline, truth: Truth
) -> tuple[list[Account], dict[str, int]]:
    """Write ``eshop_accounts_<date>.parquet`` per batch; return the accounts."""
    batches: list[list[dict]] = [[] for _ in range(timeline.batches)]
    accounts, taken = [], set()
    holders = [p for p in people if p.has_account]
    junk = pick(rng, holders, JUNK_EMAIL_RATE, 2)
    for person in holders:
        count = 2 if rng.random() < 0.02 else 1
        if count == 2:
            person.cases.append("multiple_accounts")
        for n in range(count):
            account_id = f"C{rng.randrange(10**8):08d}"
            while account_id in taken:
                account_id = f"C{rng.randrange(10**8):08d}"
            taken.add(account_id)
            created = person.joined_day * 86400 + rng.randrange(86400)
            if n:
                created = rng.randrange(created, timeline.span)
            created = min(created, timeline.span)
            accounts.append(Account(account_id, person, created))
            truth.add("web_account", account_id, person.person_id)
            for second, row in _account_rows(
                rng,
                person,
                account_id,
                created,
                n > 0,
                n == 0 and person.person_id in junk,
                timeline,
            ):
                batches[timeline.batch_of(second)].append(row)
    rows = {}
    for batch, path in enumerate(batch_paths(directory, "eshop_accounts", ".parquet", timeline)):
        records = list(batches[batch])
        if batch and batches[batch - 1]:
            # Export overlap: some unchanged accounts are sent again.
            records += rng.sample(batches[batch - 1], max(1, len(batches[batch - 1]) // 50))
        records += _malformed(rng, batches[batch]) if batches[batch] else []
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(records, schema=SCHEMA), path, compression="zstd")
        rows[path.name] = len(records)
    return accounts, rows


def _malformed(rng: random.Random, records: list[dict]) -> list[dict]:
    """An account without id, and one whose birth date lies in the future."""
    source = rng.choice(records)
    return [dict(source, account_id=None), dict(source, birth_date=date(2090, 1, 1))]
