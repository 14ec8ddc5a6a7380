"""Standardisation of identifying attributes, as SQL where possible and Python where not.

The common shapes (French phone formats, e-mail clean-up, names) are SQL expressions so a
million records standardise in one vectorised pass; only what SQL cannot do (exotic phone
numbers) goes through Python, once per distinct value. Free-text caller names are split in
SQL too (:func:`split_full_name_sql`), by the rules :func:`split_full_name` spells out.

Examples of what comes out:
- names: ``Mme Marie-Claire`` -> ``marieclaire``; ``LE GOFF`` / ``Le Goff`` -> ``legoff``
- e-mail: ``Jean.Dupont+promo@GMIAL.com`` -> ``jeandupont@gmail.com``
- phone: ``06 12 34 56 78`` / ``+33 (0)6 12 34 56 78`` / ``0033612345678`` -> ``+33612345678``
- postcode: ``6000`` (leading zero lost in a spreadsheet) -> ``06000``
- city: ``St-Étienne Cedex 2`` -> ``saint etienne``

Beside the match key, names, e-mail, city and street keep a display form
(:func:`display_sql`): the value as typed, spaces trimmed and collapsed; a name typed all
in capitals is title-cased (``JEAN-MARC`` -> ``Jean-Marc``, so "Bonjour Jean-Marc"); cities
and streets keep their capitals (upper case is the French postal norm, NF Z10-011); e-mail
is trimmed and lower-cased (:func:`core.identifiers.email_typed_sql`).
"""

from __future__ import annotations

import re
import unicodedata

from core import identifiers
from core.warehouse import sql_literal
from identity._config import StandardisationConfig


def _fold(expr: str) -> str:
    return f"lower(strip_accents(replace(replace(trim({expr}), 'œ', 'oe'), 'Œ', 'OE')))"


def name_sql(expr: str, config: StandardisationConfig) -> str:
    """Lower case, accents folded, leading title dropped, particles and hyphens joined."""
    titles = "|".join(re.escape(t) for t in config.titles)
    without_title = f"regexp_replace({_fold(expr)}, '^(({titles})\\.?\\s+)+', '')"
    return f"nullif(regexp_replace({without_title}, '[^a-z]', '', 'g'), '')"


def email_sql(expr: str, config: StandardisationConfig) -> str:
    """Canonical e-mail (:func:`core.identifiers.email_canonical_sql`, the one definition)."""
    return identifiers.email_canonical_sql(expr, config)


def phone_sql(expr: str) -> str:
    """E.164 phone where SQL can tell (:func:`core.identifiers.phone_e164_sql`)."""
    return identifiers.phone_e164_sql(expr)


def postcode_sql(expr: str, country: str | None = None) -> str:
    """A postcode in its country's standard form; NULL when it is not one.

    ``country`` is SQL giving the ISO alpha-2 code (default: French rules only).
    - FR: five digits; four digits regain the leading zero a spreadsheet dropped
      (``6000`` -> ``06000``);
    - GB: outward and inward code, one space (``sw1a1aa`` -> ``SW1A 1AA``);
    - US: the five-digit ZIP (``02134-1234`` -> ``02134``);
    - elsewhere: upper-case letters and digits, 3 to 10 of them (``d-10115`` -> ``D10115``).
    """
    digits = f"regexp_replace(cast({expr} as varchar), '[^0-9]', '', 'g')"
    french = (
        f"case when length({digits}) = 5 then {digits} "
        f"when length({digits}) = 4 then '0' || {digits} end"
    )
    if country is None:
        return french
    alnum = f"upper(regexp_replace(cast({expr} as varchar), '[^0-9A-Za-z]', '', 'g'))"
    british = (
        f"case when regexp_full_match({alnum}, '[A-Z]{{1,2}}[0-9][A-Z0-9]?[0-9][A-Z]{{2}}') "
        f"then left({alnum}, length({alnum}) - 3) || ' ' || right({alnum}, 3) end"
    )
    american = (
        f"case when regexp_full_match({digits}, '[0-9]{{5}}([0-9]{{4}})?') "
        f"then left({digits}, 5) end"
    )
    other = f"case when length({alnum}) between 3 and 10 then {alnum} end"
    return (
        f"case {country} when 'FR' then {french} when 'GB' then {british} "
        f"when 'US' then {american} else {other} end"
    )


def city_sql(expr: str) -> str:
    """Lower, accents folded, punctuation as spaces, CEDEX dropped, ``st`` spelled out."""
    spaced = f"trim(regexp_replace({_fold(expr)}, '[^a-z]+', ' ', 'g'))"
    no_cedex = f"trim(regexp_replace({spaced}, '\\s*cedex.*$', ''))"
    saint = f"regexp_replace({no_cedex}, '^(st|ste) ', 'saint ')"
    return f"nullif({saint}, '')"


def birth_date_sql(expr: str, config: StandardisationConfig, earliest: str | None = None) -> str:
    """A plausible DATE or NULL (placeholders like 1900-01-01 and future dates dropped).

    ``earliest`` is SQL giving a per-record lower bound (a source's ``min_birth_date``,
    exclusive), default ``min_birth_year``-01-01.
    """
    value = f"try_cast({expr} as date)"
    floor = f"make_date({config.min_birth_year}, 1, 1)"
    if earliest is not None:
        floor = f"coalesce({earliest}, {floor})"
    return f"case when {value} > {floor} and {value} <= current_date then {value} end"


# A street type written short after the house number, as French tills and loyalty files
# print addresses (``12 R DE LA PAIX``, ``79T AV FOCH``), and its long form
STREET_TYPES = {
    "r": "rue", "av": "avenue", "ave": "avenue", "bd": "boulevard", "bld": "boulevard",
    "all": "allee", "imp": "impasse", "ch": "chemin", "chem": "chemin", "pl": "place",
    "rte": "route", "sq": "square", "crs": "cours", "fg": "faubourg", "fbg": "faubourg",
    "pass": "passage", "qu": "quai", "res": "residence",
}  # fmt: skip
ADDRESS_EXAMPLES = [
    ("12 R DE LA PAIX", "12 rue de la paix"),
    ("12 rue de la Paix", "12 rue de la paix"),
    ("79T AV. FOCH", "79 ter avenue foch"),
    ("79 ter avenue Foch", "79 ter avenue foch"),
    ("5B BD Voltaire Bât. C", "5 bis boulevard voltaire bat c"),
    ("140 ALL JEAN MOULIN", "140 allee jean moulin"),
    ("3 rue de l'Église", "3 rue de l eglise"),
    ("Lieu-dit Les Rues", "lieu dit les rues"),
]


def address_sql(expr: str) -> str:
    """Lower, accents folded, single spaces; after the house number, ``b``/``t`` read as
    ``bis``/``ter`` and a short street type as its long form (:data:`ADDRESS_EXAMPLES`)."""
    plain = f"nullif(trim(regexp_replace({_fold(expr)}, '[^a-z0-9]+', ' ', 'g')), '')"
    # one pass: the house number, its suffix, a short street type and the rest
    shorts = "|".join(STREET_TYPES)
    parts = (
        f"regexp_extract({plain}, '^([0-9]+) ?(bis|b|ter|t)? ?({shorts})? (.+)$', "
        "['number', 'suffix', 'type', 'rest'])"
    )
    types = " ".join(f"when '{short}' then '{long}'" for short, long in STREET_TYPES.items())
    # `plain` and the parts are computed once each (a lambda over a one-element list)
    rebuilt = (
        f"case when a is null or p.number = '' then a else concat_ws(' ', p.number, "
        f"case p.suffix when 'b' then 'bis' when 't' then 'ter' else nullif(p.suffix, '') end, "
        f"case p.type {types} else nullif(p.type, '') end, p.rest) end"
    )
    return (
        f"list_transform([{plain}], lambda a: "
        f"list_transform([{parts.replace(plain, 'a')}], lambda p: {rebuilt})[1])[1]"
    )


# What Python's str.split() splits on: RE2's \s lacks \v, the Unicode spaces and separators.
_SPACES = r"[\s\x0b\p{Z}\x{1C}-\x{1F}\x{85}]+"
_APOSTROPHE = "''''"  # a SQL literal holding one apostrophe


def collapse_spaces_sql(expr: str) -> str:
    """Trimmed, every run of spaces (Unicode ones included) as one space; empty as NULL."""
    return f"nullif(trim(regexp_replace({expr}, '{_SPACES}', ' ', 'g')), '')"


def _title_case_sql(expr: str) -> str:
    """Each letter after a space, hyphen or apostrophe upper case, the others lower case."""
    lowered = f"lower({expr})"
    return (
        f"array_to_string(list_transform(string_split({lowered}, ''), lambda ch, i: "
        f"case when i = 1 or substr({lowered}, i - 1, 1) in (' ', '-', {_APOSTROPHE}) "
        "then upper(ch) else ch end), '')"
    )


# (attribute, as typed, display form): the documentation and the test of display_sql
DISPLAY_EXAMPLES = [
    ("first_name", "  JEAN-MARC ", "Jean-Marc"),
    ("first_name", "Jean-Marc", "Jean-Marc"),
    ("last_name", "LE   GOFF", "Le Goff"),
    ("last_name", "O'NEILL", "O'Neill"),
    ("last_name", "de La Fontaine", "de La Fontaine"),
    ("first_name", "ÉLODIE", "Élodie"),
    ("city", "L'Haÿ-les-Roses", "L'Haÿ-les-Roses"),
    ("city", "SAINT-ÉTIENNE  CEDEX 2", "SAINT-ÉTIENNE CEDEX 2"),
    ("address_line", " 12 bis  rue de la Paix ", "12 bis rue de la Paix"),
    ("email", " Jean.Dupont+promo@GMIAL.com ", "jean.dupont+promo@gmial.com"),
    ("city", "   ", None),
]


def display_sql(attribute: str, expr: str) -> str:
    """The display form of ``attribute`` from ``expr``, the value as typed with its spaces
    already collapsed (:func:`collapse_spaces_sql`).

    ``JEAN-MARC`` -> ``Jean-Marc``, ``LE GOFF`` -> ``Le Goff`` (names typed in capitals);
    ``Jean-Marc``, ``L'Haÿ-les-Roses``, ``12 bis rue de la Paix`` stay as typed;
    ``Jean.Dupont+promo@GMAIL.com`` -> ``jean.dupont+promo@gmail.com``.
    """
    if attribute == "email":
        return identifiers.email_typed_sql(expr)
    if attribute in ("first_name", "last_name"):
        capitals = f"{expr} = upper({expr}) and {expr} <> lower({expr})"
        return f"case when {capitals} then {_title_case_sql(expr)} else {expr} end"
    return expr


_UPPER_TOKEN_RE2 = "[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'\\-]+"
# "Mme DUPONT née MARTIN", "Marie MARTIN épouse DUPONT": a second surname introduced by
# née (the birth name), épouse or veuve (the married name) is dropped from a full name,
# so it becomes neither a first name nor part of the surname other records are compared on
_OTHER_SURNAME_RE2 = r"(?i)\s+(n[ée]e?|[ée]pouse|[ée]p\.|veuve|vve)\s.*$"
_OTHER_SURNAME = re.compile(r"\s+(n[ée]e?|[ée]pouse|[ée]p\.|veuve|vve)\s.*$", re.IGNORECASE)


def _word_list(words: tuple[str, ...]) -> str:
    return "[" + ", ".join(sql_literal(w) for w in words) + "]::varchar[]"


def split_full_name_sql(table: str, column: str, config: StandardisationConfig) -> str:
    """SQL giving (``column``, ``split_first``, ``split_last``) for each distinct full name
    of ``table``: :func:`split_full_name` as one vectorised pass (the same rules)."""
    titles, particles = _word_list(tuple(config.titles)), _word_list(tuple(config.name_particles))
    upper_token = sql_literal(_UPPER_TOKEN_RE2)
    # "Mme LE GALL": two words, the first a particle, are a surname alone
    particle_first = f"list_contains({particles}, lower(strip_accents(tokens[1])))"
    whole = "array_to_string(tokens, ' ')"
    return f"""
with names as (
  select distinct {column} as full_name from {table} where {column} is not null
), tokenised as (
  select full_name, list_filter(regexp_split_to_array(replace(
    regexp_replace(full_name, {sql_literal(_OTHER_SURNAME_RE2)}, ''), ',', ' '),
    '{_SPACES}'), lambda t: t <> '') as words
  from names
), untitled as (  -- leading titles dropped
  select full_name, coalesce(words[list_position(list_transform(words, lambda t:
    list_contains({titles}, rtrim(lower(strip_accents(t)), '.'))), false):], []) as tokens
  from tokenised
), flagged as (
  select full_name, tokens, len(tokens) as n,
    list_transform(tokens, lambda t: regexp_full_match(t, {upper_token})) as upper,
    coalesce(list_position(list_transform(tokens, lambda t, i: i > 1
      and list_contains({particles}, lower(strip_accents(t)))), true), len(tokens)) as cut
  from untitled
)
select full_name as {column},
  case when n < 2 or (n = 2 and {particle_first}) then null
       when list_bool_and(upper) then tokens[n]
       when list_bool_or(upper)
         then array_to_string(list_filter(tokens, lambda t, i: not upper[i]), ' ')
       else array_to_string(tokens[1:cut - 1], ' ') end as split_first,
  case when n = 0 then null when n = 1 or (n = 2 and {particle_first}) then {whole}
       when list_bool_and(upper) then array_to_string(tokens[1:n - 1], ' ')
       when list_bool_or(upper)
         then array_to_string(list_filter(tokens, lambda t, i: upper[i]), ' ')
       else array_to_string(tokens[cut:], ' ') end as split_last
from flagged"""


_UPPER_TOKEN = re.compile(r"^[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'\-]+$")


def split_full_name(
    text: str, titles: tuple[str, ...], particles: tuple[str, ...]
) -> tuple[str | None, str | None]:
    """Split free text into (first, last): upper-case tokens are the last name.

    ``DUPONT Jean`` -> (Jean, DUPONT); ``Mme Marie-Claire Le Goff`` -> (Marie-Claire, Le Goff);
    ``LE GOFF MARIE`` (all capitals, French order) -> (MARIE, LE GOFF);
    ``Mme DUPONT née Martin`` -> (None, DUPONT).
    """
    tokens = _OTHER_SURNAME.sub("", text).replace(",", " ").split()
    while tokens and _ascii(tokens[0]).lower().rstrip(".") in titles:
        tokens = tokens[1:]
    if not tokens:
        return None, None
    if len(tokens) == 1:
        return None, tokens[0]
    if len(tokens) == 2 and _ascii(tokens[0]).lower() in particles:
        return None, " ".join(tokens)  # "Mme LE GALL": a surname with its particle, alone
    upper = [bool(_UPPER_TOKEN.match(t)) for t in tokens]
    if all(upper):
        return tokens[-1], " ".join(tokens[:-1])
    if any(upper):
        first = [t for t, u in zip(tokens, upper, strict=True) if not u]
        last = [t for t, u in zip(tokens, upper, strict=True) if u]
        return " ".join(first), " ".join(last)
    # Mixed case with no capitals block: given name first, particles open the last name.
    cut = next(
        (i for i, t in enumerate(tokens[1:], start=1) if _ascii(t).lower() in particles),
        len(tokens) - 1,
    )
    return " ".join(tokens[:cut]), " ".join(tokens[cut:])


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def phone_e164(text: str, region: str) -> str | None:
    """E.164 through `phonenumbers` (:func:`core.identifiers.phone_e164`)."""
    return identifiers.phone_e164(text, region)


def register_phone_fallback(con, name: str, phones: list[tuple[str, str]]) -> None:
    """A temp table ``name``: each ``(raw_phone, phone_region)`` of ``phones`` with its
    E.164 form read by `phonenumbers` (``phone_fallback``; NULL when unreadable), for the
    phones SQL cannot read, once per distinct value. (Passed as three lists, not an Arrow
    table: registering one makes DuckDB import pandas, a third of a second of CPU in a run
    that reads a few phones.)"""
    con.execute(
        f"create or replace temp table {name} as select unnest($1::varchar[]) as raw_phone, "
        "unnest($2::varchar[]) as phone_region, unnest($3::varchar[]) as phone_fallback",
        [
            [p for p, _ in phones],
            [r for _, r in phones],
            [phone_e164(p, r) for p, r in phones],
        ],
    )
