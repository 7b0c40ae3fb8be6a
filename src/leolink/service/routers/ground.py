"""The ground segment for the map: ``GET /v1/ground-segment``, gateways and PoPs where they are.

Public (no key).  Gateways are StarPerf's January-2024 sites (`leolink.network.load_gateways`);
PoPs are the 2026 points of presence named as Starlink names them, by their reverse-DNS code
(``frntdeu1``: Frankfurt; `leolink.network.homing.load_pops_2026`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, Response

from leolink.network.homing import load_pops_2026
from leolink.network.sites import GroundSites, load_gateways
from leolink.service.routers._common import errors

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["public"])


def _sites(sites: GroundSites) -> list[dict[str, Any]]:
    return [
        {
            "id": sites.ids[i],
            "name": sites.names[i],
            "lat_deg": round(float(sites.lat_deg[i]), 5),
            "lon_deg": round(float(sites.lon_deg[i]), 5),
        }
        for i in range(len(sites.ids))
    ]


@cache
def _body() -> bytes:
    import json

    gateways, pops = load_gateways(), load_pops_2026()
    document = {
        "gateways": _sites(gateways),
        "pops": _sites(pops),
        "sources": {"gateways": gateways.source, "pops": pops.source},
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@router.get("/ground-segment", responses=errors())
def ground_segment() -> Response:
    """Gateways (``{id, name, lat_deg, lon_deg}``, StarPerf 2024) and PoPs (the same, ``id``
    the reverse-DNS code Starlink names them by, 2026), with the files they come from."""
    return Response(_body(), media_type="application/json")
