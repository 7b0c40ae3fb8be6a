"""Where each terminal is and what the policy says of it there: the operators' map.

`latest_positions` and `decide_positions` answer ``GET /v1/terminals/positions``: every
terminal's latest position report at or before an instant ``at``, with the decision for that
terminal at that position at ``at`` under the policy then in force — its own rules included
(account state, allow-lists, roaming from its report history) but not the satellite check:
the question is what policy says, as on the availability map.  Terminals that never reported
by ``at`` are absent.

It is built to stay fast for fleets of thousands:

- Store reads are bounded, not one per terminal: the terminals (filtered by account and state in
  SQL) and every terminal's latest report before ``at`` (one grouped query), then the box,
  sorting and paging in memory.  The roaming rule needs a terminal's history only when it may
  have been away from home longer than its plan allows: a terminal abroad now whose latest
  report before ``at`` minus the plan's limit was away too (one more grouped query per distinct
  limit, one with the defaults).  Only those long-stay roamers on the page have their reports
  read, one query each, as ``POST /v1/decisions`` does; for every other terminal the away run
  began less than the limit ago whatever the older reports say, so it cannot fire.
- Only the page is decided, by the batch engine (`leolink.policy.batch.decide_batch`): the
  page's codes, countries, statuses and cells in a few NumPy passes (~10 µs per terminal), and
  the words (``reasons``, ``rules``) from `BatchDecisions.decisions`, which explains each row
  (`leolink.policy.decide.explain`) where the batch located it, without looking its cell or
  country up again.  The codes are those of the reference engine
  (`leolink.policy.decide.decide`), which the batch's own tests and this endpoint's test check
  row by row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from leolink.api import (
    DECISION_PRECEDENCE,
    DEFAULT_SETTINGS,
    NO_COUNTRY,
    VIOLATIONS,
    Code,
    CountryStatus,
    DecisionSettings,
    PositionReport,
    Terminal,
    TerminalState,
    all_countries,
    cells_to_hex,
    countries_at,
    decide_batch,
    format_instant,
    get_country,
)
from leolink.service.state import ServiceState
from leolink.store import Store

__all__ = ["Box", "decide_positions", "in_box", "latest_positions"]

_ONE_US: Final = np.timedelta64(1, "us")
_STATUSES: Final = tuple(CountryStatus)


@dataclass(frozen=True)
class Box:
    """A (W, S, E, N) box in degrees, boundary included; west > east crosses the antimeridian."""

    west: float
    south: float
    east: float
    north: float


def in_box(
    box: Box, lat_deg: npt.NDArray[np.float64], lon_deg: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """True where a point is in ``box`` (vectorised)."""
    lat_ok = (lat_deg >= box.south) & (lat_deg <= box.north)
    if box.west <= box.east:
        lon_ok = (lon_deg >= box.west) & (lon_deg <= box.east)
    else:
        lon_ok = (lon_deg >= box.west) | (lon_deg <= box.east)
    return np.asarray(lat_ok & lon_ok, dtype=bool)


def _just_after(at: np.datetime64) -> np.datetime64:
    """The first store instant (µs) after ``at``: reports before it are those up to ``at``."""
    after: np.datetime64 = at.astype("datetime64[us]") + _ONE_US
    return after


def latest_positions(
    store: Store,
    at: np.datetime64,
    *,
    box: Box | None = None,
    account: str | None = None,
    terminal_state: TerminalState | None = None,
) -> list[tuple[Terminal, PositionReport]]:
    """Each terminal (of ``account``, in ``terminal_state``) with its latest report at or before
    ``at``, if that report is in ``box``; terminals that never reported are left out.

    Two store queries, whatever the number of terminals.
    """
    terminals = {t.id: t for t in store.terminals(account=account, state=terminal_state)}
    latest = [
        r for r in store.last_position_reports(before=_just_after(at)) if r.terminal_id in terminals
    ]
    if box is not None and latest:
        lat = np.asarray([r.lat_deg for r in latest], dtype=np.float64)
        lon = np.asarray([r.lon_deg for r in latest], dtype=np.float64)
        latest = [r for r, keep in zip(latest, in_box(box, lat, lon).tolist(), strict=True) if keep]
    return [(terminals[r.terminal_id], r) for r in latest]


def decide_positions(
    state: ServiceState,
    at: np.datetime64,
    positions: Sequence[tuple[Terminal, PositionReport]],
    settings: DecisionSettings = DEFAULT_SETTINGS,
) -> list[dict[str, Any]]:
    """Each terminal decided at its report's position at ``at``, as the API's JSON items.

    Policy only (no satellite check), by the batch engine (see the module docstring).
    """
    if not positions:
        return []
    return _decide(state, at, [t for t, _ in positions], [r for _, r in positions], settings)


def _decide(
    state: ServiceState,
    at: np.datetime64,
    terminals: Sequence[Terminal],
    reports: Sequence[PositionReport],
    settings: DecisionSettings,
) -> list[dict[str, Any]]:
    """Decide each terminal at its report's position at ``at``: codes and words of the batch."""
    policy = state.decider.policy()
    compiled = policy.compiled_at(settings.resolution)
    lat = np.asarray([r.lat_deg for r in reports], dtype=np.float64)
    lon = np.asarray([r.lon_deg for r in reports], dtype=np.float64)
    histories = _long_stay_histories(state.store, at, terminals, lat, lon, settings)
    batch = decide_batch(
        compiled,
        lat,
        lon,
        at,
        terminals=terminals,
        terminal_index=np.arange(len(terminals)),
        reports=[r for h in histories.values() for r in h],
        settings=settings,
    )
    cells = cells_to_hex(batch.cell)
    table = all_countries()
    decisions = batch.decisions()
    out = []
    for i, (terminal, report) in enumerate(zip(terminals, reports, strict=True)):
        country = int(batch.country_index[i])
        code = DECISION_PRECEDENCE[int(batch.rank[i])]
        status = int(batch.status[i])
        out.append(
            {
                "id": terminal.id,
                "account": terminal.account,
                "state": terminal.state.value,
                "home_country": terminal.home_country,
                "customer_class": terminal.customer_class.value,
                "plan": terminal.plan.value,
                "reported_at": format_instant(report.reported_at),
                "lat": report.lat_deg,
                "lon": report.lon_deg,
                "cell": cells[i],
                "country": table[country].code if country >= 0 else None,
                "country_status": None if status < 0 else _STATUSES[status].value,
                "allowed": code is Code.OKAY,
                "code": code.value,
                "reasons": list(decisions[i].reasons),
                "rules": list(decisions[i].rules),
                "policy_version": compiled.version,
                "violation": code in VIOLATIONS,
            }
        )
    return out


def _long_stay_histories(
    store: Store,
    at: np.datetime64,
    terminals: Sequence[Terminal],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    settings: DecisionSettings,
) -> Mapping[str, list[PositionReport]]:
    """The reports up to ``at`` of the terminals that may be away longer than their plan allows.

    A terminal's away run began at its first report away from home after its last one at home.
    If its latest report before ``at - limit`` was at home, or it has none, the run began at or
    after ``at - limit`` and the duration rule cannot fire, whatever older reports say: only a
    terminal abroad now (on land; at sea no roaming rule applies) whose latest report before
    that instant was away as well needs its history.
    """
    here = countries_at(lat, lon).index
    homes = np.asarray([get_country(t.home_country).index for t in terminals], dtype=np.int16)
    abroad = (here != NO_COUNTRY) & (here != homes)
    by_limit: dict[float, list[int]] = {}
    for i in np.flatnonzero(abroad).tolist():
        days = settings.abroad_days(terminals[i].plan)
        if days is not None:
            by_limit.setdefault(days, []).append(i)
    long_stay: list[Terminal] = []
    for days, rows in by_limit.items():
        # Any instant from at - limit on will do (a superset of the terminals): round up.
        cutoff = _just_after(at - np.timedelta64(int(days * 86_400e9), "ns"))
        before = {r.terminal_id: r for r in store.last_position_reports(before=cutoff)}
        found = [(terminals[i], before[terminals[i].id]) for i in rows if terminals[i].id in before]
        if not found:
            continue
        then = countries_at([r.lat_deg for _, r in found], [r.lon_deg for _, r in found]).index
        for (terminal, _), index in zip(found, then.tolist(), strict=True):
            if index != get_country(terminal.home_country).index:
                long_stay.append(terminal)
    end = _just_after(at)
    return {t.id: store.position_reports(t.id, end=end) for t in long_stay}
