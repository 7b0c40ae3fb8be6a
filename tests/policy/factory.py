"""Plain policy records for engine tests, without a store: the engine's input is values.

The places are real (coordinates from the public record), the policies made up for the tests
unless a docstring says otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from leolink.policy.records import (
    CellStatusChange,
    ChangeState,
    CountryStatus,
    CountryStatusChange,
    CustomerClass,
    Geofence,
    GeofenceEffect,
    Plan,
    PolicyHistory,
    PositionReport,
    Terminal,
    TerminalState,
)

T0 = np.datetime64("2020-01-01T00:00:00", "ns")

#: (lat, lon) of places used across the tests.
KYIV = (50.4501, 30.5234)
SEVASTOPOL = (44.6167, 33.5254)
TAIPEI = (25.0330, 121.5654)
MOSCOW = (55.7558, 37.6173)
ALMATY = (43.2220, 76.8512)
WARSAW = (52.2297, 21.0122)
BERLIN = (52.5200, 13.4050)
MID_ATLANTIC = (30.0, -40.0)  # > 1,000 km from any coast


def t(text: str) -> np.datetime64:
    """An instant from ISO text with or without Z."""
    return np.datetime64(text.rstrip("Z"), "ns")


def box(west: float, south: float, east: float, north: float) -> str:
    """A GeoJSON polygon of a (lon, lat) box, as text."""
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def status(
    change_id: int,
    country: str,
    value: CountryStatus | str,
    effective_from: str = "2020-01-01T00:00:00Z",
    note: str = "",
) -> CountryStatusChange:
    """An approved status change."""
    return CountryStatusChange(
        id=change_id,
        country_code=country,
        status=CountryStatus(value),
        effective_from=t(effective_from),
        source="test",
        note=note,
        state=ChangeState.APPROVED,
        proposer="op:alice",
        approver="op:bob",
        proposed_at=T0,
        approved_at=T0,
        rejected_at=None,
        withdrawn_at=None,
    )


def cell_status(
    change_id: int,
    category: str,
    cells: Iterable[str],
    start: str = "2020-01-01T00:00:00Z",
    *,
    end: str | None = None,
    withdrawn_at: str | None = None,
) -> CellStatusChange:
    """Approved cells of one map category (withdrawn at ``withdrawn_at``, when given)."""
    return CellStatusChange(
        id=change_id,
        category=category,
        cells=frozenset(cells),
        effective_from=t(start),
        effective_until=None if end is None else t(end),
        published="2025-01",
        source="Starlink availability map (test)",
        state=ChangeState.WITHDRAWN if withdrawn_at else ChangeState.APPROVED,
        proposer="op:alice",
        approver="op:bob",
        proposed_at=T0,
        approved_at=T0,
        rejected_at=None,
        withdrawn_at=None if withdrawn_at is None else t(withdrawn_at),
    )


def fence(
    fence_id: str,
    *,
    area_geojson: str | None = None,
    cells: Iterable[str] = (),
    effect: GeofenceEffect | str = GeofenceEffect.DENY,
    classes: Iterable[CustomerClass | str] | None = None,
    start: str | None = None,
    end: str | None = None,
    withdrawn_at: str | None = None,
    approved_at: str = "2020-01-01T00:00:00Z",
) -> Geofence:
    """An approved geofence (withdrawn at ``withdrawn_at``, when given)."""
    return Geofence(
        id=fence_id,
        name=f"fence {fence_id}",
        effect=GeofenceEffect(effect),
        area_geojson=area_geojson,
        cells=tuple(sorted(cells)),
        customer_classes=None if classes is None else tuple(CustomerClass(c) for c in classes),
        window_start=None if start is None else t(start),
        window_end=None if end is None else t(end),
        reason="test",
        size_km2=1.0,
        needs_approval=True,
        state=ChangeState.WITHDRAWN if withdrawn_at else ChangeState.APPROVED,
        proposer="op:alice",
        approver="op:bob",
        proposed_at=T0,
        approved_at=t(approved_at),
        rejected_at=None,
        withdrawn_at=None if withdrawn_at is None else t(withdrawn_at),
        version=2,
    )


def terminal(
    terminal_id: str,
    home: str = "UA",
    *,
    klass: CustomerClass | str = CustomerClass.RESIDENTIAL,
    plan: Plan | str = Plan.STANDARD,
    state: TerminalState | str = TerminalState.ACTIVE,
) -> Terminal:
    """A terminal record."""
    return Terminal(
        id=terminal_id,
        account=f"acct-{terminal_id}",
        home_country=home,
        customer_class=CustomerClass(klass),
        plan=Plan(plan),
        funding_party=None,
        state=TerminalState(state),
        allowlists=(),
        created_at=T0,
        updated_at=T0,
        version=1,
    )


def report(terminal_id: str, at: str, position: tuple[float, float]) -> PositionReport:
    """A position report (its cell is not used by the engine)."""
    return PositionReport(
        terminal_id=terminal_id,
        reported_at=t(at),
        lat_deg=position[0],
        lon_deg=position[1],
        cell="",
    )


def history(
    statuses: Iterable[CountryStatusChange] = (),
    fences: Iterable[Geofence] = (),
    allowlists: Mapping[str, Iterable[str]] | None = None,
    version: int = 7,
    known_at: Any = None,
    cell_statuses: Iterable[CellStatusChange] = (),
) -> PolicyHistory:
    """A policy history from records."""
    return PolicyHistory(
        version=version,
        known_at=known_at,
        status_changes=tuple(statuses),
        geofences=tuple(fences),
        allowlists={k: frozenset(v) for k, v in (allowlists or {}).items()},
        cell_statuses=tuple(cell_statuses),
    )


def europe_statuses() -> list[CountryStatusChange]:
    """A small world: UA, PL, DE, KZ available; RU blocked; TW service date unknown."""
    return [
        status(1, "UA", "available", "2022-02-26T00:00:00Z"),
        status(2, "PL", "available", "2021-03-01T00:00:00Z"),
        status(3, "DE", "available", "2021-03-01T00:00:00Z"),
        status(4, "KZ", "available", "2024-04-01T00:00:00Z"),
        status(5, "RU", "blocked", "2020-01-01T00:00:00Z"),
        status(
            6,
            "TW",
            "service_date_unknown",
            "2020-01-01T00:00:00Z",
            note="Starlink has not been licensed there",
        ),
    ]
