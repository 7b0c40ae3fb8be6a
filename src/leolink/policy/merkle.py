"""The audit log as an RFC 9162 Merkle tree: hashes, inclusion and consistency proofs.

Hashing is RFC 9162 section 2.1.1 (as RFC 6962 before it): a leaf is ``SHA-256(0x00 || entry)``,
an interior node ``SHA-256(0x01 || left || right)``, the empty tree ``SHA-256("")``; a tree of
``n`` leaves splits at ``k``, the largest power of two below ``n``.  Proofs are generated and
checked as in sections 2.1.3 and 2.1.4.

Proof generation reads only *complete* subtrees, named ``(level, index)``: the subtree of
leaves ``index * 2**level .. (index + 1) * 2**level - 1``.  Whoever keeps those (a database
table, `MemoryTree`) can answer any proof in ``O(log n)`` lookups; `subtrees_for_inclusion` and
`subtrees_for_consistency` say which ones a proof needs so that a database fetches them in one
query.  All hashes are 32 raw bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final, TypeAlias

__all__ = [
    "EMPTY_ROOT",
    "MemoryTree",
    "Subtree",
    "append_leaf",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_frontier",
    "root_from_leaves",
    "root_hash",
    "subtrees_for_consistency",
    "subtrees_for_inclusion",
    "verify_consistency",
    "verify_inclusion",
]

#: A complete subtree: ``(level, index)``.
Subtree: TypeAlias = tuple[int, int]

#: MTH({}) = SHA-256 of the empty string (RFC 9162 section 2.1.1).
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """MTH of one leaf: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_subtrees(start: int, end: int) -> list[Subtree]:
    """The complete subtrees that make up ``D[start:end]``, left to right.

    ``start`` must be a multiple of the largest power of two not above ``end - start`` (true of
    every range RFC 9162's recursion visits): then the range is one complete subtree per set
    bit of its width, largest first.
    """
    out: list[Subtree] = []
    width = end - start
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            out.append((level, start >> level))
            start += 1 << level
    return out


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Root of a range from its complete subtrees (right to left, as RFC 9162 splits)."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def _path(m: int, start: int, end: int) -> list[list[Subtree]]:
    """RFC 9162 PATH(m, D[start:end]) as ranges of complete subtrees, leaf end first."""
    out: list[list[Subtree]] = []
    while end - start > 1:
        k = _split(end - start)
        if m - start < k:
            out.append(_range_subtrees(start + k, end))
            end = start + k
        else:
            out.append(_range_subtrees(start, start + k))
            start += k
    out.reverse()
    return out


def _subproof(m: int, start: int, end: int) -> list[list[Subtree]]:
    """RFC 9162 SUBPROOF(m, D[start:end], true) as ranges, in proof order."""
    out: list[list[Subtree]] = []
    complete = True
    while True:
        n = end - start
        if m == n:
            if not complete:
                out.append(_range_subtrees(start, end))
            break
        k = _split(n)
        if m <= k:
            out.append(_range_subtrees(start + k, end))
            end = start + k
        else:
            out.append(_range_subtrees(start, start + k))
            start, m, complete = start + k, m - k, False
    out.reverse()
    return out


def subtrees_for_inclusion(index: int, size: int) -> list[Subtree]:
    """The complete subtrees an inclusion proof of leaf ``index`` in a tree of ``size`` reads."""
    _check_index(index, size)
    return [s for group in _path(index, 0, size) for s in group]


def subtrees_for_consistency(size1: int, size2: int) -> list[Subtree]:
    """The complete subtrees a consistency proof from ``size1`` to ``size2`` reads."""
    _check_sizes(size1, size2)
    if size1 in (0, size2):
        return []
    return [s for group in _subproof(size1, 0, size2) for s in group]


def inclusion_proof(index: int, size: int, subtree: Callable[[Subtree], bytes]) -> list[bytes]:
    """The audit path of leaf ``index`` (0-based) in the tree of the first ``size`` leaves."""
    _check_index(index, size)
    return [_fold([subtree(s) for s in group]) for group in _path(index, 0, size)]


def consistency_proof(size1: int, size2: int, subtree: Callable[[Subtree], bytes]) -> list[bytes]:
    """The proof that the tree of ``size2`` leaves extends the tree of its first ``size1``."""
    _check_sizes(size1, size2)
    if size1 in (0, size2):
        return []
    return [_fold([subtree(s) for s in group]) for group in _subproof(size1, 0, size2)]


def root_hash(size: int, subtree: Callable[[Subtree], bytes]) -> bytes:
    """MTH of the first ``size`` leaves."""
    if size == 0:
        return EMPTY_ROOT
    return _fold([subtree(s) for s in _range_subtrees(0, size)])


def _check_index(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of {size} leaves (0..{size - 1})")


def _check_sizes(size1: int, size2: int) -> None:
    if not 0 <= size1 <= size2:
        raise ValueError(
            f"a consistency proof goes from a smaller tree to a larger one, not {size1} to {size2}"
        )


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """True if ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree ``root`` of ``size``.

    RFC 9162 section 2.1.3.2, step for step.
    """
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if len(p) != 32 or sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> bool:
    """True if ``proof`` shows the tree ``root2`` of ``size2`` extends ``root1`` of ``size1``.

    RFC 9162 section 2.1.4.2, step for step (sizes 0 and equal sizes need an empty proof).
    """
    if not 0 <= size1 <= size2:
        return False
    if size1 == 0:
        return not proof
    if size1 == size2:
        return not proof and root1 == root2
    if not proof or any(len(p) != 32 for p in proof):
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == root1 and sr == root2 and sn == 0


def append_leaf(
    frontier: Sequence[bytes], size: int, leaf: bytes
) -> tuple[list[bytes], list[tuple[Subtree, bytes]]]:
    """Append leaf hash ``leaf`` to a tree of ``size`` leaves given by its ``frontier``.

    The frontier is the tree's complete subtrees that have no complete parent yet, largest
    first (one per set bit of ``size``).  Returns the new frontier and every complete subtree
    the append completed, leaf first: what a store keeps to answer proofs later.
    """
    made: list[tuple[Subtree, bytes]] = [((0, size), leaf)]
    stack = list(frontier)
    h, level, index = leaf, 0, size
    while index & 1:
        h = node_hash(stack.pop(), h)
        level, index = level + 1, index >> 1
        made.append(((level, index), h))
    stack.append(h)
    return stack, made


def root_from_leaves(leaves: Sequence[bytes]) -> bytes:
    """MTH of a whole list of leaf hashes, level by level (a lone last node moves up as it is,
    which gives RFC 9162's left-balanced tree); what a verifier reading tiles runs."""
    level = list(leaves)
    if not level:
        return EMPTY_ROOT
    sha256 = hashlib.sha256
    while len(level) > 1:
        odd = level[-1] if len(level) % 2 else None
        level = [
            sha256(b"\x01" + a + b).digest() for a, b in zip(level[::2], level[1::2], strict=False)
        ]
        if odd is not None:
            level.append(odd)
    return level[0]


def root_from_frontier(frontier: Sequence[bytes]) -> bytes:
    """MTH of a tree from its frontier (see `append_leaf`)."""
    return _fold(frontier) if frontier else EMPTY_ROOT


class MemoryTree:
    """A Merkle tree kept in memory, every complete subtree by level: the in-memory twin of the
    store's node table, used by offline verification and the benchmarks."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.frontier: list[bytes] = []
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        """How many leaves the tree has."""
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash."""
        self.frontier, made = append_leaf(self.frontier, self.size, leaf)
        for (level, _), h in made:
            if level == len(self.levels):
                self.levels.append([])
            self.levels[level].append(h)

    def subtree(self, node: Subtree) -> bytes:
        """The hash of complete subtree ``(level, index)``."""
        level, index = node
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (all by default)."""
        return root_hash(self.size if size is None else size, self.subtree)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """`inclusion_proof` of leaf ``index`` in the first ``size`` leaves."""
        return inclusion_proof(index, self.size if size is None else size, self.subtree)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """`consistency_proof` from ``size1`` to ``size2`` leaves."""
        return consistency_proof(size1, self.size if size2 is None else size2, self.subtree)


def hashes_by_subtree(
    wanted: Iterable[Subtree], rows: Iterable[tuple[int, int, bytes]]
) -> Mapping[Subtree, bytes]:
    """Rows ``(level, index, hash)`` as a lookup, failing clearly when one is missing."""
    found = {(level, index): h for level, index, h in rows}
    missing = [s for s in wanted if s not in found]
    if missing:
        raise LookupError(f"the tree has no stored node for subtrees {missing[:5]}")
    return found
