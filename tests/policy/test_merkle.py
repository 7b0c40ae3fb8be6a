"""The RFC 9162 Merkle tree against transparency-dev/merkle's published vectors, and properties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leolink.policy.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    leaf_hash,
    node_hash,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)

VECTORS = json.loads(
    (Path(__file__).parents[1] / "data" / "transparency" / "rfc6962-vectors.json").read_text()
)
LEAVES = [bytes.fromhex(x) for x in VECTORS["leaves"]]
ROOTS = [bytes.fromhex(x) for x in VECTORS["roots"]]


def _mth(entries: list[bytes]) -> bytes:
    """RFC 9162 MTH written as the RFC's recursion: the oracle for the properties."""
    if not entries:
        return EMPTY_ROOT
    if len(entries) == 1:
        return leaf_hash(entries[0])
    k = 1 << ((len(entries) - 1).bit_length() - 1)
    return node_hash(_mth(entries[:k]), _mth(entries[k:]))


def _tree(n: int) -> MemoryTree:
    return MemoryTree(leaf_hash(e) for e in LEAVES[:n])


def test_roots_and_nodes_match_the_vectors() -> None:
    assert ROOTS[0] == EMPTY_ROOT
    for n in range(len(LEAVES) + 1):
        assert _tree(n).root() == ROOTS[n], n
    tree = _tree(8)
    for level, hashes in enumerate(VECTORS["nodes"]):
        assert [h.hex() for h in tree.levels[level]] == hashes


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: f"{c['leaf']}-{c['size']}")
def test_inclusion_proofs_match_the_vectors(case: dict[str, object]) -> None:
    index, size = int(case["leaf"]) - 1, int(case["size"])  # type: ignore[call-overload]
    want = [bytes.fromhex(p) for p in case["proof"]]  # type: ignore[attr-defined]
    tree = _tree(8)
    assert tree.inclusion_proof(index, size) == want
    leaf = leaf_hash(LEAVES[index])
    assert verify_inclusion(index, size, leaf, want, ROOTS[size])
    # The corruptions transparency-dev/merkle's verifier refuses.
    assert not verify_inclusion(index + 1, size, leaf, want, ROOTS[size])
    assert not verify_inclusion(index, size * 2, leaf, want, ROOTS[size])
    assert not verify_inclusion(index, size, b"WrongLeaf", want, ROOTS[size])
    assert not verify_inclusion(index, size, leaf, want, EMPTY_ROOT)
    assert not verify_inclusion(index, size, leaf, [*want, ROOTS[size]], ROOTS[size])
    assert not verify_inclusion(index, size, leaf, [ROOTS[size], *want], ROOTS[size])
    for i in range(len(want)):
        flipped = [bytes([p[0] ^ 8]) + p[1:] if j == i else p for j, p in enumerate(want)]
        assert not verify_inclusion(index, size, leaf, flipped, ROOTS[size])
    if want:
        assert not verify_inclusion(index, size, leaf, want[:-1], ROOTS[size])


@pytest.mark.parametrize("case", VECTORS["consistency"], ids=lambda c: f"{c['size1']}-{c['size2']}")
def test_consistency_proofs_match_the_vectors(case: dict[str, object]) -> None:
    size1, size2 = int(case["size1"]), int(case["size2"])  # type: ignore[call-overload]
    want = [bytes.fromhex(p) for p in case["proof"]]  # type: ignore[attr-defined]
    assert _tree(8).consistency_proof(size1, size2) == want
    root1, root2 = ROOTS[size1], ROOTS[size2]
    assert verify_consistency(size1, size2, want, root1, root2)
    if not want:
        return
    assert not verify_consistency(size1 - 1, size2, want, root1, root2)
    assert not verify_consistency(size1 + 1, size2, want, root1, root2)
    assert not verify_consistency(size1, size2 * 2, want, root1, root2)
    assert not verify_consistency(size1, size2, want, root2, root1)
    assert not verify_consistency(size1, size2, [], root1, root2)
    assert not verify_consistency(size1, size2, [*want, root1], root1, root2)
    assert not verify_consistency(size1, size2, [root2, *want], root1, root2)
    assert not verify_consistency(size1, size2, want[:-1], root1, root2)
    for i in range(len(want)):
        flipped = [bytes([p[0] ^ 16]) + p[1:] if j == i else p for j, p in enumerate(want)]
        assert not verify_consistency(size1, size2, flipped, root1, root2)


def test_degenerate_sizes_follow_the_reference_verifier() -> None:
    a, b = b"\x01" * 32, b"\x02" * 32
    assert verify_consistency(0, 0, [], a, a)
    assert verify_consistency(0, 1, [], a, b)
    assert not verify_consistency(1, 1, [], a, b)
    assert not verify_consistency(2, 1, [], a, b)
    assert not verify_consistency(1, 1, [EMPTY_ROOT], a, a)
    assert not verify_inclusion(0, 0, a, [], a)


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=70), st.data())
def test_every_proof_verifies_against_the_recursive_definition(
    entries: list[bytes], data: st.DataObject
) -> None:
    tree = MemoryTree(leaf_hash(e) for e in entries)
    size2 = data.draw(st.integers(1, len(entries)))
    size1 = data.draw(st.integers(0, size2))
    index = data.draw(st.integers(0, size2 - 1))
    root1, root2 = _mth(entries[:size1]), _mth(entries[:size2])
    assert tree.root(size2) == root2
    assert root_from_leaves([leaf_hash(e) for e in entries[:size2]]) == root2
    proof = tree.inclusion_proof(index, size2)
    assert verify_inclusion(index, size2, leaf_hash(entries[index]), proof, root2)
    assert verify_consistency(size1, size2, tree.consistency_proof(size1, size2), root1, root2)
