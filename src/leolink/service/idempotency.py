"""``Idempotency-Key`` on every POST (IETF draft-ietf-httpapi-idempotency-key-header).

A client that does not learn whether a POST was done (a timeout, a dropped connection) sends it
again with the same key:

- same key, same request (method, path, query and body): the first response is replayed
  (with ``Idempotency-Replayed: true``), nothing is done twice;
- same key, another request: 422 ``idempotency-key-reused``;
- same key while the first request is still being done: 409 ``idempotency-in-flight``;
- a response of 5xx is not kept: the key is released and the request may be sent again.

Keys belong to the credentials they came with (a SHA-256 of the ``Authorization`` header), so
no client can replay another's response.  A POST without the header is done as it always was.
The middleware sits inside `leolink.service.middleware.RequestGuard` (the body is bounded
before it is read here) and inside gzip (what is kept is the plain body).
"""

from __future__ import annotations

import hashlib
from typing import Final

import anyio

from leolink.service.middleware import ASGIApp, Message, Receive, Scope, Send, send_problem
from leolink.store import Store
from leolink.store.idempotency import Outcome

__all__ = ["HEADER", "MAX_KEY_LENGTH", "IdempotentPosts"]

HEADER: Final = "idempotency-key"
MAX_KEY_LENGTH: Final = 255


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


class IdempotentPosts:
    """The ASGI middleware of the module docstring, over ``app`` with ``store``'s keys."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.keys = store.idempotency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = _header(scope, HEADER.encode()) if scope["type"] == "http" else None
        if raw is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = raw.decode("latin-1").strip()
        if len(key) >= 2 and key[0] == key[-1] == '"':  # the draft's sf-string form
            key = key[1:-1]
        if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
            await send_problem(
                scope,
                send,
                400,
                "malformed-request",
                "Malformed request",
                f"the Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters",
            )
            return
        message = await receive()
        body = message.get("body", b"") if message["type"] == "http.request" else b""
        owner = hashlib.sha256(_header(scope, b"authorization") or b"").hexdigest()
        fingerprint = hashlib.sha256(
            b"\0".join([b"POST", scope["path"].encode(), scope.get("query_string", b""), body])
        ).hexdigest()
        claim = await anyio.to_thread.run_sync(self.keys.begin, owner, key, fingerprint)
        if claim.outcome is Outcome.MISMATCH:
            await send_problem(
                scope,
                send,
                422,
                "idempotency-key-reused",
                "Idempotency key reused",
                f"the Idempotency-Key {key[:40]!r} was used for another request: use a new key "
                "for each new request",
            )
            return
        if claim.outcome is Outcome.IN_FLIGHT:
            await send_problem(
                scope,
                send,
                409,
                "idempotency-in-flight",
                "Request in flight",
                f"the request with Idempotency-Key {key[:40]!r} is still being done: ask again "
                "once it is answered",
            )
            return
        if claim.outcome is Outcome.REPLAY:
            assert claim.status is not None
            stored = claim.body or b""
            await send(
                {
                    "type": "http.response.start",
                    "status": claim.status,
                    "headers": [
                        (b"content-type", (claim.content_type or "").encode()),
                        (b"content-length", str(len(stored)).encode()),
                        (b"idempotency-replayed", b"true"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": stored})
            return
        await self._first(scope, body, receive, send, owner, key)

    async def _first(
        self, scope: Scope, body: bytes, receive: Receive, send: Send, owner: str, key: str
    ) -> None:
        """Do the request that claimed the key, keeping its response."""
        sent = False
        status = 500
        content_type = ""
        chunks: list[bytes] = []

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def keep(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = int(message["status"])
                content_type = (_header(message, b"content-type") or b"").decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay, keep)
        except BaseException:
            await anyio.to_thread.run_sync(self.keys.release, owner, key)
            raise
        if status >= 500:
            await anyio.to_thread.run_sync(self.keys.release, owner, key)
        else:
            body_out = b"".join(chunks)
            await anyio.to_thread.run_sync(
                self.keys.finish, owner, key, status, content_type, body_out
            )
