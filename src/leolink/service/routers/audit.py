"""The audit log: its records, page by page, and its verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from leolink.service.auth import Permission, Principal, require
from leolink.service.routers._common import LimitQuery, errors
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
    after_seq: Annotated[int, Query(ge=0, le=2**63 - 1, description="Records after this.")] = 0,
    limit: LimitQuery = None,
    entity: Annotated[
        str | None,
        Query(max_length=64, description="country_status, geofence, terminal or api_key"),
    ] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
) -> AuditPage:
    """Audit records oldest first; ``next`` is the ``after_seq`` of the next page."""
    size = limit or state.limits.page_default
    records = state.store.audit_log(
        after_seq=after_seq, limit=size + 1, entity=entity, entity_id=entity_id
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
