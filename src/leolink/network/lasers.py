"""Lasers over time: when each link of the network is acquired, how long it is held, and uptime.

A Starlink laser terminal points at one partner and keeps it: SpaceX reports links "maintained
for weeks at a time" beside some 266,000 acquisitions a day across more than 9,000 lasers, and
a link uptime over 99 % (T. Brashears, SpaceX, SPIE Photonics West, January 2024, as reported
by PCMag, "Starlink's Laser System Is Beaming 42 Million GB of Data Per Day", 31 Jan 2024).

The model's assumptions, each one a choice a reader can check (`LASER_MODEL_ASSUMPTIONS`):

1. **Partners from the structure.**  The lasers are the +Grid of the settled satellites
   (`leolink.network.build_network`: the next satellite in the plane and the nearest one of
   the plane to the east; Hypatia's ``generate_plus_grid_isls``, Kassing et al., IMC 2020), or
   an ISL file.  Up to four lasers a settled satellite: SpaceX has not published how many
   terminals each satellite carries (9,000 lasers over some 5,400 satellites in January 2024
   is 1.7 a satellite in use).
2. **Held, not re-chosen.**  A link is *acquired* when it comes up after being down (or at
   the first instant) and held while it can be up; the partners are not re-chosen from one
   step to the next.  With ``replan_every_s`` the +Grid is inferred again at that interval
   (`leolink.network.graph.inferred_isl_pairs`): the links of the last plan that can still be
   up are held, and a newly inferred partner is acquired where both satellites have a free
   laser (a link the last plan had dropped or left out, a cross-plane partner change) -
   acquisition on every reconfiguration, and only then.
3. **When a link can be up** (`leolink.network.links.isl_up`): both satellites have positions,
   they are at most the network's ``max_isl_km`` apart (SpaceX's stated 5,400 km by default,
   Brashears 2024), and the line of sight clears WGS84 by ``min_isl_clearance_km`` (80 km,
   Hypatia's "ISLs are not allowed to dip below 80 km altitude").  Acquisition is instant (the
   fastest SpaceX has seen is about 12 s, from the same talk as reported by tekins.com, 2 Feb
   2024: below the usual 60 s step).
4. **Manoeuvring satellites have no lasers** until they settle
   (`leolink.orbits.structure`); an element set is propagated with SGP4 without manoeuvres,
   so over one catalog's day no satellite settles or leaves its shell.
5. **No traffic engineering**: nothing re-points a laser to carry traffic elsewhere, to
   another shell, or around a failed terminal; there are no failures.

`laser_day` steps a network over a time grid and counts exactly that: acquisitions per day,
why each link was down before it came up (``causes``), the time each link is up, and the
longest link seen up.  Comparing its counts with SpaceX's is a check of the model, not a fit:
nothing here is tuned to those figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from leolink.arrays import BoolArray, DatetimeArray, IntArray
from leolink.errors import InputError
from leolink.network.graph import Network, inferred_isl_pairs
from leolink.network.links import isl_clearance_km, isl_lengths_km, isl_up
from leolink.orbits.propagate import propagate
from leolink.time import format_instant

__all__ = ["LASER_MODEL_ASSUMPTIONS", "SPACEX_LASERS_2024", "LaserDay", "laser_day"]

#: SpaceX's laser figures of January 2024 (Brashears, SPIE Photonics West; PCMag, 31 Jan 2024).
SPACEX_LASERS_2024: dict[str, Any] = {
    "acquisitions_per_day": 266_141,
    "lasers": 9_000,
    "uptime": 0.99,
    "max_range_km": 5_400.0,
    "source": "T. Brashears (SpaceX), SPIE Photonics West, Jan 2024, reported by PCMag "
    "(pcmag.com/news/starlinks-laser-system-is-beaming-42-million-gb-of-data-per-day)",
}

#: The assumptions above, one line each, as `LaserDay.summary` reports them.
LASER_MODEL_ASSUMPTIONS: tuple[str, ...] = (
    "partners: the +Grid of settled satellites (up to 4 lasers each; Hypatia's "
    "generate_plus_grid_isls, Kassing et al. IMC 2020) or an ISL file",
    "links are held, not re-chosen each step; with replan_every_s the +Grid is inferred again, "
    "links that can still be up are kept and new partners take free lasers only",
    "a link is up within max_isl_km (5,400 km, SpaceX, Brashears SPIE 2024) with its line of "
    "sight 80 km above WGS84 (Hypatia); acquisition is instant (SpaceX's fastest: ~12 s)",
    "manoeuvring satellites have no lasers; SGP4 over one element set has no manoeuvres",
    "no traffic-driven re-pointing, no cross-shell links, no terminal failures",
)

#: Lasers a satellite has for the +Grid: the previous and next satellite of its plane and the
#: neighbours of the planes to the west and east.
PLUS_GRID_LASERS: Final = 4

#: Why a link that came up had been down at the instant before (`LaserDay.causes`).
CAUSES: tuple[str, ...] = ("out_of_range", "below_clearance", "no_position", "not_planned")

_BLOCK_INSTANTS = 240  # instants propagated at a time: 10,361 satellites x 240 x 3 doubles = 60 MB


@dataclass(frozen=True, eq=False)
class LaserDay:
    """Laser links of a network over a time grid ``times`` ``(N,)``.

    ``pairs`` ``(L, 2)`` are the links looked at: the network's, or with re-planning every
    link of any plan.  ``up`` ``(L, N)`` says whether each is up at each instant;
    ``acquisitions`` counts the times a link comes up (including at the first instant),
    ``causes`` why those after the first instant had been down (`CAUSES`), and ``max_up_km``
    is the longest link that was up at any instant (NaN when none was).
    """

    network: Network
    times: DatetimeArray
    pairs: IntArray
    up: BoolArray
    acquisitions: int
    causes: dict[str, int]
    max_up_km: float
    replan_every_s: float | None = None

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
        """The figures beside SpaceX's, JSON-ready.

        Per laser: acquisitions a day over the lasers in use, the model's and SpaceX's (266,141
        over 9,000), since the two fleets differ in size.
        """
        per_day = self.acquisitions_per_day
        spacex = SPACEX_LASERS_2024
        return {
            "start": format_instant(self.times[0]) if len(self.times) else None,
            "end": format_instant(self.times[-1]) if len(self.times) else None,
            "instants": len(self.times),
            "replan_every_s": self.replan_every_s,
            "links": len(self.pairs),
            "lasers_in_use": self.lasers,
            "acquisitions_per_day": per_day,
            "acquisitions_by_cause": dict(self.causes),
            "acquisitions_per_laser_per_day": per_day / self.lasers if self.lasers else math.nan,
            "spacex_acquisitions_per_laser_per_day": spacex["acquisitions_per_day"]
            / spacex["lasers"],
            "uptime": self.uptime,
            "max_range_km": self.network.max_isl_km,
            "min_clearance_km": self.network.min_isl_clearance_km,
            "longest_link_up_km": self.max_up_km,
            "assumptions": list(LASER_MODEL_ASSUMPTIONS),
            "spacex_2024": spacex,
        }


def laser_day(
    network: Network, times: npt.ArrayLike, *, replan_every_s: float | None = None
) -> LaserDay:
    """Step ``network``'s lasers over the UTC instants ``times`` (increasing ``datetime64``).

    Positions come from SGP4 (`leolink.orbits.propagate`), a block of instants at a time.  With
    ``replan_every_s`` the +Grid is inferred again from the network's catalog at the first
    instant and every ``replan_every_s`` after it (assumption 2 of the module docstring), in
    place of the network's own lasers.
    """
    grid = np.asarray(times, dtype="datetime64[ns]").reshape(-1)
    if len(grid) == 0:
        raise InputError("times is empty; give at least one instant")
    if np.any(np.diff(grid) <= np.timedelta64(0, "ns")):
        raise InputError("times must increase strictly, e.g. api.time_grid(start, end, step_s)")
    elapsed_s = (grid - grid[0]) / np.timedelta64(1, "s")
    if replan_every_s is None:
        pairs = network.isl_pairs
        plan_of_instant = np.zeros(len(grid), dtype=np.int64)
        planned = np.ones((len(pairs), 1), dtype=bool)
    else:
        if not (math.isfinite(replan_every_s) and replan_every_s > 0):
            raise InputError(
                f"replan_every_s={replan_every_s!r} must be a positive number of seconds"
            )
        plan_of_instant = np.floor(elapsed_s / replan_every_s).astype(np.int64)
        plans: list[IntArray] = []
        for j in range(int(plan_of_instant[-1]) + 1):
            at = grid[0] + np.timedelta64(round(j * replan_every_s * 1e9), "ns")
            fresh = inferred_isl_pairs(
                network.catalog, at, network.max_isl_km, network.min_isl_clearance_km
            )
            if plans:
                r_now = propagate(network.catalog, at).r_itrs_km[:, 0, :]
                held = plans[-1][
                    isl_up(r_now, plans[-1], network.max_isl_km, network.min_isl_clearance_km)[0]
                ]
                fresh = _keep_held(held, fresh, len(network.catalog))
            plans.append(fresh)
        pairs, inverse = np.unique(np.concatenate(plans), axis=0, return_inverse=True)
        planned = np.zeros((len(pairs), len(plans)), dtype=bool)
        plan_index = np.repeat(np.arange(len(plans)), [len(p) for p in plans])
        planned[inverse.reshape(-1), plan_index] = True
    up = np.zeros((len(pairs), len(grid)), dtype=bool)
    causes = dict.fromkeys(CAUSES, 0)
    previous: dict[str, BoolArray] = {}
    longest = -math.inf
    for start in range(0, len(grid), _BLOCK_INSTANTS):
        block = grid[start : start + _BLOCK_INSTANTS]
        r = propagate(network.catalog, block).r_itrs_km
        for k in range(len(block)):
            lengths = isl_lengths_km(r[:, k, :], pairs)
            state = {
                "no_position": np.isnan(lengths),
                "out_of_range": ~(lengths <= network.max_isl_km),
                "below_clearance": ~(
                    isl_clearance_km(r[:, k, :], pairs) >= network.min_isl_clearance_km
                ),
                "not_planned": ~planned[:, plan_of_instant[start + k]],
            }
            now = ~(state["out_of_range"] | state["below_clearance"] | state["not_planned"])
            up[:, start + k] = now
            if previous:
                came_up = now & ~up[:, start + k - 1]
                # One cause per acquisition, in this order: the plan, then the geometry.
                left = came_up
                for cause in ("not_planned", "no_position", "out_of_range", "below_clearance"):
                    hit = left & previous[cause]
                    causes[cause] += int(np.count_nonzero(hit))
                    left = left & ~hit
            previous = state
            if np.any(now):
                longest = max(longest, float(lengths[now].max()))
    came_up = up[:, 0].sum() + np.count_nonzero(up[:, 1:] & ~up[:, :-1])
    return LaserDay(
        network=network,
        times=grid,
        pairs=pairs,
        up=up,
        acquisitions=int(came_up),
        causes=causes,
        max_up_km=longest if math.isfinite(longest) else math.nan,
        replan_every_s=None if replan_every_s is None else float(replan_every_s),
    )


def _keep_held(held: IntArray, fresh: IntArray, satellites: int) -> IntArray:
    """A new plan that keeps the links still held and adds fresh ones where lasers are free.

    ``held`` are the last plan's links that can still be up, ``fresh`` the +Grid inferred now;
    a fresh link is added when both its satellites have fewer than `PLUS_GRID_LASERS` links
    (in ``fresh``'s order).  So a link is dropped only when it cannot be up, and re-inferring
    a shell whose partners are ambiguous (Hypatia's pattern, where each satellite has two
    equally near partners in a neighbouring plane and the inferred numbering picks one) does
    not swap working links for equivalent ones.
    """
    degree = np.bincount(held.reshape(-1), minlength=satellites)
    known = {(int(a), int(b)) for a, b in held}
    added = []
    for a, b in fresh.tolist():
        if (a, b) in known or degree[a] >= PLUS_GRID_LASERS or degree[b] >= PLUS_GRID_LASERS:
            continue
        added.append((a, b))
        degree[a] += 1
        degree[b] += 1
    extra = np.array(added, dtype=np.int64).reshape(-1, 2)
    return np.unique(np.concatenate([held, extra]), axis=0)
