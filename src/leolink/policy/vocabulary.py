"""The service-control vocabulary: the closed sets of words the records, the engine, the
store, the service and the command line share (statuses, effects, classes, roles, ...).

Plain string enumerations with no numerical dependency, so that the command line can offer
them as choices without importing the model (issue 16: ``leolink --help`` within 0.5 s).
`leolink.policy.records` re-exports them beside the records that use them.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AsOf",
    "ChangeState",
    "CountryStatus",
    "CustomerClass",
    "GeofenceEffect",
    "Plan",
    "Role",
    "TerminalState",
]


class CountryStatus(StrEnum):
    """A country's service status, the legend of Starlink's availability map."""

    AVAILABLE = "available"
    WAITLIST = "waitlist"
    COMING_SOON = "coming_soon"
    SERVICE_DATE_UNKNOWN = "service_date_unknown"
    BLOCKED = "blocked"


class ChangeState(StrEnum):
    """Where a country-status change or a geofence is in its life.

    ``proposed``: waits for a second operator (two-person rule); not in force.
    ``approved``: a second operator approved it; in force (a geofence within its window).
    ``active``: a geofence small enough to need no second operator; in force on creation.
    ``rejected``: a second operator refused it; never in force.
    ``withdrawn``: taken back; a proposal never came in force, an approved geofence stops.
    Country-status changes are never ``active`` and cannot be withdrawn once approved: a new
    change supersedes them, which keeps the history.
    """

    PROPOSED = "proposed"
    APPROVED = "approved"
    ACTIVE = "active"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class GeofenceEffect(StrEnum):
    """``deny``: no service inside; ``allowlist``: inside, only member terminals get service."""

    DENY = "deny"
    ALLOWLIST = "allowlist"


class CustomerClass(StrEnum):
    """Who a terminal serves; geofences may apply to some classes only."""

    RESIDENTIAL = "residential"
    BUSINESS = "business"
    MARITIME = "maritime"
    AVIATION = "aviation"
    GOVERNMENT = "government"


class Plan(StrEnum):
    """``standard`` serves at the registered home; ``roam`` anywhere service is available."""

    STANDARD = "standard"
    ROAM = "roam"


class TerminalState(StrEnum):
    """A terminal's account state."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    DEACTIVATED = "deactivated"


class Role(StrEnum):
    """What an API key may do (the HTTP service enforces it; the store records it)."""

    VIEWER = "viewer"
    TERMINAL = "terminal"
    OPERATOR = "operator"
    AUDITOR = "auditor"
    ADMIN = "admin"


class AsOf(StrEnum):
    """Which records a decision about an instant uses (`leolink.policy.asof`).

    ``recorded``: only what had been recorded by that instant (as recorded then);
    ``known``: everything recorded so far (as known now).
    """

    RECORDED = "recorded"
    KNOWN = "known"

    @property
    def other(self) -> AsOf:
        """The other view."""
        return AsOf.KNOWN if self is AsOf.RECORDED else AsOf.RECORDED
