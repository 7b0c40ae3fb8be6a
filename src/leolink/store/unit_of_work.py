"""The unit of work: one write transaction that locks, changes, logs, signs and commits.

`write` opens the transaction and locks the audit chain's head row (``SELECT ... FOR UPDATE``
in PostgreSQL; in SQLite the transaction began with ``BEGIN IMMEDIATE``, see
`leolink.store.engine`), so writers queue and the chain cannot fork.  The caller changes rows
and appends audit records with `UnitOfWork.log`; on leaving the block the unit bumps the
policy version if asked to, signs a checkpoint at every multiple of ``checkpoint_every``,
re-signs the head, adds the records' leaves to the Merkle tree (`leolink.policy.tlog`), signs
the new checkpoint note and commits.  An exception anywhere rolls all of it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from leolink.errors import ConflictError, StoreError
from leolink.policy.audit import (
    AuditRecord,
    JSONValue,
    new_record,
    public_key_id,
    public_key_to_hex,
    sign_checkpoint,
)
from leolink.policy.merkle import Subtree, append_leaf, root_from_frontier
from leolink.policy.tlog import record_leaf, sign_log_checkpoint
from leolink.store import repository as repo
from leolink.store.models import (
    AuditHeadRow,
    AuditRecordRow,
    AuditTreeNodeRow,
    PolicyVersionRow,
    SigningKeyRow,
)

__all__ = ["UnitOfWork", "lock_head", "write"]


@dataclass
class UnitOfWork:
    """One write transaction: its session, the locked chain head, who and when.

    Set ``policy_changed`` when the change alters what is in force (statuses, geofences,
    terminals, allow-lists): the commit then bumps the policy version.
    """

    session: Session
    head: AuditHeadRow
    actor: str
    now: np.datetime64
    records: list[AuditRecord] = field(default_factory=list)
    policy_changed: bool = False
    frontier: list[bytes] = field(default_factory=list)
    nodes: list[tuple[Subtree, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        raw = self.head.frontier or b""
        self.frontier = [raw[i : i + 32] for i in range(0, len(raw), 32)]

    def log(
        self,
        action: str,
        entity: str,
        entity_id: str,
        before: JSONValue,
        after: JSONValue,
        reason: str,
    ) -> AuditRecord:
        """Append one audit record to the chain (written when the transaction commits)."""
        rec = new_record(
            prev_seq=self.head.seq,
            prev_hash=self.head.hash,
            ts=self.now,
            actor=self.actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            reason=reason,
        )
        self.session.add(
            AuditRecordRow(
                seq=rec.seq,
                ts=rec.ts,
                actor=rec.actor,
                action=rec.action,
                entity=rec.entity,
                entity_id=rec.entity_id,
                before=rec.before,
                after=rec.after,
                reason=rec.reason,
                prev_hash=rec.prev_hash,
                hash=rec.hash,
            )
        )
        self.frontier, made = append_leaf(self.frontier, rec.seq - 1, record_leaf(rec))
        self.nodes += made
        self.head.seq, self.head.hash = rec.seq, rec.hash
        self.records.append(rec)
        return rec

    def seal(self, key: Ed25519PrivateKey, checkpoint_every: int) -> None:
        """Bump the policy version, sign checkpoints and the head: the end of every write."""
        if not self.records:
            return
        session, last = self.session, self.records[-1]
        key_id = public_key_id(key.public_key())
        if session.get(SigningKeyRow, key_id) is None:
            session.add(
                SigningKeyRow(
                    key_id=key_id,
                    public_key=public_key_to_hex(key.public_key()),
                    created_at=self.now,
                )
            )
        if self.policy_changed:
            version = repo.policy_version(session) + 1
            session.add(PolicyVersionRow(version=version, created_at=self.now, audit_seq=last.seq))
        for rec in self.records:
            if rec.seq % checkpoint_every == 0:
                cp = sign_checkpoint(key, "checkpoint", rec.seq, rec.hash, self.now)
                session.add(repo.checkpoint_to_row(cp))
        head = sign_checkpoint(key, "head", last.seq, last.hash, self.now)
        self.head.ts, self.head.key_id, self.head.signature = head.ts, head.key_id, head.signature
        session.execute(
            insert(AuditTreeNodeRow),
            [{"level": lv, "idx": ix, "hash": h} for (lv, ix), h in self.nodes],
        )
        self.head.frontier = b"".join(self.frontier)
        note = sign_log_checkpoint(
            self.head.origin, last.seq, root_from_frontier(self.frontier), key
        )
        self.head.note = note.note()


def lock_head(session: Session) -> AuditHeadRow:
    """Lock and return the chain's head row (the first statement of every write)."""
    head = session.scalars(
        select(AuditHeadRow).where(AuditHeadRow.id == 1).with_for_update()
    ).one_or_none()
    if head is None:
        raise StoreError(
            "the audit log has no head row: this database was not made by leolink's "
            "migrations, or the row was deleted; run verify() to see what is left"
        )
    return head


@contextmanager
def write(
    sessions: sessionmaker[Session],
    *,
    actor: str,
    now: np.datetime64,
    key: Ed25519PrivateKey,
    checkpoint_every: int,
) -> Iterator[UnitOfWork]:
    """A `UnitOfWork` on a fresh session from ``sessions`` (a writer's, see the module doc)."""
    try:
        with sessions() as session, session.begin():
            uow = UnitOfWork(session, lock_head(session), actor, now)
            yield uow
            session.flush()
            uow.seal(key, checkpoint_every)
    except StaleDataError as exc:  # pragma: no cover - the chain lock serialises writers
        raise ConflictError(f"a concurrent change was detected and undone: {exc}") from exc
