"""The decision engine: does this terminal, at this position and instant, get service — and why.

`decide` is the reference: one decision, every rule evaluated in plain Python over a
`PolicySnapshot` (the policy in force at that instant, `Store.policy_at`).  The batch engine
(`leolink.policy.batch`) computes the same codes for arrays of positions and instants, and is
tested against this one.

Every rule is evaluated, and all that fire are listed (``rules``, with a plain-words
``reasons`` line each); the ``code`` is the first in this fixed precedence:

=====  ======================  ===========================================================
rank   code                    fires when
=====  ======================  ===========================================================
1      NO_ACTIVE_ACCOUNT       the terminal is ``deactivated`` (it has no service plan)
2      ACCOUNT_DISABLED        the terminal is ``suspended`` (the operator switched it off)
3      UNKNOWN_LOCATION        no position, or one off the globe (NaN, |lat| > 90, |lon| > 180)
4      BLOCKED_AREA            inside a *deny* geofence drawn as a region (GeoJSON), or inside an
                               *allowlist* geofence the terminal is not a member of
5      CELL_IS_DISABLED        inside a *deny* geofence given only as explicit H3 cells: the
                               operator switched those cells off; or in a cell that Starlink's
                               availability map marks ``blacklisted`` (a cell status)
6      BLOCKED_COUNTRY         in a country whose status is ``blocked``
7      UNLICENSED_COUNTRY      in a country that is ``coming_soon`` or ``service_date_unknown``,
                               or has no status on record (nothing licensed is assumed); or, for a
                               new terminal (``terminal=None``), in a cell the map marks
                               ``waitlisted_*`` or ``coming_soon_*`` (sold out, expanding in a
                               year, service date unknown)
8      IN_OCEAN                beyond any territorial sea (12 nmi), for classes other than
                               ``maritime`` and ``aviation``
9      ROAM_RESTRICTED         away from the home country in a country whose status is not one
                               a visitor may use (default: ``available``, ``waitlist``), or away
                               longer than the plan allows (``standard``: 2 months by default)
10     NO_SATELLITE_IN_VIEW    policy allows service but no satellite is above the mask
11     OKAY                    none of the above
=====  ======================  ===========================================================

Why this order: the account is the terminal's own state and is known before anything about
the place; a position is needed for every later rule; an operator's geofence is the most
specific rule about a place (an area, then single cells) and names who decided it; then the
country's licence, strongest first; the ocean; the customer's plan; and last the physics,
which is only looked at when policy allows service.  A geofence is told apart from a cell
switch-off by how the operator drew it: a region (possibly with extra cells) is an area
decision, BLOCKED_AREA; a list of cells alone is CELL_IS_DISABLED.

Cell statuses, country statuses and geofences — one precedence.  A cell status
(`leolink.policy.records.CellStatusChange`, Starlink's own map category of an H3 resolution-5
cell) is more specific than its country's status and less specific than an operator's
geofence, so it sits between them: a region geofence (BLOCKED_AREA) outranks a blacklisted
cell, which outranks any country status (a blacklisted cell in an ``available`` country is
off; in a ``blocked`` country the cell's CELL_IS_DISABLED is the code and BLOCKED_COUNTRY is
listed after it).  A waitlisted or coming-soon cell refuses a new terminal with
UNLICENSED_COUNTRY — Starlink's terminal vocabulary has no waitlist code, and "not licensed for
this place (yet)" is what the map says there — while a registered terminal keeps service
(Starlink lets existing customers keep service in a sold-out cell); categories with no effect
(``test``, ``faq``, ones not seen before) change nothing.  Cell statuses only ever withdraw
service: a cell status never opens a cell that its country's status closes.  Cells are matched
at resolution 5, the map's, whatever the decision's resolution.

A terminal may be None: a prospective terminal asking "would I get service here".  It has no
account to check, is of class ``residential`` (settable) on a ``standard`` plan, is at home
wherever it is (so no roaming rule applies) and is in no allow-list.

Roaming: a terminal's *away run* starts at its first position report outside its home country
after its last report inside it (reports up to the instant decided; at sea counts as away);
the position decided counts as a report at that instant.  Starlink's support pages allow use
in another country "up to 2 months per trip", and only where the map marks the place
"Available" or "Waitlist", else service "may be suspended immediately" (Starlink support,
Roam plans: https://www.starlink.com/support/article/dd5b43b5-20e1-b29b-2d7d-a7ffd0541988 and
https://www.starlink.com/sw-ke/support/article/0dd1c2c0-7bae-8c8f-43d4-9a64eb66662f).  Starlink
states that allowance for its Roam plans; docs/DESIGN.md's plans are ``standard`` (served at home)
and ``roam`` (anywhere available), so the model gives the 2 months to ``standard`` and leaves
``roam`` unlimited — both settable in `DecisionSettings`.

Terminal state is the terminal's current state (the store keeps state changes in the audit
log only); statuses, geofences and allow-lists are those in force at the instant decided.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

import numpy as np

from leolink.errors import InputError
from leolink.geo import grid
from leolink.geo.countries import all_countries, countries_at
from leolink.policy._areas import area_contains, fence_area
from leolink.policy.commitments import SEALED_REASON
from leolink.policy.records import (
    CellEffect,
    CellStatusChange,
    CountryStatus,
    CountryStatusChange,
    CustomerClass,
    Geofence,
    GeofenceEffect,
    Plan,
    PolicySnapshot,
    PositionReport,
    Terminal,
    TerminalState,
)
from leolink.policy.sky import Serving, Sky, SkyCheck
from leolink.time import format_instant, parse_instant

__all__ = [
    "DEFAULT_SETTINGS",
    "DENIED_BY_POLICY",
    "PRECEDENCE",
    "STATUS_CODES",
    "Code",
    "Decision",
    "DecisionSettings",
    "FiredRule",
    "cell_status_rule",
    "decide",
    "geofence_code",
    "status_words",
]


class Code(StrEnum):
    """The decision codes, the vocabulary Starlink terminals report (plus a physical outage)."""

    OKAY = "OKAY"
    NO_ACTIVE_ACCOUNT = "NO_ACTIVE_ACCOUNT"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    UNKNOWN_LOCATION = "UNKNOWN_LOCATION"
    IN_OCEAN = "IN_OCEAN"
    BLOCKED_COUNTRY = "BLOCKED_COUNTRY"
    UNLICENSED_COUNTRY = "UNLICENSED_COUNTRY"
    CELL_IS_DISABLED = "CELL_IS_DISABLED"
    BLOCKED_AREA = "BLOCKED_AREA"
    ROAM_RESTRICTED = "ROAM_RESTRICTED"
    NO_SATELLITE_IN_VIEW = "NO_SATELLITE_IN_VIEW"


#: The fixed precedence, first wins (see the module docstring).
PRECEDENCE: Final[tuple[Code, ...]] = (
    Code.NO_ACTIVE_ACCOUNT,
    Code.ACCOUNT_DISABLED,
    Code.UNKNOWN_LOCATION,
    Code.BLOCKED_AREA,
    Code.CELL_IS_DISABLED,
    Code.BLOCKED_COUNTRY,
    Code.UNLICENSED_COUNTRY,
    Code.IN_OCEAN,
    Code.ROAM_RESTRICTED,
    Code.NO_SATELLITE_IN_VIEW,
    Code.OKAY,
)
_RANK: Final = {code: i for i, code in enumerate(PRECEDENCE)}

#: Codes that policy decides (everything but the physics and OKAY).
DENIED_BY_POLICY: Final[frozenset[Code]] = frozenset(PRECEDENCE[:9])

_STATUS_WORDS: Final = {
    CountryStatus.AVAILABLE: "service available",
    CountryStatus.WAITLIST: "service available, new orders on a waitlist",
    CountryStatus.COMING_SOON: "service coming soon, not yet licensed",
    CountryStatus.SERVICE_DATE_UNKNOWN: "service date unknown",
    CountryStatus.BLOCKED: "service blocked",
}


#: The code each country status refuses service with (a status not here allows it); ``None`` is
#: no status on record: nothing licensed is assumed.  Both engines read it.
STATUS_CODES: Final[Mapping[CountryStatus | None, Code]] = MappingProxyType(
    {
        CountryStatus.BLOCKED: Code.BLOCKED_COUNTRY,
        CountryStatus.COMING_SOON: Code.UNLICENSED_COUNTRY,
        CountryStatus.SERVICE_DATE_UNKNOWN: Code.UNLICENSED_COUNTRY,
        None: Code.UNLICENSED_COUNTRY,
    }
)


def status_words(status: CountryStatus) -> str:
    """A country status in the words of Starlink's availability map legend."""
    return _STATUS_WORDS[status]


@dataclass(frozen=True)
class DecisionSettings:
    """The engine's tunable rules; the defaults follow Starlink's published terms.

    ``standard_abroad_days`` / ``roam_abroad_days``: how long a terminal on that plan may stay
    away from its home country (None: no limit); 60 days is Starlink's "2 months per trip".
    ``roaming_statuses``: the country statuses a visitor may use (Starlink: "Available" or
    "Waitlist").  ``ocean_classes``: classes served beyond territorial seas.
    ``prospective_class``: the class of a prospective terminal (``terminal=None``).
    ``resolution``: the H3 resolution of the decision's cell (5, Starlink's map).
    """

    standard_abroad_days: float | None = 60.0
    roam_abroad_days: float | None = None
    roaming_statuses: tuple[CountryStatus, ...] = (CountryStatus.AVAILABLE, CountryStatus.WAITLIST)
    ocean_classes: tuple[CustomerClass, ...] = (CustomerClass.MARITIME, CustomerClass.AVIATION)
    prospective_class: CustomerClass = CustomerClass.RESIDENTIAL
    resolution: int = grid.DEFAULT_RESOLUTION

    def abroad_days(self, plan: Plan) -> float | None:
        """How many days a terminal on ``plan`` may stay away from home (None: unlimited)."""
        return self.standard_abroad_days if plan is Plan.STANDARD else self.roam_abroad_days


DEFAULT_SETTINGS: Final = DecisionSettings()


@dataclass(frozen=True)
class FiredRule:
    """One rule that fired: the code it asks for, its id, and the reason in plain words."""

    code: Code
    rule: str
    reason: str


@dataclass(frozen=True)
class Decision:
    """The answer for (terminal, position, instant), with everything needed to account for it.

    ``cell`` is the H3 cell (resolution 5 by default) as hex, ``country`` the ISO alpha-2 code
    (None at sea; an alpha-3 code for the four places without one), ``country_status`` its
    status in force (None at sea or with none on record), ``rules`` the ids of the rules that
    fired (ordered by precedence, the deciding one first), ``reasons`` a line per rule (for an
    allowed decision: why it is allowed), ``serving`` the serving satellite when allowed and
    the sky was checked.  ``fired`` keeps the rules themselves.
    """

    allowed: bool
    code: Code
    reasons: tuple[str, ...]
    cell: str | None
    country: str | None
    country_status: CountryStatus | None
    rules: tuple[str, ...]
    policy_version: int
    serving: Serving | None
    fired: tuple[FiredRule, ...] = field(default=(), compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The fields of docs/DESIGN.md: allowed, code, reasons, cell, country, ..., serving."""
        return {
            "allowed": self.allowed,
            "code": self.code.value,
            "reasons": list(self.reasons),
            "cell": self.cell,
            "country": self.country,
            "country_status": None if self.country_status is None else self.country_status.value,
            "rules": list(self.rules),
            "policy_version": self.policy_version,
            "serving": None if self.serving is None else self.serving.to_dict(),
        }


# --- pieces shared with the batch engine ------------------------------------------------------


def geofence_code(fence: Geofence) -> Code:
    """What a deny geofence says: BLOCKED_AREA for a region, CELL_IS_DISABLED for cells alone."""
    return Code.CELL_IS_DISABLED if fence.area_geojson is None else Code.BLOCKED_AREA


def _window(fence: Geofence) -> str:
    if fence.window_start is not None:
        start = f"from {format_instant(fence.window_start)}"
    elif fence.approved_at is not None:
        start = f"from its approval at {format_instant(fence.approved_at)}"
    else:
        start = "from its approval"
    end = "" if fence.window_end is None else f" until {format_instant(fence.window_end)}"
    return start + end


def _who(fence: Geofence) -> str:
    if fence.reconstruction:
        # Its window is history; its recording is the day it was reconstructed.
        who = (
            f"proposed by {fence.proposer}, approved by {fence.approver}"
            if fence.approver is not None
            else f"put in force by {fence.proposer}"
        )
        recorded = format_instant(fence.recorded_at)
        return f"{who} — a reconstruction of the public record, recorded {recorded}"
    when = "" if fence.approved_at is None else f" ({format_instant(fence.approved_at)})"
    if fence.approver is None:
        return f"put in force by {fence.proposer}{when}, within one operator's limit"
    return f"proposed by {fence.proposer}, approved by {fence.approver}{when}"


def _fence_rule(fence: Geofence, terminal: Terminal | None, members: frozenset[str]) -> FiredRule:
    name = f"{fence.name!r} ({fence.id})"
    # A decision is public: a sealed fence's reason is for auditors (`policy.commitments`).
    reason = SEALED_REASON if fence.sealed else fence.reason
    if fence.effect is GeofenceEffect.DENY:
        code = geofence_code(fence)
        what = "cells switched off" if code is Code.CELL_IS_DISABLED else "service denied in area"
        return FiredRule(
            code,
            f"geofence:{fence.id}",
            f"{what} {name}, {_window(fence)}; {_who(fence)}: {reason}",
        )
    who = "a new terminal is" if terminal is None else f"terminal {terminal.id} is"
    return FiredRule(
        Code.BLOCKED_AREA,
        f"allowlist:{fence.id}",
        f"only registered terminals get service in {name}, {_window(fence)}, and {who} not "
        f"among its {len(members)}; {_who(fence)}: {reason}",
    )


#: The resolution of Starlink's availability map, at which cell statuses are matched.
CELL_STATUS_RESOLUTION: Final = 5


def cell_status_rule(
    change: CellStatusChange, cell: str, terminal: Terminal | None
) -> FiredRule | None:
    """The rule a cell status fires for ``terminal`` in ``cell`` (None: it keeps service).

    The reason names the map category in Starlink's words, the map's publication date and its
    source; the rule id names the cell-status change (whose audit record keeps who approved it).
    """
    rule = f"cell_status:{change.id}"
    where = (
        f"cell {cell}: '{change.words}' on Starlink's availability map published "
        f"{change.published} ({change.source})"
    )
    if change.effect is CellEffect.DISABLED:
        return FiredRule(Code.CELL_IS_DISABLED, rule, f"{where}: the cell is switched off")
    if change.effect is CellEffect.CLOSED_TO_NEW and terminal is None:
        return FiredRule(
            Code.UNLICENSED_COUNTRY,
            rule,
            f"{where}: not open to new terminals (registered terminals keep service)",
        )
    return None


def _status_rule(name: str, code: str, change: CountryStatusChange | None) -> FiredRule | None:
    """The country rule that fires for this status (None when the status allows service).

    The reason gives the status, since when and the status's note; the rule id names the
    status change, whose record keeps the source.
    """
    if change is None:
        return FiredRule(
            STATUS_CODES[None],
            f"country_status:{code}:none",
            f"{name}: no service status on record — not licensed as far as this policy knows",
        )
    since = format_instant(change.effective_from)
    note = f" — {change.note}" if change.note else ""
    if change.reconstruction:
        recorded = format_instant(change.recorded_at)
        note += f"; a reconstruction of the public record, recorded {recorded}"
    rule = f"country_status:{change.id}"
    words = status_words(change.status)
    refusal = STATUS_CODES.get(change.status)
    if refusal is None:
        return None
    return FiredRule(refusal, rule, f"{name}: {words}{note} (since {since})")


def _away_since(
    terminal: Terminal,
    here_is_home: bool,
    at: np.datetime64,
    reports: Sequence[PositionReport],
) -> np.datetime64 | None:
    """Start of the terminal's current away run (None if it is at home now)."""
    if here_is_home:
        return None
    mine = sorted(
        (r for r in reports if r.terminal_id == terminal.id and r.reported_at <= at),
        key=lambda r: r.reported_at,
    )
    since = at
    if not mine:
        return since
    lookup = countries_at([r.lat_deg for r in mine], [r.lon_deg for r in mine])
    table = all_countries()
    for report, index in zip(reversed(mine), lookup.index[::-1].tolist(), strict=True):
        if index >= 0 and table[index].code == terminal.home_country:
            break
        since = report.reported_at
    return since


def _days(delta: np.timedelta64) -> float:
    return float(delta.astype("timedelta64[ns]").astype(np.int64)) / 86_400e9


def _is_position(lat: float, lon: float) -> bool:
    return bool(np.isfinite(lat) and np.isfinite(lon) and abs(lat) <= 90.0 and abs(lon) <= 180.0)


def decide(
    terminal: Terminal | None,
    position: tuple[float, float] | None,
    at: str | np.datetime64,
    policy: PolicySnapshot,
    *,
    reports: Sequence[PositionReport] = (),
    sky: Sky | None = None,
    settings: DecisionSettings = DEFAULT_SETTINGS,
) -> Decision:
    """Decide whether ``terminal`` at ``position`` = (lat_deg, lon_deg) gets service at ``at``.

    ``policy`` is the policy in force at ``at`` (``store.policy_at(at)``; a snapshot for
    another instant is refused).  ``reports`` are the terminal's position reports, for the
    roaming rule (earlier ones suffice).  ``sky`` checks the serving satellite; without it the
    decision is about policy only and ``serving`` stays None.  See the module docstring for
    the rules and their precedence.
    """
    t = parse_instant(at)
    if abs(int((policy.at - t).astype("timedelta64[ns]").astype(np.int64))) >= 1_000:
        raise InputError(
            f"the policy snapshot is for {format_instant(policy.at)}, not for "
            f"{format_instant(t)}: read the policy in force at the instant decided"
        )
    lat, lon = (float("nan"), float("nan")) if position is None else map(float, position)
    cell: str | None = None
    country_index = -1
    if _is_position(lat, lon):
        cell = grid.cells_to_hex(grid.latlng_to_cells(lat, lon, settings.resolution))[0]
        country_index = int(countries_at(lat, lon).index)

    def sky_check() -> SkyCheck | None:
        return None if sky is None else sky.serving(lat, lon, t)

    return explain(
        terminal,
        None if position is None else (lat, lon),
        t,
        policy,
        cell,
        country_index,
        reports=reports,
        sky_check=sky_check,
        settings=settings,
    )


def explain(
    terminal: Terminal | None,
    position: tuple[float, float] | None,
    t: np.datetime64,
    policy: PolicySnapshot,
    cell: str | None,
    country_index: int,
    *,
    reports: Sequence[PositionReport] = (),
    sky_check: Callable[[], SkyCheck | None] = lambda: None,
    inside: Callable[[Geofence], bool] | None = None,
    map_cell: str | None = None,
    settings: DecisionSettings = DEFAULT_SETTINGS,
) -> Decision:
    """The decision with every rule and reason, once the position is located: its ``cell``
    (None for no position) and ``country_index`` into `all_countries` (-1 at sea).
    ``inside(fence)`` says whether the position is in a geofence's area (default: the exact
    test; the batch engine answers from its cell tables, testing only cells on an edge);
    ``map_cell`` is the position's cell at `CELL_STATUS_RESOLUTION` (default: located here).

    `decide` locates one position; the batch engine locates all its rows at once and explains
    each with this.  ``sky_check`` gives the serving satellite's check, asked only when no
    rule refused (None: no sky given).
    """
    fired: list[FiredRule] = []
    notes: list[str] = []
    admitted: list[str] = []
    if terminal is not None:
        if terminal.state is TerminalState.DEACTIVATED:
            fired.append(
                FiredRule(
                    Code.NO_ACTIVE_ACCOUNT,
                    f"account:{terminal.id}",
                    f"terminal {terminal.id} (account {terminal.account}) is deactivated: "
                    "it has no active service plan",
                )
            )
        elif terminal.state is TerminalState.SUSPENDED:
            fired.append(
                FiredRule(
                    Code.ACCOUNT_DISABLED,
                    f"account:{terminal.id}",
                    f"terminal {terminal.id} (account {terminal.account}) is suspended by the "
                    f"operator (since {format_instant(terminal.updated_at)})",
                )
            )
    lat, lon = (float("nan"), float("nan")) if position is None else position
    if cell is None:
        fired.append(
            FiredRule(
                Code.UNKNOWN_LOCATION,
                "location",
                "no position"
                if position is None
                else f"({lat}, {lon}) is not a position on the globe (|lat| <= 90, |lon| <= 180)",
            )
        )
        return _finish(fired, [], [], None, None, None, policy.version, None)

    country = all_countries()[country_index] if country_index >= 0 else None
    klass = settings.prospective_class if terminal is None else terminal.customer_class

    for fence in sorted(policy.geofences, key=lambda f: f.id):
        if not fence.applies_to(klass):
            continue
        if inside is not None:
            if not inside(fence):
                continue
        elif not bool(area_contains(fence_area(fence.area_geojson, fence.cells), lat, lon)[0]):
            continue
        members = policy.allowlists.get(fence.id, frozenset())
        if (
            fence.effect is GeofenceEffect.ALLOWLIST
            and terminal is not None
            and terminal.id in members
        ):
            notes.append(f"registered in allow-list {fence.name!r} ({fence.id})")
            admitted.append(f"allowlist:{fence.id}")
            continue
        fired.append(_fence_rule(fence, terminal, members))

    if policy.cell_statuses:
        if map_cell is None:
            located = grid.latlng_to_cells(lat, lon, CELL_STATUS_RESOLUTION)
            map_cell = grid.cells_to_hex(located)[0]
        for cell_change in sorted(policy.cell_statuses, key=lambda c: c.id):
            if map_cell not in cell_change.cells:
                continue
            cell_rule = cell_status_rule(cell_change, map_cell, terminal)
            if cell_rule is not None:
                fired.append(cell_rule)
            elif cell_change.effect is CellEffect.CLOSED_TO_NEW:
                notes.append(
                    f"cell {map_cell}: '{cell_change.words}' on Starlink's map; a registered "
                    "terminal keeps service"
                )

    change = None
    if country is None:
        if klass not in settings.ocean_classes:
            fired.append(
                FiredRule(
                    Code.IN_OCEAN,
                    "ocean",
                    f"({lat:.4f}, {lon:.4f}) is beyond any territorial sea (12 nmi) and "
                    f"{klass.value} terminals are not served at sea",
                )
            )
        else:
            notes.append(f"at sea, where {klass.value} terminals are served")
    else:
        change = policy.country_statuses.get(country.iso_a2 or "")
        place = f"{country.name} ({country.code})"
        rule = _status_rule(place, country.code, change)
        if rule is not None:
            fired.append(rule)
        elif change is not None:
            notes.append(
                f"{place}: {status_words(change.status)} since "
                f"{format_instant(change.effective_from)}"
            )
        if terminal is not None and country.code != terminal.home_country:
            fired += _roaming(terminal, place, change, t, reports, settings)

    return _finish(
        fired,
        notes,
        admitted,
        cell,
        country.code if country is not None else None,
        change,
        policy.version,
        sky_check,
    )


def _roaming(
    terminal: Terminal,
    place: str,
    change: CountryStatusChange | None,
    t: np.datetime64,
    reports: Sequence[PositionReport],
    settings: DecisionSettings,
) -> list[FiredRule]:
    out = []
    status = None if change is None else change.status
    if status not in settings.roaming_statuses:
        shown = "no status" if status is None else status.value
        out.append(
            FiredRule(
                Code.ROAM_RESTRICTED,
                f"roaming:{terminal.id}:status",
                f"terminal {terminal.id} (home {terminal.home_country}) is in {place}, whose "
                f"status ({shown}) does not admit visitors",
            )
        )
    limit = settings.abroad_days(terminal.plan)
    if limit is not None:
        since = _away_since(terminal, False, t, reports)
        assert since is not None
        days = _days(t - since)
        if days > limit:
            out.append(
                FiredRule(
                    Code.ROAM_RESTRICTED,
                    f"roaming:{terminal.id}:{terminal.plan.value}",
                    f"terminal {terminal.id} on a {terminal.plan.value} plan (home "
                    f"{terminal.home_country}) has been away from home since "
                    f"{format_instant(since)}, {days:.0f} days, more than the {limit:g} days "
                    "its plan allows",
                )
            )
    return out


def _finish(
    fired: list[FiredRule],
    notes: list[str],
    admitted: list[str],
    cell: str | None,
    country: str | None,
    change: CountryStatusChange | None,
    version: int,
    sky_check: Callable[[], SkyCheck | None] | None,
) -> Decision:
    fired.sort(key=lambda r: _RANK[r.code])
    status = None if change is None else change.status
    serving = None
    if not fired and sky_check is not None:
        check = sky_check()
        if check is not None:
            if check.checked and check.serving is None:
                fired.append(FiredRule(Code.NO_SATELLITE_IN_VIEW, check.rule, check.note))
            else:
                serving = check.serving
                notes.append(check.note)
        else:
            notes.append("satellite service not checked (policy only: no satellite sky given)")
    if fired:
        return Decision(
            allowed=False,
            code=fired[0].code,
            reasons=tuple(r.reason for r in fired),
            cell=cell,
            country=country,
            country_status=status,
            rules=tuple(r.rule for r in fired),
            policy_version=version,
            serving=None,
            fired=tuple(fired),
        )
    rules = (*admitted, *(() if change is None else (f"country_status:{change.id}",)))
    return Decision(
        allowed=True,
        code=Code.OKAY,
        reasons=tuple(notes),
        cell=cell,
        country=country,
        country_status=status,
        rules=rules,
        policy_version=version,
        serving=serving,
        fired=(),
    )
