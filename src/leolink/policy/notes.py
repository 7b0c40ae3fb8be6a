"""Signed notes, checkpoints and cosignatures as C2SP specifies them (pure, no I/O).

* A *signed note* (c2sp.org/signed-note) is UTF-8 text ending in a newline, a blank line, and
  signature lines ``— <key name> base64(key ID || signature)``.  For an Ed25519 key the key ID
  is ``SHA-256(name || 0x0A || 0x01 || public key)[:4]`` and the signature covers the text.
  A verifier key ("vkey") is written ``<name>+<key ID hex>+base64(0x01 || public key)``.
* A *checkpoint* (c2sp.org/tlog-checkpoint) is a note whose text is the log's origin line,
  its size in decimal and its root hash in base64, each on a line.
* A *cosignature* (c2sp.org/tlog-cosignature, Ed25519 v1) is a note signature of a witness
  whose key ID uses type byte 0x04 and whose signature is ``u64 timestamp || Ed25519 over
  "cosignature/v1\\ntime <timestamp>\\n" + checkpoint text``.

Verification uses only keys the caller brings (`Verifier`); a signature line by a key it does
not know is ignored, as the specification says, never trusted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from leolink.errors import InputError

__all__ = [
    "Cosignature",
    "SignedCheckpoint",
    "Verifier",
    "checkpoint_text",
    "cosign",
    "note_signature",
    "parse_checkpoint",
    "signer_from_skey",
    "verifier_from_vkey",
    "vkey",
]

_ED25519: Final = 0x01
_COSIGNATURE_V1: Final = 0x04
_DASH: Final = "\u2014 "  # an em dash and a space open every signature line


def _key_id(name: str, kind: int, raw: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + raw).digest()[:4]


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise InputError(f"key name {name!r} must be non-empty, without spaces or '+'")
    return name


@dataclass(frozen=True)
class Verifier:
    """A public key and the name it signs under; ``cosigner`` for a witness (type 0x04)."""

    name: str
    key: Ed25519PublicKey
    cosigner: bool = False

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID C2SP defines for this name, key and signature type."""
        return _key_id(self.name, _COSIGNATURE_V1 if self.cosigner else _ED25519, _raw(self.key))

    def vkey(self) -> str:
        """The verifier key string ``name+hex(id)+base64(type || key)``."""
        kind = _COSIGNATURE_V1 if self.cosigner else _ED25519
        material = base64.b64encode(bytes([kind]) + _raw(self.key)).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"


def vkey(name: str, key: Ed25519PublicKey, *, cosigner: bool = False) -> str:
    """The verifier key string for ``key`` signing as ``name``."""
    return Verifier(_check_name(name), key, cosigner).vkey()


def verifier_from_vkey(text: str) -> Verifier:
    """Parse a verifier key (type 0x01 for a log, 0x04 for a witness), checking its key ID."""
    text = text.strip()
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise InputError(
            f"verifier key {text!r} must read <name>+<8 hex digits>+<base64 key>, e.g. "
            "leolink.example/audit+1a2b3c4d+AQ..."
        )
    name, id_hex, material = parts
    try:
        blob = base64.b64decode(material, validate=True)
        want = bytes.fromhex(id_hex)
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"verifier key {text!r} is not valid hex/base64: {exc}") from exc
    if len(blob) != 33 or blob[0] not in (_ED25519, _COSIGNATURE_V1):
        raise InputError(
            f"verifier key {text!r} holds no Ed25519 key (type 0x01 or 0x04 and 32 bytes)"
        )
    verifier = Verifier(
        _check_name(name), Ed25519PublicKey.from_public_bytes(blob[1:]), blob[0] == 0x04
    )
    if verifier.key_id != want:
        raise InputError(f"verifier key {text!r} has key ID {id_hex}, its key gives another")
    return verifier


def signer_from_skey(text: str) -> tuple[str, Ed25519PrivateKey]:
    """Parse a Go-style signer key ``PRIVATE+KEY+name+id+base64(0x01 || seed)``."""
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise InputError("a signer key reads PRIVATE+KEY+<name>+<id>+<base64 seed>")
    blob = base64.b64decode(parts[4], validate=True)
    if len(blob) != 33 or blob[0] != _ED25519:
        raise InputError("the signer key holds no Ed25519 seed")
    return parts[2], Ed25519PrivateKey.from_private_bytes(blob[1:])


def note_signature(text: str, name: str, key: Ed25519PrivateKey) -> str:
    """The signature line (with its newline) of ``key`` over note text ``text``."""
    key_id = _key_id(_check_name(name), _ED25519, _raw(key.public_key()))
    sig = key.sign(text.encode())
    return f"{_DASH}{name} {base64.b64encode(key_id + sig).decode()}\n"


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    """The body of a checkpoint: origin, size and base64 root hash, one a line."""
    if not origin or "\n" in origin:
        raise InputError(f"checkpoint origin {origin!r} must be one non-empty line")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


@dataclass(frozen=True)
class Cosignature:
    """A witness's cosignature: who, when (POSIX seconds) and the signature line."""

    name: str
    timestamp: int
    line: str


def cosign(text: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> Cosignature:
    """A C2SP tlog-cosignature/v1 over checkpoint text ``text`` at ``timestamp``."""
    key_id = _key_id(_check_name(name), _COSIGNATURE_V1, _raw(key.public_key()))
    sig = key.sign(_cosigned_message(text, timestamp))
    blob = key_id + struct.pack(">Q", timestamp) + sig
    return Cosignature(name, timestamp, f"{_DASH}{name} {base64.b64encode(blob).decode()}\n")


def _cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


@dataclass(frozen=True)
class SignedCheckpoint:
    """A parsed checkpoint note: its text, fields and signature lines (unverified)."""

    text: str
    origin: str
    size: int
    root: bytes
    signatures: tuple[tuple[str, bytes], ...]  # (key name, base64-decoded blob)

    def note(self) -> str:
        """The whole note again, signature lines included."""
        lines = "".join(
            f"{_DASH}{name} {base64.b64encode(blob).decode()}\n" for name, blob in self.signatures
        )
        return f"{self.text}\n{lines}"

    def signed_by(self, verifier: Verifier) -> bool:
        """True if a signature line by ``verifier`` (a log key) verifies over the text."""
        for name, blob in self.signatures:
            if name != verifier.name or blob[:4] != verifier.key_id or verifier.cosigner:
                continue
            try:
                verifier.key.verify(blob[4:], self.text.encode())
            except InvalidSignature:
                continue
            return True
        return False

    def cosigned_by(self, verifier: Verifier) -> int | None:
        """The timestamp of a valid cosignature by witness ``verifier``, or None."""
        for name, blob in self.signatures:
            if name != verifier.name or blob[:4] != verifier.key_id or len(blob) != 76:
                continue
            (timestamp,) = struct.unpack(">Q", blob[4:12])
            try:
                verifier.key.verify(blob[12:], _cosigned_message(self.text, timestamp))
            except InvalidSignature:
                continue
            return int(timestamp)
        return None

    def with_lines(self, *lines: str) -> SignedCheckpoint:
        """This checkpoint with more signature lines (cosignatures) added."""
        return parse_checkpoint(self.note() + "".join(lines))


def parse_checkpoint(note: str) -> SignedCheckpoint:
    """Parse a signed checkpoint note; signatures are checked later, against given keys."""
    text, sep, sigs = note.partition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise InputError(
            "a checkpoint note is its text, a blank line and signature lines, each ending "
            "in a newline"
        )
    text += "\n"
    lines = text.splitlines()
    if len(lines) < 3:
        raise InputError("a checkpoint's text has an origin, a size and a root hash line")
    origin, size_line, root_line = lines[:3]
    if not size_line.isdigit() or (size_line != "0" and size_line.startswith("0")):
        raise InputError(f"checkpoint size {size_line!r} is not a decimal number")
    try:
        root = base64.b64decode(root_line, validate=True)
    except binascii.Error as exc:
        raise InputError(f"checkpoint root {root_line!r} is not base64") from exc
    if len(root) != 32:
        raise InputError(f"checkpoint root {root_line!r} is not a 32-byte hash")
    signatures: list[tuple[str, bytes]] = []
    for line in sigs.splitlines():
        if not line.startswith(_DASH):
            raise InputError(f"signature line {line!r} does not start with an em dash")
        name, _, blob = line[len(_DASH) :].partition(" ")
        try:
            decoded = base64.b64decode(blob, validate=True)
        except binascii.Error as exc:
            raise InputError(f"signature line {line!r} is not base64") from exc
        if len(decoded) < 5:
            raise InputError(f"signature line {line!r} is too short")
        signatures.append((name, decoded))
    return SignedCheckpoint(text, origin, int(size_line), root, tuple(signatures))
