"""Terminals post their own telemetry: reports in the dish API's vocabulary, kept as evidence.

Only a ``terminal`` key, and only for the terminal it is named for: the reports are evidence
about the operator, so operator and admin keys may not write them.  A batch is all or nothing
(a malformed report refuses the batch, listing each one by its position from 1); a report
already kept for its (terminal, instant) is counted as a duplicate, not kept twice.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from leolink.api import Role, reports_from_records
from leolink.service.auth import Permission, Principal, require
from leolink.service.problems import ProblemError
from leolink.service.routers._common import errors
from leolink.service.state import ServiceState, get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1/terminals", tags=["terminals"])

StateDep = Annotated[ServiceState, Depends(get_state)]
Terminal = Annotated[Principal, require(Permission.REPORT_OWN_POSITIONS)]
TerminalId = Annotated[str, Path(min_length=1, max_length=64, description="The terminal's id.")]
#: Reports in one batch: a day of a dish reporting every minute and a half.
MAX_BATCH: Final = 1_000


class TelemetryIn(BaseModel):
    """A batch of the terminal's reports; ``terminal_id`` may be left out (the path names it)."""

    reports: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH)


class TelemetryOut(BaseModel):
    """How many reports were kept, and how many were kept already."""

    terminal_id: str
    received: int
    stored: int
    duplicates: int


@router.post(
    "/{terminal_id}/telemetry",
    status_code=201,
    response_model=TelemetryOut,
    responses=errors(400, 401, 403, 404),
)
def post_telemetry(
    state: StateDep, who: Terminal, terminal_id: TerminalId, body: TelemetryIn
) -> TelemetryOut:
    """Keep a batch of the terminal's own reports (fields as `leolink forensics infer` reads).

    For the ``terminal`` key named like the terminal only; the terminal must be registered.
    """
    if who.key.role is not Role.TERMINAL or who.key.name != terminal_id:
        raise ProblemError(
            403,
            "forbidden",
            "Forbidden",
            f"API key {who.key.name!r} (role {who.key.role.value!r}) may not post telemetry "
            f"for terminal {terminal_id!r}: only that terminal's own 'terminal' key may",
        )
    records = []
    for i, report in enumerate(body.reports, start=1):
        given = report.get("terminal_id", terminal_id)
        if given != terminal_id:
            raise ProblemError(
                403,
                "forbidden",
                "Forbidden",
                f"report {i} names terminal {given!r}; terminal {terminal_id!r} may post only "
                "its own reports",
            )
        records.append({**report, "terminal_id": terminal_id})
    read = reports_from_records(records)
    if read.problems:
        raise ProblemError(
            422,
            "invalid-input",
            "Invalid input",
            f"{read.skipped} of {read.lines} reports are malformed; nothing was kept: first, "
            f"report {read.problems[0].line}: {read.problems[0].message}",
            extra={"problems": [p.to_dict() for p in read.problems[:50]]},
        )
    added = state.store.telemetry.add(read.reports)
    return TelemetryOut(
        terminal_id=terminal_id,
        received=read.lines,
        stored=added.stored,
        duplicates=added.duplicates,
    )
