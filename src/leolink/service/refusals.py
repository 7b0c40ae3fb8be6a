"""Refused attempts are events: a write refused with 403 or 409 goes into the audit log.

Who tried what and why it was refused is part of the record the issue asks for (an operator
who keeps trying to approve their own fence, a viewer key probing the write routes).  Only
*authenticated* callers' refusals are logged, so an anonymous caller cannot write to the log
at all, and each key's refusals are bounded: at most `RefusalLimiter.per_key` records per
``window_s`` (and `RefusalLimiter.total` for all keys together); the ones over the bound are
counted and the count goes into that key's next logged refusal, so nothing is hidden, only
summarised.  Recording never changes the response: a store that cannot write logs a warning.

The bound is kept per process, on purpose.  ``leolink serve --workers N`` runs N processes, so
a key can get at most N × ``per_key`` refusals logged per window (and the log N × ``total``):
still a fixed bound, set by the operator's own choice of N, which is all the bound is for —
that no caller can grow the log without limit.  A counter shared through the store would make
every refused request a write (or a locked read) on the database the decisions depend on, to
tighten a bound that is already finite; and the suppressed counts, which say how many were
left out, are exact per process and land in that process's next logged refusal either way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from leolink.errors import LeolinkError
from leolink.store import Store

__all__ = ["REFUSED_STATUSES", "RefusalLimiter", "record_refusal"]

#: The statuses whose refusal of a write is an event.
REFUSED_STATUSES: Final = frozenset({403, 409})

#: Methods that write.
_WRITES: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_log = logging.getLogger(__name__)


@dataclass
class RefusalLimiter:
    """Fixed-window bound on logged refusals: ``per_key`` per key and ``total`` in all, per
    ``window_s`` seconds; ``clock`` gives monotonic seconds (tests pass their own)."""

    per_key: int = 20
    total: int = 200
    window_s: float = 600.0
    clock: Callable[[], float] = time.monotonic
    _window_start: float = field(default=-1.0, init=False)
    _counts: dict[str, int] = field(default_factory=dict, init=False)
    _suppressed: dict[str, int] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def admit(self, key_id: str) -> int | None:
        """None if this refusal is over the bound (it is counted); else how many of this key's
        refusals were left out since its last logged one (to log with this one)."""
        with self._lock:
            now = self.clock()
            if self._window_start < 0 or now - self._window_start >= self.window_s:
                self._window_start, self._counts = now, {}
            used = self._counts.get(key_id, 0)
            if used >= self.per_key or sum(self._counts.values()) >= self.total:
                self._suppressed[key_id] = self._suppressed.get(key_id, 0) + 1
                return None
            self._counts[key_id] = used + 1
            return self._suppressed.pop(key_id, 0)


async def record_refusal(request: Request, status: int, slug: str, detail: str) -> None:
    """Log a refused write of an authenticated caller (see the module doc); anything else, or
    a refusal over the bound, is not logged."""
    principal = getattr(request.state, "principal", None)
    if status not in REFUSED_STATUSES or request.method not in _WRITES or principal is None:
        return
    state = getattr(request.app.state, "leolink", None)
    if state is None:
        return
    limiter: RefusalLimiter = state.refusals
    suppressed = limiter.admit(principal.key.id)
    if suppressed is None:
        return
    store: Store = state.store
    try:
        await run_in_threadpool(
            store.record_refusal,
            actor=principal.actor,
            role=principal.key.role.value,
            method=request.method,
            path=request.url.path,
            status=status,
            problem=slug,
            detail=detail,
            suppressed=suppressed,
        )
    except LeolinkError as exc:  # the refusal stands; only its record is lost
        _log.warning("could not log the refusal of %s %s: %s", request.method, request.url, exc)
