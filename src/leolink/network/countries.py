"""Modelled RTT to the Internet, country by country.

Each country is sampled by the centres of its H3 cells (`leolink.geo.regions.country_to_cells`,
resolution 3 by default: ~12,400 km² a cell, 11,670 cells over the world's land); each sample is
a user terminal whose RTT to the PoP nearest in delay is `internet_rtt_ms`, at every instant
asked for.  The RTT is propagation only — up, over lasers, down to a gateway, fibre at 2/3 c to
its PoP, and back — a lower bound on what a user measures, which adds queueing, scheduling
(Starlink's 15 s reconfiguration and frame timing) and processing delays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from leolink.errors import InputError
from leolink.geo.countries import all_countries, get_country
from leolink.geo.grid import cells_to_latlng
from leolink.geo.regions import country_to_cells
from leolink.network.graph import Network, graph_from_positions
from leolink.network.routing import internet_rtt_ms
from leolink.network.sites import ground_sites
from leolink.orbits.propagate import propagate
from leolink.time import parse_instant

__all__ = ["CountryRtt", "country_rtt_table"]


@dataclass(frozen=True)
class CountryRtt:
    """One country's modelled RTT to the Internet over its cells and the instants asked for.

    ``samples`` is cells × instants; ``reachable_pct`` the share of them with a path to a PoP;
    the RTT statistics (ms) are over the reachable ones, NaN when there are none.
    """

    code: str
    name: str
    cells: int
    samples: int
    reachable_pct: float
    min_rtt_ms: float
    median_rtt_ms: float
    p90_rtt_ms: float


def country_rtt_table(
    network: Network,
    times: str | np.datetime64 | Sequence[str | np.datetime64] | npt.NDArray[np.datetime64],
    *,
    countries: Sequence[str] | None = None,
    resolution: int = 3,
) -> list[CountryRtt]:
    """Per country (all 248 by default, or ISO ``countries``), the RTT to the nearest PoP.

    ``times`` is one UTC instant or several; the network needs gateways and PoPs.  Rows come
    in the order of ``countries``, or of `leolink.geo.countries.all_countries`.
    """
    if len(network.pops) == 0 or len(network.gateways) == 0:
        raise InputError(
            "the network has no gateways or no PoPs, so nothing reaches the Internet; build it "
            "with gateways=True and pops=True (the vendored Starlink sites)"
        )
    chosen = [get_country(c) for c in countries] if countries is not None else all_countries()
    raw = np.atleast_1d(np.asarray(times, dtype=object))
    instants = np.array([parse_instant(t) for t in raw], dtype="datetime64[ns]")
    cells = [country_to_cells(c, resolution) for c in chosen]
    bounds = np.cumsum([0] + [len(c) for c in cells])
    lat, lon = cells_to_latlng(np.concatenate(cells)) if cells else (np.zeros(0), np.zeros(0))
    endpoints = ground_sites(lat, lon, kind="cell")

    r = propagate(network.catalog, instants).r_itrs_km
    rtt = np.empty((len(instants), len(endpoints)))
    for k, at in enumerate(instants):
        graph = graph_from_positions(network, r[:, k, :], endpoints, at=at)
        rtt[k] = internet_rtt_ms(graph)

    rows = []
    for i, country in enumerate(chosen):
        values = rtt[:, bounds[i] : bounds[i + 1]].ravel()
        ok = values[np.isfinite(values)]
        rows.append(
            CountryRtt(
                code=country.code,
                name=country.name,
                cells=int(bounds[i + 1] - bounds[i]),
                samples=len(values),
                reachable_pct=100.0 * len(ok) / len(values) if len(values) else math.nan,
                min_rtt_ms=float(ok.min()) if len(ok) else math.nan,
                median_rtt_ms=float(np.median(ok)) if len(ok) else math.nan,
                p90_rtt_ms=float(np.percentile(ok, 90)) if len(ok) else math.nan,
            )
        )
    return rows
