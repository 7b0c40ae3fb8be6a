"""What one service process holds: the store, the catalog, its limits and its caches.

The catalog and the country borders are loaded once per process; satellite positions are
computed once per instant asked for and kept in a small LRU cache, because a map asks for the
same instant many times (and the visible-satellite and decision routes reuse them).  The
network that routes go over does not change with time: it is built once per set of link
options and kept likewise.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Final, cast

import numpy as np
import numpy.typing as npt
from fastapi import Request

from leolink import api
from leolink.api import CLIENT_SHARE, SERVICE_LIMITS, LruCache, Network, build_network
from leolink.service.refusals import RefusalLimiter
from leolink.store import Store

if TYPE_CHECKING:
    from leolink.service.catalog_refresh import CatalogRefresher
    from leolink.service.coverage import CoverageRequest
    from leolink.service.decisions import Decider
    from leolink.service.shares import ClientShares, KeyIdentities
    from leolink.service.witnessing import Publisher, WitnessPolicy

__all__ = [
    "Ephemeris1",
    "ServiceLimits",
    "ServiceState",
    "get_state",
]

#: The options `ServiceState.network` takes, with their defaults (its cache key).
_NETWORK_OPTIONS: Final = inspect.signature(build_network)


@dataclass(frozen=True)
class ServiceLimits:
    """Caps that keep one request bounded in time and memory.

    The bounds the command line shares (cells, instants, cell-instants, geofence vertices)
    come from `leolink.limits.SERVICE_LIMITS`, their one place; the store enforces the
    vertices whoever writes.
    """

    #: Items of one ``POST /v1/decisions/batch``.
    max_batch: int = 1_000
    #: Cells of one ``GET /v1/availability/cells`` or ``GET /v1/coverage`` (above: 422 with a
    #: coarser resolution).
    max_cells: int = SERVICE_LIMITS.max_cells
    #: Instants of one ``GET /v1/coverage``: 96 min at 60 s, a day at 15 min.  Each instant
    #: costs 10-70 ms on one core whatever the cells (SGP4 for the whole catalog and the
    #: kernel's work per satellite, which grows with the region's spread and a lower mask), so
    #: this bounds the worst request at about 6 s (`leolink.service.coverage`).
    max_coverage_steps: int = SERVICE_LIMITS.max_instants
    #: Cells x instants of one ``GET /v1/coverage``: the default hour at 60 s (61 instants) over
    #: the most cells a request may have (a hemisphere at resolution 3: 3 s, 4 s at 10°).
    max_coverage_cell_steps: int = SERVICE_LIMITS.max_cell_instants
    #: Positions of one geofence's GeoJSON region (above: 422, before it is repaired).
    max_geofence_vertices: int = SERVICE_LIMITS.max_geofence_vertices
    #: Positions of the geofences one operator proposes in 24 hours (above: 422).
    max_operator_vertices_per_day: int = SERVICE_LIMITS.max_operator_vertices_per_day
    #: Sweeps one process runs at once: a sweep holds the GIL for much of its seconds (SGP4), so
    #: two at once would only slow each other and every other request of the process.
    max_concurrent_sweeps: int = 1
    #: Seconds a sweep waits for its turn before the request is refused with 503 (Retry-After).
    sweep_wait_s: float = 20.0
    #: Position reports in one ``POST /v1/terminals/{id}/reports``.
    max_reports: int = 1_000
    #: Page size of the lists when the request names none (at most 1,000 may be asked for).
    page_default: int = 100
    #: Bytes of one request body (above: 413 before the body is parsed or the key checked).  A
    #: geofence of 100,000 vertices is ~4 MB of JSON.
    max_body_bytes: int = 8 * 1024 * 1024
    #: Seconds a request body may take to arrive (above: 408), so a stalled client holds
    #: nothing for long.
    body_timeout_s: float = 30.0
    #: Decisions computed at once (worker threads); more wait their turn, in arrival order.
    max_concurrent_decisions: int = 4
    #: Of those, how many one client (API key, else address) may hold
    #: (`leolink.limits.ClientShare`).
    client_decision_turns: int = CLIENT_SHARE.turns
    #: Decision requests one client may have waiting; one more is refused with 429.
    client_decision_queue: int = CLIENT_SHARE.queue
    #: Seconds a decision request waits for its turns; beyond, 503 with Retry-After.
    decision_wait_s: float = CLIENT_SHARE.wait_s

    def markdown(self) -> str:
        """The limits as a Markdown list, for the OpenAPI document."""
        return "\n".join(f"- `{f.name}`: {getattr(self, f.name):,}" for f in fields(self))


@dataclass(frozen=True)
class Ephemeris1:
    """The catalog at one instant: Earth-fixed and geodetic positions of the satellites SGP4
    could propagate (``index`` into the catalog), in catalog order."""

    at: np.datetime64
    index: npt.NDArray[np.intp]
    r_itrs_km: npt.NDArray[np.float64]
    lat_deg: npt.NDArray[np.float64]
    lon_deg: npt.NDArray[np.float64]
    alt_km: npt.NDArray[np.float64]
    stale_days: float


@dataclass
class ServiceState:
    """The process-wide state of the service (``app.state.leolink``)."""

    store: Store
    catalog: api.Catalog
    limits: ServiceLimits = field(default_factory=ServiceLimits)
    owns_store: bool = True
    #: The decision engine over the store's policy (`leolink.service.decisions`).
    decider: Decider = field(init=False)
    _ephemerides: LruCache[int, Ephemeris1] = field(default_factory=lambda: LruCache(32))
    #: Response bodies of recent ``GET /v1/coverage`` requests, by normalised request (each is
    #: at most a few MB).
    coverage_results: LruCache[CoverageRequest, bytes] = field(default_factory=lambda: LruCache(16))
    _networks: LruCache[tuple[tuple[str, Any], ...], Network] = field(
        default_factory=lambda: LruCache(8)
    )
    #: Each client's share of the decision turns (`leolink.service.shares`).
    shares: ClientShares = field(init=False)
    #: The key ids of bearer tokens, for the shares.
    key_identities: KeyIdentities = field(init=False)
    #: Turns to sweep (`ServiceLimits.max_concurrent_sweeps`).
    sweep_turns: threading.BoundedSemaphore = field(init=False)
    _unsubscribe: Callable[[], None] = field(init=False, repr=False)
    #: The bound on refused writes logged (`leolink.service.refusals`).
    refusals: RefusalLimiter = field(default_factory=RefusalLimiter)
    #: Who must cosign a checkpoint before it is published (None: publish the log's own).
    witness_policy: WitnessPolicy | None = None
    #: The thread that gathers the cosignatures (`leolink.service.witnessing`).
    publisher: Publisher | None = None
    #: The thread that refreshes the catalog (`leolink.service.catalog_refresh`).
    catalog_refresher: CatalogRefresher | None = None

    def ephemeris(self, at: np.datetime64, *, keep: bool = True) -> Ephemeris1:
        """Positions of the catalog's satellites at ``at`` (cached per instant).

        ``keep=False`` computes without keeping: for "now", an instant no other request will
        ask for again, which would only push out the instants a map does come back to.
        """
        t = cast(np.datetime64, np.asarray(at, dtype="datetime64[ns]")[()])
        if not keep:
            return self._at(t)
        return self._ephemerides.get_or_compute(int(t.astype(np.int64)), lambda: self._at(t))

    def network(self, **options: Any) -> Network:
        """The catalog's network under ``options`` of `leolink.network.build_network` (cached
        per set of options: it is the same at every instant, and building it infers the
        constellation's structure, ~60 ms for the embedded catalog)."""
        # The key is every option, defaults included, so that one network serves the requests
        # that spell the same options differently (and the decisions' sky, which names none).
        bound = _NETWORK_OPTIONS.bind(self.catalog, **options)
        bound.apply_defaults()
        key = tuple(sorted((k, v) for k, v in bound.arguments.items() if k != "catalog"))
        return self._networks.get_or_compute(key, lambda: build_network(self.catalog, **options))

    def _at(self, at: np.datetime64) -> Ephemeris1:
        eph = api.propagate(self.catalog, np.asarray([at], dtype="datetime64[ns]"))
        ok = np.flatnonzero(eph.error[:, 0] == 0)
        r = np.ascontiguousarray(eph.r_itrs_km[ok, 0, :])
        lat, lon, alt = api.itrs_to_geodetic(r)
        return Ephemeris1(at, ok, r, lat, lon, alt, self.catalog.days_from_epochs(at))

    def stale_warning(self, at: np.datetime64, stale_days: float | None = None) -> str | None:
        """A warning when the catalog's element sets are too old (or young) for ``at``."""
        days = self.catalog.days_from_epochs(at) if stale_days is None else stale_days
        if days <= self.catalog.STALE_AFTER_DAYS:
            return None
        return (
            f"{api.format_instant(at)} is {days:.0f} days from the epochs of the catalog; SGP4 "
            "errors grow by km per day, so positions are indicative only and satellites SGP4 "
            "can no longer follow are left out"
        )

    def __post_init__(self) -> None:
        from leolink.service.shares import ClientShares, KeyIdentities

        self.decider = self._decider()
        self.shares = ClientShares(
            self.limits.max_concurrent_decisions,
            self.limits.client_decision_turns,
            self.limits.client_decision_queue,
            self.limits.decision_wait_s,
        )
        self.key_identities = KeyIdentities(self.store)
        self.sweep_turns = threading.BoundedSemaphore(self.limits.max_concurrent_sweeps)
        # Every write that changes the policy, through any route, says so here once.
        self._unsubscribe = self.store.subscribe(self.policy_changed)

    def use_catalog(self, catalog: api.Catalog) -> None:
        """Compute with ``catalog`` from now on (a refreshed one): the positions, networks and
        coverage kept for the old one are dropped, and decisions get a sky over the new one.
        Requests in flight finish with the objects they hold."""
        self._ephemerides = LruCache(32)
        self.coverage_results = LruCache(16)
        self._networks = LruCache(8)
        self.catalog = catalog
        self.decider = self._decider()

    def _decider(self) -> Decider:
        from leolink.service.decisions import Decider  # it builds on this module's cache

        # The decisions' serving satellites route over the same network as GET /v1/routes's
        # default (the vendored gateways and PoPs, +Grid lasers, the 25 degree mask).
        return Decider(
            self.store,
            self.catalog,
            network=self.network(),
        )

    def policy_changed(self) -> None:
        """Re-read the policy before the next decision: a change was made through this process
        (the store calls it after each commit that changed the policy, `Store.subscribe`)."""
        self.decider.policy_changed()

    def close(self) -> None:
        """Stop listening to the store and the decision threads, and release the store if this
        state opened it."""
        self._unsubscribe()
        self.shares.close()
        if self.owns_store:
            self.store.close()


async def get_state(request: Request) -> ServiceState:
    """The dependency that hands a route the service state."""
    state: ServiceState = request.app.state.leolink
    return state
