"""The audit log: its records, checkpoints, signed head, Merkle proofs, tiles and verification.

The log is written by every change (`leolink.store.unit_of_work`); here it is read, proved
(RFC 9162 inclusion and consistency proofs, C2SP tiles, `leolink.policy.tlog`), checkpointed
and verified: the chain, the checkpoints, the Merkle tree against its signed notes, and the
tables against a replay of the records (`leolink.store.replay`).  A refused request is logged
here too (`AuditLog.record_refusal`): it changes no policy state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from leolink.errors import InputError, NotFoundError, PolicyStateError, StoreError
from leolink.policy.audit import (
    AuditRecord,
    ChainVerification,
    Checkpoint,
    public_key_from_hex,
    public_key_id,
    sign_checkpoint,
    verify_chain,
)
from leolink.policy.merkle import (
    Subtree,
    consistency_proof,
    hashes_by_subtree,
    inclusion_proof,
    root_hash,
    subtrees_for_consistency,
    subtrees_for_inclusion,
)
from leolink.policy.notes import SignedCheckpoint, Verifier, note_signature, parse_checkpoint
from leolink.policy.replay import first_difference, replay
from leolink.policy.tiles import TILE_HEIGHT, TILE_WIDTH, entry_bundle
from leolink.policy.tlog import record_leaf, sign_log_checkpoint, verify_log
from leolink.store import repository as repo
from leolink.store.checks import instant, person_key
from leolink.store.models import (
    AuditCheckpointRow,
    AuditHeadRow,
    AuditRecordRow,
    AuditTreeNodeRow,
    SigningKeyRow,
)
from leolink.store.replay import tables_state
from leolink.store.tree_nodes import proof_nodes
from leolink.store.unit_of_work import Transactions, lock_head

__all__ = ["AuditLog"]


class AuditLog:
    """The audit log of a store (the ``audit_*`` and ``signing_keys`` tables)."""

    def __init__(self, db: Transactions) -> None:
        self._db = db
        #: The log's size when a proof last read it: the first guess of the next proof against
        #: the whole log (`leolink.store.tree_nodes.proof_nodes`).
        self._size_seen: int | None = None

    def sign_note(self, text: str) -> str:
        """The log key's signed-note signature line over ``text`` (under the log's origin), for
        statements the log vouches for besides checkpoints (decision receipts)."""
        return note_signature(text, self.origin(), self._db.signing_key())

    def records(
        self,
        *,
        after_seq: int = 0,
        before_seq: int | None = None,
        limit: int | None = 1000,
        entity: str | None = None,
        entity_id: str | None = None,
        actor: str | None = None,
        kind: str | None = None,
        since: str | np.datetime64 | None = None,
        until: str | np.datetime64 | None = None,
        newest_first: bool = False,
    ) -> list[AuditRecord]:
        """Audit records with ``after_seq < seq < before_seq``, oldest first (or newest first).

        Filters: ``entity`` / ``entity_id``; ``actor``, the same person however the name is
        spelt (`leolink.store.checks.person_key`); ``kind``, an action (``geofence.approve``)
        or every action on a kind of record (``geofence``); ``since`` / ``until``, the record's
        time in ``[since, until)``.  Page oldest first with ``after_seq``, newest first with
        ``before_seq``.
        """
        order = AuditRecordRow.seq.desc() if newest_first else AuditRecordRow.seq
        query = repo.audit_select().where(AuditRecordRow.seq > after_seq).order_by(order)
        if before_seq is not None:
            query = query.where(AuditRecordRow.seq < before_seq)
        if entity is not None:
            query = query.where(AuditRecordRow.entity == entity)
        if entity_id is not None:
            query = query.where(AuditRecordRow.entity_id == entity_id)
        if kind is not None:
            kind = str(kind).strip()
            if not re.fullmatch(r"[a-z_]+(\.[a-z_]+)?", kind):
                raise InputError(
                    f"kind {kind!r} is not an audit action: give one such as 'geofence.approve', "
                    "or a kind of record such as 'geofence' for all its actions"
                )
            query = query.where(
                (AuditRecordRow.action == kind) | AuditRecordRow.action.startswith(f"{kind}.")
            )
        if since is not None:
            query = query.where(AuditRecordRow.ts >= instant(since, "since"))
        if until is not None:
            query = query.where(AuditRecordRow.ts < instant(until, "until"))
        if limit is not None:
            query = query.limit(limit)
        with self._db.read() as session:
            if actor is not None:
                who = person_key(actor)
                names = session.scalars(select(AuditRecordRow.actor).distinct()).all()
                query = query.where(
                    AuditRecordRow.actor.in_([n for n in names if person_key(n) == who])
                )
            return [repo.row_to_audit_record(r) for r in session.execute(query)]

    def head(self) -> Checkpoint | None:
        """The signed head of the log (None while the log is empty)."""
        with self._db.read() as session:
            return repo.head_row_to_checkpoint(session.get(AuditHeadRow, 1))

    def checkpoints(self) -> list[Checkpoint]:
        """The kept signed checkpoints, oldest first."""
        with self._db.read() as session:
            rows = session.scalars(select(AuditCheckpointRow).order_by(AuditCheckpointRow.seq))
            return [repo.row_to_checkpoint(r) for r in rows]

    def checkpoint(self) -> Checkpoint:
        """Sign a checkpoint at the newest record now (or return the one already there).

        Export it (`Checkpoint.to_dict`) and keep it elsewhere: passed back to `verify`, it
        also catches a log deleted as a whole.
        """
        key = self._db.signing_key()
        with self._db.write_sessions() as session, session.begin():
            head = lock_head(session)
            if head.seq == 0:
                raise PolicyStateError("the audit log is empty: there is nothing to checkpoint")
            existing = session.get(AuditCheckpointRow, head.seq)
            if existing is not None:
                return repo.row_to_checkpoint(existing)
            cp = sign_checkpoint(key, "checkpoint", head.seq, head.hash, self._db.now())
            session.add(repo.checkpoint_to_row(cp))
            return cp

    # --- the transparency log (see `leolink.policy.tlog`) ----------------------------------

    def latest_checkpoint(self) -> SignedCheckpoint:
        """The newest signed checkpoint note (signed now if the log has none yet, e.g. right
        after the migration that made the log a Merkle tree)."""
        with self._db.read() as session:
            head = session.get(AuditHeadRow, 1)
            if head is not None and head.note is not None:
                return parse_checkpoint(head.note)
        key = self._db.signing_key()
        with self._db.write_sessions() as session, session.begin():
            head = lock_head(session)
            if head.note is None:
                root = root_hash(head.seq, _frontier_subtrees(session, head.seq))
                head.note = sign_log_checkpoint(head.origin, head.seq, root, key).note()
            return parse_checkpoint(head.note)

    def verifier(self) -> Verifier:
        """The verifier key of this store's own signing key under the log's origin; refused when
        the store was given no existing key (a verifier must bring the key, see `verify`)."""
        key = self._db.configured_public_key()
        if key is None:
            raise InputError(
                "this store has no signing key file to take the public key from: give the "
                "log's public key (--public-key) instead"
            )
        return Verifier(self.origin(), key)

    def origin(self) -> str:
        """The log's origin line (the key name its checkpoints are signed under)."""
        with self._db.read() as session:
            head = session.get(AuditHeadRow, 1)
            if head is None:
                raise StoreError("the audit log has no head row")
            return head.origin

    def inclusion_proof(self, seq: int, size: int | None = None) -> tuple[int, list[bytes]]:
        """``(size, proof)``: the RFC 9162 audit path of record ``seq`` in the tree of the first
        ``size`` records (default: the whole log); O(log n) rows read in one statement
        (`leolink.store.tree_nodes`)."""

        def wanted(n: int) -> list[Subtree]:
            if not 1 <= seq <= n:
                raise NotFoundError(f"record {seq} is not in a log of {n} records (1..{n})")
            return subtrees_for_inclusion(seq - 1, n)

        total, size, nodes = proof_nodes(self._db.proof_engine, size, wanted, guess=self._size_seen)
        self._size_seen = total
        _check_size(size, total)
        return size, inclusion_proof(seq - 1, size, nodes.__getitem__)

    def consistency_proof(self, size1: int, size2: int | None = None) -> tuple[int, list[bytes]]:
        """``(size2, proof)``: the RFC 9162 proof that the log of ``size2`` records (default: the
        whole log) extends its first ``size1``."""

        def wanted(n: int) -> list[Subtree]:
            if not 0 <= size1 <= n:
                raise InputError(
                    f"size1={size1} must be between 0 and the log's size {n}: a consistency "
                    "proof goes from an older, smaller log to a newer one"
                )
            return subtrees_for_consistency(size1, n)

        total, size2, nodes = proof_nodes(
            self._db.proof_engine, size2, wanted, guess=self._size_seen
        )
        self._size_seen = total
        _check_size(size2, total)
        return size2, consistency_proof(size1, size2, nodes.__getitem__)

    def tree_root(self, size: int | None = None) -> tuple[int, bytes]:
        """``(size, root)`` of the tree of the first ``size`` records (default: all)."""
        with self._db.read() as session:
            size = self._tree_size(session, size)
            return size, root_hash(size, _frontier_subtrees(session, size))

    def tile(self, tile_level: int, index: int, width: int) -> bytes:
        """The C2SP hash tile ``(tile_level, index)`` of ``width`` hashes, concatenated (see
        `leolink.policy.tiles`); refused unless the log is large enough to fill it."""
        level = TILE_HEIGHT * tile_level
        first = index * TILE_WIDTH
        with self._db.read() as session:
            size = self._tree_size(session, None)
            if (first + width) << level > size or level > 62:
                raise NotFoundError(
                    f"tile {tile_level}/{index} of width {width} is not in a log of {size} records"
                )
            rows = session.execute(
                select(AuditTreeNodeRow.hash)
                .where(AuditTreeNodeRow.level == level)
                .where(AuditTreeNodeRow.idx >= first, AuditTreeNodeRow.idx < first + width)
                .order_by(AuditTreeNodeRow.idx)
            ).all()
        if len(rows) != width:
            raise StoreError(
                f"the audit log's Merkle tree lacks nodes of tile {tile_level}/{index}"
            )
        return b"".join(bytes(r[0]) for r in rows)

    def entry_tile(self, index: int, width: int) -> bytes:
        """The C2SP entry tile ``index``: the records' 32-byte hashes (the tree's entries)."""
        first = index * TILE_WIDTH
        with self._db.read() as session:
            size = self._tree_size(session, None)
            if first + width > size:
                raise NotFoundError(
                    f"entry tile {index} of width {width} is not in a log of {size}"
                )
            hashes = session.scalars(
                select(AuditRecordRow.hash)
                .where(AuditRecordRow.seq > first, AuditRecordRow.seq <= first + width)
                .order_by(AuditRecordRow.seq)
            ).all()
        return entry_bundle(bytes.fromhex(h) for h in hashes)

    @staticmethod
    def _tree_size(session: Session, size: int | None) -> int:
        head = session.get(AuditHeadRow, 1)
        total = head.seq if head is not None else 0
        if size is None:
            return total
        if not 0 <= size <= total:
            raise InputError(f"size={size} must be between 0 and the log's size {total}")
        return size

    def signing_keys(self) -> dict[str, Ed25519PublicKey]:
        """The public keys recorded as having signed, by key id."""
        with self._db.read() as session:
            return {
                r.key_id: public_key_from_hex(r.public_key)
                for r in session.scalars(select(SigningKeyRow))
            }

    def verify(
        self,
        trusted_keys: Iterable[Ed25519PublicKey] | None = None,
        *,
        anchors: Iterable[Checkpoint] = (),
        log_key: Verifier | None = None,
        earlier: Sequence[SignedCheckpoint] = (),
    ) -> ChainVerification:
        """Check the whole log: chain, checkpoints, signed head (see `leolink.policy.audit`).

        Signatures are trusted if made by ``trusted_keys``; by default by this store's own
        signing key when it has one, else by the keys recorded in the database (which someone
        able to rewrite the database could also replace: the result says so).  ``anchors``
        are checkpoints kept outside the database, checked like the ones inside.

        The Merkle tree is checked too: the records must hash to the root of the newest signed
        checkpoint note and extend every checkpoint note in ``earlier`` (saved by a verifier or
        a witness), all signed by ``log_key`` (by default the trusted key under this log's
        origin).  Only ``earlier`` catches a history rebuilt by someone holding the key.
        """
        note = ""
        if trusted_keys is not None:
            keys = {public_key_id(k): k for k in trusted_keys}
        elif (own := self._db.configured_public_key()) is not None:
            keys = {public_key_id(own): own}
        else:
            keys = self.signing_keys()
            note = " (signatures checked against the keys recorded in the database itself)"
        with self._db.read() as session:
            head = repo.head_row_to_checkpoint(session.get(AuditHeadRow, 1))
            cps = [
                repo.row_to_checkpoint(r)
                for r in session.scalars(
                    select(AuditCheckpointRow).order_by(AuditCheckpointRow.seq)
                )
            ]
            rows = session.execute(
                repo.audit_select().order_by(AuditRecordRow.seq).execution_options(yield_per=500)
            )
            records = [repo.row_to_audit_record(r) for r in rows]
            result = verify_chain(
                records, checkpoints=[*cps, *anchors], head=head, public_keys=keys
            )
            head_row = session.get(AuditHeadRow, 1)
            difference = first_difference(replay(records), tables_state(session))
            stored = session.execute(
                select(AuditTreeNodeRow.idx, AuditTreeNodeRow.hash)
                .where(AuditTreeNodeRow.level == 0)
                .order_by(AuditTreeNodeRow.idx)
                .execution_options(yield_per=5000)
            )
            leaf_problem = _stored_leaf_problem(records, ((int(i), bytes(h)) for i, h in stored))
        if leaf_problem is not None:
            result = _combine(result, False, *leaf_problem)
        if head_row is not None and (keys or log_key is not None):
            verifier = log_key or Verifier(head_row.origin, next(iter(keys.values())))
            latest = parse_checkpoint(head_row.note) if head_row.note else None
            tree = verify_log(records, latest=latest, earlier=earlier, verifier=verifier)
            result = _combine(result, tree.ok, tree.first_bad, tree.reason)
        if difference is not None:
            # The log itself may be sound: the tables were changed behind its back.
            result = _combine(result, False, difference.seq, difference.describe())
        return replace(result, reason=result.reason + note) if note else result

    def record_refusal(
        self,
        *,
        actor: str,
        role: str,
        method: str,
        path: str,
        status: int,
        problem: str,
        detail: str,
        suppressed: int = 0,
    ) -> AuditRecord:
        """Log a write the service refused (403/409): who (``actor``, ``role``), what
        (``method`` ``path``), and why (``problem``, ``detail``); ``suppressed`` counts this
        caller's refusals left out since (`leolink.service.refusals` bounds them).  It changes
        no policy state."""
        what = f"{method} {path}"[:200]
        why = detail.strip()[:2000] or problem
        with self._db.write(actor) as tx:
            after: dict[str, Any] = {
                "role": role,
                "method": method,
                "path": path[:2000],
                "status": int(status),
                "problem": problem,
                "suppressed_before": int(suppressed),
            }
            rec = tx.log("request.refuse", "request", what, None, after, why)
        return rec


# --- helpers ----------------------------------------------------------------------------------


def _combine(
    chain: ChainVerification, ok: bool, first_bad: int | None, reason: str
) -> ChainVerification:
    """The chain's verdict joined with the Merkle tree's."""
    if ok:
        return chain
    if chain.ok:
        return ChainVerification(False, chain.records, first_bad, reason)
    # The chain names the first bad record more sharply than a root mismatch ("one of 1..n").
    return ChainVerification(False, chain.records, chain.first_bad, f"{chain.reason}; {reason}")


def _stored_leaf_problem(
    records: Sequence[AuditRecord], stored: Iterable[tuple[int, bytes]]
) -> tuple[int, str] | None:
    """The first record whose leaf differs from the one the tree stored when it was appended:
    a record rewritten afterwards (chain recomputed and re-signed, but the tree's nodes left)
    is named exactly.  Whoever rewrites the nodes too is caught by an earlier checkpoint."""
    leaves = dict(stored)
    for rec in records:
        leaf = leaves.get(rec.seq - 1)
        if leaf is not None and leaf != record_leaf(rec):
            return rec.seq, (
                f"record {rec.seq} is not the record that was appended there: its leaf differs "
                "from the one the Merkle tree stored for it (it was rewritten afterwards)"
            )
    return None


def _check_size(size: int, total: int) -> None:
    if not 0 <= size <= total:
        raise InputError(f"size={size} must be between 0 and the log's size {total}")


def _nodes(session: Session, wanted: list[Subtree]) -> dict[Subtree, bytes]:
    """The stored hashes of complete subtrees ``wanted``, in one query."""
    if not wanted:
        return {}
    pairs = tuple_(AuditTreeNodeRow.level, AuditTreeNodeRow.idx)
    rows = session.execute(
        select(AuditTreeNodeRow.level, AuditTreeNodeRow.idx, AuditTreeNodeRow.hash).where(
            pairs.in_(sorted(set(wanted)))
        )
    )
    try:
        return dict(hashes_by_subtree(wanted, ((r[0], r[1], bytes(r[2])) for r in rows)))
    except LookupError as exc:
        raise StoreError(f"the audit log's Merkle tree is incomplete: {exc}") from exc


def _frontier_subtrees(session: Session, size: int) -> Callable[[Subtree], bytes]:
    """A subtree lookup holding the complete subtrees that make up the first ``size`` leaves."""
    wanted = [
        (level, (size >> (level + 1)) << 1)
        for level in range(size.bit_length())
        if size >> level & 1
    ]
    return _nodes(session, wanted).__getitem__
