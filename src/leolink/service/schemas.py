"""The JSON the service takes and gives, as pydantic models (and so its OpenAPI schema).

Conventions: times are ISO 8601 UTC strings with ``Z`` (``2026-05-13T12:00:00Z``); latitude
comes before longitude everywhere but in GeoJSON, whose coordinates are ``[lon, lat]``; every
request body refuses unknown fields, so a misspelt field is an error rather than ignored.
Lists are pages: ``{items, next}``, where ``next`` is what to pass as ``after`` for the next
page (null on the last one).
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from leolink.api import (
    AsOf,
    Code,
    CountryStatus,
    CustomerClass,
    GeofenceEffect,
    Plan,
    PositionReport,
    TerminalState,
)

__all__ = [
    "AuditPage",
    "AuditRecordOut",
    "BatchOut",
    "BatchRequest",
    "CatalogInfo",
    "CellAvailability",
    "CellsOut",
    "CountryStatusProposal",
    "CoverageFigureOut",
    "CoverageOut",
    "CoverageStatisticsOut",
    "CoverageSummaryOut",
    "DecisionOut",
    "DecisionRequest",
    "FeatureCollectionIn",
    "FeatureIn",
    "GatewayOut",
    "GeofenceDecision",
    "GeofenceProposal",
    "GroundSegmentOut",
    "Health",
    "HopOut",
    "ImpactOut",
    "Instant",
    "Latitude",
    "Longitude",
    "MultiPolygonIn",
    "Page",
    "PolygonIn",
    "PopOut",
    "PositionReportIn",
    "PositionReportsIn",
    "PositionReportsOut",
    "ProblemDetails",
    "Reason",
    "RouteOut",
    "SatelliteColumns",
    "Satellites",
    "ServingLatencyOut",
    "ServingOut",
    "SiteRefOut",
    "Suspension",
    "TerminalIn",
    "TerminalPositionOut",
    "TerminalPositionsOut",
    "Verification",
    "VisibleSatelliteOut",
]

T = TypeVar("T")

#: An ISO 8601 UTC instant such as ``2026-05-13T12:00:00Z`` (checked by `leolink.time`).
Instant = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        json_schema_extra={"format": "date-time"},
        examples=["2026-05-13T12:00:00Z"],
    ),
]


def _not_boolean(value: Any) -> Any:
    """Refuse JSON ``true``/``false`` where a number is expected (pydantic would take 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError("a number is expected, not a boolean")
    return value


#: A number, never a boolean.
Number = BeforeValidator(_not_boolean)
Latitude = Annotated[float, Number, Field(ge=-90.0, le=90.0, allow_inf_nan=False, examples=[50.45])]
Longitude = Annotated[
    float, Number, Field(ge=-180.0, le=180.0, allow_inf_nan=False, examples=[30.52])
]
#: Free text: no control characters but tab and line breaks (NUL cannot be stored in
#: PostgreSQL's text; refusing it keeps both stores alike).
_FREE_TEXT: Final = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
#: One line of text: no control characters at all.
_LINE: Final = r"^[^\x00-\x1f\x7f]*$"
Text = Annotated[str, Field(min_length=1, max_length=2_000, pattern=_FREE_TEXT)]
ShortText = Annotated[str, Field(min_length=1, max_length=200, pattern=_LINE)]
EntityId = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$", examples=["UT-0001"])
]
CountryCode = Annotated[
    str, Field(pattern=r"^[A-Za-z]{2}$", examples=["UA"], description="ISO 3166-1 alpha-2")
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemDetails(BaseModel):
    """An error (RFC 9457); extra members such as ``errors`` may follow."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:leolink:problem:not-found"])
    title: str
    status: int
    detail: str
    instance: str


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next`` as ``after`` for the following page."""

    items: list[T]
    next: str | None


# --- public reads --------------------------------------------------------------------------


class CatalogInfo(BaseModel):
    """The satellite catalog the service computes with."""

    satellites: int
    epoch_min: str
    epoch_max: str
    refresh: str | None = Field(
        default=None,
        description="With ``leolink serve --catalog-refresh``: what the last refresh did (or "
        "why it failed: the catalog in use stays).",
    )


class Health(BaseModel):
    """``status`` is ``ok`` when the store answers."""

    status: Literal["ok"]
    version: str
    catalog: CatalogInfo
    policy_version: int


class SatelliteColumns(BaseModel):
    """Satellites as columns: the i-th entry of every list is the i-th satellite.

    Latitude and longitude are rounded to 1e-4 degrees (11 m), altitude to 10 m: plenty for a
    map, and half the bytes of full precision.
    """

    norad_id: list[int]
    name: list[str]
    lat_deg: list[float]
    lon_deg: list[float]
    alt_km: list[float]


class Satellites(BaseModel):
    """Where the catalog's satellites are at ``at`` (those SGP4 could propagate)."""

    at: str
    count: int
    warning: str | None = Field(
        description="Set when the catalog's element sets are stale at ``at``."
    )
    satellites: SatelliteColumns


class VisibleSatelliteOut(BaseModel):
    """One satellite above the elevation mask, as ``leolink visible`` prints it."""

    norad_id: int
    name: str
    elevation_deg: float
    azimuth_deg: float
    range_km: float


# --- country statuses --------------------------------------------------------------------


class Reason(_In):
    """Why: every change is recorded with its reason."""

    reason: Text


class CountryStatusProposal(_In):
    """A proposed status of a country from ``effective_from`` on (waits for a second operator)."""

    country: CountryCode
    status: CountryStatus
    effective_from: Instant
    source: Text = Field(description="Where the status comes from: a URL or a citation.")
    note: Annotated[str, Field(max_length=2_000, pattern=_FREE_TEXT)] = ""
    reason: Text


# --- geofences ------------------------------------------------------------------------------

Position = Annotated[
    list[Annotated[float, Number, Field(allow_inf_nan=False)]], Field(min_length=2, max_length=3)
]
Ring = Annotated[list[Position], Field(min_length=4, max_length=100_000)]


class PolygonIn(_In):
    """A GeoJSON Polygon: rings of ``[lon, lat]`` positions, the first one the outer ring."""

    type: Literal["Polygon"]
    coordinates: Annotated[list[Ring], Field(min_length=1)]


class MultiPolygonIn(_In):
    """A GeoJSON MultiPolygon."""

    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[Annotated[list[Ring], Field(min_length=1)]], Field(min_length=1)]


class FeatureIn(BaseModel):
    """A GeoJSON Feature whose geometry is a (Multi)Polygon."""

    model_config = ConfigDict(extra="allow")

    type: Literal["Feature"]
    geometry: Annotated[PolygonIn | MultiPolygonIn, Field(discriminator="type")]
    properties: dict[str, Any] | None = None


class FeatureCollectionIn(BaseModel):
    """A GeoJSON FeatureCollection of (Multi)Polygon features."""

    model_config = ConfigDict(extra="allow")

    type: Literal["FeatureCollection"]
    features: Annotated[list[FeatureIn], Field(min_length=1)]


Area = Annotated[
    PolygonIn | MultiPolygonIn | FeatureIn | FeatureCollectionIn, Field(discriminator="type")
]
Cell = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{15}$", examples=["851e6a1bfffffff"])]


class GeofenceProposal(_In):
    """A geofence to create: an area (GeoJSON, H3 cells or both), its effect, whom and when.

    A small one is in force at once; one larger than the two-person rule allows is proposed
    and waits for a second operator.
    """

    id: EntityId | None = Field(default=None, description="Default: a random gf-... id.")
    name: ShortText
    effect: GeofenceEffect
    area: Area | None = None
    cells: Annotated[list[Cell], Field(max_length=100_000)] = []
    customer_classes: Annotated[list[CustomerClass], Field(min_length=1)] | None = Field(
        default=None, description="Default (null): every customer class."
    )
    window_start: Instant | None = None
    window_end: Instant | None = Field(default=None, description="Exclusive; null: open end.")
    reason: Text
    sealed: bool = Field(
        default=False,
        description="Government fences only: the public log holds a salted commitment to the "
        "area and reason, not the text; auditors read the text and salt at "
        "/v1/geofences/{id}/opening.",
    )


class GeofenceDecision(_In):
    """Approve, reject or withdraw a geofence at the version the caller saw."""

    expected_version: Annotated[int, Number, Field(ge=1, le=2**31 - 1)]
    reason: Text


class GeofenceOpeningOut(BaseModel):
    """What an auditor checks a sealed fence's logged commitment with."""

    id: str
    commitment: str
    salt: str
    area_geojson: str | None
    cells: list[str]
    reason: str


# --- terminals ------------------------------------------------------------------------------


class TerminalIn(_In):
    """A terminal to register."""

    id: EntityId
    account: ShortText
    home_country: CountryCode
    customer_class: CustomerClass
    plan: Plan = Plan.STANDARD
    funding_party: Annotated[str, Field(max_length=200, pattern=_LINE)] | None = None
    reason: Text


class PositionReportIn(_In):
    """Where the terminal was at ``at``."""

    at: Instant
    lat: Latitude
    lon: Longitude


class PositionReportsIn(_In):
    """A batch of position reports (at most the service's ``max_reports``)."""

    reports: Annotated[list[PositionReportIn], Field(min_length=1)]


class PositionReportsOut(BaseModel):
    """The reports as stored."""

    reports: list[PositionReport]


class Suspension(_In):
    """Suspend a terminal, optionally only if it is still at ``expected_version``."""

    reason: Text
    expected_version: Annotated[int, Number, Field(ge=1, le=2**31 - 1)] | None = None


class TerminalPositionOut(BaseModel):
    """A terminal at its latest position report, and what the policy says of it there.

    The decision is the engine's for this terminal at (``lat``, ``lon``) at the page's ``at``,
    as ``POST /v1/decisions`` with ``terminal_id`` gives it but without the satellite check:
    policy only, the terminal's own rules included (account state, allow-lists, roaming).
    ``violation`` is true when ``code`` is one enforcement acts on (``BLOCKED_COUNTRY``,
    ``BLOCKED_AREA``, ``CELL_IS_DISABLED``): the terminal is where it must not be served.
    """

    id: str
    account: str
    state: TerminalState
    home_country: str
    customer_class: CustomerClass
    plan: Plan
    reported_at: str
    lat: float
    lon: float
    cell: str | None
    country: str | None
    country_status: CountryStatus | None
    allowed: bool
    code: Code
    reasons: list[str]
    rules: list[str]
    policy_version: int
    violation: bool


class TerminalPositionsOut(BaseModel):
    """One page of terminals at their latest report at or before ``at``, by id.

    Pass ``next`` as ``after`` for the following page, with the same ``at``.
    """

    at: str
    items: list[TerminalPositionOut]
    next: str | None


# --- audit --------------------------------------------------------------------------------


class AuditRecordOut(BaseModel):
    """One record of the hash-chained audit log."""

    seq: int
    ts: str
    actor: str
    action: str
    entity: str
    entity_id: str
    before: Any
    after: Any
    reason: str
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    """A page of audit records; ``next`` continues the list (``before_seq`` newest first,
    ``after_seq`` oldest first), null on the last page."""

    items: list[AuditRecordOut]
    next: int | None


class Verification(BaseModel):
    """The audit log checked end to end: chain, checkpoints and signed head."""

    ok: bool
    records: int
    first_bad: int | None
    reason: str


# --- decisions ------------------------------------------------------------------------------


class DecisionRequest(_In):
    """A position and instant to decide, for a registered terminal or a prospective one."""

    lat: Latitude
    lon: Longitude
    at: Instant | None = Field(default=None, description="Default: now.")
    terminal_id: EntityId | None = Field(
        default=None, description="A registered terminal; none: a prospective terminal."
    )
    as_: AsOf | None = Field(
        default=None,
        alias="as",
        description="'recorded': decide with only what had been recorded by ``at`` (as recorded "
        "then); 'known': with everything recorded so far (as known now). Either gives the "
        "other view's answer in ``other_view`` where it differs. Default: as known now, "
        "without the comparison.",
    )


class SiteRefOut(BaseModel):
    """A gateway or PoP: its id and name."""

    id: str
    name: str


class ServingLatencyOut(BaseModel):
    """RTT a user at this place would measure to the PoP Starlink assigns, by component: an
    estimate (``estimate`` says so), min / median / p90 over the satellites that may serve and
    the median sample's four components, at an instant ``catalog_age_days`` from the catalog's
    epochs (`leolink.policy.sky.Serving`)."""

    estimate: str
    pop: str
    pop_source: str
    samples: int
    min_rtt_ms: float | None
    median_rtt_ms: float | None
    p90_rtt_ms: float | None
    propagation_space_ms: float | None
    propagation_ground_ms: float | None
    access_ms: float | None
    processing_ms: float | None
    catalog_age_days: float | None
    geoip_feed_date: str


class ServingOut(BaseModel):
    """The satellite that would serve, the first hop of the route to the Internet, and that
    route: gateway, PoP (Starlink's code, ``frntdeu1``), propagation RTT and number of links,
    and ``latency`` as a user measures it (null when no route, the reasons say why; the
    satellite is then the highest above the mask, 25°)."""

    norad_id: int
    name: str
    elevation_deg: float
    gateway: SiteRefOut | None
    pop: SiteRefOut | None
    rtt_ms: float | None
    hops: int | None
    latency: ServingLatencyOut | None = None


class HopOut(BaseModel):
    """One node of a route and the link that reaches it (`leolink.network.Hop`)."""

    kind: str
    id: str
    name: str
    lat_deg: float
    lon_deg: float
    alt_km: float
    link: str
    link_km: float
    delay_ms: float


class LatencyOut(BaseModel):
    """RTT a user measures to their PoP, by component (`leolink.network.latency_record`): an
    estimate, at an instant ``catalog_age_days`` from the catalog's epochs."""

    estimate: str
    catalog_age_days: float | None
    geoip_feed_date: str
    code: str
    name: str
    pop: str
    pop_source: str
    points: int
    samples: int
    reachable_pct: float | None
    min_rtt_ms: float | None
    median_rtt_ms: float | None
    p90_rtt_ms: float | None
    propagation_space_ms: float | None
    propagation_ground_ms: float | None
    access_ms: float | None
    processing_ms: float | None


class PopOut(BaseModel):
    """A 2026 PoP: Starlink's reverse-DNS code, place, kind and DNS name."""

    id: str
    name: str
    city: str
    country: str
    kind: str
    dns: str
    lat_deg: float
    lon_deg: float


class GatewayOut(BaseModel):
    """A gateway site (StarPerf 2024; Starlink does not name them) and its backhaul."""

    id: str
    name: str
    lat_deg: float
    lon_deg: float
    antennas: int
    home_pop: str
    backhaul_km: float


class GroundSegmentOut(BaseModel):
    """The ground segment of the routes (`leolink.network.ground_segment`)."""

    geoip_feed_date: str
    route_factor: float
    sources: dict[str, str]
    pops: list[PopOut]
    gateways: list[GatewayOut]


class RouteOut(BaseModel):
    """The lowest-delay route at one instant (`leolink.network.Route.as_dict`).

    ``hops`` is the number of links; ``rtt_ms`` twice ``one_way_ms``.  Unreachable:
    ``reachable`` false, the delays null, ``path`` empty and ``reason`` says why.
    """

    at: str | None
    reachable: bool
    rtt_ms: float | None
    one_way_ms: float | None
    hops: int
    path: list[HopOut]
    reason: str
    latency: LatencyOut | None = None


class OtherViewOut(BaseModel):
    """A decision in the other view (`leolink.policy.asof`): its policy answer and why."""

    as_: AsOf = Field(alias="as")
    allowed: bool
    code: Code
    rules: list[str]
    reasons: list[str]
    summary: str


class DecisionOut(BaseModel):
    """Whether service is allowed, the deciding code, and everything that accounts for it.

    ``code`` is the first fired rule in the engine's fixed precedence (see
    `leolink.policy.decide`); ``rules`` and ``reasons`` list every rule that fired (or, when
    allowed, why); ``serving`` is set when allowed and the sky was checked.
    """

    at: str
    allowed: bool
    code: Code
    reasons: list[str]
    cell: str | None
    country: str | None
    country_status: CountryStatus | None
    rules: list[str]
    policy_version: int
    serving: ServingOut | None
    #: With ``?receipt=true``: the signed receipt (`leolink.policy.receipts`), a signed note.
    receipt: str | None = None
    as_: AsOf | None = Field(
        default=None, alias="as", description="The view asked for (only when one was asked)."
    )
    known_at: str | None = Field(
        default=None,
        description="The records used: those recorded by this instant (``at`` as recorded "
        "then, now as known now).",
    )
    other_view: OtherViewOut | None = Field(
        default=None,
        description="The other view's answer where it differs from this one (null: the same).",
    )


class BatchRequest(_In):
    """Several decisions at once (at most the service's ``max_batch``, 1,000 by default)."""

    items: Annotated[list[DecisionRequest], Field(min_length=1, max_length=100_000)]


class BatchOut(BaseModel):
    """The decisions, in the order of the items."""

    decisions: list[DecisionOut]


class CellAvailability(BaseModel):
    """The decision for a prospective terminal at a cell's centre (policy only: no sky)."""

    cell: str
    allowed: bool
    code: Code
    country: str | None
    status: CountryStatus | None


class CellsOut(BaseModel):
    """Availability of every cell whose centre is in the box.

    Over the cap the request is refused (422, ``suggested_resolution``) rather than cut, so
    ``truncated`` is always false: a map never shows a partial answer as a whole one.
    """

    at: str
    resolution: int
    policy_version: int
    cells: list[CellAvailability]
    truncated: bool


class ImpactOut(BaseModel):
    """What a proposed geofence would do (nothing is written).

    ``cells`` counts the resolution-5 cells it covers (``cell_list`` lists them when asked
    with ``list_cells=true``); ``terminals`` are those it would affect, by where each last
    reported; ``satellite_hours`` the coverage it withdraws over its window (``basis`` says
    how it was counted).
    """

    name: str
    effect: GeofenceEffect
    cells: int
    area_km2: float
    terminals_affected: int
    terminals: list[dict[str, Any]]
    window_start: str
    window_end: str
    open_ended: bool
    step_s: float
    steps: int
    satellite_hours: float | None
    basis: str
    cell_list: list[str] | None = None


# --- coverage -------------------------------------------------------------------------------


class CoverageFigureOut(BaseModel):
    """What a figure of merit is, in words, and its unit (for a legend or a colour bar)."""

    label: str = Field(examples=["Mean number of satellites in view"])
    unit: str = Field(examples=["satellites"])


class CoverageStatisticsOut(BaseModel):
    """Area-weighted statistics of one figure over the region's cells that have a value."""

    mean: float | None
    min: float | None
    max: float | None
    p5: float | None
    p50: float | None
    p95: float | None
    cells: int
    area_km2: float | None


class CoverageSummaryOut(BaseModel):
    """The region as a whole: its cells, their area and each figure's statistics."""

    cells: int
    area_km2: float | None
    figures: dict[str, CoverageStatisticsOut]


class CoverageOut(BaseModel):
    """Figures of merit per cell from a coverage sweep, as columns (see ``GET /v1/coverage``).

    ``cells`` holds ``cell`` (hex H3 indexes) and one list per figure named in ``figures``,
    the i-th entry of each for the i-th cell; null where a figure has no value.
    """

    region: str
    resolution: int
    start: str
    end: str
    step_s: float
    steps: int
    min_elevation_deg: float
    satellites: int
    catalog: str
    warning: str | None = Field(
        description="Set when the window is far from the catalog's epochs (positions are "
        "then indicative only)."
    )
    figures: dict[str, CoverageFigureOut]
    cells: dict[str, list[str | float | None]]
    summary: CoverageSummaryOut
