"""What an incoming person's attributes become before real-time scoring or a lookup.

The attributes are standardised by the pipeline's own SQL (``_standardise``), an ASCII e-mail
by the same rule's Python spelling beside it (``core.identifiers.email_canonical``), a phone
SQL cannot read by Python's rule, and junk values are dropped by the configured block list
(``_guards``). Strong identifiers (loyalty card, e-shop account, cookie) are keys as given.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.identifiers import email_canonical
from identity import _standardise as std
from identity._config import ATTRIBUTES, IdentityConfig, load_identity_config

if TYPE_CHECKING:
    from collections.abc import Callable

    import duckdb

# identifier given to the API -> identity type whose source_key it is (docs/architecture.md)
KEYED_IDENTIFIERS = {
    "loyalty_card": "loyalty_card",
    "web_account": "web_account",
    "cookie": "web_cookie",
}


@lru_cache(maxsize=8)
def _config_at(path: Path, mtime_ns: int) -> IdentityConfig:
    return load_identity_config(path)


def cached_config(path: Path) -> IdentityConfig:
    """config/identity.yml, read again only when the file changes (one read per request
    would cost more than the lookup it serves)."""
    return _config_at(path, path.stat().st_mtime_ns)


def standardise(
    con: duckdb.DuckDBPyConnection, values: dict[str, Any], config: IdentityConfig
) -> dict[str, Any]:
    """The attributes given, standardised exactly as identity records are (None when junk)."""
    expressions = {name: standardise_sql(name, f"${name}", config) for name in ATTRIBUTES}
    given = {name: values.get(name) for name in expressions if values.get(name) not in (None, "")}
    out = dict.fromkeys(ATTRIBUTES)
    if given.get("email") is not None and str(given["email"]).isascii():
        out["email"] = email_canonical(str(given.pop("email")), config.standardisation)
    if given:
        sql = "select " + ", ".join(f"{expressions[name]} as {name}" for name in given)
        row = con.execute(sql, {name: str(value) for name, value in given.items()}).fetchone()
        assert row is not None  # a select without from has one row
        out.update(zip(given, row, strict=True))
    if given.get("phone") and out["phone"] is None:  # what SQL cannot tell, Python can
        out["phone"] = phone_fallback(str(given["phone"]), config)
    return drop_blocked(out, config)


def standardise_sql(attribute: str, value: str, config: IdentityConfig) -> str:
    """The pipeline's SQL standardising ``value`` (an expression) as ``attribute``."""
    cfg = config.standardisation
    if attribute in ("first_name", "last_name"):
        return std.name_sql(value, cfg)
    if attribute == "email":
        return std.email_sql(value, cfg)
    if attribute == "birth_date":
        return std.birth_date_sql(value, cfg)
    simple: dict[str, Callable[[str], str]] = {
        "phone": std.phone_sql,
        "postcode": std.postcode_sql,
        "city": std.city_sql,
        "address_line": std.address_sql,
    }
    return simple[attribute](value)


def phone_fallback(given: str, config: IdentityConfig) -> str | None:
    """A phone the SQL rule could not read, as E.164 when Python's rule can."""
    return std.phone_e164(given, config.standardisation.default_phone_region)


def drop_blocked(record: dict[str, Any], config: IdentityConfig) -> dict[str, Any]:
    """Junk e-mails and phones (the configured block list) identify nobody."""
    for kind in ("email", "phone"):
        rules = config.guards.blocklist.get(kind)
        value = record.get(kind)
        if rules is None or value is None:
            continue
        if value in rules.values or any(re.search(p, value) for p in rules.patterns):
            record[kind] = None
    return record
