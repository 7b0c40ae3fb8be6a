"""API-key tokens and how their secrets are kept: HMAC-SHA256 under a per-key random salt.

A token reads ``lk_<id>_<secret>``: ``id`` (12 hex digits) finds the key's row, ``secret``
(32 random bytes, URL-safe base64) proves possession.  The store keeps only
``HMAC-SHA256(salt, secret)`` with a 16-byte random salt per key.

Why not a slow hash (scrypt, Argon2)?  Slow hashes make guessing *low-entropy* passwords
expensive.  These secrets are 256 random bits: no guessing attack is feasible against a fast
hash either, and a slow one would cost every authenticated request tens of milliseconds of
CPU.  The salt keeps equal secrets from having equal hashes and rules out precomputed tables;
comparison is constant-time (`hmac.compare_digest`).

`ApiKeys` is the ``api_keys`` table of a store: keys are created and revoked with an audit
record each, like every other change.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Final

from sqlalchemy import select

from leolink.errors import InputError, NotFoundError, PolicyStateError
from leolink.policy.records import ApiKey, Role
from leolink.store.checks import check_reason, choice
from leolink.store.models import ApiKeyRow
from leolink.store.unit_of_work import Transactions

__all__ = [
    "ABSENT_KEY_HASH",
    "ApiKeys",
    "hash_secret",
    "new_salt",
    "new_token",
    "parse_token",
    "secret_matches",
]

_TOKEN: Final = re.compile(r"lk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


#: A (salt, hash) no secret matches, compared against when a token names no key: the lookup of
#: an unknown key id then costs what a known one does.
ABSENT_KEY_HASH: Final = ("00" * 16, "-" * 64)


def new_token() -> tuple[str, str, str]:
    """A fresh ``(key_id, secret, token)``; the token is shown once and never stored."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return key_id, secret, f"lk_{key_id}_{secret}"


def new_salt() -> str:
    """16 random bytes as hex, one per key."""
    return secrets.token_hex(16)


def parse_token(token: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed token, None for anything else."""
    match = _TOKEN.fullmatch(token.strip())
    return (match.group(1), match.group(2)) if match else None


def hash_secret(secret: str, salt_hex: str) -> str:
    """HMAC-SHA256 of ``secret`` keyed with the salt, as 64 hex digits."""
    return hmac.new(bytes.fromhex(salt_hex), secret.encode("ascii"), hashlib.sha256).hexdigest()


def secret_matches(secret: str, salt_hex: str, expected_hex: str) -> bool:
    """Constant-time check of ``secret`` against a stored hash."""
    return hmac.compare_digest(hash_secret(secret, salt_hex), expected_hex)


class ApiKeys:
    """The ``api_keys`` table of a store."""

    def __init__(self, db: Transactions) -> None:
        self._db = db

    def create(self, role: Role | str, *, name: str, actor: str, reason: str) -> tuple[ApiKey, str]:
        """A new API key with ``role``; returns it and its token, which is shown only now."""
        role = choice(Role, role, "role")
        name = str(name).strip()
        if not name or len(name) > 200:
            raise InputError(f"API key name {name!r} must be 1-200 characters")
        reason = check_reason(reason)
        key_id, secret, token = new_token()
        salt = new_salt()
        with self._db.write(actor) as tx:
            row = ApiKeyRow(
                id=key_id,
                name=name,
                role=role.value,
                salt=salt,
                secret_hash=hash_secret(secret, salt),
                created_at=tx.now,
                created_by=tx.actor,
            )
            tx.session.add(row)
            key = ApiKey.model_validate(row)
            tx.log("api_key.create", "api_key", key_id, None, key.as_logged(), reason)
        return key, token

    def revoke(self, key_id: str, *, actor: str, reason: str) -> ApiKey:
        """Revoke a key: it authenticates no more."""
        reason = check_reason(reason)
        with self._db.write(actor) as tx:
            row = tx.session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFoundError(f"there is no API key with id {key_id!r}")
            if row.revoked_at is not None:
                raise PolicyStateError(f"API key {key_id!r} is already revoked")
            before = ApiKey.model_validate(row).as_logged()
            row.revoked_at = tx.now
            key = ApiKey.model_validate(row)
            tx.log("api_key.revoke", "api_key", key_id, before, key.as_logged(), reason)
        return key

    def authenticate(self, token: str) -> ApiKey | None:
        """The live API key a token belongs to, or None (unknown, malformed or revoked)."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        key_id, secret = parsed
        with self._db.read() as session:
            row = session.get(ApiKeyRow, key_id)
            # The hash is compared whether or not the key exists, so that the time taken does
            # not tell a caller which key ids exist.
            salt, expected = (row.salt, row.secret_hash) if row is not None else ABSENT_KEY_HASH
            matches = secret_matches(secret, salt, expected)
            if row is None or row.revoked_at is not None or not matches:
                return None
            return ApiKey.model_validate(row)

    def find(self) -> list[ApiKey]:
        """All API keys (without secrets), oldest first."""
        with self._db.read() as session:
            rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id))
            return [ApiKey.model_validate(r) for r in rows]
