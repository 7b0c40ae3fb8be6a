"""Decisions, public: availability at a point and per cell, single and batch decisions.

Every decision runs in a worker thread once its client holds a turn of its share and one of
the process's (`leolink.service.shares`): the event loop only parses and answers, so a large
batch never stalls the small requests around it, at most
`ServiceLimits.max_concurrent_decisions` are computed at once, and one client's flood or
large batches hold at most its share of them (429 beyond its queue).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
import numpy as np
from fastapi import APIRouter, Depends, Query, Request, Response

from leolink.api import AsOf, CountryStatus, Decision, format_instant
from leolink.errors import InputError
from leolink.service.boxes import TooManyCells, parse_bbox, too_many_cells_problem
from leolink.service.routers._common import AtQuery, errors, instant_or_now
from leolink.service.schemas import (
    BatchOut,
    BatchRequest,
    CellsOut,
    DecisionOut,
    DecisionRequest,
    Latitude,
    Longitude,
)
from leolink.service.shares import client_of
from leolink.service.state import ServiceState, get_state
from leolink.store.receipts import issue_receipt

__all__ = ["decision_json", "router"]

router = APIRouter(prefix="/v1", tags=["decisions"])

StateDep = Annotated[ServiceState, Depends(get_state)]

AsQuery = Annotated[
    AsOf | None,
    Query(
        alias="as",
        description="'recorded': with only what had been recorded by ``at`` (as recorded then); "
        "'known': with everything recorded so far (as known now); either also gives the other "
        "answer where it differs. Default: as known now, without the comparison.",
    ),
]

#: Largest number of distinct instants in one batch: each costs a propagation of the catalog.
MAX_BATCH_INSTANTS = 100

_STATUSES = list(CountryStatus)
T = TypeVar("T")


def decision_json(decision: Decision, at: np.datetime64) -> dict[str, Any]:
    """A decision as the API gives it: the engine's fields and the instant decided."""
    return {"at": format_instant(at), **decision.to_dict()}


def _json_response(body: object) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        media_type="application/json",
    )


@router.get("/availability", response_model=DecisionOut, responses=errors(429, 503))
async def availability(
    request: Request,
    state: StateDep,
    lat: Annotated[Latitude, Query(description="Latitude, degrees.")],
    lon: Annotated[Longitude, Query(description="Longitude, degrees east.")],
    at: AtQuery = None,
    view: AsQuery = None,
) -> Response:
    """Would a new terminal get service here at ``at`` (default now), and why (not).

    ``as=recorded`` answers with only what had been recorded by ``at``, ``as=known`` with
    everything recorded so far; either gives the other answer in ``other_view`` where it
    differs (a record made after the instant it speaks about: a correction, a reconstruction).
    """
    t = instant_or_now(at)
    if view is not None:
        viewed = await _in_turn(request, state, state.decider.decide_as, lat, lon, t, None, view)
        return _json_response({"at": format_instant(t), **viewed.to_dict()})
    decision = await _in_turn(request, state, state.decider.decide, lat, lon, t)
    return _json_response(decision_json(decision, t))


@router.post("/decisions", response_model=DecisionOut, responses=errors(400, 404, 429, 503))
async def post_decision(
    request: Request,
    state: StateDep,
    body: DecisionRequest,
    receipt: Annotated[
        bool,
        Query(
            description="Also return a receipt: the request, the decision and the log's "
            "checkpoint, signed with the log's key (verify with `leolink receipt verify`)."
        ),
    ] = False,
) -> Response:
    """Decide one position and instant, for ``terminal_id`` (404 if unknown) or a new terminal.

    Nothing is written: a decision is a question, not a report (terminals report positions
    with ``POST /v1/terminals/{id}/reports``).
    """
    t = instant_or_now(body.at)
    if body.as_ is not None:
        viewed = await _in_turn(
            request,
            state,
            state.decider.decide_as,
            body.lat,
            body.lon,
            t,
            body.terminal_id,
            body.as_,
        )
        out = {"at": format_instant(t), **viewed.to_dict()}
    else:
        decision = await _in_turn(
            request, state, state.decider.decide, body.lat, body.lon, t, body.terminal_id
        )
        out = decision_json(decision, t)
    if receipt:
        asked = {
            "lat": body.lat,
            "lon": body.lon,
            "at": format_instant(t),
            "terminal_id": body.terminal_id,
        }
        out["receipt"] = await anyio.to_thread.run_sync(issue_receipt, state.store, asked, out)
    return _json_response(out)


async def _in_turn(request: Request, state: ServiceState, work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` in a worker thread once the request's client holds its turns."""
    client = await client_of(request, state.key_identities)
    return await state.shares.run(client, work, *args)


def _batch(state: ServiceState, body: BatchRequest) -> bytes:
    if len(body.items) > state.limits.max_batch:
        raise InputError(
            f"{len(body.items)} items in one batch; send at most {state.limits.max_batch} "
            "per request"
        )
    # One "now" for the whole batch, and each distinct text parsed once.
    now = instant_or_now(None)
    parsed: dict[str | None, np.datetime64] = {None: now, "now": now}
    times = []
    for i, item in enumerate(body.items):
        t = parsed.get(item.at)
        if t is None:
            t = parsed[item.at] = instant_or_now(item.at, f"items[{i}].at")
        times.append(t)
    if len(set(times)) > MAX_BATCH_INSTANTS:
        raise InputError(
            f"{len(set(times))} distinct instants in one batch; each costs a propagation of the "
            f"catalog, so send at most {MAX_BATCH_INSTANTS} per request"
        )
    rows = [
        (item.lat, item.lon, t, item.terminal_id) for item, t in zip(body.items, times, strict=True)
    ]
    decisions = state.decider.decide_many(rows)
    formatted = {t: format_instant(t) for t in set(times)}
    out = {
        "decisions": [
            {"at": formatted[t], **d.to_dict()} for d, t in zip(decisions, times, strict=True)
        ]
    }
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()


@router.post("/decisions/batch", response_model=BatchOut, responses=errors(400, 404, 429, 503))
async def post_batch(request: Request, state: StateDep, body: BatchRequest) -> Response:
    """Decide several positions and instants (at most 1,000 items and 100 distinct instants).

    Each decision is the one ``POST /v1/decisions`` would give; nothing is written.
    """
    body_bytes = await _in_turn(request, state, _batch, state, body)
    return Response(body_bytes, media_type="application/json")


def _cells(state: ServiceState, bbox: str, at: np.datetime64, resolution: int) -> bytes:
    query = state.decider.cells(*parse_bbox(bbox), at, resolution, state.limits.max_cells)
    batch = query.batch
    codes = [c.value for c in batch.codes]
    countries = batch.country_codes()
    statuses = [_STATUSES[s].value if s >= 0 else None for s in batch.status.tolist()]
    allowed = batch.allowed.tolist()
    cells = [
        {"cell": c, "allowed": a, "code": k, "country": n, "status": s}
        for c, a, k, n, s in zip(query.cells, allowed, codes, countries, statuses, strict=True)
    ]
    out = {
        "at": format_instant(at),
        "resolution": query.resolution,
        "policy_version": query.policy_version,
        "cells": cells,
        "truncated": False,
    }
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()


@router.get("/availability/cells", response_model=CellsOut, responses=errors(429, 503))
async def availability_cells(
    state: StateDep,
    request: Request,
    bbox: Annotated[
        str,
        Query(
            max_length=200,
            description="W,S,E,N in degrees; west > east crosses the antimeridian.",
            examples=["22,44,41,53"],
        ),
    ],
    at: AtQuery = None,
    resolution: Annotated[int, Query(ge=0, le=9, description="H3 resolution (0-9).")] = 5,
) -> Response:
    """Availability for a new terminal at the centre of every cell in the box at ``at``.

    Policy only (statuses, geofences, the ocean): no satellite check, as on Starlink's own
    availability map.  At most 20,000 cells: a box with more is refused with 422 and a
    ``suggested_resolution`` that fits, never cut short.
    """
    t = instant_or_now(at)
    try:
        body = await _in_turn(request, state, _cells, state, bbox, t, resolution)
    except TooManyCells as exc:
        raise too_many_cells_problem(exc) from None
    return Response(body, media_type="application/json")
