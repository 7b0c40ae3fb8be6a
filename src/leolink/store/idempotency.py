"""Idempotency keys (IETF draft-ietf-httpapi-idempotency-key-header): a POST sent again with
the same key gets the first one's response instead of being done twice.

`IdempotencyKeys.begin` claims a key for a request's fingerprint in its own short
transaction (the primary key makes two claims race safely on SQLite and PostgreSQL alike);
`finish` keeps the response, `release` gives the key back when the request failed on the
server's side, so that the client may try again.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from leolink.store.models import IdempotencyRow

__all__ = ["Claim", "IdempotencyKeys", "Outcome"]


class Outcome(enum.Enum):
    """What a claim of a key found."""

    NEW = "new"  # the key is this request's now: do it
    REPLAY = "replay"  # done before with the same request: send the stored response
    IN_FLIGHT = "in-flight"  # the first request with this key is still being done
    MISMATCH = "mismatch"  # the key was used for another request


@dataclass(frozen=True)
class Claim:
    """The outcome of `IdempotencyKeys.begin`, with the stored response for a replay."""

    outcome: Outcome
    status: int | None = None
    content_type: str | None = None
    body: bytes | None = None


class IdempotencyKeys:
    """The ``idempotency_keys`` table of a store (`leolink.store.Store.idempotency`)."""

    def __init__(self, sessions: sessionmaker[Session], now: Callable[[], np.datetime64]) -> None:
        self._sessions = sessions
        self._now = now

    def begin(self, owner: str, key: str, fingerprint: str) -> Claim:
        """Claim ``key`` of ``owner`` for the request with ``fingerprint``."""
        try:
            with self._sessions() as session, session.begin():
                session.add(
                    IdempotencyRow(
                        owner=owner, key=key, fingerprint=fingerprint, created_at=self._now()
                    )
                )
            return Claim(Outcome.NEW)
        except IntegrityError:
            pass  # another request holds the key: read its claim below
        with self._sessions() as session, session.begin():
            row = session.get(IdempotencyRow, (owner, key))
            if row is None:  # released meanwhile: claim it again
                return self.begin(owner, key, fingerprint)
            if row.fingerprint != fingerprint:
                return Claim(Outcome.MISMATCH)
            if row.status is None:
                return Claim(Outcome.IN_FLIGHT)
            return Claim(Outcome.REPLAY, row.status, row.content_type, row.body)

    def finish(self, owner: str, key: str, status: int, content_type: str, body: bytes) -> None:
        """Keep the response of the request that claimed ``key``."""
        with self._sessions() as session, session.begin():
            session.execute(
                update(IdempotencyRow)
                .where(IdempotencyRow.owner == owner, IdempotencyRow.key == key)
                .values(status=status, content_type=content_type, body=body)
            )

    def release(self, owner: str, key: str) -> None:
        """Forget ``key``: its request failed on the server's side and may be sent again."""
        with self._sessions() as session, session.begin():
            session.execute(
                delete(IdempotencyRow).where(
                    IdempotencyRow.owner == owner, IdempotencyRow.key == key
                )
            )
