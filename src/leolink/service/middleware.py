"""What every request goes through before a route sees it: the guard of the public surface.

`RequestGuard` is a plain ASGI middleware, outermost but for Starlette's error handler, so
that it runs before authentication and before any body is parsed:

- a body longer than `ServiceLimits.max_body_bytes` is refused with 413 — at once from its
  ``Content-Length``, or as soon as the bytes received pass the limit — and a body that stalls
  for `ServiceLimits.body_timeout_s` is refused with 408: neither holds a worker or memory;
- a path or query string with a control character (NUL included) is refused with 422, the
  same on every store (PostgreSQL cannot store NUL in text; SQLite would);
- ``HEAD`` is answered as ``GET`` without the body (RFC 9110 §9.3.2).

The body, once read within the limits, is handed to the application as it came.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final
from urllib.parse import unquote

from leolink.service.problems import PROBLEM_JSON
from leolink.service.state import ServiceLimits

__all__ = ["CONTROL_CHARACTERS", "RequestGuard", "send_problem"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: C0 controls and DEL, except tab, line feed and carriage return (which free text may hold).
CONTROL_CHARACTERS: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ANY_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


class _Refused(Exception):  # noqa: N818 - a request refused on purpose, not a fault
    def __init__(self, status: int, slug: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail


class RequestGuard:
    """The ASGI middleware of the module docstring, over ``app`` with ``limits``."""

    def __init__(self, app: ASGIApp, limits: ServiceLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            self._check_target(scope)
            self._check_length(scope)
            body = await self._read_body(receive)
        except _Refused as refused:
            await send_problem(
                scope, send, refused.status, refused.slug, refused.title, refused.detail
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        if scope["method"] == "HEAD":
            await self.app({**scope, "method": "GET"}, replay, _without_body(send))
        else:
            await self.app(scope, replay, send)

    def _check_target(self, scope: Scope) -> None:
        query = unquote(scope.get("query_string", b"").decode("latin-1"))
        for what, text in (("the path", scope.get("path", "")), ("the query string", query)):
            found = _ANY_CONTROL.search(text)
            if found:
                raise _Refused(
                    422,
                    "invalid-request",
                    "Invalid request",
                    f"{what} holds the control character {found.group()!r} at position "
                    f"{found.start()}: send printable text only",
                )

    def _check_length(self, scope: Scope) -> None:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    raise _Refused(
                        400,
                        "malformed-request",
                        "Malformed request",
                        f"Content-Length {value[:40].decode('latin-1')!r} is not a number",
                    ) from None
                if length > self.limits.max_body_bytes:
                    raise self._too_large(f"Content-Length {length:,}")

    def _too_large(self, what: str) -> _Refused:
        return _Refused(
            413,
            "too-large",
            "Request too large",
            f"the request body ({what}) is larger than the {self.limits.max_body_bytes:,} bytes "
            "a request may have: send it in parts (GET /docs lists every limit)",
        )

    async def _read_body(self, receive: Receive) -> bytes:
        """The whole body, within the size and time limits."""
        chunks: list[bytes] = []
        size = 0
        # One timer for the whole body (``asyncio.wait_for`` per chunk would wrap each receive
        # in a task of its own: ~10 µs of the event loop for every request).
        try:
            async with asyncio.timeout(self.limits.body_timeout_s):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return b"".join(chunks)  # the client went away: an empty body
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.limits.max_body_bytes:
                        raise self._too_large(f"more than {size:,} bytes")
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise _Refused(
                408,
                "timeout",
                "Request timeout",
                f"the request body did not arrive within {self.limits.body_timeout_s:g} s: "
                "send it at once",
            ) from None


def _without_body(send: Send) -> Send:
    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_head


async def send_problem(
    scope: Scope, send: Send, status: int, slug: str, title: str, detail: str
) -> None:
    """A problem+json response sent from a middleware (before any route or handler)."""
    body = json.dumps(
        {
            "type": f"urn:leolink:problem:{slug}",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": scope.get("path", ""),
        }
    ).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if status in (408, 413):
        # The rest of the body may still be on its way: the connection cannot be reused.
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
