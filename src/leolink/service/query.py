"""Unknown query parameters are refused: a misspelt ``?limt=5`` would otherwise be ignored
silently and the client would believe it was obeyed.

`reject_unknown_query` is an application-wide dependency: it compares the request's query
names with the parameters the matched route declares (its own and its dependencies') and
answers 422 naming the first unknown one and listing those the endpoint accepts.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from leolink.service.problems import ProblemError

__all__ = ["reject_unknown_query"]


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


#: The attribute of a route that keeps its query names, found once (a route's parameters do not
#: change once it is made; routes compare by value, so they cannot be keys of a dict).
_ACCEPTED = "_leolink_query_names"


async def reject_unknown_query(request: Request) -> None:
    """Refuse (422) a query parameter that the matched endpoint does not declare."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.include_in_schema:
        return  # the map's pages keep their own query (deep links); the API is strict
    if not request.scope.get("query_string"):
        return  # nothing to check (most requests)
    accepted: frozenset[str] | None = getattr(route, _ACCEPTED, None)
    if accepted is None:
        accepted = frozenset(_query_names(route.dependant))
        setattr(route, _ACCEPTED, accepted)
    unknown = [name for name in request.query_params if name not in accepted]
    if unknown:
        known = ", ".join(sorted(accepted)) or "none"
        raise ProblemError(
            422,
            "invalid-request",
            "Invalid request",
            f"query.{unknown[0]}: unknown query parameter; {request.method} {route.path} "
            f"accepts: {known}",
            extra={
                "errors": [
                    {"loc": ["query", name], "msg": "unknown query parameter", "type": "extra"}
                    for name in unknown
                ]
            },
        )
