"""The unit of work: one write transaction that locks, changes, logs, signs and commits.

`write` opens the transaction and locks the audit chain's head row (``SELECT ... FOR UPDATE``
in PostgreSQL; in SQLite the transaction began with ``BEGIN IMMEDIATE``, see
`leolink.store.engine`), so writers queue and the chain cannot fork.  The caller changes rows
and appends audit records with `UnitOfWork.log`; on leaving the block the unit bumps the
policy version if asked to, signs a checkpoint at every multiple of ``checkpoint_every``,
re-signs the head, adds the records' leaves to the Merkle tree (`leolink.policy.tlog`), signs
the new checkpoint note and commits.  An exception anywhere rolls all of it back.

`Transactions` is what every part of a store (`leolink.store.statuses`, `.geofences`, ...)
shares: its read snapshots, its units of work, its clock and signing key, and the subscribers
told after each commit that changed the policy (`Transactions.subscribe`).
"""

from __future__ import annotations

import inspect
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine, insert, select
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
from leolink.store.checks import check_actor, to_us
from leolink.store.engine import WRITE_OPTION
from leolink.store.models import (
    AuditHeadRow,
    AuditRecordRow,
    AuditTreeNodeRow,
    PolicyVersionRow,
    SigningKeyRow,
)
from leolink.store.signing import default_key_path, load_or_create_key
from leolink.store.tree_nodes import proof_engine

__all__ = ["Transactions", "UnitOfWork", "lock_head", "write"]


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


class Transactions:
    """A store's transactions: read snapshots and units of work on one engine, with the
    clock, the signing key and the policy's subscribers that every part of the store shares.

    Reads run in one snapshot each (PostgreSQL ``REPEATABLE READ``; a SQLite read
    transaction), so a `PolicySnapshot` or a verification never mixes data from before and
    after a change.  ``signing_key`` is a key, a key file (created with mode 0600 if missing),
    or None for ``<data dir>/audit-signing-key.pem``; it is loaded (or created) by the first
    write.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        signing_key: Ed25519PrivateKey | str | Path | None,
        checkpoint_every: int,
        clock: Callable[[], np.datetime64],
    ) -> None:
        self.engine = engine
        self.checkpoint_every = checkpoint_every
        self._clock = clock
        self._key_source = signing_key
        self._key = signing_key if isinstance(signing_key, Ed25519PrivateKey) else None
        self._key_lock = threading.Lock()
        self._subscribers: list[Callable[[], Callable[[], None] | None]] = []
        self._subscribers_lock = threading.Lock()
        writer = engine.execution_options(**{WRITE_OPTION: True})
        reader = (
            engine.execution_options(isolation_level="REPEATABLE READ")
            if engine.dialect.name == "postgresql"
            else engine
        )
        #: Engine of the Merkle-proof reads (`leolink.store.tree_nodes`).
        self.proof_engine = proof_engine(engine)
        self.write_sessions = sessionmaker(writer, expire_on_commit=False)
        self.read_sessions = sessionmaker(reader, expire_on_commit=False)

    def close(self) -> None:
        """Release the database connections."""
        if self.proof_engine is not self.engine:
            self.proof_engine.dispose()
        self.engine.dispose()

    def now(self) -> np.datetime64:
        """The clock's "now", to the microsecond the database keeps."""
        return to_us(self._clock())

    def signing_key(self) -> Ed25519PrivateKey:
        """The log's signing key (loaded, or created, on first use)."""
        with self._key_lock:
            if self._key is None:
                source = self._key_source
                assert not isinstance(source, Ed25519PrivateKey)
                self._key = load_or_create_key(source if source is not None else default_key_path())
            return self._key

    def configured_public_key(self) -> Ed25519PublicKey | None:
        """The public half of the signing key, if the store has one (never creates a key)."""
        if self._key is not None:
            return self._key.public_key()
        source = self._key_source
        assert not isinstance(source, Ed25519PrivateKey)
        path = Path(source) if source is not None else default_key_path()
        return self.signing_key().public_key() if path.exists() else None

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` after every commit that changed the policy (the policy version
        went up), in the writing thread; returns the function that unsubscribes it.

        A bound method is held weakly (as `weakref.WeakMethod`), so that subscribing does not
        keep its object alive: an object that is gone is no longer called.
        """
        ref: Callable[[], Callable[[], None] | None] = (
            weakref.WeakMethod(callback) if inspect.ismethod(callback) else lambda: callback
        )
        with self._subscribers_lock:
            self._subscribers.append(ref)

        def unsubscribe() -> None:
            with self._subscribers_lock:
                if ref in self._subscribers:
                    self._subscribers.remove(ref)

        return unsubscribe

    def _policy_changed(self) -> None:
        with self._subscribers_lock:
            self._subscribers = [ref for ref in self._subscribers if ref() is not None]
            callbacks = [ref() for ref in self._subscribers]
        for callback in callbacks:
            if callback is not None:
                callback()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session in one read snapshot."""
        with self.read_sessions() as session, session.begin():
            yield session

    @contextmanager
    def write(self, actor: str) -> Iterator[UnitOfWork]:
        """A `UnitOfWork` by ``actor`` (checked); the policy's subscribers are told after it
        commits if it changed the policy."""
        actor = check_actor(actor)
        key = self.signing_key()  # before taking the lock: creating a key file is slow-ish
        with write(
            self.write_sessions,
            actor=actor,
            now=self.now(),
            key=key,
            checkpoint_every=self.checkpoint_every,
        ) as uow:
            yield uow
        if uow.policy_changed and uow.records:
            self._policy_changed()
