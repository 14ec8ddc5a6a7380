"""The noise real exports carry: folded accents, typos, e-mail and phone variants, mojibake.

Every function takes the caller's ``random.Random`` so a source's noise depends only on the
seed and that source's own draws.
"""

from __future__ import annotations

import random
import unicodedata
from functools import lru_cache

from sample_data._reference import NICKNAMES, TYPO_DOMAINS

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "’": "'"})


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """``Hélène Lefèvre`` -> ``Helene Lefevre`` (what tills without accents print)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def email_token(text: str) -> str:
    """A name as it goes into an e-mail address: folded, lower case, no spaces or quotes."""
    return "".join(c for c in fold(text).lower() if c.isalnum() or c == "-")


def typo(text: str, rng: random.Random) -> str:
    """One keyboard slip: a swapped, dropped, doubled or replaced letter."""
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + text[i] + text[i:]
    return text[:i] + rng.choice("aeinrstu") + text[i + 1 :]


def double_encoded(text: str) -> str:
    """UTF-8 bytes read back as cp1252: ``Hélène`` -> ``HÃ©lÃ¨ne``."""
    try:
        return text.encode("utf-8").decode("cp1252")
    except UnicodeDecodeError:
        return text


def nickname(first_name: str) -> str | None:
    """The usual short form of a first name, if it has one."""
    return NICKNAMES.get(first_name)


def email_variant(email: str, rng: random.Random) -> tuple[str, str]:
    """A way the same address gets typed: case, gmail dots, +tag, typo domain, spaces.

    Returns the variant and its kind, so the truth can say which noise a record got.
    """
    local, _, domain = email.partition("@")
    kind = rng.choices(("case", "dots", "plus", "typo_domain", "spaces"), (30, 20, 20, 20, 10))[0]
    if kind == "dots" and domain == "gmail.com":
        bare = local.replace(".", "")
        return (f"{bare}@{domain}" if bare != local else f"{local[:2]}.{local[2:]}@{domain}"), kind
    if kind == "plus":
        tag = rng.choice(("promo", "shop", "news", "achats"))
        return f"{local}+{tag}@{domain}", kind
    if kind == "typo_domain" and domain in TYPO_DOMAINS:
        return f"{local}@{TYPO_DOMAINS[domain]}", kind
    if kind == "spaces":
        return f" {email} ", kind
    return f"{local.capitalize()}@{domain.capitalize()}" if rng.random() < 0.5 else email.upper(), (
        "case"
    )


def phone_any_format(phone: str, rng: random.Random) -> str:
    """A French number (``0612345678``) as people and agents write it."""
    pairs = " ".join(phone[i : i + 2] for i in range(0, 10, 2))
    rest = phone[1:]
    spaced_rest = f"{rest[0]} " + " ".join(rest[i : i + 2] for i in range(1, 9, 2))
    return rng.choices(
        (
            pairs,
            phone,
            f"+33 {spaced_rest}",
            f"+33{rest}",
            f"0033 {spaced_rest}",
            pairs.replace(" ", "."),
            pairs.replace(" ", "-"),
            f"(+33) {rest}",
        ),
        (30, 25, 15, 10, 5, 8, 4, 3),
    )[0]


def caller_name(first: str, last: str, female: bool, rng: random.Random) -> str:
    """What an agent types in the caller field: ``DUPONT Jean``, ``Mme Marie-Claire LE GOFF``."""
    title = "Mme" if female else "M."
    style = rng.choices(range(7), (30, 25, 15, 10, 8, 7, 5))[0]
    if style == 0:
        return f"{last.upper()} {first}"
    if style == 1:
        return f"{first} {last}"
    if style == 2:
        return f"{title} {first} {last.upper()}"
    if style == 3:
        return f"{title} {last}"
    if style == 4:
        return f"{fold(last).upper()} {fold(first).upper()}"
    if style == 5:
        return f"{first.lower()} {last.lower()}"
    return f"{last.upper()}, {first[0]}."
