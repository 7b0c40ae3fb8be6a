"""Each client's share of the decision work: turns per client, then the service's turns.

A decision request (``POST /v1/decisions``, ``/v1/decisions/batch``, ``GET /v1/availability``
and ``/v1/availability/cells``) is computed in a worker thread once it holds two turns: one of
its client's (`leolink.limits.ClientShare.turns`) and then one of the process's
(`ServiceLimits.max_concurrent_decisions`, taken in arrival order).  A client that sends more
than its share computes waits in its own queue, not in everyone's: a flood or a run of
1,000-item batches from one client holds at most its share of the process's turns, and another
client's small request waits only for the requests already computing.  Beyond
``client_decision_queue`` waiting requests a client is refused at once (429, ``Retry-After``);
a request that waits longer than ``decision_wait_s`` for its turns is refused with 503.

The client is the API key of a request that carries a valid one (verified once per
`ClientShare.key_ttl_s` per token, in a worker thread), else the request's address.  The
counts live on the event loop (one per process: each ``--workers`` process shares alone).

The work runs in the process's own pool of ``max_concurrent_decisions`` threads (a turn is a
thread), and a request whose turns are free takes them without arming a timer: at a thousand
decisions a second, anyio's thread hop and two cancel scopes per request cost ~60 µs of the
event loop's time, more than a tenth of a decision.  A request cancelled while its work computes
keeps its turns until the thread is done, so no more than the turns ever compute at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import anyio
from fastapi import Request

from leolink.api import CLIENT_SHARE, LruCache
from leolink.service.problems import ProblemError
from leolink.store import Store

__all__ = ["ClientShares", "KeyIdentities", "client_of"]

T = TypeVar("T")

#: Seconds a client refused for its full queue is asked to wait before retrying.
RETRY_AFTER_S: Final = 1


@dataclass
class _Client:
    turns: anyio.CapacityLimiter
    pending: int = 0


@dataclass
class ClientShares:
    """The per-client turns of one service process (see the module docstring)."""

    #: The process's turns (`ServiceLimits.max_concurrent_decisions`), in arrival order.
    process_turns: int
    turns_per_client: int
    queue_per_client: int
    wait_s: float
    turns: anyio.CapacityLimiter = field(init=False)
    _clients: dict[str, _Client] = field(default_factory=dict)
    _threads: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        self.turns = anyio.CapacityLimiter(max(1, self.process_turns))
        self._threads = ThreadPoolExecutor(
            max(1, self.process_turns), thread_name_prefix="leolink-decide"
        )

    def close(self) -> None:
        """Let the threads end once their work is done (the process is stopping)."""
        self._threads.shutdown(wait=False)

    def pending(self, client: str) -> int:
        """How many decision requests of ``client`` are waiting or computing."""
        entry = self._clients.get(client)
        return 0 if entry is None else entry.pending

    async def run(self, client: str, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` in a worker thread once ``client`` holds its turns (429 when its
        queue is full, 503 after waiting ``wait_s``)."""
        entry = self._clients.get(client)
        if entry is None:
            entry = self._clients[client] = _Client(
                anyio.CapacityLimiter(max(1, self.turns_per_client))
            )
        if entry.pending >= self.turns_per_client + self.queue_per_client:
            raise ProblemError(
                429,
                "too-many-requests",
                "Too many requests",
                f"this client already has {entry.pending} decision requests waiting or "
                f"computing, the most one client may have (its share: "
                f"{self.turns_per_client} computed at once, {self.queue_per_client} waiting); "
                "wait for answers before sending more",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        entry.pending += 1
        try:
            deadline = time.monotonic() + self.wait_s
            await _take(entry.turns, deadline, self.wait_s)
            try:
                await _take(self.turns, deadline, self.wait_s)
                try:
                    computed = asyncio.get_running_loop().run_in_executor(
                        self._threads, work, *args
                    )
                    with anyio.CancelScope(shield=True):  # the turns last as long as the work
                        result = await computed
                    return result
                finally:
                    self.turns.release()
            finally:
                entry.turns.release()
        finally:
            entry.pending -= 1
            if entry.pending == 0:
                del self._clients[client]


async def _take(turns: anyio.CapacityLimiter, deadline: float, wait_s: float) -> None:
    """One of ``turns``: at once when one is free and nobody waits for one (no timer armed),
    else in arrival order until ``deadline`` (`time.monotonic`), then 503."""
    with contextlib.suppress(anyio.WouldBlock):
        turns.acquire_nowait()  # refuses while others wait, so the order stays the arrival's
        return
    with anyio.move_on_after(max(0.0, deadline - time.monotonic())) as waited:
        await turns.acquire()
    if waited.cancelled_caught:
        raise _busy(wait_s)


def _busy(wait_s: float) -> ProblemError:
    return ProblemError(
        503,
        "busy",
        "Busy deciding",
        f"no turn to decide came free within {wait_s:g} s: the service is busy, retry later",
        headers={"Retry-After": str(max(1, math.ceil(wait_s / 2)))},
    )


class KeyIdentities:
    """The key id of each bearer token seen lately, verified once per ``ttl_s`` (None: not a
    valid key).  Tokens are kept as their SHA-256 only."""

    def __init__(self, store: Store, ttl_s: float = CLIENT_SHARE.key_ttl_s) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._known: LruCache[tuple[bytes, int], str | None] = LruCache(4096)

    def key_id(self, token: str) -> str | None:
        """The id of the live key ``token`` belongs to, or None (blocking: a store read)."""
        digest = hashlib.sha256(token.encode()).digest()
        period = int(time.monotonic() // self._ttl_s)

        def verify() -> str | None:
            key = self._store.authenticate(token)
            return None if key is None else key.id

        return self._known.get_or_compute((digest, period), verify)

    def known(self, token: str) -> tuple[bool, str | None]:
        """Whether ``token`` was verified in this period, and its key id (no store read)."""
        digest = hashlib.sha256(token.encode()).digest()
        key = (digest, int(time.monotonic() // self._ttl_s))
        if key not in self._known:
            return False, None
        return True, self._known.get_or_compute(key, lambda: None)


async def client_of(request: Request, keys: KeyIdentities) -> str:
    """Who a request comes from, for its share: ``key:<id>`` for a valid API key in
    ``Authorization: Bearer``, else ``addr:<address>``."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        token = token.strip()
        seen, key_id = keys.known(token)
        if not seen:
            key_id = await anyio.to_thread.run_sync(keys.key_id, token)
        if key_id is not None:
            return f"key:{key_id}"
    address = request.client.host if request.client is not None else "unknown"
    return f"addr:{address}"
