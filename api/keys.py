"""API keys: random tokens given once, kept only as SHA-256 hashes, each with its scopes.

The key file (``Settings.api_keys_path``, YAML) lists ``name``, ``scopes``, ``key_sha256``
and ``created_at``; it holds nothing that lets anyone call the API. Keys are 32 random bytes,
so an unsalted hash is as strong as the key itself (the practice of GitHub's tokens).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from core.config_files import ConfigError, load_yaml_model

SCOPES = ("profiles:read", "identify", "admin")
PREFIX = "cdp_"


class ApiKeyError(ConfigError):
    """A key cannot be created as asked; the message says why."""


@dataclass(frozen=True)
class ApiKey:
    """One stored key: its name and scopes (``admin`` implies every scope)."""

    name: str
    scopes: tuple[str, ...]
    key_sha256: str

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


class _StoredKey(BaseModel):
    """One entry of the keys file, as `cdp api-key add` writes it."""

    name: str
    scopes: list[str]
    key_sha256: str
    created_at: str | None = None


class _KeysFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: list[_StoredKey] = []


def _read_keys_file(path: Path) -> _KeysFile:
    return load_yaml_model(
        path, _KeysFile, hint="or delete it and add the keys again", error=ApiKeyError
    )


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def load_keys(path: Path) -> list[ApiKey]:
    """The stored keys; none when the file does not exist yet (re-read when it changes)."""
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return []
    return list(_keys_at(path, stamp))


@lru_cache(maxsize=4)
def _keys_at(path: Path, mtime_ns: int) -> tuple[ApiKey, ...]:
    stored = _read_keys_file(path)
    return tuple(ApiKey(e.name, tuple(e.scopes), e.key_sha256) for e in stored.keys)


def add_key(path: Path, name: str, scopes: list[str]) -> str:
    """Create a key named ``name`` with ``scopes``; returns the key (shown once, never stored)."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ApiKeyError(f"scopes {unknown or scopes} unknown: use any of {', '.join(SCOPES)}")
    entries = _read_keys_file(path).model_dump(mode="json", exclude_none=True)
    if any(e["name"] == name for e in entries["keys"]):
        raise ApiKeyError(f"a key named {name!r} exists in {path}: pick another name")
    key = PREFIX + secrets.token_urlsafe(32)
    entries["keys"].append(
        {
            "name": name,
            "scopes": list(scopes),
            "key_sha256": _hash(key),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
    partial.chmod(0o600)
    partial.replace(path)
    return key


def find_key(keys: list[ApiKey], presented: str) -> ApiKey | None:
    """The stored key matching ``presented``, compared in constant time."""
    digest = _hash(presented)
    found = None
    for key in keys:
        if hmac.compare_digest(key.key_sha256, digest):
            found = key
    return found
