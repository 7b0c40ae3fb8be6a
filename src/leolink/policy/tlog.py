"""The audit log as a transparency log: records as Merkle leaves, signed checkpoints, checks.

Leaf ``i`` (0-based) of the log's RFC 9162 tree is record ``seq = i + 1``; its entry is the 32
bytes of the record's hash (`leolink.policy.audit`), which commits to every field of the record
and, through ``prev_hash``, to the chain before it.  A checkpoint is a C2SP signed note over
``(origin, size, root)`` (`leolink.policy.notes`), signed by the log's Ed25519 key under the key
name ``origin``.

What a signed head alone cannot show, a checkpoint kept *elsewhere* can: whoever holds the
database and the key can rebuild the whole history and sign it, but cannot make the new tree's
first ``n`` leaves hash to the root of a checkpoint of size ``n`` that a verifier or a witness
saved before.  `verify_log` therefore checks the records against the newest checkpoint and
against every earlier checkpoint the verifier brings, with keys the verifier brings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink.policy.audit import AuditRecord
from leolink.policy.merkle import append_leaf, leaf_hash, root_from_frontier
from leolink.policy.notes import (
    SignedCheckpoint,
    Verifier,
    checkpoint_text,
    note_signature,
    parse_checkpoint,
)

__all__ = [
    "DEFAULT_ORIGIN",
    "LogCheck",
    "record_leaf",
    "sign_log_checkpoint",
    "verify_log",
]

#: The origin line of a store that was not given one (``Store(origin=...)`` names a real log).
DEFAULT_ORIGIN = "leolink.local/audit"


def record_leaf(record: AuditRecord) -> bytes:
    """The Merkle leaf hash of ``record``: SHA-256(0x00 || its 32-byte record hash)."""
    return leaf_hash(bytes.fromhex(record.hash))


def sign_log_checkpoint(
    origin: str, size: int, root: bytes, key: Ed25519PrivateKey
) -> SignedCheckpoint:
    """The checkpoint note for a log of ``size`` records with root ``root``, signed by ``key``."""
    text = checkpoint_text(origin, size, root)
    return parse_checkpoint(text + "\n" + note_signature(text, origin, key))


@dataclass(frozen=True)
class LogCheck:
    """What `verify_log` found: ok, how many records, the first bad one (1-based), why."""

    ok: bool
    records: int
    first_bad: int | None
    reason: str


def verify_log(
    records: Iterable[AuditRecord],
    *,
    latest: SignedCheckpoint | None,
    earlier: Sequence[SignedCheckpoint] = (),
    verifier: Verifier,
) -> LogCheck:
    """Check that ``records`` (ascending ``seq``) are the log ``latest`` signed, and that this log
    extends every checkpoint in ``earlier`` (append-only), all signed by ``verifier``.

    Records are read once and only the tree's frontier is kept, so a long log streams.  A
    record whose own hash does not match its content is bad; otherwise ``first_bad`` is the
    first record a checkpoint no longer vouches for.  Where only a root is known, the first
    bad record cannot be named more precisely than "one of 1..n": say so.
    """
    problems: list[tuple[int, str]] = []
    vague: set[str] = set()
    wanted: dict[int, list[tuple[str, SignedCheckpoint]]] = {}
    for what, cp in [
        *(("earlier", c) for c in earlier),
        *((("latest", latest),) if latest else ()),
    ]:
        label = f"the {what} checkpoint of size {cp.size}"
        if cp.origin != verifier.name:
            problems.append((1, f"{label} is for log {cp.origin!r}, not {verifier.name!r}"))
        elif not cp.signed_by(verifier):
            problems.append((1, f"{label} is not signed by the key given ({verifier.vkey()})"))
        else:
            wanted.setdefault(cp.size, []).append((what, cp))
    frontier: list[bytes] = []
    size = 0
    vouched = 0  # the largest size a checkpoint matched: records up to it are as signed
    for rec in records:
        if rec.seq != size + 1:
            problems.append((size + 1, f"record {size + 1} is missing (found {rec.seq} next)"))
            break
        if rec.compute_hash() != rec.hash:
            problems.append((rec.seq, f"record {rec.seq} was altered: it does not match its hash"))
        frontier, _ = append_leaf(frontier, size, record_leaf(rec))
        size += 1
        for what, cp in wanted.get(size, ()):
            if root_from_frontier(frontier) != cp.root:
                problems.append((vouched + 1, _mismatch(what, cp, vouched)))
                vague.add(problems[-1][1])
            elif not problems:
                vouched = size
    for sz, cps in wanted.items():
        if sz > size:
            for what, _ in cps:
                problems.append(
                    (
                        size + 1,
                        f"the log has {size} records but the {what} checkpoint vouches for "
                        f"{sz}: records after {size} were deleted (or the log rolled back)",
                    )
                )
    if latest is not None and latest.size < size and latest.size in wanted:
        problems.append(
            (
                latest.size + 1,
                f"records {latest.size + 1}..{size} follow the newest signed checkpoint "
                f"(size {latest.size}): they were added without the signing key",
            )
        )
    if not problems:
        return LogCheck(True, size, None, f"all {size} records are in the signed tree")
    problems.sort(key=lambda p: p[0])
    return LogCheck(False, size, problems[0][0], "; ".join(dict.fromkeys(t for _, t in problems)))


def _mismatch(what: str, cp: SignedCheckpoint, vouched: int) -> str:
    """Why ``cp`` does not match; records up to ``vouched`` matched a smaller checkpoint, so
    the first rewritten record lies in ``vouched + 1 .. cp.size``."""
    if what == "earlier":
        return (
            f"the log is not an append-only extension of the earlier checkpoint of size "
            f"{cp.size}: its first {cp.size} records hash to another root, so a record in "
            f"{vouched + 1}..{cp.size} was rewritten (the history was rebuilt)"
        )
    return (
        f"the records do not hash to the root of the newest signed checkpoint (size {cp.size}): "
        f"a record in {vouched + 1}..{cp.size} was altered and the chain recomputed"
    )


def first_difference(mine: Sequence[bytes], theirs: Sequence[bytes]) -> int | None:
    """The first 1-based position where two lists of leaf hashes differ (None if one is a
    prefix of the other): how a verifier holding a saved copy names the first rewritten record."""
    for i, (a, b) in enumerate(zip(mine, theirs, strict=False)):
        if a != b:
            return i + 1
    return None
