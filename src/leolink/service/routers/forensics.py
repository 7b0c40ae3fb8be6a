"""Shutdown forensics over HTTP: reports in the body, findings matched against the store's log.

Auditors (and admins) may ask: the answer quotes the audit log.  The reports are the dish API's
fields (`leolink.forensics.reports`); malformed ones are skipped and listed with their position
in the list (from 1), as the command line lists lines.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import numpy as np
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from leolink.api import (
    CoverageModel,
    PolicyLog,
    ReportsRead,
    findings_document,
    infer_findings,
    match_log,
    reports_from_records,
)
from leolink.errors import InputError
from leolink.service.auth import Permission, Principal, require
from leolink.service.routers._common import errors, instant_or_now
from leolink.service.state import ServiceState, get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1/forensics", tags=["forensics"])

StateDep = Annotated[ServiceState, Depends(get_state)]
Auditor = Annotated[Principal, require(Permission.READ_AUDIT)]
#: Reports in one request: ~250 bytes each, so about what `ServiceLimits.max_body_bytes` (8 MiB)
#: lets through; a larger set goes through ``leolink forensics infer`` with a file.
MAX_REPORTS: Final = 32_000
#: Stored reports one request reads (~1.1 GB of columns and work): more go through the CLI.
MAX_STORED_REPORTS: Final = 2_000_000
#: The longest window of stored reports one request may ask about.
MAX_WINDOW_DAYS: Final = 31
InstantQuery = Annotated[
    str,
    Query(
        max_length=64,
        description="UTC instant, ISO 8601 with Z.",
        examples=["2022-09-16T00:00:00Z"],
    ),
]


class ForensicsRequest(BaseModel):
    """Terminal reports, one object each, fields named as the dish API names them."""

    reports: list[dict[str, Any]] = Field(max_length=MAX_REPORTS)


@router.post("", responses=errors(400, 401, 403, 422))
def forensics(body: ForensicsRequest, state: StateDep, _who: Auditor) -> dict[str, Any]:
    """Findings from the reports, each policy restriction matched against the log.

    Returns ``{reports, summary, findings, not_enforced}`` as ``leolink forensics infer
    --format json`` prints them.
    """
    return _findings(state, reports_from_records(body.reports))


@router.get("", responses=errors(401, 403))
def stored_forensics(
    state: StateDep, _who: Auditor, start: InstantQuery, end: InstantQuery
) -> dict[str, Any]:
    """Findings from the telemetry terminals posted (``POST /v1/terminals/{id}/telemetry``)
    with times in ``[start, end)``, each policy restriction matched against the log.

    The same document as ``POST``; ``reports.lines`` counts the stored reports read.
    """
    t0, t1 = instant_or_now(start, "start"), instant_or_now(end, "end")
    if not t0 < t1 or t1 - t0 > np.timedelta64(MAX_WINDOW_DAYS, "D"):
        raise InputError(
            f"start {start} and end {end}: give a start before the end, at most "
            f"{MAX_WINDOW_DAYS} days apart"
        )
    stored = state.store.telemetry.count(t0, t1)
    if stored > MAX_STORED_REPORTS:
        raise InputError(
            f"{stored:,} reports were posted in [{start}, {end}), more than one request reads "
            f"({MAX_STORED_REPORTS:,}): ask about a shorter window, or run `leolink forensics "
            "infer --db URL --start T --end T`"
        )
    reports = state.store.telemetry.window(t0, t1)
    return _findings(state, ReportsRead(reports, len(reports), (), {}))


def _findings(state: ServiceState, read: ReportsRead) -> dict[str, Any]:
    inference = infer_findings(read.reports, coverage=CoverageModel(state.catalog))
    log = PolicyLog(state.store.policy_history(), state.store.audit_log(limit=None))
    return findings_document(read, inference, match_log(inference, log))
