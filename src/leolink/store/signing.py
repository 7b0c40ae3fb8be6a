"""The Ed25519 key that signs the audit log's checkpoints, kept in a file only its owner reads.

By default the key lives in leolink's data directory (``audit-signing-key.pem``, PKCS#8 PEM,
unencrypted, mode 0600) and is created the first time a store writes.  A key file that others
may read is refused, as ssh refuses one: whoever holds the key can re-sign a rewritten log.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink.errors import StoreError
from leolink.store.engine import data_dir

__all__ = ["KEY_FILE_NAME", "default_key_path", "load_or_create_key"]

KEY_FILE_NAME: Final = "audit-signing-key.pem"


def default_key_path() -> Path:
    """``<data dir>/audit-signing-key.pem``."""
    return data_dir() / KEY_FILE_NAME


def load_or_create_key(path: str | Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in ``path``, created there (mode 0600) if the file is missing."""
    path = Path(path)
    if not path.exists():
        return _create(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise StoreError(
            f"the audit signing key {path} can be read by other users (mode "
            f"{stat.filemode(mode)}); make it private with: chmod 600 {path}"
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise StoreError(
            f"{path} is not an unencrypted PEM private key ({exc}); give the audit signing key "
            "leolink created, or move the file away to have a new one made"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise StoreError(f"{path} holds a {type(key).__name__}, not an Ed25519 private key")
    return key


def _create(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write a private temporary file, then link it into place: the link fails if another
    # process made a key meanwhile (theirs is then used, never overwritten), and nobody ever
    # sees a half-written key.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        os.link(tmp, path)
    except FileExistsError:
        return load_or_create_key(path)
    finally:
        tmp.unlink(missing_ok=True)
    return key
