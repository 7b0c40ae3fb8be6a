"""Coverage, public: figures of merit per H3 cell from a sweep over a time window."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool

from leolink.service.boxes import TooManyCells, too_many_cells_problem
from leolink.service.coverage import (
    SweepsBusy,
    TooManyInstants,
    coverage_json,
    coverage_request,
    too_many_instants_problem,
)
from leolink.service.problems import ProblemError
from leolink.service.routers._common import errors, instant_or_now
from leolink.service.schemas import CoverageOut
from leolink.service.state import ServiceState, get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["public"])

StateDep = Annotated[ServiceState, Depends(get_state)]

_INSTANT = "UTC instant, ISO 8601 with Z (e.g. 2026-05-13T12:00:00Z), or 'now'."  # as AtQuery says


def _start(text: str | None) -> np.datetime64:
    """The start of the window; 'now' (the default) is rounded down to the whole minute, so that
    the requests of one minute share a sweep (and the cache)."""
    if text is None or text.strip().lower() == "now":
        now_ns = int(instant_or_now(None).astype(np.int64))
        return np.datetime64(now_ns - now_ns % 60_000_000_000, "ns")
    return instant_or_now(text, "start")


@router.get("/coverage", response_model=CoverageOut, responses=errors(503))
async def coverage(
    state: StateDep,
    bbox: Annotated[
        str | None,
        Query(
            max_length=200,
            description="The region: W,S,E,N in degrees; west > east crosses the antimeridian. "
            "Give this or country.",
            examples=["22,44,41,53"],
        ),
    ] = None,
    country: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z]{2,3}$",
            description="The region: a country's land, by ISO 3166-1 alpha-2 or alpha-3 code. "
            "Give this or bbox.",
            examples=["UA"],
        ),
    ] = None,
    start: Annotated[
        str | None,
        Query(
            max_length=64,
            description=f"Start of the window. {_INSTANT} Default: now, rounded down to the "
            "minute.",
            examples=["2026-05-13T12:00:00Z"],
        ),
    ] = None,
    end: Annotated[
        str | None,
        Query(
            max_length=64,
            description=f"End of the window (included when it falls on a step). {_INSTANT} "
            "Default: an hour after start.",
            examples=["2026-05-13T13:00:00Z"],
        ),
    ] = None,
    step_s: Annotated[
        float,
        Query(ge=1.0, le=86_400.0, allow_inf_nan=False, description="Seconds between instants."),
    ] = 60.0,
    resolution: Annotated[int, Query(ge=0, le=9, description="H3 resolution (0-9).")] = 5,
    min_elevation_deg: Annotated[
        float,
        Query(
            ge=10.0,
            le=90.0,
            allow_inf_nan=False,
            description="Elevation mask, degrees: a satellite lower than this is not in view.",
        ),
    ] = 25.0,
) -> Response:
    """Figures of merit of every cell of a region over a time window, from a coverage sweep.

    The cells are the H3 cells at ``resolution`` whose centre is in the box (``bbox``) or on
    the country's land (``country``).  From ``start`` to ``end`` every ``step_s`` seconds the
    catalog is propagated and, at each cell's centre, the satellites at or above
    ``min_elevation_deg`` are counted; the figures sum that up per cell (as ``leolink
    coverage`` and ``leolink.api.coverage`` do, STK's coverage figures of merit).  Sample *i*
    stands for the interval from instant *i* to the next, so the window lasts ``steps`` x
    ``step_s`` seconds.  The response is kept: the same request again is answered at once.

    Refused with 422 (``application/problem+json``, nothing computed): neither or both of
    ``bbox`` and ``country``; a malformed box or an unknown country; ``end`` before ``start``;
    and, by the service's default limits, more than 97 instants (``too-many-instants``, with
    ``suggested_step_s``), more than 20,000 cells (``too-many-cells``, with
    ``suggested_resolution``) or more than 1,220,000 cells x instants (``too-many-instants``,
    with ``suggested_step_s`` and ``suggested_resolution``, null when none helps).  One sweep
    runs at a time per service process; a request that waited 20 s for its turn gets 503
    (``busy``) with ``Retry-After``.

    The response (JSON):

    - ``region``: what was swept, ``bbox W,S,E,N`` or ``country UA (Ukraine)``.
    - ``resolution``: the H3 resolution of the cells.
    - ``start``, ``end``: the first and the last instant swept (the last whole step at or
      before the ``end`` asked for).
    - ``step_s``: seconds between instants; ``steps``: how many instants.
    - ``min_elevation_deg``: the elevation mask.
    - ``satellites``: satellites in the catalog; ``catalog``: where it comes from.
    - ``warning``: set when the window is more than 14 days from the catalog's epochs (its
      positions are then indicative only), else null.
    - ``figures``: for each figure's name, ``label`` (what it is, in words) and ``unit``.
      ``pct_time_covered``: percent of the window with at least one satellite in view;
      ``mean_visible``, ``min_visible``, ``max_visible``: satellites in view, on average, at
      worst and at best; ``gaps``: number of gaps, runs of instants without a satellite;
      ``max_gap_s``, ``mean_gap_s``: the longest and the mean gap, seconds (``mean_gap_s`` null
      where there is none); ``max_elevation_deg``, ``mean_max_elevation_deg``,
      ``min_max_elevation_deg``: the elevation of the highest satellite in view, at best, on
      average and at worst over the instants with one (null if never covered).  The list is
      the sweep's own: a client should read it from here rather than know it.
    - ``cells``: columns of equal length, the i-th entry of each for the i-th cell: ``cell``
      (15-digit hex H3 index) and one column per figure.  Floats are rounded to 0.001; null is
      a value that does not exist (see above).
    - ``summary``: the region as a whole: ``cells``, ``area_km2`` and for each figure its
      area-weighted ``mean``, ``min``, ``max`` and percentiles ``p5``, ``p50``, ``p95`` (a
      p5 of ``pct_time_covered`` of 90 means 95 % of the area is covered at least 90 % of the
      time), with the ``cells`` and ``area_km2`` that have a value.
    """
    try:
        request = coverage_request(
            bbox=bbox,
            country=country,
            start=_start(start),
            end=None if end is None else instant_or_now(end, "end"),
            step_s=step_s,
            resolution=resolution,
            min_elevation_deg=min_elevation_deg,
            limits=state.limits,
        )
        body = await run_in_threadpool(coverage_json, state, request)
    except TooManyCells as exc:
        raise too_many_cells_problem(exc) from None
    except TooManyInstants as exc:
        raise too_many_instants_problem(exc) from None
    except SweepsBusy as exc:
        raise ProblemError(
            503, "busy", "Busy sweeping", str(exc), headers={"Retry-After": "5"}
        ) from None
    return Response(body, media_type="application/json")
