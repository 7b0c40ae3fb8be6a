"""Synthetic terminal telemetry: what dishes would report under hidden restrictions, jamming and
ground outages, with the noise real fleets show — so that inference can be tested against truth.

Terminals are placed by a seed, uniformly over the cells of a study area (a point within 4 km of
a cell's centre, well inside a resolution-5 hexagon, whose inradius is ~7.4 km), and each
reports every ``cadence_s`` seconds from a random phase.  Noise, all drawn from the seed:

- missing reports: each report is lost with probability ``missing_share`` (5 % by default);
- obstruction outages: each terminal has its own obstructed fraction of time, drawn from
  Beta(1, 40) (mean 2.4 %; Starlink's app flags installations above ~1-2 % obstructed as
  needing a better view — the level of a typical well-sited dish);
- stale GPS: a share of terminals (3 %) has no current fix and reports the location of its last
  one, 10-60 km from where it is now (moved since), with ``gps_valid`` false;
- latency and drop rate when served: PoP ping latency ~ 25 ms + 1 ms per 100 km to the home PoP
  (the one Starlink's GeoIP feed assigns to the dish's place, `pop_for_places`)
  + a log-normal term (median 8 ms), drop rate ~ Beta(1, 80), close to the medians of Mohan et
  al., "A Multifaceted Look at Starlink Performance", WWW 2024 (median ~40 ms, drops ~1 %).

What a dish says in each situation follows the dish API (its fields:
`leolink.forensics.reports`): no satellite in view → state and outage cause ``NO_SATS``; a
policy restriction → state ``DISABLED`` with the restriction's ``UtDisablementCode``
(``CELL_IS_DISABLED``, ``BLOCKED_AREA``, ...); GNSS jamming → no fix (``gps_valid`` false, no
location, 0 GPS satellites) and, for 70 % of the dishes, ``DISABLED`` with ``UNKNOWN_LOCATION``
(the others stay connected with more drops); spoofing (``spoof_share`` of the jammed dishes) → a
valid-looking fix at a false place hundreds of km away; a ground outage → connected to
satellites but no PoP reachable: state and outage cause ``NO_PINGS``, drop rate 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from leolink.arrays import CellArray, FloatArray
from leolink.errors import InputError
from leolink.forensics.reports import DISABLEMENT_CODES, OUTAGE_CAUSES, Reports, instant_ns
from leolink.geo import grid
from leolink.geo.regions import bbox_to_cells
from leolink.network.homing import pop_for_places
from leolink.network.sites import GroundSites, great_circle_km, load_gateways
from leolink.policy._areas import area_cells, fence_area
from leolink.policy.scenarios import Scenario
from leolink.time import parse_instant

__all__ = [
    "GroundOutage",
    "Jamming",
    "Restriction",
    "Simulation",
    "disk",
    "scenario_restrictions",
    "simulate",
    "study_area",
]

#: ``(cells, instants as datetime64[ns])`` → satellites in view, shape ``(C, N)``.
InView = Callable[[CellArray, npt.NDArray[np.datetime64]], npt.NDArray[np.bool_]]

_JITTER_KM: Final = 4.0
_KM_PER_DEG: Final = 111.2
_DISABLED_SHARE_WHEN_JAMMED: Final = 0.7


@dataclass(frozen=True)
class Restriction:
    """Service withdrawn over ``cells`` during ``[start, end)``; dishes report ``code``."""

    cells: CellArray
    start: np.datetime64
    end: np.datetime64
    code: str = "CELL_IS_DISABLED"
    name: str = "restriction"

    def __post_init__(self) -> None:
        if self.code not in DISABLEMENT_CODES:
            raise InputError(f"restriction code {self.code!r} is not a UtDisablementCode name")


@dataclass(frozen=True)
class Jamming:
    """GNSS jamming over ``cells`` in ``[start, end)``; ``spoof_share`` of dishes are spoofed."""

    cells: CellArray
    start: np.datetime64
    end: np.datetime64
    spoof_share: float = 0.2
    spoof_offset_deg: tuple[float, float] = (3.0, 4.0)


@dataclass(frozen=True)
class GroundOutage:
    """A gateway or PoP down during ``[start, end)``.

    ``site_id`` is a gateway id of `leolink.network.sites.load_gateways` or a PoP code as
    Starlink names it (`leolink.network.homing.load_pops_2026`: ``wrswpol1``, ``frntdeu1``).
    The terminals affected are those homed to it: the nearest gateway (bent pipe), or the PoP
    Starlink's GeoIP feed assigns to the dish's place (`leolink.network.homing.pop_for_places`).
    """

    site_id: str
    start: np.datetime64
    end: np.datetime64


@dataclass(frozen=True)
class Simulation:
    """What to simulate: where, when, how many terminals, what was hidden, how noisy."""

    area_cells: CellArray
    start: np.datetime64
    end: np.datetime64
    terminals: int = 2000
    cadence_s: int = 300
    seed: int = 0
    restrictions: Sequence[Restriction] = ()
    jamming: Sequence[Jamming] = ()
    outages: Sequence[GroundOutage] = ()
    missing_share: float = 0.05
    stale_gps_share: float = 0.03
    in_view: InView | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.terminals < 1 or self.cadence_s < 1:
            raise InputError("a simulation needs at least one terminal and a cadence ≥ 1 s")
        if not self.end > self.start:
            raise InputError("the simulated window must end after it starts")
        if np.asarray(self.area_cells).size == 0:
            raise InputError("the simulation's study area holds no cell")


def _nearest(
    sites: GroundSites, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> npt.NDArray[np.intp]:
    d = great_circle_km(lat[:, None], lon[:, None], sites.lat_deg[None, :], sites.lon_deg[None, :])
    return np.asarray(np.argmin(d, axis=1), dtype=np.intp)


def _within(
    cells: CellArray,
    times: npt.NDArray[np.int64],
    area: CellArray,
    start: np.datetime64,
    end: np.datetime64,
) -> npt.NDArray[np.bool_]:
    s = instant_ns(start)
    e = instant_ns(end)
    inside = np.isin(cells, np.asarray(area, dtype=np.uint64))[:, None]
    return np.asarray(inside & (times >= s) & (times < e), dtype=bool)


def simulate(sim: Simulation) -> Reports:
    """The reports of ``sim.terminals`` dishes over ``[sim.start, sim.end)``, per dish in time."""
    rng = np.random.default_rng(sim.seed)
    t_count = sim.terminals
    area = np.unique(np.asarray(sim.area_cells, dtype=np.uint64))
    home = area[rng.integers(0, area.size, t_count)]
    c_lat, c_lon = grid.cells_to_latlng(home)
    r_km = _JITTER_KM * np.sqrt(rng.random(t_count))
    bearing = rng.random(t_count) * 2 * np.pi
    lat = c_lat + r_km * np.cos(bearing) / _KM_PER_DEG
    lon = c_lon + r_km * np.sin(bearing) / (_KM_PER_DEG * np.cos(np.radians(c_lat)))
    cell = grid.latlng_to_cells(lat, lon)

    start_ns = instant_ns(sim.start)
    end_ns = instant_ns(sim.end)
    step_ns = np.int64(sim.cadence_s) * 1_000_000_000
    slots = int((end_ns - start_ns) // step_ns)
    phase = rng.integers(0, step_ns, t_count)
    times = start_ns + phase[:, None] + step_ns * np.arange(slots)[None, :]  # (T, K)
    shape = times.shape

    # --- what happens to each dish at each report
    no_sats = np.zeros(shape, dtype=bool)
    if sim.in_view is not None:
        minutes = (times // 60_000_000_000) * 60_000_000_000
        uniq_min, inv = np.unique(minutes, return_inverse=True)
        uniq_cell, cinv = np.unique(cell, return_inverse=True)
        seen = sim.in_view(uniq_cell, uniq_min.astype("datetime64[ns]"))
        no_sats = ~seen[cinv[:, None], inv.reshape(shape)]
    restricted = np.full(shape, -1, dtype=np.int64)
    for r in sim.restrictions:
        hit = _within(cell, times, r.cells, r.start, r.end)
        restricted[hit & (restricted < 0)] = DISABLEMENT_CODES.index(r.code)
    jammed = np.zeros(shape, dtype=bool)
    spoofed = np.zeros(shape, dtype=bool)
    spoof_lat = np.full(shape, np.nan)
    spoof_lon = np.full(shape, np.nan)
    for j in sim.jamming:
        hit = _within(cell, times, j.cells, j.start, j.end)
        is_spoofed = rng.random(t_count) < j.spoof_share
        jammed |= hit
        spoof_hit = hit & is_spoofed[:, None]
        spoofed |= spoof_hit
        spoof_lat[spoof_hit] = np.broadcast_to(lat[:, None] + j.spoof_offset_deg[0], shape)[
            spoof_hit
        ]
        spoof_lon[spoof_hit] = np.broadcast_to(lon[:, None] + j.spoof_offset_deg[1], shape)[
            spoof_hit
        ]
    homing = pop_for_places(lat, lon)
    pops = homing.pops
    ground = np.zeros(shape, dtype=bool)
    gateways = load_gateways() if sim.outages else None
    for o in sim.outages:
        assert gateways is not None
        if o.site_id in gateways.ids:
            homed = _nearest(gateways, lat, lon) == gateways.ids.index(o.site_id)
        elif o.site_id in pops.ids:
            homed = homing.pop == pops.ids.index(o.site_id)
        else:
            raise InputError(
                f"ground outage site {o.site_id!r} is neither a gateway id (GS1, ...) nor a "
                "Starlink PoP code (wrswpol1, frntdeu1, ...: leolink.network.homing)"
            )
        s = instant_ns(o.start)
        e = instant_ns(o.end)
        ground |= homed[:, None] & (times >= s) & (times < e)
    obstructed = rng.random(shape) < rng.beta(1.0, 40.0, t_count)[:, None]
    stale = rng.random(t_count) < sim.stale_gps_share
    kept = rng.random(shape) >= sim.missing_share

    # --- what each dish says
    states = Reports.STATE_NAMES
    state = np.full(shape, states.index("CONNECTED"), dtype=np.int64)
    code = np.full(shape, DISABLEMENT_CODES.index("OKAY"), dtype=np.int64)
    outage = np.full(shape, -1, dtype=np.int64)
    pop_km = great_circle_km(lat, lon, pops.lat_deg[homing.pop], pops.lon_deg[homing.pop])
    latency: FloatArray = np.asarray(
        25.0 + pop_km[:, None] / 100.0 + rng.lognormal(np.log(8.0), 0.5, shape), dtype=np.float64
    )
    drop: FloatArray = np.asarray(rng.beta(1.0, 80.0, shape), dtype=np.float64)

    def set_outage(mask: npt.NDArray[np.bool_], cause: str) -> None:
        state[mask] = states.index(cause)
        outage[mask] = OUTAGE_CAUSES.index(cause)
        code[mask] = -1
        latency[mask] = np.nan
        drop[mask] = 1.0

    degraded = jammed & ~spoofed & (rng.random(shape) >= _DISABLED_SHARE_WHEN_JAMMED)
    drop[degraded] = np.minimum(1.0, drop[degraded] + rng.uniform(0.05, 0.3, int(degraded.sum())))
    set_outage(ground, "NO_PINGS")
    set_outage(obstructed, "OBSTRUCTED")
    disabled_gnss = jammed & ~spoofed & ~degraded
    policy = restricted >= 0
    for mask, value in ((disabled_gnss, "UNKNOWN_LOCATION"), (policy & ~disabled_gnss, None)):
        state[mask] = states.index("DISABLED")
        code[mask] = DISABLEMENT_CODES.index(value) if value else restricted[mask]
        outage[mask] = -1
        latency[mask] = np.nan
        drop[mask] = 1.0
    set_outage(no_sats, "NO_SATS")

    # --- where each dish says it is
    r_lat = np.broadcast_to(lat[:, None], shape).copy()
    r_lon = np.broadcast_to(lon[:, None], shape).copy()
    gps_valid = np.ones(shape, dtype=bool)
    off_km = rng.uniform(10.0, 60.0, t_count)
    off_dir = rng.random(t_count) * 2 * np.pi
    r_lat[stale] += (off_km * np.cos(off_dir) / _KM_PER_DEG)[stale, None]
    r_lon[stale] += (off_km * np.sin(off_dir) / (_KM_PER_DEG * np.cos(np.radians(lat))))[
        stale, None
    ]
    gps_valid[stale] = False
    gps_valid[jammed & ~spoofed] = False
    r_lat[jammed & ~spoofed] = np.nan
    r_lon[jammed & ~spoofed] = np.nan
    r_lat[spoofed] = spoof_lat[spoofed]
    r_lon[spoofed] = spoof_lon[spoofed]
    sats = np.where(gps_valid, rng.integers(8, 16, shape), 0)
    sats[stale] = rng.integers(0, 4, (int(stale.sum()), slots))

    terminal = np.broadcast_to(np.arange(t_count)[:, None], shape)
    width = len(str(t_count))
    return Reports(
        terminal_ids=tuple(f"UT-{i:0{width}d}" for i in range(t_count)),
        terminal=terminal[kept].astype(np.int64),
        time_ns=times[kept],
        lat_deg=r_lat[kept],
        lon_deg=r_lon[kept],
        gps_valid=gps_valid[kept],
        gps_sats=sats[kept].astype(np.int64),
        state=state[kept],
        disablement=code[kept],
        outage=outage[kept],
        pop_ping_latency_ms=latency[kept],
        pop_ping_drop_rate=drop[kept],
    )


def scenario_restrictions(
    scenario: Scenario, resolution: int = grid.DEFAULT_RESOLUTION
) -> list[Restriction]:
    """The deny geofences a scenario proposes, as restrictions (``BLOCKED_AREA``, as the
    decision engine reports a deny geofence), with their windows."""
    out = []
    for step in scenario.steps:
        args = step.args
        if step.do != "propose_geofence" or args.get("effect", "deny") != "deny":
            continue
        area = args.get("area")
        inner, edge = area_cells(
            fence_area(None if area is None else json.dumps(area), tuple(args.get("cells", ()))),
            resolution,
        )
        start = args.get("window_start")
        end = args.get("window_end")
        if start is None or end is None:
            raise InputError(
                f"{scenario.origin} step {step.number}: a simulated restriction needs "
                "window_start and window_end"
            )
        out.append(
            Restriction(
                np.union1d(inner, edge),
                parse_instant(str(start)),
                parse_instant(str(end)),
                code="BLOCKED_AREA",
                name=str(args.get("id", f"step-{step.number}")),
            )
        )
    return out


def study_area(events: Sequence[Restriction | Jamming], margin_deg: float = 0.5) -> CellArray:
    """Cells of the box around every event's cells, ``margin_deg`` wider on each side."""
    if not events:
        raise InputError(
            "nothing to simulate: give a scenario with a deny geofence or --restriction"
        )
    cells = np.concatenate([np.asarray(e.cells, dtype=np.uint64) for e in events])
    lat, lon = grid.cells_to_latlng(cells)
    return bbox_to_cells(
        float(lon.min()) - margin_deg,
        max(-90.0, float(lat.min()) - margin_deg),
        float(lon.max()) + margin_deg,
        min(90.0, float(lat.max()) + margin_deg),
    )


def disk(lat_deg: float, lon_deg: float, rings: int) -> CellArray:
    """The cells within ``rings`` grid steps of the cell at a point (3 rings: 37 cells)."""
    _, cells = grid.cells_to_disks(grid.latlng_to_cells([lat_deg], [lon_deg]), rings)
    return np.unique(cells)
