"""The witness's rules (c2sp.org/tlog-witness add-checkpoint) over real Merkle trees and keys."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink.errors import InputError
from leolink.policy.merkle import MemoryTree, leaf_hash
from leolink.policy.notes import SignedCheckpoint, Verifier, parse_checkpoint
from leolink.policy.tlog import sign_log_checkpoint
from leolink.policy.witness import (
    AddCheckpoint,
    RefusedError,
    SplitViewError,
    WitnessState,
    add_checkpoint,
    add_checkpoint_body,
    find_split_view,
    parse_add_checkpoint,
)

ORIGIN = "leolink.test/audit"
LOG_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"log").digest())
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"witness").digest())
LOG = Verifier(ORIGIN, LOG_KEY.public_key())
WITNESS = Verifier("w1.test", WITNESS_KEY.public_key(), cosigner=True)


def tree(tag: str, size: int) -> MemoryTree:
    """A tree of ``size`` leaves; ``tag`` tells two histories apart."""
    return MemoryTree(leaf_hash(f"{tag}-{i}".encode()) for i in range(size))


def signed(t: MemoryTree, size: int, key: Ed25519PrivateKey = LOG_KEY) -> SignedCheckpoint:
    return sign_log_checkpoint(ORIGIN, size, t.root(size), key)


def push(state: WitnessState, t: MemoryTree, old: int, size: int) -> WitnessState:
    proof = t.consistency_proof(old, size) if state.logs[ORIGIN].root is not None else []
    body = add_checkpoint_body(old, proof, signed(t, size).note())
    new_state, cosig = add_checkpoint(
        state, parse_add_checkpoint(body), name="w1.test", key=WITNESS_KEY, timestamp=1_700_000_000
    )
    cp = signed(t, size).with_lines(cosig.line)
    assert cp.cosigned_by(WITNESS) == 1_700_000_000
    return new_state


def test_a_witness_cosigns_an_append_only_log_and_keeps_its_size() -> None:
    t = tree("a", 40)
    state = push(WitnessState.following([LOG]), t, 0, 7)
    state = push(state, t, 7, 7)  # the same checkpoint again: cosigned again
    state = push(state, t, 7, 40)
    assert state.logs[ORIGIN].size == 40
    assert parse_checkpoint(state.logs[ORIGIN].note or "").cosigned_by(WITNESS) is not None
    assert WitnessState.from_dict(state.to_dict()) == state


def test_a_rebuilt_history_same_size_or_longer_is_refused() -> None:
    honest, rebuilt = tree("a", 30), tree("b", 30)
    state = push(WitnessState.following([LOG]), honest, 0, 10)
    longer = AddCheckpoint(10, tuple(rebuilt.consistency_proof(10, 30)), signed(rebuilt, 30).note())
    with pytest.raises(RefusedError) as refused:
        add_checkpoint(state, longer, name="w1.test", key=WITNESS_KEY, timestamp=1)
    assert refused.value.status == 422
    assert "rebuilt" in str(refused.value)
    same = AddCheckpoint(10, (), signed(rebuilt, 10).note())
    with pytest.raises(SplitViewError) as split:
        add_checkpoint(state, same, name="w1.test", key=WITNESS_KEY, timestamp=1)
    assert split.value.status == 409
    kept = split.value.record(state)
    assert find_split_view(kept.evidence[0], LOG) is not None


def test_refusals_name_their_status() -> None:
    t = tree("a", 20)
    state = push(WitnessState.following([LOG]), t, 0, 10)

    def refused(req: AddCheckpoint) -> RefusedError:
        with pytest.raises(RefusedError) as caught:
            add_checkpoint(state, req, name="w1.test", key=WITNESS_KEY, timestamp=1)
        return caught.value

    stale = refused(AddCheckpoint(3, tuple(t.consistency_proof(3, 20)), signed(t, 20).note()))
    assert (stale.status, stale.size) == (409, 10)
    older = refused(AddCheckpoint(10, (), signed(t, 5).note()))
    assert older.status == 400
    other_key = Ed25519PrivateKey.generate()
    forged = refused(
        AddCheckpoint(10, tuple(t.consistency_proof(10, 20)), signed(t, 20, other_key).note())
    )
    assert forged.status == 403
    unknown = sign_log_checkpoint("other.test/log", 20, t.root(20), LOG_KEY)
    assert refused(AddCheckpoint(10, (), unknown.note())).status == 404
    garbage = refused(AddCheckpoint(10, (), "not a note"))
    assert garbage.status == 400


def test_find_split_view_needs_two_roots_of_one_size_signed_by_the_log() -> None:
    a, b = tree("a", 8), tree("b", 8)
    assert find_split_view([signed(a, 8).note(), signed(a, 8).note()], LOG) is None
    assert find_split_view([signed(a, 5).note(), signed(b, 8).note()], LOG) is None
    forged = signed(b, 8, Ed25519PrivateKey.generate()).note()
    assert find_split_view([signed(a, 8).note(), forged], LOG) is None
    pair = find_split_view([signed(a, 8).note(), signed(b, 8).note()], LOG)
    assert pair is not None
    assert pair[0].root != pair[1].root


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("old x\n\nnote", "'old N'"),
        ("nothing", "blank line"),
        ("old 1\n!!!\n\nnote", "base64"),
        ("old 1\nAAAA\n\nnote", "32-byte"),
    ],
)
def test_a_malformed_request_says_what_is_wrong(body: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        parse_add_checkpoint(body)
