"""The network's routes: ``GET /v1/routes``, the lowest-delay path between two points or to a PoP.

Public (no key).  The same computation and JSON as ``leolink route --format json``
(`leolink.api.route`, `Route.as_dict`); an unreachable destination is a 200 with
``reachable: false`` and the reason, bad input a 422 naming the parameter.  The network's
time-independent part (lasers, gateways, PoPs) is built once per set of link options and kept
by the service state (`ServiceState.network`); each request then costs SGP4 at its instant,
the graph with its two endpoints and one search (`leolink.network.route_on`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool

from leolink.api import (
    DEFAULT_MAX_ISL_KM,
    IslPattern,
    ground_link_elevation_deg,
    internet_route,
    latency_record,
    parse_route_endpoints,
    route_on,
)
from leolink.service.routers._common import AtQuery, errors, instant_or_now
from leolink.service.schemas import RouteOut
from leolink.service.state import ServiceState, get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["public"])

StateDep = Annotated[ServiceState, Depends(get_state)]
_POINT = "LAT,LON in decimal degrees, latitude first (e.g. 48.8534,2.3488)."


def _route(state: ServiceState, route: dict[str, Any], links: dict[str, Any]) -> bytes:
    """`leolink.api.route` with ``route`` (at, src, dst, pop) and link options ``links``, over
    the network the state keeps for those options, as JSON."""
    network = state.network(**links)
    if route["dst"] is None:
        found, latency = internet_route(network, route["at"], route["src"], pop=route["pop"])
        record = found.as_dict()
        age_days = network.catalog.days_from_epochs(route["at"])
        record["latency"] = None if latency is None else latency_record(latency, age_days)
    else:
        record = route_on(network, **route).as_dict()
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()


@router.get("/routes", response_model=RouteOut, responses=errors())
async def routes(
    state: StateDep,
    from_: Annotated[str, Query(alias="from", max_length=64, description="Start: " + _POINT)],
    to: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Destination: " + _POINT + " Without it, the route goes down to a "
            "gateway and over fibre to the PoP Starlink's GeoIP feed assigns to the start (or "
            "``pop``), with the RTT by component in ``latency``.",
        ),
    ] = None,
    at: AtQuery = None,
    pop: Annotated[
        str | None,
        Query(max_length=32, description="Route to this 2026 PoP (reverse-DNS code, frntdeu1)."),
    ] = None,
    isl: Annotated[
        IslPattern, Query(description="Laser links: the +Grid, or none (bent pipe only).")
    ] = IslPattern.PLUS_GRID,
    min_elevation_deg: Annotated[
        float | None,
        Query(
            ge=-90.0,
            le=90.0,
            allow_inf_nan=False,
            description="Elevation mask of ground links, degrees (25 unless max_gsl_km).",
        ),
    ] = None,
    max_gsl_km: Annotated[
        float | None,
        Query(gt=0.0, allow_inf_nan=False, description="Ground links up to this range instead."),
    ] = None,
    max_isl_km: Annotated[
        float, Query(gt=0.0, allow_inf_nan=False, description="Longest laser link, km.")
    ] = DEFAULT_MAX_ISL_KM,
    gateways: Annotated[
        bool, Query(description="Include the gateways and PoPs (false: satellites only).")
    ] = True,
) -> Response:
    """Lowest-delay route at ``at`` (default now), with its hops, RTT and number of links.

    The JSON of ``leolink route --format json``: ``{at, reachable, rtt_ms, one_way_ms, hops,
    path, reason}``, and to the Internet ``latency`` (`leolink.network.LatencyRow`).  Ground
    links follow ``min_elevation_deg`` (default 25°) or
    ``max_gsl_km``, not both.
    """
    t = instant_or_now(at)
    src, dst = parse_route_endpoints(
        from_, to, pop, min_elevation_deg, max_gsl_km, gateways, spelling="query"
    )
    links: dict[str, Any] = {
        "isl": isl,
        "gateways": gateways,
        "pops": gateways,
        "min_elevation_deg": ground_link_elevation_deg(min_elevation_deg, max_gsl_km),
        "max_gsl_km": max_gsl_km,
        "max_isl_km": max_isl_km,
    }
    route = {"at": t, "src": src, "dst": dst, "pop": pop}
    body = await run_in_threadpool(_route, state, route, links)
    return Response(body, media_type="application/json")
