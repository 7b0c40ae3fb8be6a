"""The ground segment: vendored gateways, PoPs and cities; points; great circles; LAT,LON text."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pytest

from leolink.earth import EARTH_MEAN_RADIUS_KM
from leolink.errors import InputError
from leolink.network import (
    great_circle_km,
    ground_sites,
    load_cities,
    load_gateways,
    load_pops,
    parse_lat_lon,
    parse_route_endpoints,
)
from leolink.orbits.frames import geodetic_to_itrs


def test_vendored_gateways() -> None:
    """StarPerf's 261 sites; antenna counts as link limits (168 sites with 8, 44 with 32, ...)."""
    gw = load_gateways()
    assert len(gw) == 261
    assert gw.kind == "gateway"
    assert gw.ids[0] == "GS1"
    assert gw.names[0] == "Camaçari, BR"
    assert (gw.lat_deg[0], gw.lon_deg[0]) == (-12.74832, -38.28305)
    counts = dict(zip(*np.unique(gw.max_links, return_counts=True), strict=True))
    assert counts == {2: 3, 4: 2, 5: 2, 8: 168, 12: 1, 32: 44, 40: 41}
    assert len(set(gw.ids)) == 261


def test_vendored_pops_and_cities() -> None:
    pops = load_pops()
    assert len(pops) == 23
    assert pops.ids[11] == "POP12"
    assert pops.names[11] == "FRA - FRNTDEU1"
    assert np.all(pops.max_links == -1)
    cities = load_cities()
    assert len(cities) == 100
    assert cities.names[0] == "Shanghai, CN"
    assert cities.ids[0] == "city:1796236"
    # one per agglomeration: no two cities within 50 km of each other
    km = great_circle_km(
        cities.lat_deg[:, None], cities.lon_deg[:, None], cities.lat_deg, cities.lon_deg
    )
    np.fill_diagonal(km, np.inf)
    assert km.min() > 50.0


def test_site_positions_are_wgs84() -> None:
    pops = load_pops()
    np.testing.assert_allclose(
        pops.r_itrs_km, geodetic_to_itrs(pops.lat_deg, pops.lon_deg, pops.alt_km), atol=0
    )
    np.testing.assert_allclose(np.linalg.norm(pops.up, axis=1), 1.0, atol=1e-15)


def test_great_circle_known_values() -> None:
    """A degree of the equator is 2 pi R / 360 = 111.195 km; antipodes are pi R apart."""
    assert great_circle_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(
        2 * math.pi * EARTH_MEAN_RADIUS_KM / 360, rel=1e-12
    )
    assert great_circle_km(10.0, 20.0, -10.0, -160.0) == pytest.approx(
        math.pi * EARTH_MEAN_RADIUS_KM, rel=1e-12
    )
    assert great_circle_km(48.85, 2.35, 48.85, 2.35) == 0.0


def test_ground_sites_checks_and_wraps() -> None:
    sites = ground_sites([0.0, 10.0], [190.0, -180.0], kind="city")
    assert sites.ids == ("city0", "city1")
    np.testing.assert_allclose(sites.lon_deg, [-170.0, -180.0])
    assert ground_sites(1.0, 30.52).lon_deg[0] == 30.52  # no float noise in range
    with pytest.raises(InputError, match="latitude must be in"):
        ground_sites([91.0], [0.0])
    with pytest.raises(InputError, match="every coordinate finite"):
        ground_sites([0.0], [math.nan])
    assert len(sites.take([1])) == 1
    assert sites.take([1]).lon_deg[0] == -180.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("48.8534,2.3488", (48.8534, 2.3488)),
        (" -8.84 , 13.23 ", (-8.84, 13.23)),
        ("90,-180", (90, -180)),
    ],
)
def test_parse_lat_lon(text: str, expected: tuple[float, float]) -> None:
    assert parse_lat_lon(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("48.85", "is not LAT,LON"),
        ("48.85,2.35,0", "is not LAT,LON"),
        ("north,east", "is not LAT,LON"),
        ("48°51',2.35", "is not LAT,LON"),
        ("95,2.35", "latitude 95.0 is outside"),
        ("nan,2.35", "latitude nan is outside"),
        ("48.85,200", "longitude 200.0 is outside"),
    ],
)
def test_parse_lat_lon_refuses(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_lat_lon(text, "--from")
    assert "--from" in str(caught.value)


def _endpoints(
    to: str | None,
    spelling: Literal["option", "query"],
    *,
    pop: str | None = None,
    min_elevation_deg: float | None = None,
    max_gsl_km: float | None = None,
    gateways: bool = True,
) -> tuple[tuple[float, float], tuple[float, float] | None]:
    return parse_route_endpoints(
        "50.45,30.52",
        to,
        pop=pop,
        min_elevation_deg=min_elevation_deg,
        max_gsl_km=max_gsl_km,
        gateways=gateways,
        spelling=spelling,
    )


def test_parse_route_endpoints() -> None:
    """A route to a point, and one to the Internet (no destination)."""
    assert _endpoints("48.85,2.35", "query") == ((50.45, 30.52), (48.85, 2.35))
    assert _endpoints(None, "option") == ((50.45, 30.52), None)


@pytest.mark.parametrize(
    ("to", "changes", "option_message", "query_message"),
    [
        ("x", {}, "--to 'x' is not LAT,LON", "to 'x' is not LAT,LON"),
        (
            None,
            {"min_elevation_deg": 25.0, "max_gsl_km": 1000.0},
            "give either --min-elevation-deg (25) or --max-gsl-km (1000), not both",
            "give either min_elevation_deg (25) or max_gsl_km (1000), not both",
        ),
        (
            "48.85,2.35",
            {"pop": "frntdeu1"},
            "--pop frntdeu1 is for routes to the Internet; leave out --to 48.85,2.35 with it",
            "pop=frntdeu1 is for routes to the Internet; leave out to=48.85,2.35 with it",
        ),
        (
            None,
            {"gateways": False},
            "without --to the route ends at a PoP through a gateway; drop --no-gateways",
            "without to= the route ends at a PoP through a gateway; drop gateways=false",
        ),
    ],
)
def test_parse_route_endpoints_refuses_in_the_callers_words(
    to: str | None, changes: dict[str, Any], option_message: str, query_message: str
) -> None:
    """One check for ``leolink route`` and ``GET /v1/route``, worded as each user wrote it."""
    with pytest.raises(InputError) as caught:
        _endpoints(to, "option", **changes)
    assert str(caught.value).startswith(option_message)
    with pytest.raises(InputError) as caught:
        _endpoints(to, "query", **changes)
    assert str(caught.value).startswith(query_message)
