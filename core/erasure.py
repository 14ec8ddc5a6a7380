"""Erasure tombstones: the one definition of how an erased person is recognised.

``cdp privacy forget`` writes salted hashes of every identifier of the person into
``ops.erasure_tombstones``: e-mail and phone keys (:mod:`core.identifiers`) and each source
key or strong identifier under its identifier type (``loyalty_card``, ``web_account``,
``web_cookie``, custom types). Ingestion drops incoming rows that match one, so re-loading an
old export cannot bring the person back. Only hashes are kept, never the values.

Each tombstone records the *salt generation* that wrote it (a fingerprint of the salt, not
the salt). Rotating ``CDP_ERASURE_SALT`` keeps earlier erasures working as long as the old
salt stays in ``CDP_ERASURE_PREVIOUS_SALTS``: matching hashes each value with the salt of
every generation present. A generation no configured salt explains stops ingestion.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.identifiers import hash_sql
from core.warehouse import scalar

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

TOMBSTONE_TABLE = "ops.erasure_tombstones"
DEFAULT_SALT = "change-me-per-installation"

TOMBSTONE_DDL = f"""
create schema if not exists ops;
create table if not exists {TOMBSTONE_TABLE} (
    identifier_kind varchar not null,   -- 'email' | 'phone' | an identifier type
    identifier_hash varchar not null,   -- sha256(salt || key), key from core.identifiers
    request_id varchar not null,
    erased_at timestamp not null,
    salt_generation varchar             -- erasure.salt_generation(salt) of the writer
);
alter table {TOMBSTONE_TABLE} add column if not exists salt_generation varchar;
"""


class ErasureSaltError(RuntimeError):
    """The erasure salt is the shipped default, or tombstones need a salt nobody configured."""


def salt_generation(salt: str) -> str:
    """A short fingerprint naming a salt in tombstones without revealing it."""
    return hashlib.sha256(f"cdp-erasure-salt-generation:{salt}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Salts:
    """The salt tombstones are written with, and the earlier ones still matched."""

    current: str
    previous: tuple[str, ...] = ()

    @property
    def current_generation(self) -> str:
        return salt_generation(self.current)

    @property
    def by_generation(self) -> dict[str, str]:
        """Generation -> salt, current first."""
        return {salt_generation(s): s for s in (self.current, *self.previous)}


def salts(settings: Settings) -> Salts:
    """The configured salts; refuses the shipped default (tombstones would be reversible)."""
    if settings.erasure_salt in ("", DEFAULT_SALT):
        raise ErasureSaltError(
            f"CDP_ERASURE_SALT is {settings.erasure_salt!r}, the shipped default: set a long "
            "random secret per installation (e.g. `openssl rand -hex 32`), see docs/privacy.md"
        )
    previous = tuple(s.strip() for s in settings.erasure_previous_salts.split(",") if s.strip())
    return Salts(settings.erasure_salt, previous)


def ensure_tombstones(con: duckdb.DuckDBPyConnection, current: Salts) -> None:
    """Create or upgrade the tombstone table and stop when a generation is unknown.

    Tombstones written before generations existed were hashed with the salt configured then,
    which the upgrade assumes is the current one (the tombstones of an earlier rotation were
    already void then).
    """
    con.execute(TOMBSTONE_DDL)
    con.execute(
        f"update {TOMBSTONE_TABLE} set salt_generation = ? where salt_generation is null",
        [current.current_generation],
    )
    unknown = con.execute(
        f"select salt_generation, count(*) from {TOMBSTONE_TABLE} "
        "where salt_generation not in (select unnest(?)) group by 1 order by 1",
        [list(current.by_generation)],
    ).fetchall()
    if unknown:
        generations = ", ".join(f"{g} ({n} tombstones)" for g, n in unknown)
        raise ErasureSaltError(
            f"{TOMBSTONE_TABLE} holds erasures written with salt generation(s) {generations} "
            "that neither CDP_ERASURE_SALT nor CDP_ERASURE_PREVIOUS_SALTS provides: add the "
            "old salt to CDP_ERASURE_PREVIOUS_SALTS (comma-separated) and re-run"
        )


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def present_generations(con: duckdb.DuckDBPyConnection, current: Salts) -> dict[str, str]:
    """Generation -> salt of the generations that tombstones actually use."""
    rows = con.execute(f"select distinct salt_generation from {TOMBSTONE_TABLE}").fetchall()
    used = {r[0] for r in rows}
    return {g: s for g, s in current.by_generation.items() if g in used}


def match_sql(kind: str | None, key_sql: str, generations: dict[str, str]) -> str:
    """SQL true when ``key_sql`` hashes to a tombstone of ``kind`` (any kind when None),
    each generation's tombstones hashed with that generation's salt."""
    checks = []
    for generation, salt in generations.items():
        kind_filter = f" and identifier_kind = {_literal(kind)}" if kind else ""
        checks.append(
            f"{hash_sql(key_sql, _literal(salt))} in (select identifier_hash from "
            f"{TOMBSTONE_TABLE} where salt_generation = {_literal(generation)}{kind_filter})"
        )
    return "(" + " or ".join(f"coalesce({c}, false)" for c in checks) + ")" if checks else "false"


def write_tombstones(
    con: duckdb.DuckDBPyConnection,
    current: Salts,
    keys: list[tuple[str, str]],
    request_id: str,
    erased_at: object,
) -> int:
    """Insert tombstones for ``(kind, key)`` pairs not already tombstoned; returns how many
    tombstones name this request."""
    con.execute(TOMBSTONE_DDL)
    keys = sorted({(k, v) for k, v in keys if v})
    if keys:
        salt = _literal(current.current)
        con.execute(
            f"""insert into {TOMBSTONE_TABLE}
select distinct kind, {hash_sql("key", salt)}, ?, ?, ?
from (select unnest(?) as kind, unnest(?) as key) k
where (kind, {hash_sql("key", salt)}) not in (
  select identifier_kind, identifier_hash from {TOMBSTONE_TABLE})""",
            [
                request_id,
                erased_at,
                current.current_generation,
                [k for k, _ in keys],
                [v for _, v in keys],
            ],
        )
    return int(
        scalar(con, f"select count(*) from {TOMBSTONE_TABLE} where request_id = ?", [request_id])
    )


def forgotten_list_path(data_dir: Path) -> Path:
    """The customers `cdp privacy forget` erased: what readers of a published snapshot (the
    API) must hide until the next publish no longer holds them."""
    return data_dir / "privacy" / "forgotten_customers.txt"


def _customer_digest(customer_id: str) -> str:
    # The list holds digests, not ids: forget scrubs every file that quotes the person's
    # identifiers (customer id included), and this list must survive that scrub.
    return hashlib.sha256(f"cdp-forgotten:{customer_id}".encode()).hexdigest()


@dataclass(frozen=True)
class ForgottenCustomers:
    """The erased customers, tested with ``customer_id in forgotten``."""

    digests: frozenset[str] = frozenset()

    def __contains__(self, customer_id: object) -> bool:
        return isinstance(customer_id, str) and _customer_digest(customer_id) in self.digests


def record_forgotten(data_dir: Path, customer_ids: list[str]) -> None:
    """Append erased customers to the forgotten list (flushed to disk before returning)."""
    path = forgotten_list_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(f"{_customer_digest(c)}\n" for c in customer_ids)
        handle.flush()
        os.fsync(handle.fileno())


def read_forgotten(data_dir: Path) -> ForgottenCustomers:
    """The forgotten customers; empty when nobody was ever erased."""
    path = forgotten_list_path(data_dir)
    if not path.exists():
        return ForgottenCustomers()
    lines = path.read_text(encoding="utf-8").splitlines()
    return ForgottenCustomers(frozenset(line.strip() for line in lines if line.strip()))
