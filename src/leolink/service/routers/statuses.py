"""Country statuses: their history, and changes under the two-person rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from leolink.api import ChangeState, CountryStatusChange
from leolink.service.auth import Permission, Principal, require
from leolink.service.routers._common import LimitQuery, errors, page
from leolink.service.schemas import (
    CountryStatusChangeOut,
    CountryStatusProposal,
    Page,
    Reason,
)
from leolink.service.state import ServiceState, get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1/country-statuses", tags=["country statuses"])

StateDep = Annotated[ServiceState, Depends(get_state)]
Reader = Annotated[Principal, require(Permission.READ)]
Manager = Annotated[Principal, require(Permission.MANAGE_POLICY)]
ChangeId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The change's id.")]


def _out(change: CountryStatusChange) -> CountryStatusChangeOut:
    return CountryStatusChangeOut.model_validate(change.to_dict())


@router.get("", response_model=Page[CountryStatusChangeOut], responses=errors(401, 403))
def list_changes(
    state: StateDep,
    _who: Reader,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    change_state: Annotated[ChangeState | None, Query(alias="state")] = None,
    after: Annotated[str | None, Query(max_length=32, description="Cursor: a change id.")] = None,
    limit: LimitQuery = None,
) -> Page[CountryStatusChangeOut]:
    """Status changes by id, optionally of one country and/or in one state."""
    changes = state.store.country_status_changes(country, state=change_state)
    items, nxt = page(changes, lambda c: c.id, after, limit or state.limits.page_default)
    return Page[CountryStatusChangeOut](items=[_out(c) for c in items], next=nxt)


@router.post(
    "",
    status_code=201,
    response_model=CountryStatusChangeOut,
    responses=errors(400, 401, 403),
)
def propose(state: StateDep, who: Manager, body: CountryStatusProposal) -> CountryStatusChangeOut:
    """Propose a country's status from ``effective_from`` on; a second operator approves it."""
    change = state.store.propose_country_status(
        body.country,
        body.status,
        effective_from=body.effective_from,
        source=body.source,
        note=body.note,
        actor=who.actor,
        reason=body.reason,
    )
    return _out(change)


@router.post(
    "/{change_id}/approve",
    response_model=CountryStatusChangeOut,
    responses=errors(400, 401, 403, 404, 409),
)
def approve(
    state: StateDep, who: Manager, change_id: ChangeId, body: Reason
) -> CountryStatusChangeOut:
    """Approve a proposed change (not its proposer: two-person rule); it is then in force."""
    change = state.store.approve_country_status(change_id, actor=who.actor, reason=body.reason)
    return _out(change)


@router.post(
    "/{change_id}/reject",
    response_model=CountryStatusChangeOut,
    responses=errors(400, 401, 403, 404, 409),
)
def reject(
    state: StateDep, who: Manager, change_id: ChangeId, body: Reason
) -> CountryStatusChangeOut:
    """Refuse a proposed change (not its proposer: two-person rule)."""
    change = state.store.reject_country_status(change_id, actor=who.actor, reason=body.reason)
    return _out(change)


@router.post(
    "/{change_id}/withdraw",
    response_model=CountryStatusChangeOut,
    responses=errors(400, 401, 403, 404, 409),
)
def withdraw(
    state: StateDep, who: Manager, change_id: ChangeId, body: Reason
) -> CountryStatusChangeOut:
    """Take back one's own proposed change."""
    change = state.store.withdraw_country_status(change_id, actor=who.actor, reason=body.reason)
    return _out(change)
