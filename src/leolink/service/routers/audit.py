"""The audit log: its records, page by page, and its verification."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from leolink.service.auth import Permission, Principal, require
from leolink.service.routers._common import LimitQuery, errors, instant_or_now
from leolink.service.schemas import AuditPage, AuditRecordOut, Verification
from leolink.service.state import ServiceState, get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1/audit", tags=["audit"])

StateDep = Annotated[ServiceState, Depends(get_state)]
Auditor = Annotated[Principal, require(Permission.READ_AUDIT)]


@router.get("", response_model=AuditPage, responses=errors(401, 403))
def audit_log(
    state: StateDep,
    _who: Auditor,
    order: Annotated[
        Literal["newest", "oldest"],
        Query(description="newest first (the default), or oldest first."),
    ] = "newest",
    after_seq: Annotated[int, Query(ge=0, le=2**63 - 1, description="Records after this.")] = 0,
    before_seq: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Records before this.")
    ] = None,
    limit: LimitQuery = None,
    entity: Annotated[
        str | None,
        Query(max_length=64, description="country_status, geofence, terminal or api_key"),
    ] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Who made the change; one person however the name is spelt (case, "
            "invisible characters, compatibility forms).",
        ),
    ] = None,
    kind: Annotated[
        str | None,
        Query(
            max_length=64,
            description="An action (geofence.approve) or a kind of record (geofence: all its "
            "actions).",
            examples=["geofence.approve"],
        ),
    ] = None,
    since: Annotated[
        str | None, Query(max_length=64, description="Records at or after this instant.")
    ] = None,
    until: Annotated[str | None, Query(max_length=64, description="Records before this.")] = None,
) -> AuditPage:
    """Audit records, newest first (``order=oldest``: oldest first), filtered.

    ``next`` continues the list: the ``before_seq`` of the next page newest first, the
    ``after_seq`` of the next page oldest first; null on the last page.
    """
    size = limit or state.limits.page_default
    records = state.store.audit_log(
        after_seq=after_seq,
        before_seq=before_seq,
        limit=size + 1,
        entity=entity,
        entity_id=entity_id,
        actor=actor,
        kind=kind,
        since=None if since is None else instant_or_now(since, "since"),
        until=None if until is None else instant_or_now(until, "until"),
        newest_first=order == "newest",
    )
    items = records[:size]
    nxt = items[-1].seq if len(records) > size else None
    return AuditPage(items=[AuditRecordOut.model_validate(r.to_dict()) for r in items], next=nxt)


@router.get("/verify", response_model=Verification, responses=errors(401, 403))
def verify(state: StateDep, _who: Auditor) -> Verification:
    """Check the whole log: hash chain, signed checkpoints and signed head.

    ``ok`` false names the first record that cannot be trusted and why.
    """
    return Verification.model_validate(state.store.verify().to_dict())
