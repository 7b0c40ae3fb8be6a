"""Cell statuses (Starlink's map categories) under the two-person rule, and the comparison.

``/v1/cell-statuses`` lists, proposes, approves, rejects and withdraws cell-status changes
(any category; those that withdraw service wait for a second operator), and
``/v1/cell-statuses/in-force`` gives those in force at an instant with the audit record that
put each in force.  ``/v1/availability/compare`` compares the policy in force at an instant
with the vendored map of Starlink (per category, per country, and the disagreeing cells as
GeoJSON), as ``leolink availability compare vendored`` does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from leolink.api import CellStatusChange, ChangeState, compare_availability, load_vendored_snapshot
from leolink.service.auth import Permission, Principal, require
from leolink.service.routers._common import AtQuery, LimitQuery, errors, instant_or_now, page
from leolink.service.schemas import Instant, Page, Reason, ShortText, Text
from leolink.service.state import ServiceState, get_state

__all__ = ["router"]

router = APIRouter(tags=["cell statuses"])

StateDep = Annotated[ServiceState, Depends(get_state)]
Reader = Annotated[Principal, require(Permission.READ)]
Manager = Annotated[Principal, require(Permission.MANAGE_POLICY)]
ChangeId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The change's id.")]
Cell = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{15}$")]


class CellStatusProposal(BaseModel):
    """Cells (H3 resolution 5) in one category of Starlink's map, in a time window."""

    model_config = ConfigDict(extra="forbid")

    category: ShortText = Field(examples=["blacklisted", "waitlisted_Sold_Out"])
    cells: Annotated[list[Cell], Field(min_length=1, max_length=100_000)]
    effective_from: Instant
    effective_until: Instant | None = None
    published: Annotated[str, Field(min_length=1, max_length=64, examples=["2025-01"])]
    source: Text
    reason: Text


class CellStatusOut(BaseModel):
    """A cell-status change and where it is in its life (``cells`` sorted)."""

    id: int
    category: str
    words: str
    effect: str
    cell_count: int
    cells: list[str]
    effective_from: str
    effective_until: str | None
    published: str
    source: str
    state: ChangeState
    proposer: str
    approver: str | None
    proposed_at: str
    approved_at: str | None
    rejected_at: str | None
    withdrawn_at: str | None
    audit_seq: int | None
    withdrawal_proposer: str | None = Field(
        description="Two operators put them in force, so two lift them: the first who asked to "
        "withdraw them (a second, different operator completes the withdrawal)."
    )
    withdrawal_proposed_at: str | None


def _out(change: CellStatusChange) -> CellStatusOut:
    return CellStatusOut.model_validate(change.to_dict())


@router.get("/v1/cell-statuses", response_model=Page[CellStatusOut], responses=errors(401, 403))
def list_changes(
    state: StateDep,
    _who: Reader,
    change_state: Annotated[ChangeState | None, Query(alias="state")] = None,
    after: Annotated[str | None, Query(max_length=32, description="Cursor: a change id.")] = None,
    limit: LimitQuery = None,
) -> Page[CellStatusOut]:
    """Cell-status changes by id, optionally in one state."""
    changes = state.store.cell_status_changes(state=change_state)
    items, nxt = page(changes, lambda c: c.id, after, limit or state.limits.page_default)
    return Page[CellStatusOut](items=[_out(c) for c in items], next=nxt)


@router.get("/v1/cell-statuses/in-force", response_model=list[CellStatusOut], responses=errors(400))
def in_force(state: StateDep, at: AtQuery = None) -> list[CellStatusOut]:
    """The cell statuses in force at ``at``, each with the audit record that put it in force."""
    return [_out(c) for c in state.store.cell_statuses_at(instant_or_now(at))]


@router.post(
    "/v1/cell-statuses",
    status_code=201,
    response_model=CellStatusOut,
    responses=errors(400, 401, 403),
)
def propose(state: StateDep, who: Manager, body: CellStatusProposal) -> CellStatusOut:
    """Propose cells in a map category; one that withdraws service waits for a second operator."""
    change = state.store.propose_cell_statuses(
        body.category,
        body.cells,
        effective_from=body.effective_from,
        effective_until=body.effective_until,
        published=body.published,
        source=body.source,
        actor=who.actor,
        reason=body.reason,
    )
    return _out(change)


def _decision(name: str, doc: str) -> Any:
    method = {
        "approve": "approve_cell_statuses",
        "reject": "reject_cell_statuses",
        "withdraw": "withdraw_cell_statuses",
    }[name]

    def decide(state: StateDep, who: Manager, change_id: ChangeId, body: Reason) -> CellStatusOut:
        change = getattr(state.store, method)(change_id, actor=who.actor, reason=body.reason)
        return _out(change)

    decide.__doc__ = doc
    decide.__name__ = f"{name}_cell_statuses"
    router.post(
        f"/v1/cell-statuses/{{change_id}}/{name}",
        response_model=CellStatusOut,
        responses=errors(400, 401, 403, 404, 409),
    )(decide)
    return decide


_decision("approve", "Approve proposed cell statuses (not their proposer: two-person rule).")
_decision("reject", "Refuse proposed cell statuses (not their proposer: two-person rule).")
_decision("withdraw", "Take back one's own proposal, or end cell statuses in force now.")


class AgreementOut(BaseModel):
    """How the policy answers for the cells of one category or one country."""

    key: str
    effect: str | None
    cells: int
    agree: int
    disagree: int
    codes: dict[str, int]


class ComparisonOut(BaseModel):
    """The vendored map compared with the policy in force at ``at``."""

    at: str
    published: str
    policy_version: int
    full_agreement: bool
    categories: list[AgreementOut]
    countries: list[AgreementOut]
    differences: int
    differences_geojson: dict[str, Any]
    cells: dict[str, list[Any]] = Field(
        description="The cells of imported categories, columnar (cell, category, country, code, "
        "agrees): the map's comparison layer."
    )


@router.get(
    "/v1/availability/compare",
    response_model=ComparisonOut,
    tags=["availability"],
    responses=errors(400),
)
async def availability_compare(state: StateDep, at: AtQuery = None) -> ComparisonOut:
    """Per category and per country, the cells of Starlink's map the policy agrees with."""
    instant = instant_or_now(at)

    def run() -> ComparisonOut:
        policy = state.decider.policy().compiled_at(5)
        result = compare_availability(load_vendored_snapshot(), policy, instant)
        return ComparisonOut.model_validate(
            {
                **result.to_dict(),
                "differences_geojson": result.differences_geojson(),
                "cells": result.imported_cells(),
            }
        )

    return await run_in_threadpool(run)
