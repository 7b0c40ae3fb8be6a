"""Coverage sweeps: the figures of merit of a region's cells over a time window.

A sweep samples ``[start, end]`` every ``step_s`` seconds.  At each instant the catalog is
propagated (`leolink.orbits.propagate`) and the visibility kernel (`leolink.coverage.kernel`)
counts, for every cell centre, the satellites at or above their elevation mask and the highest
one; `leolink.coverage.merit.CoverageAccumulator` folds those into per-cell state.  Memory stays
bounded by the cells, never by cells × steps: one accumulator per time chunk, merged in time order
into the running one as chunks finish.

The work is split into *time chunks* of consecutive instants.  `sweep_chunk` is a pure function
of the plan and one chunk, so that chunks can run anywhere - in this process or on other
machines - and `sweep` merges their accumulators exactly (the merit state is kept in integers,
so any split and any placement give bit-identical figures).  Where chunks run is the business of
an executor's ``map`` (`leolink.jobs`), which this module does not know about.

Masks: every satellite has an elevation mask, by default one for all (25 degrees, as Starlink
user terminals are commonly modelled); `ShellMask` gives the satellites of an altitude range
their own (``400-500:20``: 20 degrees for satellites whose mean altitude is 400-500 km).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt
from sgp4.api import WGS72, WGS72OLD, WGS84, Satrec

from leolink.arrays import CellArray, DatetimeArray, FloatArray
from leolink.coverage.kernel import DEFAULT_MIN_ELEVATION_DEG, GroundPoints, visibility
from leolink.coverage.merit import CoverageAccumulator, CoverageFigures
from leolink.errors import InputError
from leolink.geo import grid, regions
from leolink.geo.countries import get_country
from leolink.orbits.catalog import Catalog
from leolink.orbits.propagate import propagate
from leolink.time import format_instant, time_grid

__all__ = [
    "CELL_STEPS_PER_CHUNK",
    "ShellMask",
    "SweepPlan",
    "SweepResult",
    "TimeChunk",
    "coverage",
    "default_chunk_steps",
    "plan_sweep",
    "region_cells",
    "satellite_masks_deg",
    "sweep",
    "sweep_chunk",
]


#: Target work of one time chunk, in cell-instants: 240 M is ~120 instants of the whole world at
#: resolution 5 (~20 s of kernel on one core), long enough that a chunk's fixed costs (a fresh
#: accumulator of ~100 bytes a cell, sending it back, merging it) stay a few percent of it.
#: Small regions get long chunks (up to the whole window), large ones shorter.
CELL_STEPS_PER_CHUNK: Final = 240_000_000

#: Progress callback: ``(instants done, instants in all)``, called after each chunk is merged.
Progress = Callable[[int, int], None]
#: An executor's ``map``: ``fn`` over the chunks, results in the order of the chunks.
ChunkMap = Callable[
    [Callable[["TimeChunk"], CoverageAccumulator], Iterable["TimeChunk"]],
    Iterator[CoverageAccumulator],
]


# --- elevation masks --------------------------------------------------------------------------


@dataclass(frozen=True)
class ShellMask:
    """An elevation mask for the satellites whose mean altitude is in ``[min, max)`` km."""

    min_altitude_km: float
    max_altitude_km: float
    min_elevation_deg: float

    def __post_init__(self) -> None:
        lo, hi, mask = self.min_altitude_km, self.max_altitude_km, self.min_elevation_deg
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise InputError(
                f"shell mask altitude range {lo!r}-{hi!r} km is not a range: give the lower "
                "altitude first, e.g. 400-500:20"
            )
        if not (math.isfinite(mask) and -90.0 <= mask <= 90.0):
            raise InputError(
                f"shell mask elevation {mask!r} is not an elevation: give degrees in [-90, 90]"
            )

    @classmethod
    def parse(cls, text: str) -> ShellMask:
        """Read ``LOW-HIGH:DEG`` (``400-500:20``: 20 degrees for satellites at 400-500 km)."""
        ranges, colon, mask = text.strip().partition(":")
        low, dash, high = ranges.partition("-")
        try:
            if not (colon and dash):
                raise ValueError(text)
            values = float(low), float(high), float(mask)
        except ValueError:
            raise InputError(
                f"shell mask {text!r} is not LOW-HIGH:DEG; expected e.g. 400-500:20 (satellites "
                "with mean altitude 400 to 500 km get a 20 degree mask)"
            ) from None
        return cls(*values)

    def __str__(self) -> str:
        return f"{self.min_altitude_km:g}-{self.max_altitude_km:g}:{self.min_elevation_deg:g}"


def satellite_masks_deg(
    catalog: Catalog,
    min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG,
    shell_masks: Sequence[ShellMask] = (),
) -> FloatArray:
    """Each satellite's elevation mask, degrees, shape ``(S,)``.

    ``min_elevation_deg`` for every satellite, except those whose mean altitude
    (`Catalog.mean_altitude_km`) falls in a shell mask's range.  Overlapping ranges are refused:
    which mask applies must not depend on the order they were given in.
    """
    if not (math.isfinite(min_elevation_deg) and -90.0 <= min_elevation_deg <= 90.0):
        raise InputError(
            f"min_elevation_deg={min_elevation_deg!r} is not an elevation; give degrees in "
            "[-90, 90], e.g. 25"
        )
    ordered = sorted(shell_masks, key=lambda m: m.min_altitude_km)
    for a, b in itertools.pairwise(ordered):
        if b.min_altitude_km < a.max_altitude_km:
            raise InputError(
                f"shell masks {a} and {b} overlap: give altitude ranges that do not overlap "
                "(they are [low, high), so 400-500 and 500-600 do not)"
            )
    masks = np.full(len(catalog), float(min_elevation_deg))
    altitude_km = catalog.mean_altitude_km
    for shell in ordered:
        inside = (altitude_km >= shell.min_altitude_km) & (altitude_km < shell.max_altitude_km)
        masks[inside] = shell.min_elevation_deg
    return masks


# --- shipping a catalog to another process ----------------------------------------------------

# Elements that `Satrec.sgp4init` takes, in its order after (whichconst, opsmode, satnum, epoch).
_ELEMENTS: Final = ("bstar", "ndot", "nddot", "ecco", "argpo", "inclo", "mo", "no_kozai", "nodeo")
# What must come out the same for a rebuilt element set to propagate bit for bit the same.
_FINGERPRINT: Final = (
    *_ELEMENTS,
    "jdsatepoch",
    "jdsatepochF",
    "gsto",
    "a",
    "no",
    "mdot",
    "argpdot",
    "nodedot",
    "radiusearthkm",
    "xke",
    "j2",
    "method",
)
_JD_SGP4_EPOCH0: Final = 2433281.5  # 1949-12-31T00:00 UTC, the origin of sgp4init's epoch


@functools.cache
def _gravity_constants() -> dict[tuple[float, float, float], int]:
    """The (radius, xke, j2) of each gravity model `Satrec.sgp4init` accepts, to tell them apart."""
    out = {}
    for whichconst in (WGS72OLD, WGS72, WGS84):
        probe = Satrec()
        probe.sgp4init(whichconst, "i", 1, 27000.0, 0.0, 0.0, 0.0, 0.001, 0.0, 0.9, 0.0, 0.06, 0.0)
        out[(probe.radiusearthkm, probe.xke, probe.j2)] = whichconst
    return out


def _fingerprint(satrec: Satrec) -> tuple[object, ...]:
    return tuple(getattr(satrec, name, None) for name in _FINGERPRINT)


def _satrec_state(satrec: Satrec) -> tuple[object, ...]:
    whichconst = _gravity_constants().get((satrec.radiusearthkm, satrec.xke, satrec.j2))
    if whichconst is None:
        raise InputError(
            f"element set of NORAD {satrec.satnum} uses gravity constants that are none of "
            "WGS72OLD, WGS72 or WGS84; it cannot be sent to another process"
        )
    return (
        whichconst,
        satrec.operationmode,
        satrec.satnum,
        satrec.jdsatepoch,
        satrec.jdsatepochF,
        *(getattr(satrec, name) for name in _ELEMENTS),
    )


def _satrec_from_state(state: tuple[Any, ...]) -> Satrec:
    whichconst, opsmode, satnum, jd, fraction, *elements = state
    satrec = Satrec()
    satrec.sgp4init(whichconst, opsmode, satnum, (jd + fraction) - _JD_SGP4_EPOCH0, *elements)
    # sgp4init splits the epoch its own way; keep the original split, which SGP4's time since
    # epoch is computed from, so that propagation agrees to the bit.
    satrec.jdsatepoch = jd
    satrec.jdsatepochF = fraction
    return satrec


def _catalog_state(catalog: Catalog) -> dict[str, Any]:
    """A picklable form of ``catalog`` (`sgp4.api.Satrec` cannot be pickled)."""
    states = [_satrec_state(s) for s in catalog.satrecs]
    for satrec, state in zip(catalog.satrecs, states, strict=True):
        if _fingerprint(_satrec_from_state(state)) != _fingerprint(satrec):
            raise InputError(
                f"element set of NORAD {satrec.satnum} cannot be rebuilt exactly from its "
                "elements; run the sweep in process (no --workers/--scheduler)"
            )
    return {"names": catalog.names, "source": catalog.source, "satrecs": states}


def _catalog_from_state(state: dict[str, Any]) -> Catalog:
    return Catalog(
        names=tuple(state["names"]),
        satrecs=tuple(_satrec_from_state(s) for s in state["satrecs"]),
        source=str(state["source"]),
    )


# --- regions --------------------------------------------------------------------------------


def region_cells(
    *,
    country: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    geojson: str | dict[str, Any] | None = None,
    world: bool = False,
    resolution: int = grid.DEFAULT_RESOLUTION,
) -> tuple[CellArray, str]:
    """The cells of exactly one region, and a label for it (``country UA (Ukraine)``, ...).

    ``country``: ISO code (`leolink.geo.regions.country_to_cells`); ``bbox``: (W, S, E, N)
    degrees, west > east crossing the antimeridian; ``geojson``: a Polygon, MultiPolygon,
    Feature or FeatureCollection (text or parsed); ``world``: every cell.
    """
    given = [
        name
        for name, value in (("country", country), ("bbox", bbox), ("geojson", geojson))
        if value is not None
    ] + (["world"] if world else [])
    if len(given) != 1:
        raise InputError(
            f"give exactly one region (country, bbox, geojson or world), got {given or 'none'}"
        )
    if country is not None:
        found = get_country(country)
        cells = regions.country_to_cells(found, resolution)
        return cells, f"country {found.code} ({found.name})"
    if bbox is not None:
        west, south, east, north = bbox
        cells = regions.bbox_to_cells(west, south, east, north, resolution)
        return cells, f"bbox {west:g},{south:g},{east:g},{north:g}"
    if geojson is not None:
        return regions.geojson_to_cells(geojson, resolution), "GeoJSON region"
    return grid.world_cells(resolution), "world"


# --- the plan ---------------------------------------------------------------------------------


class TimeChunk(NamedTuple):
    """Consecutive instants ``plan.times[start:stop]``, chunk ``number`` of a sweep (from 0)."""

    number: int
    start: int
    stop: int


@dataclass(frozen=True, eq=False)
class SweepPlan:
    """Everything a sweep computes from: cells, instants, satellites and their masks.

    Build it with `plan_sweep`.  It pickles (for executors that run chunks in other processes)
    with the catalog in a form that rebuilds bit-identical element sets; each process prepares
    the ground points once and keeps them for the chunks it runs.
    """

    cells: CellArray
    """H3 cells of the region, sorted, ``(P,)``."""
    lat_deg: FloatArray
    """Cell-centre latitudes, ``(P,)``."""
    lon_deg: FloatArray
    """Cell-centre longitudes, ``(P,)``."""
    times: DatetimeArray
    """The instants, ``(N,)`` UTC ``datetime64[ns]``, every ``step_s``."""
    step_s: float
    """Seconds between instants."""
    catalog: Catalog
    """The satellites."""
    masks_deg: FloatArray
    """Each satellite's elevation mask, degrees, ``(S,)``."""
    chunk_steps: int
    """Instants per time chunk (the last chunk may be shorter)."""
    at_least: tuple[int, ...] = (1,)
    """Satellite counts ``k`` whose percent of time with ``>= k`` in view is wanted."""
    kernel_parallel: bool = False
    """Run the kernel on numba's threads (for in-process sweeps; workers run single-threaded)."""
    region: str = ""
    """What the cells are, for titles and file metadata (``country UA``, ``world``, ...)."""
    min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG
    """The mask of the satellites no shell mask names, degrees (``masks_deg`` is the truth)."""
    shell_masks: tuple[ShellMask, ...] = ()
    """The shell masks behind ``masks_deg``."""
    _points: list[GroundPoints] = field(default_factory=list, init=False, repr=False)

    @property
    def resolution(self) -> int:
        """H3 resolution of the cells (the default resolution when there are none)."""
        if not self.cells.size:
            return grid.DEFAULT_RESOLUTION
        return int(grid.cells_to_resolution(self.cells[:1])[0])

    @property
    def chunks(self) -> list[TimeChunk]:
        """The time chunks, in time order."""
        n, k = self.times.size, self.chunk_steps
        return [TimeChunk(i, s, min(s + k, n)) for i, s in enumerate(range(0, n, k))]

    def ground_points(self) -> GroundPoints:
        """The cell centres prepared for the kernel, built on first use in each process."""
        if not self._points:
            self._points.append(GroundPoints.from_lat_lon(self.lat_deg, self.lon_deg))
        return self._points[0]

    def rechunked(self, workers: int) -> SweepPlan:
        """The same plan with `default_chunk_steps` for ``workers`` parallel workers."""
        steps = default_chunk_steps(self.cells.size, self.times.size, workers)
        return dataclasses.replace(self, chunk_steps=steps)

    def __getstate__(self) -> dict[str, Any]:
        state = {name: getattr(self, name) for name in self.__dataclass_fields__}
        state["catalog"] = _catalog_state(self.catalog)
        state["_points"] = []
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "catalog", _catalog_from_state(state["catalog"]))

    def describe(self) -> dict[str, Any]:
        """What was swept, as plain values (for summaries, titles and file metadata)."""
        return {
            "region": self.region,
            "resolution": self.resolution,
            "start": format_instant(self.times[0]) if self.times.size else None,
            "end": format_instant(self.times[-1]) if self.times.size else None,
            "step_s": self.step_s,
            "min_elevation_deg": self.min_elevation_deg,
            "shell_masks": [str(m) for m in self.shell_masks],
            "catalog": self.catalog.source,
            "satellites": len(self.catalog),
        }


def default_chunk_steps(n_cells: int, n_steps: int, workers: int = 1) -> int:
    """Instants per chunk: about `CELL_STEPS_PER_CHUNK` of work each; with several workers, up
    to four chunks per worker if each still holds an eighth of that work (a chunk has fixed
    costs: a fresh accumulator, sending it back, merging it), and a number of chunks that is a
    multiple of the workers' (if more than one), so that no worker is left alone with the last
    one."""
    n_steps = max(1, n_steps)
    by_work = max(1, CELL_STEPS_PER_CHUNK // max(1, n_cells))
    n_chunks = math.ceil(n_steps / by_work)
    if workers > 1:
        worth_splitting = math.ceil(n_steps / max(1, by_work // 8))
        n_chunks = max(n_chunks, min(worth_splitting, 4 * workers))
        if n_chunks > 1:
            n_chunks = min(n_steps, math.ceil(n_chunks / workers) * workers)
    return math.ceil(n_steps / n_chunks)


def plan_sweep(
    cells: npt.ArrayLike,
    start: str | np.datetime64,
    end: str | np.datetime64,
    step_s: float,
    catalog: Catalog,
    *,
    min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG,
    shell_masks: Sequence[ShellMask] = (),
    at_least: Sequence[int] = (1,),
    chunk_steps: int | None = None,
    workers: int = 1,
    kernel_parallel: bool = False,
    region: str = "",
) -> SweepPlan:
    """Check the inputs and lay out a sweep of ``cells`` over ``[start, end]`` every ``step_s``.

    ``cells`` are H3 cells (``uint64`` or hex), all of one resolution.  The window includes
    ``end`` when it falls on a step (`leolink.time.time_grid`); one ending before it starts, or
    a step that is not positive, is refused.  ``chunk_steps`` (default: from the work per chunk
    and ``workers``) sets how many instants a chunk holds; it changes where the work runs, never
    the result.
    """
    flat = np.unique(grid.as_cells(cells))
    if not flat.size:
        raise InputError("the region holds no cell: give a region with some area")
    if not grid.is_valid_cell(flat).all():
        bad = flat[~grid.is_valid_cell(flat)][:3]
        raise InputError(f"cells must be valid H3 cells; these are not: {bad.tolist()}")
    resolutions = np.unique(grid.cells_to_resolution(flat))
    if resolutions.size > 1:
        raise InputError(f"cells must share one resolution, got resolutions {resolutions.tolist()}")
    times = time_grid(start, end, step_s)
    masks = satellite_masks_deg(catalog, min_elevation_deg, shell_masks)
    ks = tuple(sorted({1, *(int(k) for k in at_least)}))
    if ks[0] < 1:
        raise InputError(f"at_least={tuple(at_least)!r} must hold satellite counts >= 1")
    if workers < 1:
        raise InputError(f"workers={workers!r} must be a positive number of processes")
    if chunk_steps is None:
        chunk_steps = default_chunk_steps(flat.size, times.size, workers)
    elif chunk_steps < 1:
        raise InputError(f"chunk_steps={chunk_steps!r} must be a positive number of instants")
    lat, lon = grid.cells_to_latlng(flat)
    return SweepPlan(
        cells=flat,
        lat_deg=lat,
        lon_deg=lon,
        times=times,
        step_s=float(step_s),
        catalog=catalog,
        masks_deg=masks,
        chunk_steps=int(chunk_steps),
        at_least=ks,
        kernel_parallel=kernel_parallel,
        region=region,
        min_elevation_deg=float(min_elevation_deg),
        shell_masks=tuple(shell_masks),
    )


# --- running it -------------------------------------------------------------------------------


def sweep_chunk(
    plan: SweepPlan, chunk: TimeChunk, on_instant: Callable[[int], None] | None = None
) -> CoverageAccumulator:
    """The merit accumulator of one time chunk: propagate its instants, run the kernel at each.

    Pure: the same plan and chunk give the same accumulator wherever this runs.  The positions
    of the chunk's instants are the only array it adds to the accumulator's per-cell state.
    ``on_instant(done)`` is called after each instant (for progress in this process).
    """
    times = plan.times[chunk.start : chunk.stop]
    accumulator = CoverageAccumulator(plan.cells.size, plan.step_s, times[0], plan.at_least)
    points = plan.ground_points()
    ephemeris = propagate(plan.catalog, times)
    for j in range(times.size):
        seen = visibility(
            points,
            np.ascontiguousarray(ephemeris.r_itrs_km[:, j]),
            plan.masks_deg,
            parallel=plan.kernel_parallel,
        )
        accumulator.update(seen.count, seen.max_elevation_deg)
        if on_instant is not None:
            on_instant(j + 1)
    return accumulator


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The per-cell figures of merit of a sweep, with the plan that produced them."""

    plan: SweepPlan
    figures: CoverageFigures
    area_km2: FloatArray
    """Area of each cell, km², ``(P,)`` (for area-weighted statistics)."""

    @property
    def cells(self) -> CellArray:
        """The cells, ``(P,)``, in the order of every per-cell array."""
        return self.plan.cells

    def columns(self) -> dict[str, npt.NDArray[Any]]:
        """The per-cell table: ``cell`` (hex), ``lat_deg``, ``lon_deg``, ``area_km2`` and every
        figure of merit (`CoverageFigures.per_cell`), each ``(P,)``."""
        return {
            "cell": np.asarray(grid.cells_to_hex(self.plan.cells), dtype=object),
            "lat_deg": self.plan.lat_deg,
            "lon_deg": self.plan.lon_deg,
            "area_km2": self.area_km2,
            **self.figures.per_cell(),
        }


def sweep(
    plan: SweepPlan,
    map_chunks: ChunkMap | None = None,
    *,
    progress: Progress | None = None,
) -> SweepResult:
    """Run every time chunk of ``plan`` and merge their accumulators in time order.

    ``map_chunks`` runs the chunks: the builtin `map` (the default, in this process) or an
    executor's ``map`` (`leolink.jobs`); it must yield results in the order of the chunks.
    ``progress(done, total)`` is called with instants: after each instant in this process,
    after each chunk elsewhere.
    """
    total_steps = plan.times.size
    merged = CoverageAccumulator(plan.cells.size, plan.step_s, plan.times[0], plan.at_least)
    chunk_fn: Callable[[TimeChunk], CoverageAccumulator]
    if map_chunks is None and progress is not None:
        report = progress

        def reporting_chunk(chunk: TimeChunk) -> CoverageAccumulator:
            return sweep_chunk(plan, chunk, lambda done: report(chunk.start + done, total_steps))

        chunk_fn = reporting_chunk
    else:
        chunk_fn = functools.partial(sweep_chunk, plan)
    run: ChunkMap = map if map_chunks is None else map_chunks
    for accumulator in run(chunk_fn, plan.chunks):
        merged = merged.merge(accumulator)
        del accumulator
        if progress is not None:
            progress(merged.n_steps, total_steps)
    if merged.n_steps != total_steps:
        raise InputError(
            f"the chunks covered {merged.n_steps} of {total_steps} instants: map_chunks must "
            "return one result per chunk"
        )
    return SweepResult(plan=plan, figures=merged.figures(), area_km2=grid.cell_area_km2(plan.cells))


def coverage(
    catalog: Catalog,
    start: str | np.datetime64,
    end: str | np.datetime64,
    step_s: float,
    *,
    country: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    geojson: str | dict[str, Any] | None = None,
    world: bool = False,
    cells: npt.ArrayLike | None = None,
    resolution: int = grid.DEFAULT_RESOLUTION,
    min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG,
    shell_masks: Sequence[ShellMask] = (),
    at_least: Sequence[int] = (1,),
    region: str = "",
    map_chunks: ChunkMap | None = None,
    workers: int = 1,
    chunk_steps: int | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Coverage of a region by ``catalog`` over ``[start, end]`` every ``step_s`` seconds.

    The region is one of ``country``, ``bbox``, ``geojson``, ``world`` (`region_cells`) or
    explicit ``cells`` (labelled ``region`` in titles and metadata).  Runs in this process on
    numba's threads unless ``map_chunks`` (an executor's ``map``, with its ``workers``) runs
    the chunks elsewhere; see `plan_sweep` and `sweep`.
    """
    if cells is None:
        cells, label = region_cells(
            country=country, bbox=bbox, geojson=geojson, world=world, resolution=resolution
        )
    elif country is not None or bbox is not None or geojson is not None or world:
        raise InputError("give either cells or a region (country, bbox, geojson, world), not both")
    else:
        label = region or f"{np.size(cells)} cells"
    plan = plan_sweep(
        cells,
        start,
        end,
        step_s,
        catalog,
        min_elevation_deg=min_elevation_deg,
        shell_masks=shell_masks,
        at_least=at_least,
        chunk_steps=chunk_steps,
        workers=workers,
        kernel_parallel=map_chunks is None,
        region=label,
    )
    return sweep(plan, map_chunks, progress=progress)
