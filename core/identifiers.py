"""Identifier keys: the one definition of each form a person's identifiers take.

Identity standardisation, erasure (tombstones and the rows `forget` deletes), access,
consent and audiences all build their SQL from these functions (the dbt staging models
through the macros of ``dbt_project/macros/identifier_keys.sql``, run on the same
examples), so a value written one way in a source and typed another way by a data subject
still lands on the same key. Each form has a table of examples (``*_EXAMPLES``, input ->
output) that ``tests/privacy`` runs and ``docs/privacy.md`` quotes.

| form              | function                  | used for                                     |
|-------------------|---------------------------|----------------------------------------------|
| e-mail as typed   | :func:`email_typed_sql`   | subscriber source key, consent, ad hashes    |
| e-mail canonical  | :func:`email_canonical_sql` | identity matching, golden record           |
|   (in Python)     | :func:`email_canonical`   | real-time identify and lookups (ASCII)       |
| e-mail key        | :func:`email_key_sql`     | forget/access lookups, tombstones            |
| phone E.164       | :func:`phone_e164_sql`    | identity matching, golden record, ad hashes  |
| phone key         | :func:`phone_key_sql`     | forget/access lookups, tombstones            |
| phone digits      | :func:`phone_digits_sql`  | SMS recipient source key                     |
| loyalty card      | :func:`loyalty_card_sql`  | what `config/sources/*.yml` writes in SQL    |
| account, cookie   | :func:`source_key_sql`    | web account id, GA4 cookie, custom ids       |
| custom identifier | :func:`identifier_sql`    | a source's `standardise:` preset (SSN, NIR)  |

The e-mail rules come from the caller (:class:`EmailRulesConfig`, or identity's
``StandardisationConfig`` which extends it, both fit :class:`EmailRules`);
:func:`configured_email_rules` reads them from ``config/identity.yml`` for the stages that
run before identity (ingestion's erasure at the door) or beside it (privacy lookups).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.config_files import ConfigError, read_yaml_mapping

if TYPE_CHECKING:
    from pathlib import Path


class EmailRules(Protocol):
    """What canonical e-mails depend on (``config/identity.yml``, ``standardisation:``)."""

    # Read-only properties: a config's dict and list fields satisfy Mapping and Sequence.
    @property
    def email_domain_typos(self) -> Mapping[str, str]: ...

    @property
    def dotless_email_domains(self) -> Sequence[str]: ...


class EmailRulesConfig(BaseModel):
    """The e-mail rules of ``config/identity.yml`` (``standardisation:``), declared once."""

    model_config = ConfigDict(extra="ignore")  # the section's other keys are identity's

    email_domain_typos: dict[str, str] = Field(default_factory=dict)
    dotless_email_domains: list[str] = ["gmail.com", "googlemail.com"]


@lru_cache(maxsize=8)
def configured_email_rules(identity_config_path: Path) -> EmailRulesConfig:
    """The installation's e-mail rules; the defaults when ``identity.yml`` is missing or wrong.

    Ingestion and lookups go on with the defaults: identity itself refuses a wrong file and
    names the problem.
    """
    try:
        data = read_yaml_mapping(identity_config_path) or {}
        return EmailRulesConfig.model_validate(data.get("standardisation") or {})
    except (ConfigError, ValidationError):
        return EmailRulesConfig()


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


EMAIL_TYPED_EXAMPLES = [
    ("  Jean.Dupont@Mail.FR ", "jean.dupont@mail.fr"),
    ("Delahaye.Lea+promo@gmail.com", "delahaye.lea+promo@gmail.com"),
    ("   ", None),
]


def email_typed_sql(expr: str) -> str:
    """E-mail as typed, only trimmed and lower-cased; empty as NULL."""
    return f"nullif(lower(trim({expr})), '')"


# With config/identity.yml's rules: gmail.com dotless, gmial.com / googlemail.com -> gmail.com
EMAIL_CANONICAL_EXAMPLES = [
    (" Jean.Dupont+promo@GMIAL.com ", "jeandupont@gmail.com"),
    ("Delahaye.Lea+promo@gmail.com", "delahayelea@gmail.com"),
    ("delahaye.lea@googlemail.com", "delahayelea@gmail.com"),
    ("marie.curie+x@hotmial.fr", "marie.curie@hotmail.fr"),
    ("marie.curie@orange.fr", "marie.curie@orange.fr"),
    ("not-an-email", None),
]


def email_canonical_sql(expr: str, rules: EmailRules) -> str:
    """Lower/trim, typo domains fixed, +tags dropped, dots dropped for dotless providers;
    NULL when the text is not shaped like an address."""
    cleaned = f"regexp_replace(lower(trim({expr})), '\\s', '', 'g')"
    local = f"regexp_replace(split_part({cleaned}, '@', 1), '\\+.*$', '')"
    domain = f"split_part({cleaned}, '@', 2)"
    typos: dict[str, str] = {}
    for typo, fixed in rules.email_domain_typos.items():
        typos.setdefault(typo.lower(), fixed.lower())  # the first spelling wins, as in a CASE
    # one map lookup, not a CASE branch per typo: each branch cleaned and split the address
    # again (about 35 regular expressions per address with 15 typos, 1.4 s of CPU for 335k)
    pairs = ", ".join(f"{_quote(typo)}: {_quote(fixed)}" for typo, fixed in typos.items())
    fixed_domain = f"coalesce(map {{{pairs}}}[{domain}], {domain})" if typos else domain
    # `=` comparisons, not `in (...)`: DuckDB 2.0 fails to bind `in` over a stored column it
    # knows to be all NULL ("BindBuiltinScalarFunction did not return ...")
    dotless = " or ".join(f"{fixed_domain} = {_quote(d)}" for d in rules.dotless_email_domains)
    canonical_local = (
        f"(case when {dotless or 'false'} then replace({local}, '.', '') else {local} end)"
    )
    return (
        f"case when regexp_matches({cleaned}, '^[^@]+@[^@]+\\.[a-z]{{2,}}$') "
        f"then {canonical_local} || '@' || {fixed_domain} end"
    )


_SQL_SPACE = re.compile(r"[\t\n\f\r ]")  # RE2's \s, which the SQL rule removes
_ADDRESS_SHAPE = re.compile(r"[^@]+@[^@]+\.[a-z]{2,}")


def email_canonical(text: str, rules: EmailRules) -> str | None:
    """:func:`email_canonical_sql` step by step in Python, for ASCII text: the real-time
    path's (the SQL repeats its sub-expressions and costs ~12 ms of CPU per value in DuckDB,
    this a few microseconds). Other text goes to the SQL: Python and DuckDB lower-case some
    letters differently (Python writes a word-final capital sigma as ``ς``)."""
    if not text.isascii():
        raise ValueError(f"{text!r} is not ASCII: standardise it with email_canonical_sql")
    cleaned = _SQL_SPACE.sub("", text.lower())
    if not _ADDRESS_SHAPE.fullmatch(cleaned):
        return None
    local, domain = cleaned.split("@")
    local = local.split("+", 1)[0]
    typos = {typo.lower(): fixed.lower() for typo, fixed in rules.email_domain_typos.items()}
    domain = typos.get(domain, domain)
    if domain in rules.dotless_email_domains:
        local = local.replace(".", "")
    return f"{local}@{domain}"


EMAIL_KEY_EXAMPLES = [
    ("Delahaye.Lea+promo@gmail.com", "delahayelea@gmail.com"),
    ("DELAHAYE.LEA@GMIAL.COM", "delahayelea@gmail.com"),
    ("delahaye.lea@gmail.com", "delahayelea@gmail.com"),
    (" Lea@Intranet ", "lea@intranet"),  # not an address identity reads: as typed
    ("", None),
]


def email_key_sql(expr: str, rules: EmailRules) -> str:
    """The key an e-mail is looked up and tombstoned by: canonical, else as typed.

    Every raw spelling whose canonical form is the same gets the same key; a value identity
    cannot read as an address still gets one (so it can be found and erased).
    """
    # concat() turns NULL into '' (whose key is NULL too): DuckDB 2.0 fails to bind the
    # canonical form over a stored column it knows to be all NULL ("BindBuiltinScalarFunction
    # did not return ..."), and lookups run over any column of any table.
    text = f"concat({expr})"
    return f"coalesce({email_canonical_sql(text, rules)}, {email_typed_sql(text)})"


PHONE_E164_EXAMPLES = [
    ("06 12 34 56 78", "+33612345678"),
    ("+33 (0)6 12 34 56 78", "+33612345678"),
    ("0033612345678", "+33612345678"),
    ("612345678", "+33612345678"),
    ("+44 20 7946 0958", None),  # SQL knows French shapes only: phone_e164() does the rest
    ("hello", None),
]


def phone_e164_sql(expr: str) -> str:
    """French numbers in their usual spellings to E.164; NULL when SQL cannot tell.

    Levels of recognition, in order: ``+33 6 ..``/``+33 (0)6 ..``; ``0033 6 ..``;
    ``33 6 ..``; national ``06 ..``; nine digits whose leading 0 was lost (``612345678``).
    """
    digits = f"regexp_replace({expr}, '[^0-9+]', '', 'g')"
    return (
        f"case when regexp_matches({digits}, '^(\\+33|0033|33)0?[1-9][0-9]{{8}}$') "
        f"then '+33' || right({digits}, 9) "
        f"when regexp_matches({digits}, '^0?[1-9][0-9]{{8}}$') then '+33' || right({digits}, 9) "
        f"end"
    )


@lru_cache(maxsize=200_000)
def phone_e164(text: str, region: str) -> str | None:
    """E.164 through `phonenumbers` for what :func:`phone_e164_sql` did not recognise."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


PHONE_KEY_EXAMPLES = [
    ("06 12 34 56 78", "612345678"),
    ("+33 6 12 34 56 78", "612345678"),
    ("0033612345678", "612345678"),
    ("06.12.34.56.78", "612345678"),
    ("+44 20 7946 0958", "079460958"),
    ("12 34", None),
]


def phone_key_sql(expr: str) -> str:
    """A phone's last nine digits (the national number in France), any spelling.

    Coarser than E.164 on purpose: it needs no parsing, so a lookup and a tombstone match a
    number however a till, an agent or a data subject typed it.
    """
    # No coalesce(expr, ''): DuckDB 2.0 fails to bind that expression over a stored column
    # it knows to be all NULL ("BindBuiltinScalarFunction did not return ...").
    digits = f"regexp_replace({expr}, '[^0-9]', '', 'g')"
    return f"case when length({digits}) >= 9 then right({digits}, 9) end"


PHONE_DIGITS_EXAMPLES = [
    ("06 12 34 56 78", "0612345678"),
    ("+33 6 12 34 56 78", "33612345678"),
    ("n/a", None),
]


def phone_digits_sql(expr: str) -> str:
    """A phone's digits as typed, nothing else: the key SMS platforms send recipients by."""
    return f"nullif(regexp_replace({expr}, '[^0-9]', '', 'g'), '')"


LOYALTY_CARD_EXAMPLES = [
    ("FID-0012 345", "FID0012345"),
    ("fid0012345", "FID0012345"),
    ("  ", None),
]


def loyalty_card_sql(expr: str) -> str:
    """Card number without the spaces and dashes agents type: upper-case letters and digits.

    The source definitions spell the same expression in their ``strong_identifiers:``.
    """
    return f"nullif(upper(regexp_replace({expr}, '[^0-9A-Za-z]', '', 'g')), '')"


SOURCE_KEY_EXAMPLES = [
    (" A001 ", "A001"),  # e-shop account id
    ("1234567.1700000000", "1234567.1700000000"),  # GA4 user_pseudo_id (cookie)
    ("", None),
]


def source_key_sql(expr: str) -> str:
    """An opaque source key (account id, cookie, ticket, custom identifier): trimmed."""
    return f"nullif(trim(cast({expr} as varchar)), '')"


def hash_sql(key_sql: str, salt_literal: str) -> str:
    """SQL hashing a key with a salt (tombstones); NULL when the key is NULL."""
    return f"sha256({salt_literal} || {key_sql})"


def unsalted_sha256_sql(key_sql: str) -> str:
    """SQL SHA-256 of a key as ad platforms match on it (hashed audiences): no salt."""
    return f"sha256({key_sql})"


IDENTIFIER_PRESET_EXAMPLES = [
    (("12 34-56", "digits"), "123456"),
    (("ab-12 c", "alnum"), "AB12C"),
    (("123-45-6789", "us_ssn"), "123456789"),
    (("000-12-3456", "us_ssn"), None),  # no area 000: a placeholder never links two people
    (("1 85 05 78 006 084 36", "fr_nir"), "1850578006084"),  # the 2-digit key dropped
    (("ab 12 34 56 c", "uk_nino"), "AB123456C"),
    (("qq 12 34 56 c", "uk_nino"), None),  # QQ: the prefix of specimen numbers
    ((" ", "text"), None),
]
PRESETS = ("text", "digits", "alnum", "us_ssn", "fr_nir", "uk_nino")


def identifier_sql(expr: str, preset: str) -> str:
    """A custom identifier's canonical form under ``preset`` (NULL when it cannot be one).

    A source definition names the preset of a strong identifier (national ids, CRM numbers)::

        strong_identifiers:
          national_id: {sql: ssn, standardise: us_ssn}
    """
    text = f"cast(({expr}) as varchar)"
    digits = f"regexp_replace({text}, '[^0-9]', '', 'g')"
    alnum = f"upper(regexp_replace({text}, '[^0-9A-Za-z]', '', 'g'))"
    if preset == "text":
        return f"nullif(trim({text}), '')"
    if preset == "digits":
        return f"nullif({digits}, '')"
    if preset == "alnum":
        return f"nullif({alnum}, '')"
    if preset == "us_ssn":
        # SSA rules: no area 000, 666 or 900-999, no group 00, no serial 0000
        return (
            f"case when regexp_full_match({digits}, "
            f"'(?:[0-8][0-9]{{2}})(?:[0-9]{{2}})(?:[0-9]{{4}})') "
            f"and left({digits}, 3) not in ('000', '666') and substr({digits}, 4, 2) <> '00' "
            f"and right({digits}, 4) <> '0000' and length({digits}) = 9 then {digits} end"
        )
    if preset == "fr_nir":
        # sex digit, then 12 digits (Corsica's 2A/2B kept as letters); the key is dropped
        return (
            f"case when regexp_full_match({alnum}, '[12378][0-9]{{4}}(?:[0-9]{{2}}|2A|2B)"
            f"[0-9]{{6}}(?:[0-9]{{2}})?') then left({alnum}, 13) end"
        )
    if preset == "uk_nino":
        return (
            f"case when regexp_full_match({alnum}, '[A-CEGHJ-PR-TW-Z]{{2}}[0-9]{{6}}[A-D]') "
            f"then {alnum} end"
        )
    raise ValueError(f"unknown identifier preset {preset!r}; use one of {list(PRESETS)}")
