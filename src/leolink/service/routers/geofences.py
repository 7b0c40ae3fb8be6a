"""Geofences: proposals, approvals under the two-person rule, and their listing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from leolink.api import ChangeState, Geofence, GeofenceSpec
from leolink.service.auth import Permission, Principal, require
from leolink.service.routers._common import LimitQuery, errors, page
from leolink.service.schemas import (
    GeofenceDecision,
    GeofenceOpeningOut,
    GeofenceProposal,
    ImpactOut,
    Page,
)
from leolink.service.state import ServiceState, get_state

__all__ = ["may_open_sealed", "router", "seen_by", "spec_of"]

router = APIRouter(prefix="/v1/geofences", tags=["geofences"])

StateDep = Annotated[ServiceState, Depends(get_state)]
Reader = Annotated[Principal, require(Permission.READ)]
Manager = Annotated[Principal, require(Permission.MANAGE_POLICY)]
Auditor = Annotated[Principal, require(Permission.READ_AUDIT)]
GeofenceId = Annotated[str, Path(min_length=1, max_length=64, description="The geofence's id.")]


def seen_by(fence: Geofence, who: Principal | None) -> Geofence:
    """The geofence as ``who`` may see it: a sealed fence's area, cells and reason only for
    keys that may read the audit log or manage policy (`may_open_sealed`)."""
    return fence if may_open_sealed(who) else fence.without_sealed_text()


def may_open_sealed(who: Principal | None) -> bool:
    """Whether ``who`` (None: a route that already required managing policy) may read a sealed
    fence's area, cells and reason: auditors and operators, not viewers."""
    return who is None or who.may(Permission.READ_AUDIT) or who.may(Permission.MANAGE_POLICY)


def spec_of(body: GeofenceProposal) -> GeofenceSpec:
    """The store's geofence spec of a proposal."""
    return GeofenceSpec(
        name=body.name,
        effect=body.effect,
        reason=body.reason,
        area_geojson=None if body.area is None else body.area.model_dump(exclude_none=True),
        cells=tuple(body.cells),
        customer_classes=None if body.customer_classes is None else tuple(body.customer_classes),
        window_start=body.window_start,
        window_end=body.window_end,
        sealed=body.sealed,
    )


@router.get("", response_model=Page[Geofence], responses=errors(401, 403))
def list_geofences(
    state: StateDep,
    who: Reader,
    fence_state: Annotated[ChangeState | None, Query(alias="state")] = None,
    cell: Annotated[
        str | None, Query(pattern=r"^[0-9a-fA-F]{15}$", description="Only those listing it.")
    ] = None,
    after: Annotated[str | None, Query(max_length=64, description="Cursor: a geofence id.")] = None,
    limit: LimitQuery = None,
) -> Page[Geofence]:
    """Geofences by id, optionally in one state and/or listing one H3 cell.

    A sealed fence's cells are not shown to a viewer, so ``cell`` never matches one for a
    viewer either: otherwise asking cell by cell would rebuild the area the seal hides."""
    fences = state.store.geofences(state=fence_state, cell=cell)
    if cell is not None and not may_open_sealed(who):
        fences = [f for f in fences if not f.sealed]
    items, nxt = page(fences, lambda f: f.id, after, limit or state.limits.page_default)
    return Page[Geofence](items=[seen_by(f, who) for f in items], next=nxt)


@router.post("", status_code=201, response_model=Geofence, responses=errors(400, 401, 403, 409))
def propose(state: StateDep, who: Manager, body: GeofenceProposal) -> Geofence:
    """Create a geofence: in force at once if small, else proposed for a second operator."""
    fence = state.store.propose_geofence(spec_of(body), actor=who.actor, geofence_id=body.id)
    return fence


ListCells = Annotated[bool, Query(description="List the cells it covers too.")]


@router.post("/impact", response_model=ImpactOut, responses=errors(400, 401, 403, 422))
def impact(
    state: StateDep, _who: Manager, body: GeofenceProposal, list_cells: ListCells = False
) -> ImpactOut:
    """Preview a proposal (the same body as ``POST /v1/geofences``) without writing anything:
    its cells and area, the terminals it would affect, the satellite-hours it withdraws.

    Checked once, then estimated: a preview beyond the limits (vertices, cells, cell-steps;
    see the service's limits) is refused with 422 before the costly part."""
    result = state.decider.impact(spec_of(body))
    return ImpactOut.model_validate(result.to_dict(list_cells=list_cells))


@router.get("/{geofence_id}/impact", response_model=ImpactOut, responses=errors(401, 403, 404, 422))
def stored_impact(
    state: StateDep, _who: Manager, geofence_id: GeofenceId, list_cells: ListCells = False
) -> ImpactOut:
    """The impact of a stored geofence (a proposal awaiting approval, or one in force), from
    its area as compiled at its proposal: its region is not parsed or repaired again."""
    result = state.decider.impact_of(state.store.geofence(geofence_id))
    return ImpactOut.model_validate(result.to_dict(list_cells=list_cells))


@router.get("/{geofence_id}", response_model=Geofence, responses=errors(401, 403, 404))
def get_geofence(state: StateDep, who: Reader, geofence_id: GeofenceId) -> Geofence:
    """One geofence."""
    return seen_by(state.store.geofence(geofence_id), who)


@router.get(
    "/{geofence_id}/opening",
    response_model=GeofenceOpeningOut,
    responses=errors(401, 403, 404, 409),
)
def get_geofence_opening(state: StateDep, _who: Auditor, geofence_id: GeofenceId) -> Any:
    """A sealed fence's text and salt, to check against the commitment its records carry
    (`leolink.policy.commitments.opening_matches`); auditors only."""
    return state.store.geofence_opening(geofence_id)


@router.post(
    "/{geofence_id}/approve",
    response_model=Geofence,
    responses=errors(400, 401, 403, 404, 409),
)
def approve(
    state: StateDep, who: Manager, geofence_id: GeofenceId, body: GeofenceDecision
) -> Geofence:
    """Approve the proposed geofence at ``expected_version`` (not its proposer)."""
    fence = state.store.approve_geofence(
        geofence_id, expected_version=body.expected_version, actor=who.actor, reason=body.reason
    )
    return fence


@router.post(
    "/{geofence_id}/reject",
    response_model=Geofence,
    responses=errors(400, 401, 403, 404, 409),
)
def reject(
    state: StateDep, who: Manager, geofence_id: GeofenceId, body: GeofenceDecision
) -> Geofence:
    """Refuse the proposed geofence at ``expected_version`` (not its proposer)."""
    fence = state.store.reject_geofence(
        geofence_id, expected_version=body.expected_version, actor=who.actor, reason=body.reason
    )
    return fence


@router.post(
    "/{geofence_id}/withdraw",
    response_model=Geofence,
    responses=errors(400, 401, 403, 404, 409),
)
def withdraw(
    state: StateDep, who: Manager, geofence_id: GeofenceId, body: GeofenceDecision
) -> Geofence:
    """End a geofence: its proposer takes back a proposal; one operator ends a geofence one
    operator put in force; one that two operators approved takes two to lift: the first call
    records ``withdrawal_proposer`` (it stays in force), a second, different operator's call
    withdraws it (the same person again: 409 two-person-rule)."""
    fence = state.store.withdraw_geofence(
        geofence_id, expected_version=body.expected_version, actor=who.actor, reason=body.reason
    )
    return fence
