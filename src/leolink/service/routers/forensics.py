"""Shutdown forensics over HTTP: reports in the body, findings matched against the store's log.

Auditors (and admins) may ask: the answer quotes the audit log.  The reports are the dish API's
fields (`leolink.forensics.reports`); malformed ones are skipped and listed with their position
in the list (from 1), as the command line lists lines.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from leolink import forensics as fx
from leolink.service.auth import Permission, Principal, require
from leolink.service.routers._common import errors
from leolink.service.state import ServiceState, get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1/forensics", tags=["forensics"])

StateDep = Annotated[ServiceState, Depends(get_state)]
Auditor = Annotated[Principal, require(Permission.READ_AUDIT)]
#: Reports in one request: ~250 bytes each, so about what `ServiceLimits.max_body_bytes` (8 MiB)
#: lets through; a larger set goes through ``leolink forensics infer`` with a file.
MAX_REPORTS: Final = 32_000


class ForensicsRequest(BaseModel):
    """Terminal reports, one object each, fields named as the dish API names them."""

    reports: list[dict[str, Any]] = Field(max_length=MAX_REPORTS)


@router.post("", responses=errors(400, 401, 403, 422))
def forensics(body: ForensicsRequest, state: StateDep, _who: Auditor) -> dict[str, Any]:
    """Findings from the reports, each policy restriction matched against the log.

    Returns ``{reports, summary, findings, not_enforced}`` as ``leolink forensics infer
    --format json`` prints them.
    """
    read = fx.reports_from_records(body.reports)
    inference = fx.infer(read.reports, coverage=fx.CoverageModel(state.catalog))
    log = fx.PolicyLog(state.store.policy_history(), state.store.audit_log(limit=None))
    return fx.findings_document(read, inference, fx.match_log(inference, log))
