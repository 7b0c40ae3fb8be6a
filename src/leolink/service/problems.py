"""Errors as ``application/problem+json`` (RFC 9457), mapped from leolink's exception tree.

Every error the service returns has the members ``type`` (a ``urn:leolink:problem:...`` URN
naming the kind of problem), ``title``, ``status``, ``detail`` (leolink's own message, which
names the bad input and says what to do) and ``instance`` (the request path).  Some add
members: ``errors`` (request validation: where and what), ``suggested_resolution`` (a cell
query over the cap: ``too-many-cells``, and a coverage sweep over its budget) and
``suggested_step_s`` (a coverage sweep with too many instants: ``too-many-instants``).

The mapping, most specific class first:

=====================================  ======  ==========================
leolink error                          status  type
=====================================  ======  ==========================
`NotFoundError`                        404     ``not-found``
`DuplicateError`                       409     ``duplicate``
`TwoPersonRuleError`                   409     ``two-person-rule``
`PolicyStateError`                     409     ``policy-state``
`ConflictError`                        409     ``version-conflict``
`InputError` (all others)              422     ``invalid-input``
`StoreError`, `WorkerError`            503     ``unavailable``
no checkpoint cosigned by k witnesses  503     ``not-yet-witnessed``
request body that is not JSON          400     ``malformed-request``
request that fails the schema          422     ``invalid-request``
no or unknown API key                  401     ``unauthenticated``
API key whose role may not do it       403     ``forbidden``
=====================================  ======  ==========================
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from leolink.errors import (
    ConflictError,
    DuplicateError,
    InputError,
    LeolinkError,
    NotFoundError,
    PolicyStateError,
    StoreError,
    TwoPersonRuleError,
    WorkerError,
)
from leolink.service.refusals import record_refusal

__all__ = [
    "PROBLEM_JSON",
    "ProblemError",
    "install_problem_handlers",
    "problem_response",
]

_log = logging.getLogger(__name__)

#: The media type of every error response.
PROBLEM_JSON: Final = "application/problem+json"

#: (error class, HTTP status, type slug, title), most specific first.
_LEOLINK_ERRORS: Final[tuple[tuple[type[LeolinkError], int, str, str], ...]] = (
    (NotFoundError, 404, "not-found", "Not found"),
    (DuplicateError, 409, "duplicate", "Already exists"),
    (TwoPersonRuleError, 409, "two-person-rule", "A second, different operator must decide"),
    (PolicyStateError, 409, "policy-state", "Not allowed in the entity's current state"),
    (ConflictError, 409, "version-conflict", "Changed meanwhile by someone else"),
    (InputError, 422, "invalid-input", "Invalid input"),
    (StoreError, 503, "unavailable", "The store is unavailable"),
    (WorkerError, 503, "unavailable", "A worker failed"),
)

#: Titles of the HTTP statuses Starlette raises itself (unknown path, wrong method, ...).
_HTTP_TITLES: Final = {
    400: ("malformed-request", "Malformed request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    408: ("timeout", "Request timeout"),
    413: ("too-large", "Request too large"),
    422: ("invalid-request", "Invalid request"),
    503: ("unavailable", "Service unavailable"),
}


def _type_uri(slug: str) -> str:
    return f"urn:leolink:problem:{slug}"


class ProblemError(Exception):
    """An error the service raises on purpose, carried to the client as problem+json.

    ``extra`` members are added to the body; ``headers`` to the response (``WWW-Authenticate``
    for a 401, say).
    """

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


def problem_response(
    request: Request,
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response for ``request``."""
    body: dict[str, Any] = {
        "type": _type_uri(slug),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    body.update(extra or {})
    return JSONResponse(
        jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _classify(error: LeolinkError) -> tuple[int, str, str]:
    for cls, status, slug, title in _LEOLINK_ERRORS:
        if isinstance(error, cls):
            return status, slug, title
    return 500, "internal", "Internal error"


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    await record_refusal(request, exc.status, exc.slug, exc.detail)
    return problem_response(
        request, exc.status, exc.slug, exc.title, exc.detail, extra=exc.extra, headers=exc.headers
    )


async def _on_leolink_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LeolinkError)
    status, slug, title = _classify(exc)
    if status >= 500:
        _log.error("%s %s failed: %s", request.method, request.url.path, exc)
    await record_refusal(request, status, slug, str(exc))
    return problem_response(request, status, slug, title, str(exc))


def _location(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": e["type"]}
        for e in exc.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return problem_response(
            request,
            400,
            "malformed-request",
            "Malformed request",
            "the request body is not valid JSON: send a JSON object with "
            "'Content-Type: application/json'",
            extra={"errors": errors},
        )
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    detail = f"{_location(first['loc'])}: {first['msg']}" if first["loc"] else str(first["msg"])
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more problem(s), listed in 'errors')"
    return problem_response(
        request, 422, "invalid-request", "Invalid request", detail, extra={"errors": errors}
    )


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug, title = _HTTP_TITLES.get(exc.status_code, ("http-error", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"there is nothing at {request.url.path}: see /docs for the API's paths"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}: see /docs"
    return problem_response(
        request, exc.status_code, slug, title, detail, headers=getattr(exc, "headers", None)
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    _log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request,
        500,
        "internal",
        "Internal error",
        "the service failed on this request; this is a bug in leolink, not in the request: "
        "please report it with the request",
        # The server closes the connection after an unhandled error; say so, so that a
        # keep-alive client opens a new one instead of sending into a reset.
        headers={"Connection": "close"},
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` a problem+json response."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(LeolinkError, _on_leolink_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
