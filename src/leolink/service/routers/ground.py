"""The ground segment for the map: ``GET /v1/ground-segment``, gateways and PoPs where they are.

Public (no key).  Gateways are StarPerf's January-2024 sites (`leolink.network.load_gateways`);
PoPs are the 2026 points of presence named as Starlink names them, by their reverse-DNS code
(``frntdeu1``: Frankfurt; `leolink.network.homing.load_pops_2026`).
"""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter, Response

from leolink.api import ground_segment as ground_segment_record
from leolink.service.routers._common import errors
from leolink.service.schemas import GroundSegmentOut

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["public"])


@cache
def _body() -> bytes:
    import json

    document = ground_segment_record()
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@router.get("/ground-segment", response_model=GroundSegmentOut, responses=errors())
def ground_segment() -> Response:
    """Gateways (``{id, name, lat_deg, lon_deg}``, StarPerf 2024, with ``antennas``, the
    ``home_pop`` each backhauls to and ``backhaul_km``) and PoPs (the same, ``id`` the
    reverse-DNS code Starlink names them by, 2026, with city, country, kind and DNS name), with
    the files they come from (`leolink.network.ground_segment`)."""
    return Response(_body(), media_type="application/json")
