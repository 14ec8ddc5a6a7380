"""Erasure tombstones: the one definition of how an erased person is recognised.

``cdp privacy forget`` writes salted hashes of the person's normalised email and phone into
``ops.erasure_tombstones``; ingestion drops incoming rows that match one, so re-loading an
old export cannot bring the person back. Both sides build their SQL from these helpers so the
normalisation can never drift apart. Only hashes are kept, never the values.
"""

from __future__ import annotations

from pathlib import Path

TOMBSTONE_TABLE = "ops.erasure_tombstones"

TOMBSTONE_DDL = f"""
create schema if not exists ops;
create table if not exists {TOMBSTONE_TABLE} (
    identifier_kind varchar not null,   -- 'email' | 'phone'
    identifier_hash varchar not null,   -- sha256(salt || normalised value)
    request_id varchar not null,
    erased_at timestamp not null
)
"""


def email_key_sql(column: str) -> str:
    """SQL normalising an email column for matching: trimmed, lower case."""
    return f"nullif(lower(trim({column})), '')"


def phone_key_sql(column: str) -> str:
    """SQL normalising a phone column: its last nine digits (the national number in France).

    ``06 12 34 56 78``, ``+33 6 12 34 56 78`` and ``0033612345678`` give the same key.
    """
    # No coalesce(column, ''): DuckDB 2.0 fails to bind that expression over a stored column
    # it knows to be all NULL ("BindBuiltinScalarFunction did not return ...").
    digits = f"regexp_replace({column}, '[^0-9]', '', 'g')"
    return f"case when length({digits}) >= 9 then right({digits}, 9) end"


def hash_sql(key_sql: str, salt_literal: str) -> str:
    """SQL hashing a normalised key with the installation's salt."""
    return f"sha256({salt_literal} || {key_sql})"


def forgotten_list_path(data_dir: Path) -> Path:
    """The customer ids `cdp privacy forget` erased, one per line: what readers of a
    published snapshot (the API) must hide until the next publish no longer holds them."""
    return data_dir / "privacy" / "forgotten_customers.txt"


def record_forgotten(data_dir: Path, customer_ids: list[str]) -> None:
    """Append erased customer ids to the forgotten list (flushed to disk before returning)."""
    import os

    path = forgotten_list_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(f"{customer_id}\n" for customer_id in customer_ids)
        handle.flush()
        os.fsync(handle.fileno())


def read_forgotten(data_dir: Path) -> frozenset[str]:
    """The forgotten customer ids; empty when nobody was ever erased."""
    path = forgotten_list_path(data_dir)
    if not path.exists():
        return frozenset()
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line)
