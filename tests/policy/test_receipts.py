"""Decision receipts: signed notes that name the policy record and the tree it is in."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink.errors import InputError
from leolink.policy.merkle import MemoryTree, leaf_hash
from leolink.policy.notes import Verifier, note_signature
from leolink.policy.receipts import check_policy_included, parse_receipt, receipt_text
from leolink.policy.tlog import sign_log_checkpoint

ORIGIN = "leolink.test/audit"
KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"log").digest())
LOG = Verifier(ORIGIN, KEY.public_key())
RECORDS = [hashlib.sha256(f"record {i}".encode()).hexdigest() for i in range(1, 13)]
TREE = MemoryTree(leaf_hash(bytes.fromhex(h)) for h in RECORDS)
DECISION = {"allowed": False, "code": "BLOCKED_AREA", "policy_version": 3, "cell": "85..."}
REQUEST = {"lat": 45.0, "lon": 33.5, "at": "2022-09-16T12:00:00Z", "terminal_id": None}


def make(seq: int = 9, record_hash: str | None = None, size: int = 12) -> str:
    text = receipt_text(
        request=REQUEST,
        decision=DECISION,
        policy_version=3,
        policy_seq=seq,
        policy_record_hash=record_hash or RECORDS[seq - 1],
        checkpoint=sign_log_checkpoint(ORIGIN, size, TREE.root(size), KEY),
    )
    return f"{text}\n{note_signature(text, ORIGIN, KEY)}"


def from_tree(seq: int, size: int) -> tuple[str, list[bytes]]:
    return RECORDS[seq - 1], TREE.inclusion_proof(seq - 1, size)


def test_a_receipt_is_signed_and_its_policy_record_is_in_its_tree() -> None:
    receipt = parse_receipt(make())
    assert receipt.signed_by(LOG)
    assert receipt.statement["decision"] == DECISION
    assert check_policy_included(receipt, from_tree) == (
        True,
        "policy record 9 is in the log's tree of 12 records",
    )


def test_an_edited_receipt_or_another_key_fails() -> None:
    edited = make().replace("BLOCKED_AREA", "OKAY")
    assert not parse_receipt(edited).signed_by(LOG)
    assert not parse_receipt(make()).signed_by(
        Verifier(ORIGIN, Ed25519PrivateKey.generate().public_key())
    )


def test_a_policy_record_the_log_does_not_hold_is_caught() -> None:
    wrong = parse_receipt(make(record_hash="00" * 32))
    ok, why = check_policy_included(wrong, from_tree)
    assert not ok
    assert "does not hold the policy" in why
    beyond = parse_receipt(make(seq=12, size=8))
    assert check_policy_included(beyond, from_tree)[0] is False


@pytest.mark.parametrize(
    "note",
    ["", "leolink.receipt/v1\n{}\n\n— x AAAA\n", "a checkpoint\n5\n\n— x AAAA\n"],
)
def test_a_malformed_receipt_is_refused(note: str) -> None:
    with pytest.raises(InputError):
        parse_receipt(note)
