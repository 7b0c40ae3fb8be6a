"""The audit log as a hash chain with signed checkpoints: pure logic, no database, no files.

Every change to the service-control policy is one *record*: who (``actor``), when (``ts``),
what (``action`` on ``entity``/``entity_id``), the entity ``before`` and ``after`` as JSON, and
why (``reason``).  Records are numbered 1, 2, 3, ... (``seq``) and chained: each carries the hash
of the one before (``prev_hash``; record 1 carries `GENESIS_HASH`) and its own ``hash``, the
SHA-256 of its canonical JSON, ``prev_hash`` included.  Editing, deleting, inserting or
reordering a record therefore breaks the chain at that record.

Two attacks leave a chain that is consistent in itself: deleting the newest records, and
editing a record and then recomputing every later hash.  Signatures close both.  A
*checkpoint* is an Ed25519 signature (RFC 8032) over one record's ``(seq, hash)``, taken every N
records and on demand; the *head* is the same over the newest record, re-signed on every append.
Without the private key nobody can move the head back to an earlier record or make a rewritten
chain match the checkpoints.  What signatures cannot show: that a log which was deleted as a
whole, head and checkpoints included, ever existed; keep an exported checkpoint elsewhere and
pass it to `verify_chain` to catch that too.

Canonical JSON, the bytes that are hashed and signed: keys sorted, no whitespace, UTF-8 (not
``\\u`` escapes), numbers as Python writes them (shortest round-trip for floats), NaN and
infinities refused.  It follows RFC 8785 except for number formatting, which only matters for
floats that JSON itself cannot tell apart.  Instants are written ``2026-05-13T12:00:00.000000Z``
(always microseconds, the resolution both SQLite and PostgreSQL keep).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal, TypeAlias

import numpy as np
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "GENESIS_HASH",
    "AuditRecord",
    "ChainVerification",
    "Checkpoint",
    "JSONValue",
    "canonical_json",
    "format_ts",
    "new_record",
    "public_key_from_hex",
    "public_key_id",
    "public_key_to_hex",
    "record_from_dict",
    "sign_checkpoint",
    "verify_chain",
    "verify_checkpoint",
]

#: ``prev_hash`` of record 1: there is no record 0.
GENESIS_HASH: Final = "0" * 64

#: Domain-separation prefixes: a record hash can never be mistaken for a checkpoint message.
_RECORD_PREFIX: Final = b"leolink-audit-record-v1\n"
_CHECKPOINT_PREFIX: Final = b"leolink-audit-checkpoint-v1\n"

JSONValue: TypeAlias = (
    Mapping[str, "JSONValue"] | Sequence["JSONValue"] | str | int | float | bool | None
)

CheckpointKind: TypeAlias = Literal["checkpoint", "head"]


def canonical_json(value: JSONValue) -> bytes:
    """The canonical UTF-8 JSON of ``value`` (sorted keys, no whitespace, finite numbers)."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def format_ts(ts: np.datetime64) -> str:
    """An instant as it is hashed: ISO 8601 UTC with exactly six decimals and ``Z``."""
    return f"{np.datetime_as_string(_to_us(ts), unit='us')}Z"


def _to_us(ts: np.datetime64) -> np.datetime64:
    """``ts`` truncated to whole microseconds."""
    us: np.datetime64 = ts.astype("datetime64[us]")
    return us


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the log; ``hash`` is what `compute_hash` gave when it was appended."""

    seq: int
    ts: np.datetime64
    actor: str
    action: str
    entity: str
    entity_id: str
    before: JSONValue
    after: JSONValue
    reason: str
    prev_hash: str
    hash: str

    def body(self) -> dict[str, JSONValue]:
        """Every field but ``hash``: what the hash covers."""
        return {
            "seq": self.seq,
            "ts": format_ts(self.ts),
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        """SHA-256 (hex) of the record's canonical JSON, ``prev_hash`` included."""
        return hashlib.sha256(_RECORD_PREFIX + canonical_json(self.body())).hexdigest()

    def to_dict(self) -> dict[str, JSONValue]:
        """The record as JSON-ready data, as the CLI and the HTTP API show it."""
        return {**self.body(), "hash": self.hash}


def record_from_dict(data: Mapping[str, JSONValue]) -> AuditRecord:
    """Inverse of `AuditRecord.to_dict` (a saved log read back for offline verification)."""
    try:
        ts = str(data["ts"])
        return AuditRecord(
            seq=int(data["seq"]),  # type: ignore[arg-type]
            ts=np.datetime64(ts.removesuffix("Z"), "us"),
            actor=str(data["actor"]),
            action=str(data["action"]),
            entity=str(data["entity"]),
            entity_id=str(data["entity_id"]),
            before=data["before"],
            after=data["after"],
            reason=str(data["reason"]),
            prev_hash=str(data["prev_hash"]),
            hash=str(data["hash"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not an audit record ({exc}): {dict(data)!r:.200}") from exc


def new_record(
    *,
    prev_seq: int,
    prev_hash: str,
    ts: np.datetime64,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: JSONValue,
    after: JSONValue,
    reason: str,
) -> AuditRecord:
    """The record that follows record ``prev_seq`` (0 and `GENESIS_HASH` for the first).

    ``ts`` is truncated to microseconds so that what a database gives back hashes the same.
    ``before`` and ``after`` are normalised through canonical JSON (tuples become lists), which
    refuses values JSON cannot hold, such as NaN.
    """
    draft = AuditRecord(
        seq=prev_seq + 1,
        ts=_to_us(ts),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=json.loads(canonical_json(before)),
        after=json.loads(canonical_json(after)),
        reason=reason,
        prev_hash=prev_hash,
        hash="",
    )
    return replace(draft, hash=draft.compute_hash())


def public_key_to_hex(key: Ed25519PublicKey) -> str:
    """The 32 raw bytes of an Ed25519 public key, as 64 hex digits (how the store keeps it)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def public_key_from_hex(text: str) -> Ed25519PublicKey:
    """Inverse of `public_key_to_hex`."""
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))


def public_key_id(key: Ed25519PublicKey) -> str:
    """A short name for a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    return hashlib.sha256(bytes.fromhex(public_key_to_hex(key))).hexdigest()[:16]


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement "record ``seq`` of the log has hash ``hash``", made at ``ts``.

    ``kind`` is ``"head"`` for the signature over the newest record (replaced on each append)
    and ``"checkpoint"`` for the kept ones; it is signed too, so one cannot pose as the other.
    """

    kind: CheckpointKind
    seq: int
    hash: str
    ts: np.datetime64
    key_id: str
    signature: str

    def message(self) -> bytes:
        """The bytes that are signed."""
        return _checkpoint_message(self.kind, self.seq, self.hash, self.ts, self.key_id)

    def to_dict(self) -> dict[str, JSONValue]:
        """The checkpoint as JSON-ready data, e.g. to export it as an external anchor."""
        return {
            "kind": self.kind,
            "seq": self.seq,
            "hash": self.hash,
            "ts": format_ts(self.ts),
            "key_id": self.key_id,
            "signature": self.signature,
        }


def _checkpoint_message(
    kind: CheckpointKind, seq: int, hash_: str, ts: np.datetime64, key_id: str
) -> bytes:
    body: dict[str, JSONValue] = {
        "kind": kind,
        "seq": seq,
        "hash": hash_,
        "ts": format_ts(ts),
        "key_id": key_id,
    }
    return _CHECKPOINT_PREFIX + canonical_json(body)


def sign_checkpoint(
    key: Ed25519PrivateKey, kind: CheckpointKind, seq: int, hash_: str, ts: np.datetime64
) -> Checkpoint:
    """Sign "record ``seq`` has hash ``hash_``" with ``key``."""
    ts_us = _to_us(ts)
    key_id = public_key_id(key.public_key())
    signature = key.sign(_checkpoint_message(kind, seq, hash_, ts_us, key_id)).hex()
    return Checkpoint(kind, seq, hash_, ts_us, key_id, signature)


def verify_checkpoint(checkpoint: Checkpoint, key: Ed25519PublicKey) -> bool:
    """True if ``checkpoint`` was signed by the private half of ``key``."""
    if checkpoint.key_id != public_key_id(key):
        return False
    try:
        key.verify(bytes.fromhex(checkpoint.signature), checkpoint.message())
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class ChainVerification:
    """Outcome of `verify_chain`.

    ``records`` is how many records the log holds; ``first_bad`` the lowest ``seq`` that cannot
    be trusted (None when ``ok``), and ``reason`` says what was found there, in words.
    """

    ok: bool
    records: int
    first_bad: int | None
    reason: str

    def to_dict(self) -> dict[str, JSONValue]:
        """``{ok, records, first_bad, reason}``, what ``leolink audit verify`` prints."""
        return {
            "ok": self.ok,
            "records": self.records,
            "first_bad": self.first_bad,
            "reason": self.reason,
        }


def verify_chain(
    records: Iterable[AuditRecord],
    *,
    checkpoints: Iterable[Checkpoint],
    head: Checkpoint | None,
    public_keys: Mapping[str, Ed25519PublicKey],
) -> ChainVerification:
    """Check a log: its chain, its checkpoints, its signed head.

    ``records`` must come in ascending ``seq`` order (as ``ORDER BY seq`` gives them); they are
    read once, so a database cursor streams through a long log.  ``public_keys`` are the keys
    trusted to have signed, by `public_key_id`; a checkpoint signed by any other key is bad.
    ``head`` is None when the log has no signed head (a new, empty log).

    ``first_bad`` is the lowest record any problem puts in doubt, and ``reason`` lists every
    problem found, lowest first (after a break in the chain, later records are not checked,
    as nothing after it can be trusted anyway).  Where a break could be either of two
    neighbouring records, the earlier one is named: a record whose successor no longer links to
    it was replaced (or inserted), and a record that a later checkpoint no longer matches puts
    everything after the previous good checkpoint in doubt.
    """
    problems: list[tuple[int, str]] = []
    signed: dict[int, Checkpoint] = {}
    good_head: Checkpoint | None = None
    for cp in (*checkpoints, *((head,) if head is not None else ())):
        problem = _signature_problem(cp, public_keys)
        if problem is not None:
            problems.append((cp.seq, problem))
        elif cp.kind == "head":
            good_head = cp
        else:
            signed[cp.seq] = cp

    count = 0
    expected = 1
    prev, prev_prev = GENESIS_HASH, GENESIS_HASH
    vouched = 0  # the newest record a valid checkpoint matched
    hash_at: dict[int, str] = {}
    broken = False  # a break in the chain: nothing after it is checked
    rewritten = False  # a checkpoint mismatch: later checkpoints and the head say no more
    for rec in records:
        count += 1
        if broken:
            continue
        found = _record_problem(rec, expected, prev, prev_prev)
        if found is not None:
            problems.append(found)
            broken = True
            continue
        cp = signed.get(rec.seq)
        if cp is not None and not rewritten:
            if cp.hash != rec.hash:
                # The chain is consistent up to here, so any of the records since the last
                # good checkpoint may have been rewritten; keep walking for a sharper finding.
                problems.append(
                    (
                        vouched + 1,
                        f"record {rec.seq} does not match its signed checkpoint: records "
                        f"{vouched + 1}..{rec.seq} were rewritten (or one inserted) since",
                    )
                )
                rewritten = True
            else:
                vouched = rec.seq
        if good_head is not None and rec.seq == good_head.seq:
            hash_at[rec.seq] = rec.hash
        prev_prev, prev = prev, rec.hash
        expected += 1

    if not broken:
        problems += _tail_problems(
            expected - 1, signed, head, good_head, hash_at, vouched, check_hash=not rewritten
        )
    if not problems:
        return ChainVerification(True, count, None, f"all {count} records verify")
    problems.sort(key=lambda p: p[0])
    reason = "; ".join(dict.fromkeys(text for _, text in problems))
    return ChainVerification(False, count, max(problems[0][0], 1), reason)


def _signature_problem(cp: Checkpoint, public_keys: Mapping[str, Ed25519PublicKey]) -> str | None:
    """Why ``cp`` cannot be trusted, or None if a trusted key signed it."""
    what = "the signed head" if cp.kind == "head" else f"the checkpoint at record {cp.seq}"
    if cp.kind not in ("head", "checkpoint"):
        return f"{what} has an unknown kind {cp.kind!r}"
    key = public_keys.get(cp.key_id)
    if key is None:
        return f"{what} is signed by key {cp.key_id}, which is not trusted"
    if not verify_checkpoint(cp, key):
        return f"the signature of {what} does not verify"
    return None


def _record_problem(
    rec: AuditRecord, expected: int, prev: str, prev_prev: str
) -> tuple[int, str] | None:
    """What is wrong with ``rec`` given the records before it, or None."""
    if rec.seq != expected:
        return (
            expected,
            f"record {expected} is missing: the log goes from {expected - 1} to {rec.seq}",
        )
    intact = rec.compute_hash() == rec.hash
    if rec.prev_hash != prev:
        if rec.seq > 1 and rec.prev_hash == prev_prev:
            return rec.seq - 1, (
                f"record {rec.seq - 1} was inserted: record {rec.seq} links to {rec.seq - 2}"
            )
        if intact and rec.seq > 1:
            return rec.seq - 1, (
                f"record {rec.seq - 1} was replaced: record {rec.seq} does not link to its hash"
            )
        return rec.seq, f"record {rec.seq} was altered: it does not link to the record before it"
    if not intact:
        return rec.seq, f"record {rec.seq} was altered: its content does not match its hash"
    return None


def _tail_problems(
    last: int,
    signed: Mapping[int, Checkpoint],
    head: Checkpoint | None,
    good_head: Checkpoint | None,
    hash_at: Mapping[int, str],
    vouched: int,
    *,
    check_hash: bool,
) -> list[tuple[int, str]]:
    """Problems at the end of an intact chain that ends at record ``last``."""
    problems: list[tuple[int, str]] = []
    beyond = [seq for seq in signed if seq > last]
    if beyond:
        problems.append(
            (
                last + 1,
                f"the log ends at record {last} but a signed checkpoint vouches for record "
                f"{max(beyond)}: records after {last} were deleted",
            )
        )
    if head is None:
        if last > 0:
            problems.append(
                (
                    vouched + 1,
                    f"the log has {last} records but no signed head: records after {vouched} "
                    "may have been added or deleted",
                )
            )
    elif good_head is not None:
        seq = good_head.seq
        if seq > last:
            problems.append(
                (
                    last + 1,
                    f"the log ends at record {last} but the signed head is at record {seq}: "
                    f"records after {last} were deleted",
                )
            )
        elif check_hash and seq > 0 and hash_at.get(seq) != good_head.hash:
            problems.append(
                (
                    vouched + 1,
                    f"record {seq} does not match the signed head: a record in "
                    f"{vouched + 1}..{seq} was altered and the later hashes recomputed",
                )
            )
        if seq < last:
            problems.append(
                (
                    seq + 1,
                    f"records {seq + 1}..{last} follow the signed head at record {seq}: "
                    "they were added without the signing key",
                )
            )
    return problems
