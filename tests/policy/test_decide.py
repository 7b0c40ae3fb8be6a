"""The reference engine: every code, the fixed precedence pairwise, reasons, roaming, time.

Each code is produced by one *ingredient* of a situation (a terminal state, a position, a
geofence, a country status, reports away from home, an empty sky); a pair of codes is tested
by combining their two ingredients, and the code decided must be the earlier of the two in
`PRECEDENCE`, with both rules listed.  Pairs that cannot hold at once (one terminal state, one
status per country, no country at sea, no place without a position) are listed and checked to
be all the others.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest

from leolink.errors import InputError
from leolink.geo import grid
from leolink.orbits.loading import load_catalog
from leolink.policy.batch import decide_batch
from leolink.policy.decide import (
    DENIED_BY_POLICY,
    PRECEDENCE,
    Code,
    Decision,
    DecisionSettings,
    decide,
)
from leolink.policy.records import (
    CountryStatus,
    CountryStatusChange,
    Geofence,
    PolicyHistory,
    PositionReport,
    Terminal,
)
from leolink.policy.sky import Sky
from tests.policy.factory import (
    KYIV,
    MID_ATLANTIC,
    MOSCOW,
    SEVASTOPOL,
    TAIPEI,
    WARSAW,
    box,
    europe_statuses,
    fence,
    history,
    report,
    status,
    t,
    terminal,
)

AT = "2026-05-13T12:00:00Z"

#: Pairs of codes whose conditions cannot hold together, and why.
EXCLUSIVE = {
    frozenset({Code.NO_ACTIVE_ACCOUNT, Code.ACCOUNT_DISABLED}): "a terminal has one state",
    frozenset({Code.BLOCKED_COUNTRY, Code.UNLICENSED_COUNTRY}): "a country has one status",
    **{
        frozenset({Code.UNKNOWN_LOCATION, c}): "no position, no place"
        for c in (
            Code.BLOCKED_AREA,
            Code.CELL_IS_DISABLED,
            Code.BLOCKED_COUNTRY,
            Code.UNLICENSED_COUNTRY,
            Code.IN_OCEAN,
            Code.ROAM_RESTRICTED,
        )
    },
    **{
        frozenset({Code.IN_OCEAN, c}): "at sea there is no country"
        for c in (Code.BLOCKED_COUNTRY, Code.UNLICENSED_COUNTRY, Code.ROAM_RESTRICTED)
    },
}
DENIALS = [c for c in PRECEDENCE if c is not Code.OKAY]


@pytest.fixture(scope="module")
def dark_sky() -> Sky:
    """A catalog of one satellite that is below Kyiv's horizon at AT: no satellite in view."""
    catalog = load_catalog()
    sky = Sky(catalog)
    at = t(AT)
    for i in range(len(catalog)):
        one = Sky(catalog.take([i]))
        if one.serving(KYIV[0], KYIV[1], at).serving is None:
            one_ocean = one.serving(MID_ATLANTIC[0], MID_ATLANTIC[1], at)
            if one_ocean.serving is None:
                return one
    del sky
    raise AssertionError("every satellite is above Kyiv: impossible")


@dataclass
class Situation:
    terminal: Terminal
    position: tuple[float, float] | None
    history: PolicyHistory
    reports: list[PositionReport]
    sky: Sky | None

    def decide(self) -> Decision:
        at = t(AT)
        return decide(
            self.terminal,
            self.position,
            at,
            self.history.snapshot(at),
            reports=self.reports,
            sky=self.sky,
        )


def situation(codes: set[Code], dark_sky: Sky) -> Situation:
    """A situation in which exactly the rules of ``codes`` fire (see the module docstring)."""
    state = "active"
    if Code.NO_ACTIVE_ACCOUNT in codes:
        state = "deactivated"
    if Code.ACCOUNT_DISABLED in codes:
        state = "suspended"
    place = MID_ATLANTIC if Code.IN_OCEAN in codes else KYIV
    position = None if Code.UNKNOWN_LOCATION in codes else place
    roaming = Code.ROAM_RESTRICTED in codes
    ua = "available"
    if Code.BLOCKED_COUNTRY in codes:
        ua = "blocked"
    if Code.UNLICENSED_COUNTRY in codes:
        ua = "service_date_unknown"
    statuses = [status(1, "UA", ua), status(2, "PL", "available")]
    fences: list[Geofence] = []
    lat, lon = place
    if Code.BLOCKED_AREA in codes:
        fences.append(fence("gf-area", area_geojson=box(lon - 1, lat - 1, lon + 1, lat + 1)))
    if Code.CELL_IS_DISABLED in codes:
        cell = grid.cells_to_hex(grid.latlng_to_cells(lat, lon, 5))[0]
        fences.append(fence("gf-cells", cells=[cell]))
    reports = []
    if roaming:
        reports = [
            report("T", "2026-01-01T00:00:00Z", WARSAW),
            report("T", "2026-01-10T00:00:00Z", KYIV),
        ]
    return Situation(
        terminal=terminal("T", "PL" if roaming else "UA", state=state),
        position=position,
        history=history(statuses, fences),
        reports=reports,
        sky=dark_sky if Code.NO_SATELLITE_IN_VIEW in codes else None,
    )


@pytest.mark.parametrize("code", DENIALS, ids=str)
def test_each_code_alone(code: Code, dark_sky: Sky) -> None:
    decision = situation({code}, dark_sky).decide()
    assert decision.code is code
    assert decision.allowed is False
    assert [r.code for r in decision.fired] == [code] * len(decision.fired)
    assert decision.reasons
    assert decision.rules


def test_nothing_fires_is_okay(dark_sky: Sky) -> None:
    decision = situation(set(), dark_sky).decide()
    assert (decision.code, decision.allowed, decision.country) == (Code.OKAY, True, "UA")
    assert decision.rules == ("country_status:1",)


def _pairs() -> list[tuple[Code, Code]]:
    return [
        (a, b) for a, b in itertools.combinations(DENIALS, 2) if frozenset({a, b}) not in EXCLUSIVE
    ]


@pytest.mark.parametrize(("first", "second"), _pairs(), ids=lambda c: str(c))
def test_precedence_pairwise(first: Code, second: Code, dark_sky: Sky) -> None:
    """The earlier code in PRECEDENCE wins; both rules are listed (the sky only if reached)."""
    assert PRECEDENCE.index(first) < PRECEDENCE.index(second)
    s = situation({first, second}, dark_sky)
    decision = s.decide()
    assert decision.code is first
    fired = {r.code for r in decision.fired}
    assert first in fired
    if second is Code.NO_SATELLITE_IN_VIEW:
        assert second not in fired  # the sky is looked at only when policy allows service
    else:
        assert second in fired
        # The batch engine sees the same two rules.
        at = t(AT)
        position = s.position or (np.nan, np.nan)
        batch = decide_batch(
            s.history,
            [position[0]],
            [position[1]],
            at,
            terminals=[s.terminal],
            terminal_index=[0],
            reports=s.reports,
        )
        bits = int(batch.fired[0])
        assert bits & (1 << PRECEDENCE.index(first))
        assert bits & (1 << PRECEDENCE.index(second))
        assert batch.codes[0] is first


def test_exclusive_pairs_really_are(dark_sky: Sky) -> None:
    """Asking for an exclusive pair gives at most one of its two rules."""
    for pair in EXCLUSIVE:
        fired = {r.code for r in situation(set(pair), dark_sky).decide().fired}
        assert len(fired & pair) == 1, pair


def test_precedence_is_the_documented_order() -> None:
    assert [c.value for c in PRECEDENCE] == [
        "NO_ACTIVE_ACCOUNT",
        "ACCOUNT_DISABLED",
        "UNKNOWN_LOCATION",
        "BLOCKED_AREA",
        "CELL_IS_DISABLED",
        "BLOCKED_COUNTRY",
        "UNLICENSED_COUNTRY",
        "IN_OCEAN",
        "ROAM_RESTRICTED",
        "NO_SATELLITE_IN_VIEW",
        "OKAY",
    ]
    assert set(PRECEDENCE) == set(Code)
    assert Code.NO_SATELLITE_IN_VIEW not in DENIED_BY_POLICY


# --- places and reasons ------------------------------------------------------------------------


def at_(
    text: str, h: PolicyHistory, terminal_: Terminal | None, place: tuple[float, float]
) -> Decision:
    at = t(text)
    return decide(terminal_, place, at, h.snapshot(at))


def test_taiwan_reason_in_plain_words() -> None:
    d = at_("2023-01-01T00:00:00Z", history(europe_statuses()), None, TAIPEI)
    assert (d.code, d.country, d.country_status) == (
        Code.UNLICENSED_COUNTRY,
        "TW",
        CountryStatus.SERVICE_DATE_UNKNOWN,
    )
    assert d.reasons[0].startswith(
        "Taiwan (TW): service date unknown — Starlink has not been licensed there"
    )
    assert d.rules == ("country_status:6",)


def test_no_status_on_record_is_unlicensed() -> None:
    d = at_("2023-01-01T00:00:00Z", history(europe_statuses()), None, (48.8566, 2.3522))
    assert (d.code, d.country, d.country_status) == (Code.UNLICENSED_COUNTRY, "FR", None)
    assert d.rules == ("country_status:FR:none",)


def test_cell_is_h3_resolution_5_of_the_position() -> None:
    d = at_("2023-01-01T00:00:00Z", history(europe_statuses()), None, KYIV)
    assert d.cell == grid.cells_to_hex(grid.latlng_to_cells(*KYIV, 5))[0]
    assert d.to_dict()["serving"] is None
    assert set(d.to_dict()) == {
        "allowed",
        "code",
        "reasons",
        "cell",
        "country",
        "country_status",
        "rules",
        "policy_version",
        "serving",
    }


def test_status_history_is_applied_as_of_the_instant() -> None:
    """Ukraine before its activation on 26 Feb 2022 had no status; after, it is available."""
    h = history(europe_statuses())
    assert at_("2022-02-25T23:59:59Z", h, None, KYIV).code is Code.UNLICENSED_COUNTRY
    assert at_("2022-02-26T00:00:00Z", h, None, KYIV).code is Code.OKAY


def test_geofence_window_is_half_open_and_names_who_and_since_when() -> None:
    h = history(
        europe_statuses(),
        [
            fence(
                "gf-crimea",
                area_geojson=box(32.0, 44.0, 37.0, 46.0),
                start="2022-09-16T18:00:00Z",
                end="2022-09-17T06:00:00Z",
            )
        ],
    )
    assert at_("2022-09-16T17:59:59Z", h, None, SEVASTOPOL).code is Code.OKAY
    inside = at_("2022-09-16T18:00:00Z", h, None, SEVASTOPOL)
    assert inside.code is Code.BLOCKED_AREA
    assert "from 2022-09-16T18:00:00Z until 2022-09-17T06:00:00Z" in inside.reasons[0]
    assert "proposed by op:alice, approved by op:bob" in inside.reasons[0]
    assert at_("2022-09-17T06:00:00Z", h, None, SEVASTOPOL).code is Code.OKAY


def test_withdrawn_geofence_stops_at_its_withdrawal() -> None:
    h = history(
        europe_statuses(),
        [fence("gf-w", area_geojson=box(30, 50, 31, 51), withdrawn_at="2023-01-01T00:00:00Z")],
    )
    assert at_("2022-12-31T00:00:00Z", h, None, KYIV).code is Code.BLOCKED_AREA
    assert at_("2023-01-01T00:00:00Z", h, None, KYIV).code is Code.OKAY


def test_known_at_rewinds_approvals() -> None:
    """A geofence approved in 2024 for a 2022 window: in force then, unless asked as of 2023."""
    late = fence(
        "gf-late",
        area_geojson=box(30, 50, 31, 51),
        start="2022-01-01T00:00:00Z",  # without a start it would apply from its approval
        approved_at="2024-01-01T00:00:00Z",
    )
    at = t("2022-06-01T00:00:00Z")
    now = history(europe_statuses(), [late])
    then = history(europe_statuses(), [late], known_at=t("2023-01-01T00:00:00Z"))
    assert decide(None, KYIV, at, now.snapshot(at)).code is Code.BLOCKED_AREA
    assert decide(None, KYIV, at, then.snapshot(at)).code is Code.OKAY


def test_geofence_classes_exempt_government() -> None:
    commercial = ["residential", "business", "maritime", "aviation"]
    h = history(
        europe_statuses(), [fence("gf-c", area_geojson=box(30, 50, 31, 51), classes=commercial)]
    )
    at = t("2023-01-01T00:00:00Z")
    gov = terminal("G", klass="government")
    res = terminal("R", klass="residential")
    assert decide(gov, KYIV, at, h.snapshot(at)).code is Code.OKAY
    assert decide(res, KYIV, at, h.snapshot(at)).code is Code.BLOCKED_AREA
    assert decide(None, KYIV, at, h.snapshot(at)).code is Code.BLOCKED_AREA


def test_allowlist_admits_members_only() -> None:
    h = history(
        europe_statuses(),
        [fence("gf-ua", effect="allowlist", area_geojson=box(22, 44, 41, 53), start="2026-02-01")],
        allowlists={"gf-ua": ["M"]},
    )
    at = t("2026-02-02T00:00:00Z")
    member = decide(terminal("M"), KYIV, at, h.snapshot(at))
    other = decide(terminal("X"), KYIV, at, h.snapshot(at))
    new = decide(None, KYIV, at, h.snapshot(at))
    assert (member.code, member.rules) == (Code.OKAY, ("allowlist:gf-ua", "country_status:1"))
    assert other.code is Code.BLOCKED_AREA
    assert other.rules == ("allowlist:gf-ua",)
    assert "terminal X is not among its 1" in other.reasons[0]
    assert new.code is Code.BLOCKED_AREA
    assert "a new terminal is not" in new.reasons[0]


def test_cells_only_geofence_is_cell_is_disabled_and_area_wins_over_it() -> None:
    cell = grid.cells_to_hex(grid.latlng_to_cells(*KYIV, 5))[0]
    parent = grid.cells_to_hex(grid.cells_to_parents(grid.hex_to_cells([cell]), 3))[0]
    at = t("2023-01-01T00:00:00Z")
    only_cells = history(europe_statuses(), [fence("gf-a", cells=[parent])])
    d = decide(None, KYIV, at, only_cells.snapshot(at))
    assert d.code is Code.CELL_IS_DISABLED
    assert "cells switched off" in d.reasons[0]
    both = history(
        europe_statuses(),
        [fence("gf-a", cells=[cell]), fence("gf-b", area_geojson=box(30, 50, 31, 51))],
    )
    d = decide(None, KYIV, at, both.snapshot(at))
    assert d.code is Code.BLOCKED_AREA
    assert d.rules == ("geofence:gf-b", "geofence:gf-a")


# --- roaming -------------------------------------------------------------------------------


def _roam_history() -> PolicyHistory:
    return history([*europe_statuses(), status(9, "JP", "waitlist")])


def test_roaming_standard_plan_two_months_from_first_report_away() -> None:
    h = _roam_history()
    ua = terminal("U", "UA")
    reports = [
        report("U", "2023-01-01T00:00:00Z", KYIV),
        report("U", "2023-01-10T00:00:00Z", WARSAW),
        report("U", "2023-02-01T00:00:00Z", WARSAW),
    ]

    def code(text: str) -> Code:
        at = t(text)
        return decide(ua, WARSAW, at, h.snapshot(at), reports=reports).code

    assert code("2023-03-11T00:00:00Z") is Code.OKAY  # 60 days exactly
    assert code("2023-03-11T00:00:01Z") is Code.ROAM_RESTRICTED
    # A report back home resets the away run.
    reports.append(report("U", "2023-03-01T00:00:00Z", KYIV))
    assert code("2023-04-01T00:00:00Z") is Code.OKAY


def test_roam_plan_unlimited_by_default_and_settable() -> None:
    h = _roam_history()
    roamer = terminal("R", "UA", plan="roam")
    reports = [report("R", "2022-01-01T00:00:00Z", WARSAW)]
    at = t("2023-01-01T00:00:00Z")
    assert decide(roamer, WARSAW, at, h.snapshot(at), reports=reports).code is Code.OKAY
    strict = DecisionSettings(roam_abroad_days=60.0)
    d = decide(roamer, WARSAW, at, h.snapshot(at), reports=reports, settings=strict)
    assert d.code is Code.ROAM_RESTRICTED
    assert "since 2022-01-01T00:00:00Z" in d.reasons[0]


def test_visitors_admitted_in_available_and_waitlist_only() -> None:
    """Starlink: roaming works in markets marked available or waitlist."""
    h = _roam_history()
    visitor = terminal("V", "PL", plan="roam")
    at = t("2023-01-01T00:00:00Z")
    tokyo = (35.6762, 139.6503)
    assert decide(visitor, tokyo, at, h.snapshot(at)).code is Code.OKAY
    only_available = DecisionSettings(roaming_statuses=(CountryStatus.AVAILABLE,))
    d = decide(visitor, tokyo, at, h.snapshot(at), settings=only_available)
    assert d.code is Code.ROAM_RESTRICTED
    d = decide(visitor, MOSCOW, at, h.snapshot(at))
    assert d.code is Code.BLOCKED_COUNTRY
    assert "roaming:V:status" in d.rules


def test_at_sea_maritime_and_aviation_are_served() -> None:
    h = history(europe_statuses())
    at = t("2023-01-01T00:00:00Z")
    for klass in ("maritime", "aviation"):
        d = decide(terminal("S", klass=klass), MID_ATLANTIC, at, h.snapshot(at))
        assert (d.code, d.country, d.country_status) == (Code.OKAY, None, None)
    d = decide(terminal("S", klass="business"), MID_ATLANTIC, at, h.snapshot(at))
    assert d.code is Code.IN_OCEAN


def test_territorial_sea_belongs_to_the_country() -> None:
    """10 km off Sevastopol is Ukraine's territorial sea (12 nmi), not the ocean."""
    h = history(europe_statuses())
    at = t("2023-01-01T00:00:00Z")
    d = decide(None, (44.55, 33.35), at, h.snapshot(at))
    assert (d.code, d.country) == (Code.OKAY, "UA")


def test_invalid_positions_are_unknown_location() -> None:
    h = history(europe_statuses())
    at = t("2023-01-01T00:00:00Z")
    for position in [None, (np.nan, 30.0), (91.0, 0.0), (0.0, 181.0)]:
        d = decide(None, position, at, h.snapshot(at))
        assert (d.code, d.cell, d.country) == (Code.UNKNOWN_LOCATION, None, None)


def test_a_snapshot_for_another_instant_is_refused() -> None:
    h = history(europe_statuses())
    with pytest.raises(InputError, match="snapshot is for 2023-01-01T00:00:00Z"):
        decide(None, KYIV, t("2023-01-02T00:00:00Z"), h.snapshot(t("2023-01-01T00:00:00Z")))


def test_history_snapshot_picks_latest_change_and_latest_id_on_ties() -> None:
    changes: list[CountryStatusChange] = [
        status(1, "UA", "available", "2022-01-01T00:00:00Z"),
        status(2, "UA", "blocked", "2022-06-01T00:00:00Z"),
        status(3, "UA", "waitlist", "2022-06-01T00:00:00Z"),
    ]
    h = history(changes)
    assert h.snapshot(t("2022-05-31T00:00:00Z")).country_statuses["UA"].id == 1
    assert h.snapshot(t("2022-06-01T00:00:00Z")).country_statuses["UA"].id == 3
