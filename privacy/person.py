"""Who a data-subject request is about, and which rows of the warehouse hold them.

A request names an e-mail, a phone, a source key or strong identifier (loyalty card, e-shop
account id, GA4 cookie, a custom identifier) or a customer_id. Its value is keyed the way
identity keys values (:mod:`core.identifiers`): ``Delahaye.Lea+promo@GMIAL.com`` finds the
records identity holds under ``delahayelea@gmail.com``. The person is every customer that
value resolves to (with the retired ids merged into them), all their source identities,
every e-mail and phone those carry and every identifier the sources' ``identities:``
mappings read for them (their ``tokens``). A row belongs to the person when:

- it sits in a raw table and one of the mappings' source keys or strong identifiers over
  it is one of theirs, or an e-mail / phone column has the key of one of theirs;
- it sits anywhere else and a `customer_id`-like column holds one of their customer ids, a
  `record_id`-like column one of their record ids, or an e-mail / phone column their key;
- it is a quarantined line (`raw_record`) whose text holds one of their e-mails, phones
  (as digits) or source keys.

Rows matching an e-mail or phone are matched even when they belong to someone else sharing
it (a household address): the erasure tombstone suppresses those values on re-ingestion
anyway, so keeping them would be inconsistent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from core.identifiers import EmailRules, email_key_sql, phone_key_sql, source_key_sql
from core.warehouse import scalar, table_exists

if TYPE_CHECKING:
    import duckdb

    from identity import IdentityMapping

# Tables that must keep their rows: the erasure's own records, holding no personal data.
KEPT_TABLES = {
    ("ops", "erasure_tombstones"),
    ("ops", "erasure_requests"),
    ("ops", "export_state"),
    ("ops", "export_runs"),
}


class PersonNotFoundError(LookupError):
    """Nothing in the warehouse matches the identifier of a request."""


Token = tuple[str, str]  # (identifier kind, key): ('email', 'a@b.fr'), ('web_account', 'A1')


@dataclass
class Person:
    """Everything that identifies one data subject in the warehouse."""

    identifier_kind: str
    rules: EmailRules
    mappings: list[IdentityMapping]
    customer_ids: list[str] = field(default_factory=list)
    record_ids: list[str] = field(default_factory=list)
    record_tokens: dict[str, set[Token]] = field(default_factory=dict)
    request_tokens: set[Token] = field(default_factory=set)
    emails: list[str] = field(default_factory=list)  # e-mail keys
    phones: list[str] = field(default_factory=list)  # as stored (E.164 in identity)
    phone_keys: list[str] = field(default_factory=list)

    @property
    def tokens(self) -> set[Token]:
        """Every identifier of the person, request included: what tombstones cover."""
        found = set(self.request_tokens)
        for tokens in self.record_tokens.values():
            found |= tokens
        found |= {("email", e) for e in self.emails} | {("phone", k) for k in self.phone_keys}
        return found

    def values_of(self, kind: str) -> list[str]:
        """The person's keys of one identifier kind."""
        return sorted(v for k, v in self.tokens if k == kind)

    def restricted_to(self, record_ids: set[str]) -> Person:
        """The same request seen through only some of the records (access with a namesake)."""
        tokens = {r: t for r, t in self.record_tokens.items() if r in record_ids}
        kept = set().union(*tokens.values()) if tokens else set()
        return replace(
            self,
            record_ids=sorted(record_ids),
            record_tokens=tokens,
            emails=sorted(v for k, v in kept | self.request_tokens if k == "email"),
            phone_keys=sorted(v for k, v in kept | self.request_tokens if k == "phone"),
        )


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> Any:
    return scalar(con, sql, params)


def _request_tokens(
    con: duckdb.DuckDBPyConnection, identifier: str, rules: EmailRules
) -> tuple[str, set[Token]]:
    """The request's kind and keys: e-mail, customer_id, a known source key, or phone."""
    if "@" in identifier:
        return "email", {("email", _one(con, f"select {email_key_sql('$1', rules)}", [identifier]))}
    for schema, table, column in (
        ("identity", "customers", "customer_id"),
        ("identity", "customer_aliases", "retired_customer_id"),
    ):
        if table_exists(con, schema, table) and _one(
            con, f"select count(*) from {schema}.{table} where {column} = ?", [identifier]
        ):
            return "customer_id", set()
    key = _one(con, f"select {source_key_sql('$1')}", [identifier])
    found: set[Token] = set()
    if table_exists(con, "identity", "identity_records"):
        found |= set(
            con.execute(
                "select identity_type, source_key from identity.identity_records "
                "where source_key = ?",
                [key],
            ).fetchall()
        )
    if table_exists(con, "identity", "record_identifiers"):
        found |= set(
            con.execute(
                "select identifier_type, identifier_value from identity.record_identifiers "
                "where identifier_value in (?, upper(regexp_replace(?, '[^0-9A-Za-z]', '', 'g')))",
                [key, key],
            ).fetchall()
        )
    if found:
        return "source_key", found
    if len(re.sub(r"\D", "", identifier)) >= 9:
        return "phone", {("phone", _one(con, f"select {phone_key_sql('$1')}", [identifier]))}
    raise PersonNotFoundError(
        f"{identifier!r} is neither an e-mail, a phone (9+ digits), a known source key "
        "(loyalty card, account, cookie) nor a known customer_id; check the value and retry"
    )


def _values(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[str]:
    return sorted({row[0] for row in con.execute(sql, params).fetchall() if row[0] is not None})


def _seed_customers(con: duckdb.DuckDBPyConnection, tokens: set[Token], rules) -> list[str]:
    """Customers holding a record that carries one of the request's keys."""
    sql = (
        "select m.customer_id from identity.identity_records r "
        "join identity.customer_records m using (record_id) where "
    )
    found: set[str] = set()
    others = table_exists(con, "identity", "record_identifiers")
    key_of = {
        "email": lambda column: email_key_sql(column, rules),
        "phone": phone_key_sql,
    }
    for kind, value in tokens:
        if kind in key_of:
            found |= set(_values(con, sql + f"{key_of[kind](f'r.{kind}')} = ?", [value]))
            if others:  # a record's other e-mails and phones (the landline beside the mobile)
                found |= set(
                    _values(
                        con,
                        "select m.customer_id from identity.record_identifiers i "
                        "join identity.customer_records m using (record_id) "
                        f"where i.identifier_type = ? and {key_of[kind]('i.identifier_value')} = ?",
                        [kind, value],
                    )
                )
        else:
            found |= set(
                _values(con, sql + "r.identity_type = ? and r.source_key = ?", [kind, value])
            )
            if table_exists(con, "identity", "record_identifiers"):
                found |= set(
                    _values(
                        con,
                        "select m.customer_id from identity.record_identifiers i "
                        "join identity.customer_records m using (record_id) "
                        "where i.identifier_type = ? and i.identifier_value = ?",
                        [kind, value],
                    )
                )
    return sorted(found)


def _with_aliases(con: duckdb.DuckDBPyConnection, seeds: list[str]) -> list[str]:
    if not (seeds and table_exists(con, "identity", "customer_aliases")):
        return seeds
    survivors = _values(
        con,
        "select coalesce(a.customer_id, s.id) from unnest(?) s(id) "
        "left join identity.customer_aliases a on a.retired_customer_id = s.id",
        [seeds],
    )
    retired = _values(
        con,
        "select retired_customer_id from identity.customer_aliases "
        "where customer_id in (select unnest(?))",
        [survivors],
    )
    return sorted(set(seeds) | set(survivors) | set(retired))


def _strong_tokens(
    con: duckdb.DuckDBPyConnection, person: Person, mapping: IdentityMapping
) -> dict[str, set[Token]]:
    """Per record of the person, the strong identifiers its raw rows carry most often (the
    value identity links on, so a shared computer's other account is not the person's)."""
    keys = [
        r.split(":", 1)[1] for r in person.record_ids if r.startswith(mapping.identity_type + ":")
    ]
    schema, table = mapping.raw_table.split(".", 1)
    if not keys or not mapping.strong_identifiers or not table_exists(con, schema, table):
        return {}
    found: dict[str, set[Token]] = {}
    for kind, expr in mapping.strong_identifiers.items():
        rows = con.execute(
            f"""select k, v from (
  select {source_key_sql(mapping.source_key)} as k, {source_key_sql(expr)} as v, count(*) as n
  from {mapping.raw_table} group by all)
where k in (select unnest(?)) and v is not null
qualify row_number() over (partition by k order by n desc, v) = 1""",
            [keys],
        ).fetchall()
        for key, value in rows:
            found.setdefault(f"{mapping.identity_type}:{key}", set()).add((kind, value))
    return found


def find_person(
    con: duckdb.DuckDBPyConnection,
    identifier: str,
    rules: EmailRules,
    mappings: list[IdentityMapping],
) -> Person:
    """Resolve a request's identifier to the person's ids, identifiers, e-mails and phones."""
    kind, request = _request_tokens(con, identifier, rules)
    person = Person(kind, rules, mappings, request_tokens={t for t in request if t[1]})
    has_identity = table_exists(con, "identity", "identity_records") and table_exists(
        con, "identity", "customer_records"
    )
    if kind == "customer_id":
        seeds = [identifier]
    else:
        seeds = _seed_customers(con, person.request_tokens, rules) if has_identity else []
    person.customer_ids = _with_aliases(con, seeds)
    emails, phones = set(), set()
    if has_identity and person.customer_ids:
        records = con.execute(
            f"select r.record_id, r.identity_type, r.source_key, "
            f"{email_key_sql('r.email', rules)}, r.phone, {phone_key_sql('r.phone')} "
            "from identity.identity_records r join identity.customer_records m using (record_id) "
            "where m.customer_id in (select unnest(?))",
            [person.customer_ids],
        ).fetchall()
        person.record_ids = sorted({r[0] for r in records})
        for record_id, identity_type, source_key, email, phone, phone_key in records:
            tokens = {(identity_type, source_key)}
            tokens |= {("email", email)} if email else set()
            tokens |= {("phone", phone_key)} if phone_key else set()
            person.record_tokens[record_id] = tokens
            emails.add(email)
            phones.add(phone)
        for mapping in mappings:
            for record_id, tokens in _strong_tokens(con, person, mapping).items():
                person.record_tokens[record_id] |= tokens
        if table_exists(con, "identity", "record_identifiers"):
            # each record's other e-mails and phones: found, erased and tombstoned like its own
            others = con.execute(
                f"select record_id, identifier_type, {email_key_sql('identifier_value', rules)}, "
                f"identifier_value, {phone_key_sql('identifier_value')} "
                "from identity.record_identifiers where identifier_type in ('email', 'phone') "
                "and record_id in (select unnest(?))",
                [person.record_ids],
            ).fetchall()
            for record_id, kind, email, phone, phone_key in others:
                key = email if kind == "email" else phone_key
                if key:
                    person.record_tokens[record_id].add((kind, key))
                (emails if kind == "email" else phones).add(email if kind == "email" else phone)
    # golden records (the last profiles build's) may still hold a value the records lost
    if table_exists(con, "marts", "golden_records") and person.customer_ids:
        emails |= set(
            _values(
                con,
                f"select {email_key_sql('email', rules)} from marts.golden_records "
                "where customer_id in (select unnest(?))",
                [person.customer_ids],
            )
        )
        phones |= set(
            _values(
                con,
                "select phone from marts.golden_records where customer_id in (select unnest(?))",
                [person.customer_ids],
            )
        )
    emails |= {v for k, v in person.request_tokens if k == "email"}
    person.emails = sorted(e for e in emails if e)
    person.phones = sorted(p for p in phones if p)
    keys = {_one(con, f"select {phone_key_sql('$1')}", [p]) for p in person.phones}
    keys |= {v for k, v in person.request_tokens if k == "phone"}
    person.phone_keys = sorted(k for k in keys if k)
    if not (person.customer_ids or person.emails or person.phone_keys):
        raise PersonNotFoundError(f"no customer, e-mail or phone matches {identifier!r}")
    return person


def verified_records(person: Person) -> set[str]:
    """The person's records tied to the request by shared identifiers, transitively.

    A record wrongly merged into the customer (a namesake) shares none of the requester's
    e-mail, phone, card, account or cookie: it stays out. A customer_id request proves
    nothing about records, so every record counts.
    """
    if person.identifier_kind == "customer_id":
        return set(person.record_ids)
    known, verified = set(person.request_tokens), set()
    changed = True
    while changed:
        changed = False
        for record_id, tokens in person.record_tokens.items():
            if record_id not in verified and tokens & known:
                verified.add(record_id)
                known |= tokens
                changed = True
    return verified
