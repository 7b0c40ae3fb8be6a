"""Lasers over time: when each link of the network is acquired, how long it is held, and uptime.

A Starlink laser terminal points at one partner and keeps it: SpaceX reports links "maintained
for weeks at a time" beside some 266,000 acquisitions a day across more than 9,000 lasers, and
a link uptime over 99 % (T. Brashears, SpaceX, SPIE Photonics West, January 2024, as reported
by PCMag, "Starlink's Laser System Is Beaming 42 Million GB of Data Per Day", 31 Jan 2024).
leolink's lasers behave the same way: the partners are chosen once, from the structure of the
constellation (`leolink.network.build_network`: the +Grid of the settled satellites, or an ISL
file), and are not re-chosen from one step to the next.  A link is *up* while both satellites
have positions and are within the network's maximum laser range; it is *acquired* each time it
comes up after being down (or at the first instant), and *held* until it goes out of range.

`laser_day` steps a network over a time grid and counts exactly that: acquisitions per day,
the time each link is up, and the longest link seen up.  Comparing its counts with SpaceX's is
a check of the model, not a fit: nothing here is tuned to those figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from leolink.arrays import BoolArray, DatetimeArray
from leolink.errors import InputError
from leolink.network.graph import Network
from leolink.network.links import isl_lengths_km
from leolink.orbits.propagate import propagate
from leolink.time import format_instant

__all__ = ["SPACEX_LASERS_2024", "LaserDay", "laser_day"]

#: SpaceX's laser figures of January 2024 (Brashears, SPIE Photonics West; PCMag, 31 Jan 2024).
SPACEX_LASERS_2024: dict[str, Any] = {
    "acquisitions_per_day": 266_141,
    "lasers": 9_000,
    "uptime": 0.99,
    "max_range_km": 5_400.0,
    "source": "T. Brashears (SpaceX), SPIE Photonics West, Jan 2024, reported by PCMag "
    "(pcmag.com/news/starlinks-laser-system-is-beaming-42-million-gb-of-data-per-day)",
}

_BLOCK_INSTANTS = 240  # instants propagated at a time: 10,361 satellites x 240 x 3 doubles = 60 MB


@dataclass(frozen=True, eq=False)
class LaserDay:
    """Laser links of a network over a time grid ``times`` ``(N,)``.

    ``up`` ``(L, N)`` says whether each link of ``network.isl_pairs`` is up at each instant;
    ``acquisitions`` counts the times a link comes up (including at the first instant), and
    ``max_up_km`` is the longest link that was up at any instant (NaN when none was).
    """

    network: Network
    times: DatetimeArray
    up: BoolArray
    acquisitions: int
    max_up_km: float

    @property
    def span_s(self) -> float:
        """Length of the grid, seconds (one step for a single instant)."""
        if len(self.times) < 2:
            return 0.0
        return float((self.times[-1] - self.times[0]) / np.timedelta64(1, "s"))

    @property
    def lasers(self) -> int:
        """Laser terminals in use: two for each link that is up at some instant."""
        return 2 * int(np.count_nonzero(self.up.any(axis=1)))

    @property
    def uptime(self) -> float:
        """Fraction of the link-instants up, over the links that were up at some instant."""
        used = self.up[self.up.any(axis=1)]
        return float(used.mean()) if used.size else math.nan

    @property
    def acquisitions_per_day(self) -> float:
        """New links a day after the first instant (the first instant's links are not counted)."""
        if self.span_s <= 0.0:
            return math.nan
        first = int(np.count_nonzero(self.up[:, 0])) if self.up.size else 0
        return (self.acquisitions - first) * 86_400.0 / self.span_s

    def summary(self) -> dict[str, Any]:
        """The figures beside SpaceX's, JSON-ready."""
        return {
            "start": format_instant(self.times[0]) if len(self.times) else None,
            "end": format_instant(self.times[-1]) if len(self.times) else None,
            "instants": len(self.times),
            "links": len(self.network.isl_pairs),
            "lasers_in_use": self.lasers,
            "acquisitions_per_day": self.acquisitions_per_day,
            "uptime": self.uptime,
            "max_range_km": self.network.max_isl_km,
            "longest_link_up_km": self.max_up_km,
            "spacex_2024": SPACEX_LASERS_2024,
        }


def laser_day(network: Network, times: npt.ArrayLike) -> LaserDay:
    """Step ``network``'s lasers over the UTC instants ``times`` (increasing ``datetime64``).

    Positions come from SGP4 (`leolink.orbits.propagate`), a block of instants at a time.
    """
    grid = np.asarray(times, dtype="datetime64[ns]").reshape(-1)
    if len(grid) == 0:
        raise InputError("times is empty; give at least one instant")
    if np.any(np.diff(grid) <= np.timedelta64(0, "ns")):
        raise InputError("times must increase strictly, e.g. api.time_grid(start, end, step_s)")
    pairs = network.isl_pairs
    up = np.zeros((len(pairs), len(grid)), dtype=bool)
    longest = -math.inf
    for start in range(0, len(grid), _BLOCK_INSTANTS):
        block = grid[start : start + _BLOCK_INSTANTS]
        r = propagate(network.catalog, block).r_itrs_km
        for k in range(len(block)):
            lengths = isl_lengths_km(r[:, k, :], pairs)
            now = lengths <= network.max_isl_km  # False for NaN
            up[:, start + k] = now
            if np.any(now):
                longest = max(longest, float(lengths[now].max()))
    came_up = up[:, 0].sum() + np.count_nonzero(up[:, 1:] & ~up[:, :-1])
    return LaserDay(
        network=network,
        times=grid,
        up=up,
        acquisitions=int(came_up),
        max_up_km=longest if math.isfinite(longest) else math.nan,
    )
