"""Erasure at the door: incoming rows that carry an erased person's identifier are dropped.

A row is suppressed when one of its identifiers hashes to a tombstone (:mod:`core.erasure`):
its e-mail and phone columns (the entity's ``personal_data:``, keyed as
:mod:`core.identifiers` keys them), and every source key and strong identifier the source's
``identities:`` mappings read from this entity (loyalty card, account id, GA4 cookie and
``user_id``, custom identifiers), under their identifier type. So a GA4 event keyed only by
the cookie or the account id of a forgotten person is dropped too. An unparsed line is
dropped when any of its tokens does. Suppressed rows are counted in the ledger and written
nowhere (quarantine included).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core import erasure, identifiers
from core.warehouse import scalar

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings
    from ingestion.definitions import EntityDefinition

log = logging.getLogger(__name__)


@dataclass
class Suppression:
    """How one entity's staged rows are matched against the tombstones."""

    keys: list[tuple[str, str]]  # (identifier kind, SQL key over the staged columns)
    generations: dict[str, str]
    rules: identifiers.EmailRules

    def apply(self, con: duckdb.DuckDBPyConnection, table: str = "_scanned") -> None:
        """Flag the suppressed rows of ``table`` and drop the text kept for quarantine."""
        usable = []
        for kind, key in self.keys:
            try:  # a mapping expression may read a column this contract lacks
                con.execute(f"select {key} from {table} limit 0")
            except Exception as error:  # noqa: BLE001 (DuckDB raises several binder types)
                log.warning("erasure key %s not applicable to %s: %s", kind, table, error)
                continue
            # hash each distinct value once, not once per row (a card has many receipt lines)
            usable.append(
                f"{key} in (select k from (select distinct {key} as k from {table}) "
                f"where {erasure.match_sql(kind, 'k', self.generations)})"
            )
        if usable:
            con.execute(
                f"update {table} set _suppressed = true, _raw = null "
                f"where not _suppressed and ({' or '.join(usable)})"
            )

    def apply_to_lines(self, con: duckdb.DuckDBPyConnection, table: str = "_bad") -> None:
        """Unparsed lines: suppressed (reason NULL) when any token hashes to a tombstone."""
        con.execute(
            f"update {table} set reason = null where reason is not null and "
            + line_condition("raw_record", self.rules, self.generations)
        )


def line_condition(raw: str, rules: identifiers.EmailRules, generations: dict[str, str]) -> str:
    """SQL true when a token of an unparsed line, in any key form, hashes to a tombstone."""
    tokens = f"regexp_split_to_array(coalesce({raw}, ''), '[;,\"{{}}\\[\\]\\t|]')"
    forms = [
        identifiers.email_key_sql("t", rules),
        identifiers.phone_key_sql("t"),
        identifiers.source_key_sql("t"),
        identifiers.loyalty_card_sql("t"),
    ]
    checks = []
    for generation, salt in generations.items():
        salt_sql = "'" + salt.replace("'", "''") + "'"
        hashed = " || ".join(
            f"list_transform({tokens}, lambda t: {identifiers.hash_sql(f, salt_sql)})"
            for f in forms
        )
        checks.append(
            f"list_has_any({hashed}, (select coalesce(list(identifier_hash), []) "
            f"from {erasure.TOMBSTONE_TABLE} where salt_generation = '{generation}'))"
        )
    return "(" + " or ".join(checks) + ")" if checks else "false"


def for_entity(
    con: duckdb.DuckDBPyConnection, settings: Settings, entity: EntityDefinition
) -> Suppression | None:
    """The entity's suppression, or None when no tombstone exists."""
    if not scalar(con, f"select count(*) from {erasure.TOMBSTONE_TABLE}"):
        return None
    generations = erasure.present_generations(con, erasure.salts(settings))
    rules = identifiers.configured_email_rules(settings.identity_config_path)
    key_of = {
        "email": lambda column: identifiers.email_key_sql(column, rules),
        "phone": identifiers.phone_key_sql,
    }
    keys: list[tuple[str, str]] = [
        (kind, key_of[kind](f'"{column}"'))
        for kind, columns in entity.personal_data.items()
        for column in columns
    ]
    for mapping in entity.identities:
        keys.append((mapping.identity_type, identifiers.source_key_sql(mapping.source_key)))
        keys += [
            (kind, identifiers.source_key_sql(expr))
            for kind, expr in mapping.strong_identifiers.items()
        ]
    return Suppression(keys, generations, rules)
