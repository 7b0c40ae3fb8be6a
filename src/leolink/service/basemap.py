"""The countries layer of the web map: the vendored borders, simplified once, with statuses.

The borders (`leolink.geo.countries`, Natural Earth 1:50m) are 4 MB of GeoJSON at full
precision.  For the map they are simplified once per process (Douglas-Peucker with topology
preserved, `SIMPLIFY_TOLERANCE_DEG`, about 1 km) and rounded to `COORDINATE_DECIMALS`
(about 100 m): 1.1 MB, 0.4 MB gzipped.  Each feature's geometry is kept as encoded JSON, so a
request only adds the statuses in force at its instant.  The two entries whose polygons
collapsed in the source (Vatican, Ashmore and Cartier Islands) are Points.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Final

import numpy as np
import shapely

from leolink.api import (
    CountryStatusChange,
    all_countries,
    country_geometry,
    country_representative_point,
    format_instant,
)

__all__ = [
    "COORDINATE_DECIMALS",
    "SIMPLIFY_TOLERANCE_DEG",
    "BaseFeature",
    "base_features",
    "countries_geojson",
]

#: Douglas-Peucker tolerance, degrees (0.01° is 1.1 km of latitude).
SIMPLIFY_TOLERANCE_DEG: Final = 0.01
#: Decimals kept of each coordinate (3: 111 m of latitude).
COORDINATE_DECIMALS: Final = 3


@dataclass(frozen=True)
class BaseFeature:
    """One country of the layer: its codes, name and simplified geometry as JSON text."""

    iso_a2: str | None
    iso_a3: str
    name: str
    geometry_json: str


@cache
def base_features() -> tuple[BaseFeature, ...]:
    """Every country of the borders, simplified (computed once per process, ~0.4 s)."""
    out = []
    for country in all_countries():
        geom = country_geometry(country)
        if geom.is_empty:
            lat, lon = country_representative_point(country)
            geometry = json.dumps({"type": "Point", "coordinates": [lon, lat]})
        else:
            simple = shapely.simplify(geom, SIMPLIFY_TOLERANCE_DEG, preserve_topology=True)
            simple = shapely.transform(simple, lambda xy: np.round(xy, COORDINATE_DECIMALS))
            geometry = shapely.to_geojson(simple)
        out.append(BaseFeature(country.iso_a2, country.iso_a3, country.name, geometry))
    return tuple(out)


def countries_geojson(statuses: Mapping[str, CountryStatusChange]) -> bytes:
    """The FeatureCollection with each country's status in force, as UTF-8 JSON.

    Properties: ``iso_a2`` (null for the five entries without one), ``iso_a3``, ``name``,
    ``status`` (null where no status is recorded) and ``status_since`` (the status change's
    ``effective_from``).
    """
    parts = []
    for f in base_features():
        change = statuses.get(f.iso_a2) if f.iso_a2 else None
        properties = {
            "iso_a2": f.iso_a2,
            "iso_a3": f.iso_a3,
            "name": f.name,
            "status": None if change is None else change.status.value,
            "status_since": None if change is None else format_instant(change.effective_from),
        }
        props = json.dumps(properties, ensure_ascii=False, separators=(",", ":"))
        parts.append(f'{{"type":"Feature","properties":{props},"geometry":{f.geometry_json}}}')
    return ('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}").encode()
