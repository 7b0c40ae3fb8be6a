"""What the routers share: instants from query strings, pages, error-response documentation."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import numpy as np
from fastapi import Query

from leolink.api import parse_instant
from leolink.errors import InputError
from leolink.service.problems import PROBLEM_JSON

__all__ = ["AtQuery", "LimitQuery", "errors", "instant_or_now", "is_fixed_instant", "page"]

T = TypeVar("T")

AtQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        description="UTC instant, ISO 8601 with Z (e.g. 2026-05-13T12:00:00Z), or 'now' "
        "(the default).",
        examples=["2026-05-13T12:00:00Z"],
    ),
]
LimitQuery = Annotated[
    int | None, Query(ge=1, le=1_000, description="Page size (default 100, at most 1000).")
]

_DESCRIPTIONS = {
    400: "The request body is not JSON",
    401: "No API key, or an unknown, malformed or revoked one",
    403: "The API key's role may not do this",
    404: "No such entity",
    409: "Conflict: duplicate id, stale version, state or two-person rule",
    422: "Invalid input",
    429: "This client has more requests waiting than its share allows (see Retry-After)",
    503: "The store or a worker is unavailable",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses, all problem+json."""
    schema = {"$ref": "#/components/schemas/ProblemDetails"}
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {"schema": schema}},
        }
        for status in (*statuses, 422)
    }


def is_fixed_instant(text: str | None) -> bool:
    """True when a query's instant names a fixed time: neither absent nor 'now' (worth
    caching what is computed for it)."""
    return text is not None and text.strip().lower() != "now"


def instant_or_now(text: str | None, what: str = "at") -> np.datetime64:
    """The instant of a query parameter; 'now' when it is absent."""
    try:
        return parse_instant("now" if text is None else text)
    except InputError as exc:
        raise type(exc)(f"{what}: {exc}") from exc


def page(
    items: Sequence[T], key: Callable[[T], Any], after: str | None, limit: int
) -> tuple[list[T], str | None]:
    """The ``limit`` items, sorted by ``key``, after the one whose key is ``after``.

    Keys are compared in the items' own type: ``after`` is converted to the type of the keys.
    Returns the page and the ``next`` cursor (None on the last page).
    """
    items = sorted(items, key=key)
    start = 0
    if after is not None and items:
        kind = type(key(items[0]))
        try:
            cursor = kind(after)
        except ValueError:
            raise InputError(
                f"after={after!r} is not a cursor of this list: pass the 'next' of the "
                "previous page"
            ) from None
        start = bisect.bisect_right(items, cursor, key=key)
    chosen = list(items[start : start + limit])
    more = start + limit < len(items)
    return chosen, (str(key(chosen[-1])) if more and chosen else None)
