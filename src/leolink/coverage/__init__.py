"""Coverage: which ground cells see which satellites, and the figures of merit over time.

`kernel` counts, per ground point and instant, the satellites above an elevation mask and the
highest elevation among them, exactly and fast; `merit` reduces those over a time window to
STK-style figures of merit per cell and per region.
"""

from leolink.coverage.kernel import (
    DEFAULT_BAND_DEG,
    DEFAULT_MIN_ELEVATION_DEG,
    GroundPoints,
    Visibility,
    count_visible,
    visibility,
    visibility_brute_force,
)
from leolink.coverage.merit import (
    AreaStatistics,
    CoverageAccumulator,
    CoverageFigures,
    area_weighted_statistics,
    region_statistics,
)

__all__ = [
    "DEFAULT_BAND_DEG",
    "DEFAULT_MIN_ELEVATION_DEG",
    "AreaStatistics",
    "CoverageAccumulator",
    "CoverageFigures",
    "GroundPoints",
    "Visibility",
    "area_weighted_statistics",
    "count_visible",
    "region_statistics",
    "visibility",
    "visibility_brute_force",
]
