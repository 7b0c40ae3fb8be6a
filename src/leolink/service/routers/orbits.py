"""Orbits, public: the shells each satellite flies in, and one satellite's ground track.

The web map colours satellites by shell (the shells `leolink.api.infer_structure` finds in the
catalog, at the median epoch, computed once per process) and draws a satellite's ground track
on demand: its sub-satellite points from ``before_min`` before ``at`` to ``after_min`` after,
every ``step_s`` seconds (one revolution of a Starlink satellite is ~95 minutes).
"""

from __future__ import annotations

import threading
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from leolink import api
from leolink.service.problems import ProblemError
from leolink.service.routers._common import AtQuery, errors, instant_or_now
from leolink.service.state import ServiceState, get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1/satellites", tags=["public"])

StateDep = Annotated[ServiceState, Depends(get_state)]


class ShellOut(BaseModel):
    """One shell: median altitude and inclination, planes and settled satellites."""

    altitude_km: float
    inclination_deg: float
    planes: int
    satellites: int


class ShellsOut(BaseModel):
    """Each satellite's shell (index into ``shells``, -1 when it is not settled in one)."""

    at: str
    shells: list[ShellOut]
    norad_id: list[int]
    shell: list[int]


class TrackOut(BaseModel):
    """A ground track: sub-satellite points, the i-th of each list at ``times[i]``."""

    norad_id: int
    name: str
    at: str
    times: list[str]
    lat_deg: list[float | None]
    lon_deg: list[float | None]
    alt_km: list[float | None]


_shells_lock = threading.Lock()
_shells_by_catalog: dict[int, tuple[api.Catalog, ShellsOut]] = {}


def _shells(catalog: api.Catalog) -> ShellsOut:
    with _shells_lock:
        kept = _shells_by_catalog.get(id(catalog))
        if kept is not None and kept[0] is catalog:
            return kept[1]
        structure = api.infer_structure(catalog)
        out = ShellsOut(
            at=api.format_instant(structure.at),
            shells=[
                ShellOut(
                    altitude_km=round(s.altitude_km, 1),
                    inclination_deg=round(s.inclination_deg, 2),
                    planes=s.planes,
                    satellites=s.satellites,
                )
                for s in structure.shells
            ],
            norad_id=catalog.norad_ids.tolist(),
            shell=structure.shell.tolist(),
        )
        _shells_by_catalog.clear()
        _shells_by_catalog[id(catalog)] = (catalog, out)
        return out


@router.get("/shells", response_model=ShellsOut, responses=errors())
async def shells(state: StateDep) -> ShellsOut:
    """The shells of the catalog and each satellite's, as `leolink catalog info` finds them."""
    return await run_in_threadpool(_shells, state.catalog)


def _track(
    catalog: api.Catalog, norad_id: int, at: np.datetime64, before_s: int, after_s: int, step_s: int
) -> TrackOut:
    one = catalog.select_norad([norad_id])
    offsets_s = np.arange(-before_s, after_s + 1, step_s, dtype=np.int64)
    times = at + offsets_s.astype("timedelta64[s]").astype("timedelta64[ns]")
    eph = api.propagate(one, times)
    lat, lon, alt = api.itrs_to_geodetic(eph.r_itrs_km[0])
    ok = eph.error[0] == 0

    def column(values: np.ndarray, decimals: int) -> list[float | None]:
        return [
            round(float(v), decimals) if good else None for v, good in zip(values, ok, strict=False)
        ]

    return TrackOut(
        norad_id=norad_id,
        name=one.names[0],
        at=api.format_instant(at),
        times=[api.format_instant(t) for t in times],
        lat_deg=column(lat, 4),
        lon_deg=column(lon, 4),
        alt_km=column(alt, 2),
    )


@router.get("/{norad_id}/track", response_model=TrackOut, responses=errors(404))
async def track(
    state: StateDep,
    norad_id: Annotated[int, Path(ge=1, le=999_999_999, description="NORAD catalog number.")],
    at: AtQuery = None,
    before_min: Annotated[int, Query(ge=0, le=720, description="Minutes of track before at.")] = 45,
    after_min: Annotated[int, Query(ge=0, le=720, description="Minutes of track after at.")] = 95,
    step_s: Annotated[int, Query(ge=10, le=600, description="Seconds between points.")] = 30,
) -> TrackOut:
    """One satellite's sub-satellite points around ``at`` (default now), every ``step_s``.

    Points SGP4 cannot propagate are null.  404 when the catalog has no such satellite.
    """
    t = instant_or_now(at)
    if norad_id not in set(state.catalog.norad_ids.tolist()):
        raise ProblemError(
            404,
            "not-found",
            "No such satellite",
            f"norad_id={norad_id} is not in the catalog: GET /v1/satellites lists the "
            "satellites it holds",
        )
    return await run_in_threadpool(
        _track, state.catalog, norad_id, t, 60 * before_min, 60 * after_min, step_s
    )
