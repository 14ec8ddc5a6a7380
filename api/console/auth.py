"""Who is signed in to the console: local users, API keys, and the signed session cookie.

Local users live in the YAML file ``Settings.console_users_path`` (``cdp console add-user``
writes it): a name, scopes, and the password as a salted scrypt hash, never the password.
A sign-in (local user, or an API key from ``cdp serve add-key``) gets a session cookie
holding who signed in, a fingerprint of the credential and an expiry, signed with HMAC-SHA256
under a random secret kept beside the users file. Scopes are read again from the users or
keys file on every request, so removing a user or key, or changing a password, ends its
sessions at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from api.keys import SCOPES, ApiKey, find_key, load_keys
from core.config_files import ConfigError, load_yaml_model

SESSION_SECONDS = 8 * 3600
# scrypt at n=2**14, r=8 (16 MiB, ~50 ms here): the cost OWASP's password guidance names
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_MIN_PASSWORD = 10


class UserError(ConfigError):
    """A user cannot be created as asked; the message says why."""


@dataclass(frozen=True)
class LocalUser:
    """One console user: name, scopes (``admin`` implies every scope), password hash."""

    name: str
    scopes: tuple[str, ...]
    password_hash: str

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64), with a fresh 16-byte salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    params = f"{_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}"
    return f"scrypt${params}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` hashes to ``stored`` (compared in constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode("utf-8"),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(_unb64(digest)),
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed, _unb64(digest))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked against when the user is unknown: a wrong name costs what a wrong password does."""
    return hash_password(secrets.token_urlsafe(16))


def load_users(path: Path) -> dict[str, LocalUser]:
    """The users of ``path`` by name; none when the file does not exist yet."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    # every write replaces the file (a new inode): two writes within one clock tick of the
    # modification time still read anew
    stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    return {user.name: user for user in _users_at(path, stamp)}


class _StoredUser(BaseModel):
    """One entry of the users file, as `cdp console add-user` writes it."""

    name: str
    scopes: list[str]
    password_hash: str
    created_at: str | None = None


class _UsersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: list[_StoredUser] = []


def _read_users_file(path: Path) -> _UsersFile:
    return load_yaml_model(
        path, _UsersFile, hint="or delete it and add the users again", error=UserError
    )


@lru_cache(maxsize=4)
def _users_at(path: Path, stamp: tuple[int, int, int]) -> tuple[LocalUser, ...]:
    stored = _read_users_file(path)
    return tuple(LocalUser(e.name, tuple(e.scopes), e.password_hash) for e in stored.users)


def add_user(
    path: Path, name: str, scopes: list[str], password: str, replace: bool = False
) -> None:
    """Store user ``name`` with ``scopes`` and the hash of ``password`` in ``path``;
    ``replace`` gives an existing user new scopes and password (its sessions end)."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise UserError(f"scopes {unknown or scopes} unknown: use any of {', '.join(SCOPES)}")
    if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise UserError(f"user name {name!r}: use letters, digits, '.', '-' or '_'")
    if len(password) < _MIN_PASSWORD:
        raise UserError(f"the password has {len(password)} characters: give {_MIN_PASSWORD}+")
    entries = _read_users_file(path).model_dump(mode="json", exclude_none=True)
    if any(e["name"] == name for e in entries["users"]):
        if not replace:
            raise UserError(
                f"a user named {name!r} exists in {path}: pick another name, or give "
                "--replace to set a new password and scopes"
            )
        entries["users"] = [e for e in entries["users"] if e["name"] != name]
    entries["users"].append(
        {
            "name": name,
            "scopes": list(scopes),
            "password_hash": hash_password(password),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    _write_private(path, yaml.safe_dump(entries, sort_keys=False))


def authenticate(
    users_path: Path, keys_path: Path, username: str, secret: str
) -> LocalUser | ApiKey | None:
    """The local user (name and password) or, without a name, the API key; None otherwise."""
    if not username:
        return find_key(load_keys(keys_path), secret.strip()) if secret.strip() else None
    user = load_users(users_path).get(username.strip())
    matches = verify_password(secret, user.password_hash if user else _dummy_hash())
    return user if user and matches else None


class Sessions:
    """Signed session cookies: ``payload.signature``, both base64url."""

    def __init__(self, users_path: Path, keys_path: Path) -> None:
        self.users_path, self.keys_path = users_path, keys_path
        self._secret = _session_secret(users_path.with_name("console_session.key"))

    def issue(self, principal: LocalUser | ApiKey) -> str:
        """A cookie value naming ``principal``, valid for :data:`SESSION_SECONDS`."""
        kind = "user" if isinstance(principal, LocalUser) else "key"
        payload = {
            "kind": kind,
            "name": principal.name,
            "credential": _fingerprint(principal),
            "expires": int(time.time()) + SESSION_SECONDS,
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
        return f"{body}.{self._sign(body)}"

    def principal(self, cookie: str | None) -> LocalUser | ApiKey | None:
        """Who the cookie names, if its signature holds, it has not expired, and the user or
        key still exists with the same credential."""
        if not cookie or "." not in cookie:
            return None
        body, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(self._sign(body), signature):
            return None
        try:
            payload = json.loads(_unb64(body))
        except ValueError:
            return None
        if payload.get("expires", 0) < time.time():
            return None
        found: LocalUser | ApiKey | None
        if payload.get("kind") == "user":
            found = load_users(self.users_path).get(payload.get("name"))
        else:
            found = next(
                (k for k in load_keys(self.keys_path) if k.name == payload.get("name")), None
            )
        if found is None or not hmac.compare_digest(_fingerprint(found), payload["credential"]):
            return None
        return found

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest())


def _fingerprint(principal: LocalUser | ApiKey) -> str:
    stored = principal.password_hash if isinstance(principal, LocalUser) else principal.key_sha256
    return hashlib.sha256(stored.encode("utf-8")).hexdigest()[:16]


def _session_secret(path: Path) -> bytes:
    """The signing secret, created (0600) on first use so sessions survive a restart."""
    if not path.exists():
        _write_private(path, secrets.token_hex(32))
    return bytes.fromhex(path.read_text(encoding="utf-8").strip())


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.chmod(0o600)
    partial.replace(path)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError(f"not base64: {text[:12]}...") from error
