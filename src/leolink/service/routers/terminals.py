"""Terminals: registration, position reports, suspension, and where they all are."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from leolink.api import Terminal, TerminalState, format_instant
from leolink.errors import InputError, PolicyStateError
from leolink.service.auth import Permission, Principal, check_reporter, require
from leolink.service.boxes import parse_bbox
from leolink.service.positions import Box, decide_positions, latest_positions
from leolink.service.routers._common import AtQuery, LimitQuery, errors, instant_or_now, page
from leolink.service.schemas import (
    Page,
    PositionReportsIn,
    PositionReportsOut,
    Suspension,
    TerminalIn,
    TerminalPositionsOut,
)
from leolink.service.state import ServiceState, get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1/terminals", tags=["terminals"])

StateDep = Annotated[ServiceState, Depends(get_state)]
Reader = Annotated[Principal, require(Permission.READ)]
Manager = Annotated[Principal, require(Permission.MANAGE_TERMINALS)]
Reporter = Annotated[
    Principal, require(Permission.REPORT_POSITIONS, Permission.REPORT_OWN_POSITIONS)
]
TerminalId = Annotated[str, Path(min_length=1, max_length=64, description="The terminal's id.")]


@router.get("", response_model=Page[Terminal], responses=errors(401, 403))
def list_terminals(
    state: StateDep,
    _who: Reader,
    account: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    terminal_state: Annotated[TerminalState | None, Query(alias="state")] = None,
    after: Annotated[str | None, Query(max_length=64, description="Cursor: a terminal id.")] = None,
    limit: LimitQuery = None,
) -> Page[Terminal]:
    """Terminals by id, optionally of one account and/or in one state."""
    terminals = state.store.terminals(account=account, state=terminal_state)
    items, nxt = page(terminals, lambda t: t.id, after, limit or state.limits.page_default)
    return Page[Terminal](items=items, next=nxt)


@router.post("", status_code=201, response_model=Terminal, responses=errors(400, 401, 403, 409))
def register(state: StateDep, who: Manager, body: TerminalIn) -> Terminal:
    """Register a terminal (active); 409 if the id is taken."""
    terminal = state.store.register_terminal(
        body.id,
        account=body.account,
        home_country=body.home_country,
        customer_class=body.customer_class,
        plan=body.plan,
        funding_party=body.funding_party,
        actor=who.actor,
        reason=body.reason,
    )
    return terminal


# Declared before /{terminal_id}, which would otherwise take "positions" for an id.
@router.get("/positions", response_model=TerminalPositionsOut, responses=errors(401, 403))
def positions(
    state: StateDep,
    _who: Reader,
    at: AtQuery = None,
    bbox: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Only terminals whose report is in this box: W,S,E,N in degrees; "
            "west > east crosses the antimeridian.",
            examples=["22,44,41,53"],
        ),
    ] = None,
    account: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    terminal_state: Annotated[TerminalState | None, Query(alias="state")] = None,
    after: Annotated[str | None, Query(max_length=64, description="Cursor: a terminal id.")] = None,
    limit: LimitQuery = None,
) -> Response:
    """Each terminal at its latest position report at or before ``at`` (default now), with what
    the policy in force at ``at`` says of it there, by terminal id.

    The decision is the one ``POST /v1/decisions`` gives for the terminal at that position and
    instant — account state, allow-lists, roaming from its reports — but without the satellite
    check: it is about policy, so ``allowed`` means policy allows service.  ``violation`` flags
    terminals where they must not be served (blocked country, denied area, switched-off
    cells).  Terminals that never reported by ``at`` are absent.  Optionally only those in
    ``bbox``, of one ``account`` or in one ``state``.  Give ``at`` when paging, so that every
    page is of the same instant.  For keys that read terminals; a terminal's own key does not.
    """
    t = instant_or_now(at)
    box = None if bbox is None else Box(*parse_bbox(bbox))
    found = latest_positions(
        state.store, t, box=box, account=account, terminal_state=terminal_state
    )
    chosen, nxt = page(found, lambda p: p[0].id, after, limit or state.limits.page_default)
    out = {"at": format_instant(t), "items": decide_positions(state, t, chosen), "next": nxt}
    return Response(
        json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode(),
        media_type="application/json",
    )


@router.get("/{terminal_id}", response_model=Terminal, responses=errors(401, 403, 404))
def get_terminal(state: StateDep, _who: Reader, terminal_id: TerminalId) -> Terminal:
    """One terminal."""
    return state.store.terminal(terminal_id)


@router.post(
    "/{terminal_id}/reports",
    status_code=201,
    response_model=PositionReportsOut,
    responses=errors(400, 401, 403, 404),
)
def report_positions(
    state: StateDep, who: Reporter, terminal_id: TerminalId, body: PositionReportsIn
) -> PositionReportsOut:
    """Record where a terminal was: one audit record for the batch.

    A ``terminal`` key reports only for the terminal named like the key; operators for any.
    """
    check_reporter(who, terminal_id)
    if len(body.reports) > state.limits.max_reports:
        raise InputError(
            f"{len(body.reports)} reports in one request; send at most "
            f"{state.limits.max_reports} per request"
        )
    reports = state.store.report_positions(
        terminal_id,
        [r.at for r in body.reports],
        [r.lat for r in body.reports],
        [r.lon for r in body.reports],
        actor=who.actor,
    )
    return PositionReportsOut(reports=reports)


@router.post(
    "/{terminal_id}/suspend",
    response_model=Terminal,
    responses=errors(400, 401, 403, 404, 409),
)
def suspend(state: StateDep, who: Manager, terminal_id: TerminalId, body: Suspension) -> Terminal:
    """Suspend a terminal's service (409 if it is suspended already or changed since
    ``expected_version``)."""
    if state.store.terminal(terminal_id).state is TerminalState.SUSPENDED:
        raise PolicyStateError(f"terminal {terminal_id!r} is already suspended")
    terminal = state.store.update_terminal(
        terminal_id,
        state=TerminalState.SUSPENDED,
        expected_version=body.expected_version,
        actor=who.actor,
        reason=body.reason,
    )
    return terminal
