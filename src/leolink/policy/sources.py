"""What the engine needs from where the policy is kept, as small protocols, and decisions from it.

The pure core never imports the store; it states what it reads and writes as protocols
(habit 5 of docs/STYLE.md).  `leolink.store.Store` satisfies all of them, and a `PolicyHistory` of
plain records is the in-memory twin of what is read (`leolink.policy.records`), which is how
the engine is tested without a database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from leolink.policy._areas import AreaCellsStore
from leolink.policy.batch import compile_policy, decide_batch
from leolink.policy.decide import DEFAULT_SETTINGS, Decision, DecisionSettings
from leolink.policy.records import (
    CellStatusChange,
    ChangeState,
    CountryStatus,
    CountryStatusChange,
    CustomerClass,
    Plan,
    PolicyHistory,
    PolicySnapshot,
    PositionReport,
    Terminal,
    TerminalState,
)
from leolink.policy.sky import Sky
from leolink.time import parse_instant

__all__ = ["PolicySource", "StatusWriter", "TerminalWriter", "decide_from"]


class PolicySource(Protocol):
    """Reads: the policy in force, the terminals and where they reported from."""

    def policy_at(
        self, at: str | np.datetime64 = ..., *, known_at: str | np.datetime64 | None = ...
    ) -> PolicySnapshot: ...

    def policy_history(self, *, known_at: str | np.datetime64 | None = ...) -> PolicyHistory: ...

    def terminal(self, terminal_id: str) -> Terminal: ...

    def terminals(
        self, *, account: str | None = ..., state: TerminalState | str | None = ...
    ) -> list[Terminal]: ...

    def position_reports(
        self,
        terminal_id: str | None = ...,
        *,
        start: str | np.datetime64 | None = ...,
        end: str | np.datetime64 | None = ...,
        cells: Iterable[str] | None = ...,
    ) -> list[PositionReport]: ...

    def last_position_reports(
        self, *, before: str | np.datetime64 | None = ...
    ) -> list[PositionReport]: ...


class StatusWriter(Protocol):
    """Writes country statuses under the two-person rule (loading the default dataset)."""

    def propose_country_status(
        self,
        country_code: str,
        status: CountryStatus | str,
        *,
        effective_from: str | np.datetime64,
        source: str,
        note: str = ...,
        reconstruction: bool = ...,
        actor: str,
        reason: str,
    ) -> CountryStatusChange: ...

    def approve_country_status(
        self, change_id: int, *, actor: str, reason: str
    ) -> CountryStatusChange: ...

    def country_status_changes(
        self, country_code: str | None = ..., *, state: ChangeState | str | None = ...
    ) -> list[CountryStatusChange]: ...

    def propose_cell_statuses(
        self,
        category: str,
        cells: Iterable[str],
        *,
        effective_from: str | np.datetime64,
        effective_until: str | np.datetime64 | None = ...,
        published: str,
        source: str,
        actor: str,
        reason: str,
    ) -> CellStatusChange: ...

    def approve_cell_statuses(
        self, change_id: int, *, actor: str, reason: str
    ) -> CellStatusChange: ...

    def cell_status_changes(
        self, *, state: ChangeState | str | None = ...
    ) -> list[CellStatusChange]: ...


class TerminalWriter(Protocol):
    """Changes a terminal (enforcement suspends terminals through it)."""

    def update_terminal(
        self,
        terminal_id: str,
        *,
        actor: str,
        reason: str,
        expected_version: int | None = ...,
        account: str = ...,
        home_country: str = ...,
        customer_class: CustomerClass | str = ...,
        plan: Plan | str = ...,
        funding_party: str | None = ...,
        state: TerminalState | str = ...,
    ) -> Terminal: ...


def decide_from(
    source: PolicySource,
    terminal_id: str | None,
    position: tuple[float, float] | None,
    at: str | np.datetime64,
    *,
    sky: Sky | None = None,
    settings: DecisionSettings = DEFAULT_SETTINGS,
    known_at: str | np.datetime64 | None = None,
    areas: AreaCellsStore | None = None,
) -> Decision:
    """One decision with what ``source`` holds: the policy in force at ``at``, the terminal
    (an unknown id raises `leolink.errors.NotFoundError`) and its reports up to ``at``.

    ``terminal_id`` None asks for a prospective terminal.  ``known_at`` rewinds the policy to
    what was approved by then.  The decision is the vectorised engine's
    (`leolink.policy.batch.decide_batch`, one row) over the policy history compiled with the
    geofences' areas from ``areas`` (the store's ``compiled_areas``: a region compiled at its
    proposal is loaded, not parsed and repaired again).
    """
    t = parse_instant(at)
    history = source.policy_history(known_at=known_at)
    terminal = None if terminal_id is None else source.terminal(terminal_id)
    reports: Sequence[PositionReport] = ()
    if terminal is not None:
        end = t + np.timedelta64(1, "us")  # the store's instants are µs: include reports at t
        reports = source.position_reports(terminal.id, end=end)
    lat, lon = (math.nan, math.nan) if position is None else position
    batch = decide_batch(
        compile_policy(history, settings.resolution, areas),
        lat,
        lon,
        t,
        terminals=() if terminal is None else (terminal,),
        terminal_index=-1 if terminal is None else 0,
        reports=reports,
        sky=sky,
        settings=settings,
    )
    return batch.decision(0)
