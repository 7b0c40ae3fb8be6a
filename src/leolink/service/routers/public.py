"""Public reads that need no key: health, the countries layer, satellites, visible satellites."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

import leolink
from leolink import api
from leolink.service import basemap
from leolink.service.routers._common import AtQuery, errors, instant_or_now, is_fixed_instant
from leolink.service.schemas import (
    CatalogInfo,
    Health,
    Latitude,
    Longitude,
    Satellites,
    VisibleSatelliteOut,
)
from leolink.service.state import ServiceState, get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["public"])

StateDep = Annotated[ServiceState, Depends(get_state)]
GEOJSON = "application/geo+json"


@router.get("/health", response_model=Health, responses=errors(503))
def health(state: StateDep) -> Health:
    """Liveness and what the service computes with: version, catalog epochs, policy version."""
    epochs = state.catalog.epochs
    return Health(
        status="ok",
        version=leolink.__version__,
        catalog=CatalogInfo(
            satellites=len(state.catalog),
            epoch_min=api.format_instant(epochs.min()),
            epoch_max=api.format_instant(epochs.max()),
            refresh=None if (r := state.catalog_refresher) is None else r.status(),
        ),
        policy_version=state.store.policy_version(),
    )


@router.get(
    "/countries",
    response_class=Response,
    responses={
        200: {
            "description": "GeoJSON FeatureCollection; properties "
            "{iso_a2, iso_a3, name, status, status_since}",
            "content": {GEOJSON: {"schema": {"type": "object"}}},
        },
        304: {"description": "Not modified: the ETag sent in If-None-Match still holds"},
        **errors(),
    },
)
async def countries(request: Request, state: StateDep, at: AtQuery = None) -> Response:
    """The country borders (simplified for the map) with each country's status at ``at``.

    ``status`` is null for a country without a recorded status; ``status_since`` is when the
    status in force took effect.  The ``ETag`` names the statuses in force, so a client that
    sends it back (``If-None-Match``) gets 304 until one of them changes.
    """
    t = instant_or_now(at)
    statuses = state.decider.policy().snapshot(t).country_statuses
    in_force = ",".join(f"{code}:{change.id}" for code, change in sorted(statuses.items()))
    etag = '"' + hashlib.sha256(in_force.encode()).hexdigest()[:32] + '"'
    headers = {"Cache-Control": "no-cache", "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(basemap.countries_geojson(statuses), media_type=GEOJSON, headers=headers)


def _satellites_json(state: ServiceState, at: np.datetime64, keep: bool) -> bytes:
    eph = state.ephemeris(at, keep=keep)
    body = {
        "at": api.format_instant(at),
        "count": int(eph.index.size),
        "warning": state.stale_warning(at, eph.stale_days),
        "satellites": {
            "norad_id": state.catalog.norad_ids[eph.index].tolist(),
            "name": [state.catalog.names[i] for i in eph.index.tolist()],
            "lat_deg": np.round(eph.lat_deg, 4).tolist(),
            "lon_deg": np.round(eph.lon_deg, 4).tolist(),
            "alt_km": np.round(eph.alt_km, 2).tolist(),
        },
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


@router.get("/satellites", response_model=Satellites, responses=errors())
async def satellites(state: StateDep, at: AtQuery = None) -> Response:
    """Every satellite's position at ``at`` (default now), as columns.

    The body is columnar, ``satellites: {norad_id: [...], name: [...], lat_deg: [...],
    lon_deg: [...], alt_km: [...]}``: the i-th entry of each list is the i-th satellite.  That
    is 40 % smaller and several times faster to build and parse than one object per satellite.
    Satellites SGP4 cannot propagate at ``at`` are left out; ``warning`` is set when the
    catalog is stale at ``at``.
    """
    t = instant_or_now(at)
    body = await run_in_threadpool(_satellites_json, state, t, is_fixed_instant(at))
    return Response(body, media_type="application/json")


@router.get("/visible", response_model=list[VisibleSatelliteOut], responses=errors())
def visible(
    state: StateDep,
    response: Response,
    lat: Annotated[Latitude, Query(description="Observer latitude, degrees.")],
    lon: Annotated[Longitude, Query(description="Observer longitude, degrees east.")],
    at: AtQuery = None,
    min_elevation_deg: Annotated[
        float, Query(ge=-90.0, le=90.0, allow_inf_nan=False, description="Elevation mask.")
    ] = 25.0,
) -> list[VisibleSatelliteOut]:
    """Satellites at or above ``min_elevation_deg`` from a point at ``at``, highest first.

    The same list as ``leolink visible``.  When the catalog is stale at ``at`` the response
    carries a ``Warning`` header (code 299).
    """
    t = instant_or_now(at)
    eph = state.ephemeris(t, keep=is_fixed_instant(at))
    elevation, azimuth, range_km = api.itrs_to_topocentric(eph.r_itrs_km, lat, lon, 0.0)
    seen = np.flatnonzero(elevation >= min_elevation_deg)
    order = seen[np.argsort(-elevation[seen], kind="stable")]
    warning = state.stale_warning(t, eph.stale_days)
    if warning:
        response.headers["Warning"] = f'299 leolink "{warning}"'
    catalog = state.catalog
    return [
        VisibleSatelliteOut(
            norad_id=int(catalog.norad_ids[eph.index[i]]),
            name=catalog.names[eph.index[i]],
            elevation_deg=float(elevation[i]),
            azimuth_deg=float(azimuth[i]),
            range_km=float(range_km[i]),
        )
        for i in order.tolist()
    ]
