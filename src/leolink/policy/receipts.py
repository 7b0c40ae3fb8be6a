"""Signed decision receipts: what was asked, what was decided, and under which log state.

A receipt is a C2SP signed note (`leolink.policy.notes`) signed by the log's key under the
log's origin, so any signed-note verifier given the log's public key can check it.  Its text is
two lines: the tag ``leolink.receipt/v1`` and one line of canonical JSON (sorted keys, no
spaces, ASCII)::

    {"checkpoint": {"origin", "size", "root"},   the log as it stood (root in base64)
     "decision": {...},                          the decision as the API returned it
     "policy": {"version", "seq", "record_hash"},   the audit record that made that version
     "request": {"lat", "lon", "at", "terminal_id"}}

The tag keeps a receipt from ever reading as a checkpoint (whose second line is a number).
A holder later proves that the policy was in the log: the record ``policy.seq`` with hash
``policy.record_hash`` is in the tree ``(size, root)`` (an inclusion proof), and that tree is a
prefix of the log everyone sees (a consistency proof to a published, witnessed checkpoint).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature

from leolink.errors import InputError
from leolink.policy.merkle import leaf_hash, verify_inclusion
from leolink.policy.notes import SignedCheckpoint, Verifier, parse_checkpoint

__all__ = [
    "RECEIPT_TAG",
    "Receipt",
    "check_policy_included",
    "parse_receipt",
    "receipt_text",
]

RECEIPT_TAG: Final = "leolink.receipt/v1"


def receipt_text(
    *,
    request: Mapping[str, Any],
    decision: Mapping[str, Any],
    policy_version: int,
    policy_seq: int | None,
    policy_record_hash: str | None,
    checkpoint: SignedCheckpoint,
) -> str:
    """The text of a receipt (to be signed with the log's key, see the module docstring)."""
    statement = {
        "checkpoint": {
            "origin": checkpoint.origin,
            "size": checkpoint.size,
            "root": base64.b64encode(checkpoint.root).decode(),
        },
        "decision": dict(decision),
        "policy": {"version": policy_version, "seq": policy_seq, "record_hash": policy_record_hash},
        "request": dict(request),
    }
    line = json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return f"{RECEIPT_TAG}\n{line}\n"


@dataclass(frozen=True)
class Receipt:
    """A parsed receipt: the statement and the note (signature lines unverified)."""

    statement: dict[str, Any]
    text: str
    signatures: tuple[tuple[str, bytes], ...]

    @property
    def origin(self) -> str:
        """The log the receipt names."""
        return str(self.statement["checkpoint"]["origin"])

    @property
    def size(self) -> int:
        """The size of the tree the decision was made under."""
        return int(self.statement["checkpoint"]["size"])

    @property
    def root(self) -> bytes:
        """That tree's root hash."""
        return base64.b64decode(self.statement["checkpoint"]["root"])

    @property
    def policy_seq(self) -> int | None:
        """The audit record that made the policy version (None: no policy yet)."""
        seq = self.statement["policy"]["seq"]
        return None if seq is None else int(seq)

    @property
    def policy_record_hash(self) -> str | None:
        """That record's hash (hex)."""
        value = self.statement["policy"]["record_hash"]
        return None if value is None else str(value)

    def signed_by(self, verifier: Verifier) -> bool:
        """True if the log key ``verifier`` signed this receipt under the origin it names."""
        if verifier.cosigner or verifier.name != self.origin:
            return False
        for name, blob in self.signatures:
            if name != verifier.name or blob[:4] != verifier.key_id:
                continue
            try:
                verifier.key.verify(blob[4:], self.text.encode())
            except InvalidSignature:
                continue
            return True
        return False


def parse_receipt(note: str) -> Receipt:
    """Parse a receipt note (`InputError` saying what is wrong)."""
    text, sep, sigs = note.partition("\n\n")
    if not sep or not sigs.strip():
        raise InputError("a receipt is a signed note: its text, a blank line, a signature line")
    lines = text.split("\n")
    if len(lines) != 2 or lines[0] != RECEIPT_TAG:
        raise InputError(f"a receipt's text is the line {RECEIPT_TAG!r} and one line of JSON")
    try:
        statement = json.loads(lines[1])
        for part, keys in _SHAPE.items():
            missing = keys - set(statement[part])
            if missing:
                raise InputError(f"the receipt's {part!r} lacks {sorted(missing)}")
        base64.b64decode(statement["checkpoint"]["root"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InputError(f"the receipt's statement is malformed: {exc}") from exc
    # The signature lines have the checkpoint note's syntax: borrow its parser for them.
    parsed = parse_checkpoint(f"x\n0\n{base64.b64encode(bytes(32)).decode()}\n\n{sigs}")
    return Receipt(statement, text + "\n", parsed.signatures)


_SHAPE: Final = {
    "checkpoint": {"origin", "size", "root"},
    "decision": {"allowed", "code", "policy_version"},
    "policy": {"version", "seq", "record_hash"},
    "request": {"lat", "lon", "at"},
}


def check_policy_included(
    receipt: Receipt, inclusion: Callable[[int, int], tuple[str, list[bytes]]]
) -> tuple[bool, str]:
    """Whether the receipt's policy record is in the tree it names: ``inclusion(seq, size)``
    gives that record's hash (hex) and its audit path (from a service, or computed from a saved
    log).  ``(ok, why)``."""
    seq, want = receipt.policy_seq, receipt.policy_record_hash
    if seq is None or want is None:
        return False, "the receipt names no policy record (the store had no policy)"
    if not 1 <= seq <= receipt.size:
        return False, f"the policy record {seq} is outside the receipt's tree of {receipt.size}"
    found, proof = inclusion(seq, receipt.size)
    if found != want:
        return False, (
            f"record {seq} of the log has hash {found}, the receipt names {want}: the log "
            "does not hold the policy this decision was made under"
        )
    try:
        leaf = leaf_hash(bytes.fromhex(want))
    except ValueError:
        return False, f"the receipt's record hash {want!r} is not hex"
    if not verify_inclusion(seq - 1, receipt.size, leaf, proof, receipt.root):
        return False, (
            f"the inclusion proof of record {seq} does not lead to the receipt's root of the "
            f"tree of {receipt.size} records"
        )
    return True, f"policy record {seq} is in the log's tree of {receipt.size} records"
