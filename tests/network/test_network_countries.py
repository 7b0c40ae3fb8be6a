"""RTT to the Internet country by country, checked against routing each sample cell alone."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from leolink.errors import InputError, UnknownCountryError
from leolink.geo.grid import cells_to_latlng
from leolink.geo.regions import country_to_cells
from leolink.network import Network, build_network, country_rtt_table, route_on
from leolink.orbits.loading import load_catalog

AT = "2026-05-13T12:00:00Z"


@cache
def network() -> Network:
    return build_network(load_catalog())


def test_rows_are_the_routes_of_their_cells() -> None:
    """Taiwan and Ukraine at resolution 3: each statistic is over the cells' own routes."""
    rows = country_rtt_table(network(), AT, countries=["TW", "UKR"], resolution=3)
    assert [(r.code, r.name) for r in rows] == [("TW", "Taiwan"), ("UA", "Ukraine")]
    for row in rows:
        lat, lon = cells_to_latlng(country_to_cells(row.code, 3))
        rtts = [route_on(network(), AT, (a, b)).rtt_ms for a, b in zip(lat, lon, strict=True)]
        assert row.cells == row.samples == len(rtts)
        assert row.reachable_pct == 100.0
        assert row.median_rtt_ms == pytest.approx(np.median(rtts), abs=1e-9)
        assert row.min_rtt_ms == pytest.approx(min(rtts), abs=1e-9)
        assert row.p90_rtt_ms == pytest.approx(np.percentile(rtts, 90), abs=1e-9)


def test_several_instants_and_refusals() -> None:
    rows = country_rtt_table(
        network(), [AT, "2026-05-13T12:10:00Z"], countries=["VA"], resolution=3
    )
    assert rows[0].cells == 1
    assert rows[0].samples == 2
    no_pops = build_network(load_catalog(), pops=False)
    with pytest.raises(InputError, match="nothing reaches the Internet"):
        country_rtt_table(no_pops, AT, countries=["FR"])
    with pytest.raises(UnknownCountryError):
        country_rtt_table(network(), AT, countries=["XX"])
