"""SGP4 propagation of a whole catalog over a time grid, to TEME or Earth-fixed ITRF.

`propagate` returns an `Ephemeris`: ITRF positions ``(S, N, 3)`` of S satellites at N instants
and the SGP4 error code of every element, so that one decayed satellite is a row of NaN and a
code, not an exception.  The work is the C++ SGP4 of the ``sgp4`` package (Vallado et al. 2006,
AIAA 2006-6753) run over tiles of satellites × times small enough to stay in cache; each tile's
TEME states are rotated to ITRF (`leolink.orbits.frames`) by a fused numba loop as they are
written out, so the result costs little more than SGP4 itself.

``SatrecArray.sgp4`` holds the GIL (two threads run no faster than one), so ``workers > 1``
forks processes that write into one shared output; where ``fork`` does not exist (Windows) or
is not allowed (inside a daemonic process such as a Dask worker) the work runs in this process.
"""

from __future__ import annotations

import math
import mmap
import multiprocessing
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
from sgp4.api import SGP4_ERRORS, SatrecArray

from leolink._jit import njit
from leolink.arrays import DatetimeArray, FloatArray
from leolink.errors import InputError, WorkerError
from leolink.orbits.catalog import Catalog
from leolink.orbits.frames import EARTH_ROTATION_RAD_S, gmst82_rad
from leolink.time import datetime64_to_jd_fr

__all__ = [
    "RUNAWAY",
    "RUNAWAY_MARGIN_KM",
    "SGP4_ERROR_MESSAGES",
    "Ephemeris",
    "TemeEphemeris",
    "propagate",
    "propagate_teme",
]


#: leolink's own code for a state SGP4 returns without complaint but that cannot be real.
RUNAWAY = 7
#: How far beyond its element set's mean apogee a state may be before it is `RUNAWAY`.  Far from
#: its epoch, SGP4 extrapolates the drag term of a satellite that was raising its orbit
#: (negative B*) without bound — to thousands of km, 60,000 km or 10^10 km after six months —
#: and reports no error.  The bound is ``r_apogee * (1 + e / 2) + RUNAWAY_MARGIN_KM``:
#: osculating radii of near-circular orbits stay within tens of km of the mean apogee (the
#: margin also leaves room for real orbit raising), while for very eccentric orbits they exceed
#: it by up to 45 % (Vallado's e = 0.995 case 33333), which the ``e / 2`` term allows.
RUNAWAY_MARGIN_KM = 500.0

#: What each error code means: SGP4's own (``sgp4.api.SGP4_ERRORS``, after Vallado's ``sgp4``),
#: with 0, and leolink's `RUNAWAY`.
SGP4_ERROR_MESSAGES: Mapping[int, str] = MappingProxyType(
    {
        0: "no error",
        **SGP4_ERRORS,
        RUNAWAY: "state far above the element set's apogee: SGP4 extrapolated outside its "
        "validity (the element set is too far from its epoch)",
    }
)

# A tile of this many states (r and v: 48 bytes each) fits the 1-2 MB L2 cache of current CPUs.
_TILE_STATES = 16_384
# Satellites per SatrecArray when the grid has many times; each tile is then _CHUNK × times.
_CHUNK_SATELLITES = 64
# Below this many states a forked worker costs more than it saves.
_MIN_STATES_PER_WORKER = 200_000


@dataclass(frozen=True, eq=False)
class Ephemeris:
    """Earth-fixed (ITRF) states of S satellites at N instants.

    ``error`` holds the SGP4 error code of each element (`SGP4_ERROR_MESSAGES`); where it is
    not 0 the position (and velocity) is NaN.  ``v_itrs_km_s`` is present when asked for.
    """

    times: DatetimeArray  # (N,) datetime64[ns], UTC
    norad_ids: npt.NDArray[np.int64]  # (S,)
    r_itrs_km: FloatArray  # (S, N, 3)
    error: npt.NDArray[np.uint8]  # (S, N)
    v_itrs_km_s: FloatArray | None = None  # (S, N, 3)

    @property
    def ok(self) -> npt.NDArray[np.bool_]:
        """True where SGP4 succeeded, shape ``(S, N)``."""
        return np.asarray(self.error == 0)


@dataclass(frozen=True, eq=False)
class TemeEphemeris:
    """SGP4's own output: TEME positions and velocities of S satellites at N instants.

    TEME is the quasi-inertial frame SGP4 works in (Vallado et al. 2006, App. C); it suits
    orbit-element work such as structure inference.  Error codes and NaN as in `Ephemeris`.
    """

    times: DatetimeArray  # (N,) datetime64[ns], UTC
    norad_ids: npt.NDArray[np.int64]  # (S,)
    r_teme_km: FloatArray  # (S, N, 3)
    v_teme_km_s: FloatArray  # (S, N, 3)
    error: npt.NDArray[np.uint8]  # (S, N)


# One compiled signature for every tile (any memory layout), so that forked workers never compile.
_TILE_SIGNATURE = (
    "void(uint8[:, :], float64[:, :, :], float64[:, :, :], float64[:], float64[:], float64, "
    "float64[:], uint8[:, :], float64[:, :, :], float64[:, :, :], boolean)"
)


@njit(_TILE_SIGNATURE)
def _rotate_tile(
    e: npt.NDArray[np.uint8],
    r: FloatArray,
    v: FloatArray,
    cos_theta: FloatArray,
    sin_theta: FloatArray,
    omega: float,
    max_radius_km: FloatArray,
    e_out: npt.NDArray[np.uint8],
    r_out: FloatArray,
    v_out: FloatArray,
    with_velocity: bool,
) -> None:  # pragma: no cover - compiled by numba; exercised through propagate
    """Write R_z(θ) r (and R_z(θ) v − ω × R_z(θ) r) of one tile into the outputs, NaN on error.

    With cos θ = 1, sin θ = 0 and ω = 0 this is an exact copy (TEME output).  A state farther
    from the centre than its satellite's ``max_radius_km`` gets the code `RUNAWAY`.
    """
    for i in range(e.shape[0]):
        limit_sq = max_radius_km[i] * max_radius_km[i]
        for j in range(e.shape[1]):
            code = e[i, j]
            if code == 0 and r[i, j, 0] ** 2 + r[i, j, 1] ** 2 + r[i, j, 2] ** 2 > limit_sq:
                code = RUNAWAY
            e_out[i, j] = code
            if code != 0:
                for k in range(3):
                    r_out[i, j, k] = math.nan
                    if with_velocity:
                        v_out[i, j, k] = math.nan
                continue
            c = cos_theta[j]
            s = sin_theta[j]
            x = c * r[i, j, 0] + s * r[i, j, 1]
            y = -s * r[i, j, 0] + c * r[i, j, 1]
            r_out[i, j, 0] = x
            r_out[i, j, 1] = y
            r_out[i, j, 2] = r[i, j, 2]
            if with_velocity:
                v_out[i, j, 0] = c * v[i, j, 0] + s * v[i, j, 1] + omega * y
                v_out[i, j, 1] = -s * v[i, j, 0] + c * v[i, j, 1] - omega * x
                v_out[i, j, 2] = v[i, j, 2]


def _as_times(times: DatetimeArray | np.datetime64) -> DatetimeArray:
    array = np.asarray(times)
    if array.dtype.kind != "M":
        raise InputError(
            f"times must be numpy datetime64 (UTC), got dtype {array.dtype} ({array.ravel()[:3]!r}"
            "...); convert with leolink.time.parse_instant or np.datetime64('2026-05-13T12:00')"
        )
    if array.ndim > 1:
        raise InputError(
            f"times must be a scalar or a 1-D array, got shape {array.shape}; ravel it first"
        )
    flat = np.atleast_1d(array).astype("datetime64[ns]")
    if np.any(np.isnat(flat)):
        raise InputError(
            f"times contain NaT at index {np.flatnonzero(np.isnat(flat))[:5].tolist()}; "
            "give valid instants"
        )
    return flat


_chunk_cache: weakref.WeakKeyDictionary[Catalog, tuple[SatrecArray, ...]] = (
    weakref.WeakKeyDictionary()
)


def _satellite_chunks(catalog: Catalog) -> tuple[SatrecArray, ...]:
    """SatrecArrays of `_CHUNK_SATELLITES` consecutive satellites, built once per catalog.

    A SatrecArray cannot be sliced, and one call over the whole catalog writes arrays far larger
    than the cache; chunks are what make tiles possible.
    """
    chunks = _chunk_cache.get(catalog)
    if chunks is None:
        satrecs = catalog.satrecs
        chunks = tuple(
            SatrecArray(list(satrecs[i : i + _CHUNK_SATELLITES]))
            for i in range(0, len(satrecs), _CHUNK_SATELLITES)
        )
        _chunk_cache[catalog] = chunks
    return chunks


@dataclass(frozen=True)
class _Tile:
    satellites: slice
    times: slice
    chunk: int  # index into _satellite_chunks, or -1 for the whole catalog.satrec_array


def _tiles(n_satellites: int, n_times: int) -> list[_Tile]:
    """Split satellites × times into cache-sized tiles, in output order."""
    if n_satellites == 0 or n_times == 0:
        return []
    if n_times >= _CHUNK_SATELLITES:
        step = _TILE_STATES // min(n_satellites, _CHUNK_SATELLITES)
        return [
            _Tile(slice(s0, min(s0 + _CHUNK_SATELLITES, n_satellites)), slice(t0, t0 + step), k)
            for k, s0 in enumerate(range(0, n_satellites, _CHUNK_SATELLITES))
            for t0 in range(0, n_times, step)
        ]
    # Few instants (one snapshot of the catalog): one call over all satellites per few times.
    step = max(1, _TILE_STATES // n_satellites)
    return [
        _Tile(slice(0, n_satellites), slice(t0, t0 + step), -1) for t0 in range(0, n_times, step)
    ]


def _run_tiles(
    catalog: Catalog,
    tiles: list[_Tile],
    jd: FloatArray,
    fr: FloatArray,
    cos_theta: FloatArray,
    sin_theta: FloatArray,
    omega: float,
    e_out: npt.NDArray[np.uint8],
    r_out: FloatArray,
    v_out: FloatArray | None,
) -> None:
    chunks = _satellite_chunks(catalog) if any(t.chunk >= 0 for t in tiles) else ()
    max_radius_km = _max_radius_km(catalog)
    with_velocity = v_out is not None
    v_target = v_out if v_out is not None else r_out  # unused when not with_velocity
    for tile in tiles:
        array = chunks[tile.chunk] if tile.chunk >= 0 else catalog.satrec_array
        t = tile.times
        e, r, v = array.sgp4(jd[t], fr[t])
        s = tile.satellites
        _rotate_tile(
            e, r, v, cos_theta[t], sin_theta[t], omega, max_radius_km[s],
            e_out[s, t], r_out[s, t], v_target[s, t], with_velocity,
        )  # fmt: skip


def _max_radius_km(catalog: Catalog) -> FloatArray:
    """Per satellite, the largest radius that is not `RUNAWAY` (see `RUNAWAY_MARGIN_KM`)."""
    e = catalog.eccentricity
    apogee_km = catalog.semi_major_axis_km * (1.0 + e)
    return np.ascontiguousarray(apogee_km * (1.0 + e / 2.0) + RUNAWAY_MARGIN_KM)


def _shared_empty(shape: tuple[int, ...], dtype: type[np.generic]) -> npt.NDArray[Any]:
    """An array in anonymous shared memory, written by forked workers and read by the parent."""
    nbytes = max(1, math.prod(shape) * np.dtype(dtype).itemsize)
    buffer = mmap.mmap(-1, nbytes)
    return np.frombuffer(buffer, dtype=dtype, count=math.prod(shape)).reshape(shape)


def _can_fork() -> bool:
    """Fork is available, and allowed here: a daemonic process (a Dask worker) may not fork."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _states(
    catalog: Catalog,
    times: DatetimeArray,
    cos_theta: FloatArray,
    sin_theta: FloatArray,
    omega: float,
    with_velocity: bool,
    workers: int,
) -> tuple[npt.NDArray[np.uint8], FloatArray, FloatArray | None]:
    if workers < 1:
        raise InputError(f"workers={workers!r} must be a positive number of processes, e.g. 1")
    n_sat, n_times = len(catalog), len(times)
    jd, fr = datetime64_to_jd_fr(times)
    tiles = _tiles(n_sat, n_times)
    workers = max(1, min(workers, len(tiles), n_sat * n_times // _MIN_STATES_PER_WORKER))
    if workers > 1 and not _can_fork():
        workers = 1
    empty: Callable[[tuple[int, ...], type[np.generic]], npt.NDArray[Any]] = (
        _shared_empty if workers > 1 else np.empty
    )
    e_out = empty((n_sat, n_times), np.uint8)
    r_out = empty((n_sat, n_times, 3), np.float64)
    v_out = empty((n_sat, n_times, 3), np.float64) if with_velocity else None
    if workers == 1:
        _run_tiles(catalog, tiles, jd, fr, cos_theta, sin_theta, omega, e_out, r_out, v_out)
        return e_out, r_out, v_out
    # Compile and build everything before forking, so children only compute.
    _satellite_chunks(catalog)
    _ = catalog.satrec_array
    share = math.ceil(len(tiles) / workers)
    parts = [tiles[k * share : (k + 1) * share] for k in range(workers)]

    def work(part: list[_Tile]) -> None:
        _run_tiles(catalog, part, jd, fr, cos_theta, sin_theta, omega, e_out, r_out, v_out)

    context = multiprocessing.get_context("fork")
    with warnings.catch_warnings():
        # Python >= 3.12 warns on fork in a threaded process; the children only run SGP4 and a
        # compiled kernel, take no locks, and exit through os._exit.
        warnings.filterwarnings("ignore", message=r".*fork\(\).*", category=DeprecationWarning)
        children = [context.Process(target=work, args=(part,), daemon=True) for part in parts[1:]]
        for child in children:
            child.start()
    try:
        work(parts[0])
    finally:
        for child in children:
            child.join()
    failed = [child.exitcode for child in children if child.exitcode != 0]
    if failed:
        raise WorkerError(
            f"{len(failed)} of {workers - 1} propagation worker process(es) exited with code(s) "
            f"{failed} (a negative code is the signal that killed it, e.g. -9 when out of "
            "memory); retry with workers=1 or with fewer satellites or instants per call"
        )
    return e_out, r_out, v_out


def propagate(
    catalog: Catalog,
    times: DatetimeArray | np.datetime64,
    *,
    velocity: bool = False,
    workers: int = 1,
) -> Ephemeris:
    """Earth-fixed states of every satellite of ``catalog`` at every UTC instant of ``times``.

    ``times`` is a ``datetime64`` scalar or 1-D array of N instants (a scalar is N = 1); the
    result has ``r_itrs_km`` of shape ``(S, N, 3)``, ``error`` ``(S, N)`` and, with
    ``velocity=True``, ``v_itrs_km_s``.  TEME → ITRF uses GMST 1982 at UT1, polar motion
    neglected (`leolink.orbits.frames.teme_to_itrs`).  ``workers > 1`` splits the work over
    forked processes; it pays from a few hundred thousand states up.
    """
    grid = _as_times(times)
    theta = gmst82_rad(grid)
    e, r, v = _states(
        catalog, grid, np.cos(theta), np.sin(theta), EARTH_ROTATION_RAD_S, velocity, workers
    )
    return Ephemeris(times=grid, norad_ids=catalog.norad_ids, r_itrs_km=r, error=e, v_itrs_km_s=v)


def propagate_teme(
    catalog: Catalog,
    times: DatetimeArray | np.datetime64,
    *,
    workers: int = 1,
) -> TemeEphemeris:
    """SGP4's TEME positions and velocities of every satellite at every instant, ``(S, N, 3)``.

    The raw output of Vallado's SGP4 with error codes as data; see `propagate` for ``times``.
    """
    grid = _as_times(times)
    ones, zeros = np.ones(len(grid)), np.zeros(len(grid))
    e, r, v = _states(catalog, grid, ones, zeros, 0.0, True, workers)
    assert v is not None
    return TemeEphemeris(
        times=grid, norad_ids=catalog.norad_ids, r_teme_km=r, v_teme_km_s=v, error=e
    )
