"""Enforcement: terminals whose own position reports place them where service is refused.

Every report is decided by the batch engine at its own instant, with the policy then in
force and without the account rules (a suspended terminal's reports still show where it
was).  A report is a *violation* when its code is one of `VIOLATIONS` — in a blocked country,
a denied area or switched-off cells, or an allow-list area the terminal is not registered in.
The report per terminal gives the evidence: how many reports, first and last seen, the
countries and cells, and the positions of the first and last ones.

Suspending the terminals found is `suspend`, through the store (`TerminalWriter`): one
audited change per terminal, whose reason cites the evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from leolink.errors import ConflictError
from leolink.geo import grid
from leolink.geo.countries import all_countries
from leolink.policy.batch import CompiledPolicy, compile_policy, decide_batch
from leolink.policy.decide import DEFAULT_SETTINGS, PRECEDENCE, Code, DecisionSettings
from leolink.policy.records import PolicyHistory, PositionReport, Terminal, TerminalState
from leolink.policy.sources import TerminalWriter
from leolink.time import format_instant

__all__ = ["VIOLATIONS", "Suspension", "Violation", "find_violations", "suspend"]

#: Codes that make a report a violation: the place refuses service to this terminal.
VIOLATIONS: Final[frozenset[Code]] = frozenset(
    {Code.BLOCKED_COUNTRY, Code.BLOCKED_AREA, Code.CELL_IS_DISABLED}
)
#: How many positions of the first and of the last violating reports the evidence shows.
EVIDENCE_POSITIONS: Final = 3


@dataclass(frozen=True)
class Violation:
    """A terminal found where it must not be served, with the evidence."""

    terminal: Terminal
    codes: tuple[Code, ...]
    countries: tuple[str, ...]
    cells: tuple[str, ...]
    rules: tuple[str, ...]
    first_seen: np.datetime64
    last_seen: np.datetime64
    report_count: int
    total_reports: int
    positions: tuple[tuple[np.datetime64, float, float], ...]

    def summary(self) -> str:
        """The evidence in one line (the reason recorded when suspending)."""
        where = ", ".join(self.countries) or "at sea"
        return (
            f"{self.report_count} of {self.total_reports} position reports in "
            f"{'/'.join(c.value for c in self.codes)} places ({where}; {len(self.cells)} "
            f"cells) from {format_instant(self.first_seen)} to {format_instant(self.last_seen)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        t = self.terminal
        return {
            "terminal_id": t.id,
            "account": t.account,
            "home_country": t.home_country,
            "customer_class": t.customer_class.value,
            "funding_party": t.funding_party,
            "state": t.state.value,
            "codes": [c.value for c in self.codes],
            "countries": list(self.countries),
            "cells": list(self.cells),
            "rules": list(self.rules),
            "first_seen": format_instant(self.first_seen),
            "last_seen": format_instant(self.last_seen),
            "report_count": self.report_count,
            "total_reports": self.total_reports,
            "positions": [
                {"reported_at": format_instant(at), "lat_deg": lat, "lon_deg": lon}
                for at, lat, lon in self.positions
            ],
        }


def find_violations(
    policy: PolicyHistory | CompiledPolicy,
    terminals: Sequence[Terminal],
    reports: Sequence[PositionReport],
    *,
    settings: DecisionSettings = DEFAULT_SETTINGS,
    codes: Iterable[Code] = VIOLATIONS,
) -> list[Violation]:
    """Terminals with at least one report in a refusing place, by terminal id.

    ``reports`` are decided at their own instants (pass those of the period to look at);
    reports of terminals not in ``terminals`` are ignored.
    """
    compiled = (
        policy
        if isinstance(policy, CompiledPolicy)
        else compile_policy(policy, settings.resolution)
    )
    index_of = {t.id: i for i, t in enumerate(terminals)}
    mine = [r for r in reports if r.terminal_id in index_of]
    if not mine:
        return []
    batch = decide_batch(
        compiled,
        [r.lat_deg for r in mine],
        [r.lon_deg for r in mine],
        np.asarray([r.reported_at for r in mine], dtype="datetime64[ns]"),
        terminals=terminals,
        terminal_index=[index_of[r.terminal_id] for r in mine],
        reports=mine,
        settings=settings,
        check_account=False,
    )
    wanted = np.zeros(len(PRECEDENCE), dtype=bool)
    wanted[[PRECEDENCE.index(c) for c in codes]] = True
    bad = wanted[batch.rank]
    table = all_countries()
    cells_hex = np.asarray(grid.cells_to_hex(batch.cell), dtype=object)
    out: list[Violation] = []
    tidx = batch.terminal_index
    for k in np.unique(tidx[bad]).tolist():
        rows = np.flatnonzero(bad & (tidx == k))
        rows = rows[np.argsort(batch.at[rows], kind="stable")]
        total = int(np.count_nonzero(tidx == k))
        shown = np.unique(np.r_[rows[:EVIDENCE_POSITIONS], rows[-EVIDENCE_POSITIONS:]])
        rules = set()
        for r in rows.tolist():
            f = int(batch.fence[r])
            if f >= 0:
                fence = compiled.fences[f]
                kind = "allowlist" if compiled.fence_is_allowlist[f] else "geofence"
                rules.add(f"{kind}:{fence.id}")
            elif batch.status_change[r] >= 0:
                rules.add(f"country_status:{int(batch.status_change[r])}")
        out.append(
            Violation(
                terminal=terminals[k],
                codes=tuple(
                    sorted({PRECEDENCE[r] for r in batch.rank[rows].tolist()}, key=PRECEDENCE.index)
                ),
                countries=tuple(
                    sorted({table[c].code for c in batch.country_index[rows].tolist() if c >= 0})
                ),
                cells=tuple(sorted(set(cells_hex[rows].tolist()))),
                rules=tuple(sorted(rules)),
                first_seen=batch.at[rows[0]],
                last_seen=batch.at[rows[-1]],
                report_count=int(rows.size),
                total_reports=total,
                positions=tuple(
                    (batch.at[r], float(batch.lat_deg[r]), float(batch.lon_deg[r]))
                    for r in shown.tolist()
                ),
            )
        )
    return sorted(out, key=lambda v: v.terminal.id)


@dataclass(frozen=True)
class Suspension:
    """What `suspend` did for one terminal: ``suspended``, or why not (already, conflict)."""

    terminal_id: str
    outcome: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready fields."""
        return {"terminal_id": self.terminal_id, "outcome": self.outcome}


def suspend(
    writer: TerminalWriter, violations: Sequence[Violation], *, actor: str, reason: str
) -> list[Suspension]:
    """Suspend the active terminals among ``violations``: one audited change each.

    The recorded reason is ``reason`` followed by the terminal's evidence.  A terminal that is
    not active is left alone; one changed since it was read (its version moved) is reported
    as a conflict and left for a second look rather than overwritten.
    """
    out = []
    for v in violations:
        if v.terminal.state is not TerminalState.ACTIVE:
            out.append(Suspension(v.terminal.id, f"left {v.terminal.state.value}"))
            continue
        try:
            writer.update_terminal(
                v.terminal.id,
                state=TerminalState.SUSPENDED,
                expected_version=v.terminal.version,
                actor=actor,
                reason=f"{reason.strip()}: {v.summary()}",
            )
        except ConflictError as exc:
            out.append(Suspension(v.terminal.id, f"not suspended: {exc}"))
            continue
        out.append(Suspension(v.terminal.id, "suspended"))
    return out
