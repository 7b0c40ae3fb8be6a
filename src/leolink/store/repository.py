"""The repository layer: queries and row <-> record conversions, on a caller's `Session`.

`leolink.store.Store` composes these inside its transactions (`leolink.store.unit_of_work`);
nothing here commits, locks or checks policy rules.  Rows never leave the store: callers get
the frozen records of `leolink.policy.records`.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from leolink.errors import ConflictError, NotFoundError
from leolink.policy.audit import AuditRecord, Checkpoint, JSONValue
from leolink.policy.commitments import seal_geofence
from leolink.policy.records import (
    Geofence,
)
from leolink.store.models import (
    AllowlistMembershipRow,
    AuditCheckpointRow,
    AuditHeadRow,
    AuditRecordRow,
    GeofenceRow,
    PolicyVersionRow,
    TerminalRow,
)

__all__ = [
    "allowlist_members",
    "audit_select",
    "check_version",
    "checkpoint_to_row",
    "geofence_as_logged",
    "get_geofence",
    "get_terminal",
    "head_row_to_checkpoint",
    "policy_version",
    "row_to_audit_record",
    "row_to_checkpoint",
]


def policy_version(session: Session) -> int:
    """The current policy version (0 before the first change)."""
    return session.scalar(select(func.max(PolicyVersionRow.version))) or 0


def check_version(what: str, current: int, expected: int | None) -> None:
    """Raise `ConflictError` if the caller saw another version than ``current``."""
    if expected is not None and expected != current:
        raise ConflictError(
            f"{what} is at version {current}, but the change was based on version {expected}: "
            "someone else changed it meanwhile; read it again, review the other change, and retry"
        )


def get_geofence(
    session: Session, geofence_id: str, expected_version: int | None = None
) -> GeofenceRow:
    """The geofence row, checked against ``expected_version``; `NotFoundError` if none."""
    row = session.get(GeofenceRow, geofence_id)
    if row is None:
        raise NotFoundError(f"there is no geofence with id {geofence_id!r}")
    check_version(f"geofence {geofence_id!r}", row.version, expected_version)
    return row


def get_terminal(session: Session, terminal_id: str) -> TerminalRow:
    """The terminal row; `NotFoundError` if none."""
    row = session.get(TerminalRow, terminal_id)
    if row is None:
        raise NotFoundError(
            f"there is no terminal with id {terminal_id!r}: register it first (register_terminal)"
        )
    return row


def allowlist_members(session: Session, geofence_id: str) -> list[str]:
    """Ids of the terminals in an allow-list geofence, sorted."""
    query = (
        select(AllowlistMembershipRow.terminal_id)
        .where(AllowlistMembershipRow.geofence_id == geofence_id)
        .order_by(AllowlistMembershipRow.terminal_id)
    )
    return list(session.scalars(query))


def geofence_as_logged(row: GeofenceRow) -> dict[str, Any]:
    """A geofence's fields as its audit records show them: sealed (a commitment in place of
    the area and reason) when the fence has a commitment salt."""
    fields = Geofence.model_validate(row).as_logged()
    return fields if row.commitment_salt is None else seal_geofence(fields, row.commitment_salt)


def audit_select() -> Any:
    """Audit columns with before/after as raw text: tampered JSON must not stop verification."""
    return select(
        AuditRecordRow.seq,
        AuditRecordRow.ts,
        AuditRecordRow.actor,
        AuditRecordRow.action,
        AuditRecordRow.entity,
        AuditRecordRow.entity_id,
        cast(AuditRecordRow.before, Text).label("before"),
        cast(AuditRecordRow.after, Text).label("after"),
        AuditRecordRow.reason,
        AuditRecordRow.prev_hash,
        AuditRecordRow.hash,
    )


def json_or_text(text: str | None) -> JSONValue:
    """Parsed JSON; unparsable text stays a string, whose hash cannot match the original."""
    if text is None:
        return None
    try:
        value: JSONValue = json.loads(text)
    except json.JSONDecodeError:
        return text
    return value


def row_to_audit_record(row: Any) -> AuditRecord:
    """An `AuditRecord` from a row of `audit_select`."""
    return AuditRecord(
        seq=row.seq,
        ts=row.ts,
        actor=row.actor,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        before=json_or_text(row.before),
        after=json_or_text(row.after),
        reason=row.reason,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def row_to_checkpoint(row: AuditCheckpointRow) -> Checkpoint:
    """A kept checkpoint row as a `Checkpoint`."""
    return Checkpoint("checkpoint", row.seq, row.hash, row.ts, row.key_id, row.signature)


def checkpoint_to_row(cp: Checkpoint) -> AuditCheckpointRow:
    """A `Checkpoint` as a row to keep."""
    return AuditCheckpointRow(
        seq=cp.seq, hash=cp.hash, ts=cp.ts, key_id=cp.key_id, signature=cp.signature
    )


def head_row_to_checkpoint(row: AuditHeadRow | None) -> Checkpoint | None:
    """The head row as a checkpoint; None for the unsigned head of an empty log."""
    if row is None:
        return None
    if row.seq == 0 and row.signature is None:
        return None
    ts = row.ts if row.ts is not None else np.datetime64(0, "us")
    return Checkpoint("head", row.seq, row.hash, ts, row.key_id or "", row.signature or "")
