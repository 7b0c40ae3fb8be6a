"""Countries: ISO lookup, known places, and the 12-nmi territorial sea against an oracle."""

from __future__ import annotations

import gzip
import json
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leolink.errors import InputError, UnknownCountryError
from leolink.geo import countries
from leolink.geo.countries import (
    NO_COUNTRY,
    TERRITORIAL_SEA_KM,
    all_countries,
    countries_at,
    country_at,
    country_geometry,
    country_representative_point,
    get_country,
)
from tests.geo.geo_oracle import (
    SPHERE_TOLERANCE,
    aeqd_distance_km,
    destination,
    nearest_countries_km,
)


def test_the_borders_hold_248_countries_with_unique_alpha3_codes() -> None:
    table = all_countries()
    assert len(table) == 248
    assert len({c.iso_a3 for c in table}) == 248
    assert [c.index for c in table] == list(range(248))
    assert [c.iso_a3 for c in table] == sorted(c.iso_a3 for c in table)
    assert sum(c.iso_a2 is None for c in table) == 4


def test_vendored_file_is_deterministic_gzip_and_rfc7946() -> None:
    raw = resources.files("leolink.data").joinpath("countries-50m.geojson.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # gzip mtime 0: regenerating changes no byte
    collection = json.loads(gzip.decompress(raw))
    for feature in collection["features"]:
        assert set(feature["properties"]) == {"iso_a2", "iso_a3", "iso_n3", "name"}
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                lon, lat = np.array(ring).T
                assert np.all(np.abs(lon) <= 180.0)
                # Cut at the antimeridian: no edge jumps across it, except along a pole.
                jump = np.abs(np.diff(lon)) > 180.0
                assert np.all(np.abs(lat[:-1][jump]) == 90.0)


@pytest.mark.parametrize(
    ("code", "a3"),
    [
        ("UA", "UKR"),
        ("ua", "UKR"),
        ("UKR", "UKR"),
        ("ukr", "UKR"),
        ("804", "UKR"),
        (804, "UKR"),
        (" tw ", "TWN"),
        ("158", "TWN"),
        ("036", "AUS"),  # shared with Ashmore and Cartier Is.: the ISO entry wins
        ("36", "AUS"),
        ("XK", "XKX"),
        ("xkx", "XKX"),
        ("SOL", "SOL"),  # Somaliland has an alpha-3 only
        ("AQ", "ATA"),
        ("VA", "VAT"),
    ],
)
def test_lookup_by_alpha2_alpha3_numeric_any_case(code: str | int, a3: str) -> None:
    assert get_country(code).iso_a3 == a3


def test_country_code_falls_back_to_alpha3() -> None:
    assert get_country("UA").code == "UA"
    assert get_country("SOL").code == "SOL"
    assert get_country(get_country("FR")) is get_country("FR")


@pytest.mark.parametrize(
    ("code", "suggested"),
    [("UK", "GB"), ("Ukrane", "UA"), ("UKX", "UKR"), ("Taiwn", "TW"), ("ZZ", None), ("999", None)],
)
def test_unknown_code_names_it_and_suggests_close_matches(code: str, suggested: str | None) -> None:
    with pytest.raises(UnknownCountryError) as caught:
        get_country(code)
    error = caught.value
    assert isinstance(error, InputError)
    assert isinstance(error, ValueError)
    assert repr(code) in str(error)
    if suggested:
        assert any(s.startswith(suggested) for s in error.suggestions)
        assert suggested in str(error)


@pytest.mark.parametrize(
    ("place", "lat", "lon", "code"),
    [
        ("Taipei", 25.033, 121.565, "TW"),
        ("Sevastopol", 44.6, 33.52, "UA"),
        ("Simferopol", 44.95, 34.10, "UA"),
        ("Kyiv", 50.45, 30.52, "UA"),
        ("Moscow", 55.75, 37.62, "RU"),
        ("Provideniya, east of 180°", 64.42, -173.23, "RU"),
        ("Wrangel Island, east of 180°", 71.2, -179.5, "RU"),
        ("Taveuni, east of 180°", -16.85, -179.95, "FJ"),
        ("Paris", 48.8566, 2.3522, "FR"),
        ("Nairobi", -1.2864, 36.8172, "KE"),
        ("Longyearbyen, Svalbard", 78.22, 15.65, "NO"),
        ("Laayoune", 27.15, -13.2, "EH"),
        ("Pristina", 42.66, 21.16, "XK"),
        ("South Pole", -90.0, 0.0, "AQ"),
        ("South Pole, any longitude", -90.0, 137.0, "AQ"),
    ],
)
def test_known_places_on_land(place: str, lat: float, lon: float, code: str) -> None:
    country, in_sea = country_at(lat, lon)
    assert country is not None, place
    assert country.code == code, place
    assert not in_sea


@pytest.mark.parametrize(
    ("place", "lat", "lon"),
    [("mid-Atlantic", 30.0, -40.0), ("Point Nemo", -48.88, -123.39), ("North Pole", 90.0, 0.0)],
)
def test_open_ocean_has_no_country(place: str, lat: float, lon: float) -> None:
    assert country_at(lat, lon) == (None, False), place


def test_crimea_10_km_offshore_is_ukrainian_territorial_sea_and_30_km_is_ocean() -> None:
    """South of Yalta along 34.10° E; the oracle confirms the distances to Ukraine's coast."""
    ukraine = country_geometry("UA")
    assert aeqd_distance_km(44.34, 34.10, ukraine) == pytest.approx(9.5, abs=0.1)
    assert aeqd_distance_km(44.14, 34.10, ukraine) == pytest.approx(30.8, abs=0.1)
    assert country_at(44.34, 34.10) == (get_country("UA"), True)
    assert country_at(44.14, 34.10) == (None, False)


@pytest.mark.parametrize(
    ("code", "lat", "lon", "bearing_deg"),
    [
        ("UA", 44.42, 34.10, 180.0),  # Crimea, south coast
        ("NO", 78.60, 11.00, 270.0),  # Spitsbergen, 78.6° N: a degree buffer would be 5x off
        ("RU", 65.00, -172.00, 90.0),  # Chukotka, east of the antimeridian
        ("AQ", -69.0, 39.6, 0.0),  # Lützow-Holm Bay, East Antarctica
        ("EC", -0.95, -90.95, 180.0),  # Galapagos, on the equator
    ],
)
def test_12_nmi_limit_is_22_224_km_at_any_latitude(
    code: str, lat: float, lon: float, bearing_deg: float
) -> None:
    """Walk out to sea; each point is judged against the oracle's distance to the coast."""
    geom = country_geometry(code)
    seen_sea = seen_ocean = False
    for km in np.arange(0.0, 60.0, 1.5):
        p_lat, p_lon = destination(lat, lon, bearing_deg, float(km))
        oracle = aeqd_distance_km(p_lat, p_lon, geom)
        if (
            oracle == 0.0
            or abs(oracle - TERRITORIAL_SEA_KM) < TERRITORIAL_SEA_KM * SPHERE_TOLERANCE
        ):
            continue
        others = [d for d, c in nearest_countries_km(p_lat, p_lon) if c.iso_a2 != code]
        if others and others[0] < TERRITORIAL_SEA_KM * 1.5:
            continue  # another coast is near: not this test's business
        country, in_sea = country_at(p_lat, p_lon)
        if oracle < TERRITORIAL_SEA_KM:
            assert (country and country.code, in_sea) == (code, True), (km, oracle)
            seen_sea = True
        else:
            assert (country, in_sea) == (None, False), (km, oracle)
            seen_ocean = True
    assert seen_sea
    assert seen_ocean


def test_overlapping_territorial_seas_go_to_the_nearer_coast() -> None:
    """Strait of Dover (about 33 km wide): the equidistance line splits it (UNCLOS art. 15)."""
    owners = set()
    for t in np.linspace(0.1, 0.9, 9):
        lat = 51.13 + t * (50.95 - 51.13)
        lon = 1.31 + t * (1.85 - 1.31)
        expected = nearest_countries_km(lat, lon)
        (d1, nearest), (d2, _) = expected[0], expected[1]
        country, in_sea = country_at(lat, lon)
        if d1 == 0.0 or abs(d1 - d2) < 0.5:
            continue
        assert country == nearest
        assert in_sea
        owners.add(nearest.code)
    assert owners == {"GB", "FR"}


coastal_vertex = st.tuples(
    st.sampled_from(["UA", "GR", "JP", "CL", "NZ", "NO", "PH", "GB", "CA", "ID"]),
    st.integers(0, 10**6),
    st.floats(0.0, 360.0),
    st.floats(0.0, 40.0),
)


@settings(max_examples=40, deadline=None)
@given(coastal_vertex)
def test_property_territory_matches_oracle_near_coasts(
    sample: tuple[str, int, float, float],
) -> None:
    code, vertex, bearing, km = sample
    geom = country_geometry(code)
    ring = np.concatenate([np.asarray(p.exterior.coords) for p in geom.geoms])
    lon0, lat0 = ring[vertex % len(ring)]
    lat, lon = destination(lat0, lon0, bearing, km)
    ranked = nearest_countries_km(lat, lon)
    country, in_sea = country_at(lat, lon)
    if not ranked or ranked[0][0] > TERRITORIAL_SEA_KM * (1 + SPHERE_TOLERANCE):
        assert (country, in_sea) == (None, False)
        return
    d1, nearest = ranked[0]
    if d1 < 0.01:  # on the coastline (within 10 m): land or sea of a country touching it
        assert country is not None
        assert aeqd_distance_km(lat, lon, country_geometry(country)) < 0.01
        return
    if d1 > TERRITORIAL_SEA_KM * (1 - SPHERE_TOLERANCE):
        return  # within the sphere-vs-ellipsoid band of the limit
    if len(ranked) > 1 and ranked[1][0] - d1 < 0.5:
        return  # on an equidistance line, within the oracle's tolerance
    assert country == nearest
    assert in_sea


def test_arrays_broadcast_invalid_positions_are_data() -> None:
    lat = np.array([[50.45, np.nan], [95.0, 44.34]])
    lon = np.array([[30.52, 0.0], [0.0, 34.10]])
    hit = countries_at(lat, lon)
    assert hit.index.shape == (2, 2)
    assert hit.valid.tolist() == [[True, False], [False, True]]
    assert hit.index[0, 1] == hit.index[1, 0] == NO_COUNTRY
    assert hit.codes() == ["UA", None, None, "UA"]
    assert hit.in_territorial_sea.tolist() == [[False, False], [False, True]]


def test_longitudes_outside_180_are_wrapped() -> None:
    assert countries_at(64.42, -173.23 + 360.0).codes() == ["RU"]


def test_representative_points_lie_in_their_country() -> None:
    for country in all_countries():
        lat, lon = country_representative_point(country)
        geom = country_geometry(country)
        if geom.is_empty:
            assert country.iso_a3 in {"VAT", "ATC"}
            continue
        assert countries_at(lat, lon).index == country.index, country


def test_the_borders_are_loaded_once() -> None:
    assert countries._borders() is countries._borders()
    assert countries._locator() is countries._locator()
