"""API-key tokens and how their secrets are kept: HMAC-SHA256 under a per-key random salt.

A token reads ``lk_<id>_<secret>``: ``id`` (12 hex digits) finds the key's row, ``secret``
(32 random bytes, URL-safe base64) proves possession.  The store keeps only
``HMAC-SHA256(salt, secret)`` with a 16-byte random salt per key.

Why not a slow hash (scrypt, Argon2)?  Slow hashes make guessing *low-entropy* passwords
expensive.  These secrets are 256 random bits: no guessing attack is feasible against a fast
hash either, and a slow one would cost every authenticated request tens of milliseconds of
CPU.  The salt keeps equal secrets from having equal hashes and rules out precomputed tables;
comparison is constant-time (`hmac.compare_digest`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Final

__all__ = [
    "ABSENT_KEY_HASH",
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
