"""The two-person rule's state machine, once for every kind of change under it.

A change (a country status, cell statuses, a geofence) starts ``proposed`` when it needs a
second operator, else ``active`` (`open_change`).  From ``proposed``, a second operator
*approves* (in force) or *rejects* it, and only its proposer *withdraws* it.  A change in force
may be withdrawn if its kind allows (`Approvable.ends_in_force`): what one operator put in
force (``active``) one operator ends; what two put in force (``approved``) two lift — the first
withdrawal is only recorded as proposed (``<entity>.propose_withdrawal``) until a different
operator confirms it.  Each step is one audit record ``<entity>.<action>`` with the change
before and after, and approving (or ending) what is in force changes the policy.

Actor names are compared as people (`leolink.store.checks.same_person`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from sqlalchemy.orm import Session

from leolink.errors import NotFoundError, PolicyStateError, TwoPersonRuleError
from leolink.policy.audit import JSONValue
from leolink.policy.records import ChangeState
from leolink.store.checks import check_reason, same_person
from leolink.store.models import CellStatusRow, CountryStatusRow, GeofenceRow
from leolink.store.unit_of_work import Transactions, UnitOfWork
from leolink.time import format_instant

__all__ = [
    "Approvable",
    "SerialChanges",
    "open_change",
    "require_proposed",
    "row_by_serial_id",
]


#: The rows under the rule.
R = TypeVar("R", CountryStatusRow, CellStatusRow, GeofenceRow)
T = TypeVar("T")

#: The audit action of each decision.
_ACTIONS: Final = {
    ChangeState.APPROVED: "approve",
    ChangeState.REJECTED: "reject",
    ChangeState.WITHDRAWN: "withdraw",
}


def open_change(
    row: CountryStatusRow | CellStatusRow | GeofenceRow, tx: UnitOfWork, *, needs_second: bool
) -> None:
    """Put a new (or revised) change in its first state: ``proposed`` until a second operator
    decides, or ``active`` (in force) at once."""
    row.state = (ChangeState.PROPOSED if needs_second else ChangeState.ACTIVE).value
    row.approver, row.approved_at = None, None if needs_second else tx.now
    if not needs_second:
        tx.policy_changed = True


@dataclass(frozen=True)
class Approvable(Generic[R, T]):
    """What differs between the kinds of change under the rule; `decide` is the rest."""

    #: The audit records' entity, and the prefix of their actions (``geofence``).
    entity: str
    #: The change as people name it in messages (``geofence 'gf-1'``).
    describe: Callable[[R], str]
    #: The change as the store hands it out.
    to_record: Callable[[R], T]
    #: The change as its audit records show it (before and after).
    logged: Callable[[R], JSONValue]
    #: The row's id as its audit records name it.
    entity_id: Callable[[R], str]
    #: Whether a change in force may be withdrawn (else only a proposal may be).
    ends_in_force: bool = True

    def decide(self, tx: UnitOfWork, row: R, decision: ChangeState, reason: str) -> T:
        """Approve, reject or withdraw ``row`` as ``tx.actor``, with its audit record."""
        what = self.describe(row)
        state = ChangeState(row.state)
        in_force = state in (ChangeState.APPROVED, ChangeState.ACTIVE)
        if decision is ChangeState.WITHDRAWN and in_force and self.ends_in_force:
            before = self.logged(row)
            assert not isinstance(row, CountryStatusRow)  # a status in force is not ended
            if state is ChangeState.APPROVED and _first_of_two_lifts(row, what, tx):
                return self._step(tx, row, "propose_withdrawal", before, reason)
            # otherwise: one operator ends what one put in force, or completes a withdrawal
        else:
            require_proposed(what, state)
            if decision is ChangeState.WITHDRAWN:
                require_proposer(what, row.proposer, tx.actor)
            else:
                require_second_person(what, row.proposer, tx.actor, decision)
        before = self.logged(row)
        row.state = decision.value
        if decision is ChangeState.APPROVED:
            row.approver, row.approved_at = tx.actor, tx.now
        elif decision is ChangeState.REJECTED:
            row.approver, row.rejected_at = tx.actor, tx.now
        else:
            row.withdrawn_at = tx.now
        if decision is ChangeState.APPROVED or (decision is ChangeState.WITHDRAWN and in_force):
            tx.policy_changed = True
        return self._step(tx, row, _ACTIONS[decision], before, reason)

    def _step(self, tx: UnitOfWork, row: R, action: str, before: JSONValue, reason: str) -> T:
        if isinstance(row, GeofenceRow):
            row.version += 1  # optimistic concurrency: `leolink.store.models.GeofenceRow`
        tx.session.flush()
        change = self.to_record(row)
        after = self.logged(row)
        tx.log(f"{self.entity}.{action}", self.entity, self.entity_id(row), before, after, reason)
        return change


class SerialChanges(Generic[R, T]):
    """A table of changes with integer ids under the rule: their approval, rejection and
    withdrawal by id (`leolink.store.statuses`, `leolink.store.cell_statuses`)."""

    def __init__(self, db: Transactions, model: type[R], rule: Approvable[R, T]) -> None:
        self._db = db
        self._model: type[R] = model
        self._rule: Approvable[R, T] = rule

    def approve(self, change_id: int, *, actor: str, reason: str) -> T:
        """A second operator approves the proposed change; it is in force from its start."""
        return self._decide(change_id, ChangeState.APPROVED, actor, reason)

    def reject(self, change_id: int, *, actor: str, reason: str) -> T:
        """A second operator refuses the proposed change."""
        return self._decide(change_id, ChangeState.REJECTED, actor, reason)

    def withdraw(self, change_id: int, *, actor: str, reason: str) -> T:
        """Take back a change: one's own proposal, or, where its kind allows, one in force
        (it stops now; what two operators put in force takes two to lift)."""
        return self._decide(change_id, ChangeState.WITHDRAWN, actor, reason)

    def _decide(self, change_id: int, decision: ChangeState, actor: str, reason: str) -> T:
        reason = check_reason(reason)
        what = f"{self._rule.entity.replace('_', '-')} change"
        with self._db.write(actor) as tx:
            row = row_by_serial_id(tx.session, self._model, change_id, what)
            return self._rule.decide(tx, row, decision, reason)


def row_by_serial_id(session: Session, model: type[R], change_id: int, what: str) -> R:
    """The row of ``model`` with integer id ``change_id``; `NotFoundError` naming ``what``."""
    # Ids are 32-bit integer keys; a larger one names no change (and PostgreSQL would refuse
    # to compare it with the column).
    in_range = 1 <= int(change_id) <= 2**31 - 1
    row = session.get(model, int(change_id)) if in_range else None
    if row is None:
        raise NotFoundError(f"there is no {what} with id {change_id!r}")
    return row


def require_proposed(what: str, state: ChangeState) -> None:
    """Refuse to decide a change that is no longer proposed."""
    if state is not ChangeState.PROPOSED:
        raise PolicyStateError(f"{what} is {state.value}, not proposed: it cannot be decided again")


def require_second_person(what: str, proposer: str, actor: str, decision: ChangeState) -> None:
    """The two-person rule: whoever proposed a change cannot approve or reject it."""
    if same_person(proposer, actor):
        verb = "approve" if decision is ChangeState.APPROVED else "reject"
        hint = "" if decision is ChangeState.APPROVED else " (withdraw it instead)"
        raise TwoPersonRuleError(
            f"{actor!r} proposed {what} and cannot {verb} it{hint}: a second, different operator "
            "must decide (two-person rule)"
        )


def require_proposer(what: str, proposer: str, actor: str) -> None:
    """Only the proposer withdraws a proposal (others reject it)."""
    if not same_person(proposer, actor):
        raise PolicyStateError(
            f"only its proposer {proposer!r} can withdraw {what} while it is proposed; "
            f"{actor!r} can reject it instead"
        )


def _first_of_two_lifts(row: CellStatusRow | GeofenceRow, what: str, tx: UnitOfWork) -> bool:
    """Two operators put ``row`` in force, so two lift it: True (and the first recorded on the
    row) if ``tx.actor`` is the first; False if a different operator proposed the withdrawal
    and ``tx.actor`` completes it; `TwoPersonRuleError` if the same person asks again."""
    first = row.withdrawal_proposer
    if first is None:
        row.withdrawal_proposer, row.withdrawal_proposed_at = tx.actor, tx.now
        return True
    if same_person(first, tx.actor):
        since = format_instant(row.withdrawal_proposed_at or tx.now)
        raise TwoPersonRuleError(
            f"{tx.actor!r} already proposed to withdraw {what} (at {since}); two operators put "
            "it in force, so a second, different operator must confirm its withdrawal "
            "(two-person rule)"
        )
    return False
