"""Coverage: which ground cells see which satellites, and the figures of merit over time."""

from leolink.coverage.kernel import (
    DEFAULT_BAND_DEG,
    DEFAULT_MIN_ELEVATION_DEG,
    GroundPoints,
    Visibility,
    count_visible,
    visibility,
    visibility_brute_force,
)

__all__ = [
    "DEFAULT_BAND_DEG",
    "DEFAULT_MIN_ELEVATION_DEG",
    "GroundPoints",
    "Visibility",
    "count_visible",
    "visibility",
    "visibility_brute_force",
]
