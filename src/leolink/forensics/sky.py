"""The coverage model's answer to "were satellites in view here, then?" for forensics.

Satellites are propagated with SGP4 (`leolink.orbits.propagate`) and counted above the user
terminal's elevation mask by the coverage kernel (`leolink.coverage.count_visible`), exactly.
Element sets are good for about two weeks around their epochs: for instants farther from the
catalog's epochs than ``max_catalog_age_days`` the model is *not asked* (``None``), rather than
answered with satellites SGP4 extrapolated out of their orbits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from leolink.coverage import GroundPoints, count_visible
from leolink.forensics.reports import instant_ns, ns_to_instant
from leolink.orbits.catalog import Catalog
from leolink.orbits.propagate import propagate
from leolink.policy.sky import DEFAULT_MAX_CATALOG_AGE_DAYS, DEFAULT_MIN_ELEVATION_DEG

__all__ = ["CoverageModel"]

#: Instants are propagated in chunks of this many, to bound memory (S x N x 3 doubles).
_CHUNK: Final = 64


@dataclass(frozen=True)
class CoverageModel:
    """A catalog and an elevation mask (25°, FCC 22-91's minimum for user terminals)."""

    catalog: Catalog
    min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG
    max_catalog_age_days: float = DEFAULT_MAX_CATALOG_AGE_DAYS

    def age_days(self, at: np.datetime64) -> float:
        """How far ``at`` lies from the catalog's epochs, days (median)."""
        return float(self.catalog.days_from_epochs(ns_to_instant(instant_ns(at))))

    def is_valid_at(self, at: np.datetime64) -> bool:
        """True if the element sets can be trusted at ``at``."""
        return self.age_days(at) <= self.max_catalog_age_days

    def visible_counts(
        self,
        lat_deg: npt.ArrayLike,
        lon_deg: npt.ArrayLike,
        times: npt.NDArray[np.datetime64],
    ) -> npt.NDArray[np.int32] | None:
        """Satellites in view per point and instant, ``(P, N)``; None if the catalog is stale."""
        times = np.asarray(times, dtype="datetime64[ns]")
        if times.size == 0:
            return np.zeros((np.size(lat_deg), 0), dtype=np.int32)
        if not all(self.is_valid_at(t) for t in (times.min(), times.max())):
            return None
        points = GroundPoints.from_lat_lon(lat_deg, lon_deg)
        out = np.empty((points.size, times.size), dtype=np.int32)
        for lo in range(0, times.size, _CHUNK):
            eph = propagate(self.catalog, times[lo : lo + _CHUNK])
            r = np.where(eph.error[..., None] == 0, eph.r_itrs_km, np.nan)
            for j in range(r.shape[1]):
                counts = count_visible(points, r[:, j, :], self.min_elevation_deg)
                out[:, lo + j] = points.to_given_order(counts)
        return out

    def in_view(
        self, cells: npt.NDArray[np.uint64], times: npt.NDArray[np.datetime64]
    ) -> npt.NDArray[np.bool_]:
        """At least one satellite over each cell's centre at each instant, ``(C, N)``.

        For a stale catalog, every cell counts as in view (the model cannot say otherwise).
        """
        from leolink.geo import grid

        lat, lon = grid.cells_to_latlng(cells)
        counts = self.visible_counts(lat, lon, times)
        if counts is None:
            return np.ones((np.size(cells), np.size(times)), dtype=bool)
        return counts > 0
