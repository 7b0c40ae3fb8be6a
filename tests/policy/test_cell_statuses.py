"""Cell statuses: Starlink's map categories in the engine, their precedence, and the map itself.

The map is the vendored snapshot of January 2025 (data/PROVENANCE.md); the precedence is the
one `leolink.policy.decide` documents.
"""

from __future__ import annotations

import json

import geobuf
import numpy as np
import pytest

from leolink.errors import InputError
from leolink.geo import grid
from leolink.geo.countries import countries_at
from leolink.policy.availability import (
    MapSnapshot,
    compare,
    load_vendored_snapshot,
    read_snapshot,
    snapshot_to_geojson,
)
from leolink.policy.batch import compile_policy
from leolink.policy.decide import Code, decide
from leolink.policy.defaults import load_default_dataset
from leolink.policy.records import (
    CellEffect,
    PolicyHistory,
    cell_category_effect,
    cell_category_words,
)
from tests.policy.factory import (
    KYIV,
    MOSCOW,
    box,
    cell_status,
    europe_statuses,
    fence,
    history,
    status,
    t,
    terminal,
)

KYIV_CELL = grid.cells_to_hex(grid.latlng_to_cells(*KYIV, 5))[0]
MOSCOW_CELL = grid.cells_to_hex(grid.latlng_to_cells(*MOSCOW, 5))[0]
AT = t("2025-02-01T00:00:00Z")


def _decide(policy: PolicyHistory, place: tuple[float, float], registered: bool = False):  # type: ignore[no-untyped-def]
    who = terminal("T1", "UA") if registered else None
    return decide(who, place, AT, policy.snapshot(AT))


@pytest.mark.parametrize(
    ("category", "effect", "words"),
    [
        ("blacklisted", CellEffect.DISABLED, "blacklisted"),
        ("waitlisted_Sold_Out", CellEffect.CLOSED_TO_NEW, "waitlisted: Sold Out"),
        (
            "coming_soon_Service_date_is_unknown_at_this_time",
            CellEffect.CLOSED_TO_NEW,
            "coming soon: Service date is unknown at this time",
        ),
        ("faq", CellEffect.NONE, "faq"),
        ("something_new", CellEffect.NONE, "something new"),
    ],
)
def test_categories_have_an_effect_and_the_maps_words(
    category: str, effect: CellEffect, words: str
) -> None:
    assert cell_category_effect(category) is effect
    assert cell_category_words(category) == words


def test_a_blacklisted_cell_is_switched_off_for_everyone_with_the_map_and_its_date() -> None:
    policy = history(europe_statuses(), cell_statuses=[cell_status(9, "blacklisted", [KYIV_CELL])])
    for registered in (False, True):
        d = _decide(policy, KYIV, registered)
        assert d.code is Code.CELL_IS_DISABLED
        assert d.rules[0] == "cell_status:9"
        assert "Starlink's availability map published 2025-01" in d.reasons[0]
        assert "'blacklisted'" in d.reasons[0]


def test_a_waitlisted_cell_refuses_new_terminals_and_keeps_registered_ones() -> None:
    policy = history(
        europe_statuses(),
        cell_statuses=[
            cell_status(3, "waitlisted_Service_date_is_unknown_at_this_time", [KYIV_CELL])
        ],
    )
    new = _decide(policy, KYIV)
    assert new.code is Code.UNLICENSED_COUNTRY
    assert "Service date is unknown at this time" in new.reasons[0]
    assert "not open to new terminals" in new.reasons[0]
    kept = _decide(policy, KYIV, registered=True)
    assert kept.allowed
    assert any("keeps service" in r for r in kept.reasons)


def test_precedence_geofence_then_cell_status_then_country() -> None:
    blacklisted = cell_status(1, "blacklisted", [KYIV_CELL, MOSCOW_CELL])
    # In a blocked country the cell decides, the country is listed after it.
    in_russia = _decide(history(europe_statuses(), cell_statuses=[blacklisted]), MOSCOW)
    assert in_russia.code is Code.CELL_IS_DISABLED
    assert [r.code for r in in_russia.fired] == [Code.CELL_IS_DISABLED, Code.BLOCKED_COUNTRY]
    # An operator's region geofence outranks the map's cell.
    region = fence("gf-kyiv", area_geojson=box(30.0, 50.0, 31.0, 51.0))
    under = _decide(history(europe_statuses(), [region], cell_statuses=[blacklisted]), KYIV)
    assert [r.code for r in under.fired] == [Code.BLOCKED_AREA, Code.CELL_IS_DISABLED]
    # A waitlisted cell in a country with no licence: the cell's reason comes first.
    closed = cell_status(2, "waitlisted_Sold_Out", [KYIV_CELL])
    unlicensed = history([status(1, "UA", "coming_soon", "2020-01-01T00:00:00Z")])
    both = _decide(PolicyHistory(**{**unlicensed.__dict__, "cell_statuses": (closed,)}), KYIV)
    assert both.rules == ("cell_status:2", "country_status:1")
    # A cell status never opens a closed country: categories without effect change nothing.
    info = history(
        [status(1, "UA", "blocked", "2020-01-01T00:00:00Z")],
        cell_statuses=[cell_status(4, "available_now", [KYIV_CELL])],
    )
    assert _decide(info, KYIV).code is Code.BLOCKED_COUNTRY


def test_cell_statuses_hold_in_their_window_only() -> None:
    windowed = cell_status(
        1, "blacklisted", [KYIV_CELL], "2025-01-01T00:00:00Z", end="2025-03-01T00:00:00Z"
    )
    withdrawn = cell_status(2, "blacklisted", [MOSCOW_CELL], withdrawn_at="2025-01-15T00:00:00Z")
    policy = history(europe_statuses(), cell_statuses=[windowed, withdrawn])
    assert policy.snapshot(AT).cell_statuses == (windowed,)
    assert policy.snapshot(t("2025-03-01T00:00:00Z")).cell_statuses == ()
    assert policy.snapshot(t("2025-01-10T00:00:00Z")).cell_statuses == (windowed, withdrawn)


@pytest.fixture(scope="module")
def snapshot() -> MapSnapshot:
    return load_vendored_snapshot()


@pytest.fixture(scope="module")
def default_policy(snapshot: MapSnapshot) -> PolicyHistory:
    """The default policy as the loader writes it: the dataset's statuses, the map's cells."""
    data = load_default_dataset()
    changes = [
        status(i + 1, s.country, s.status.value, str(s.effective_from) + "Z")
        for i, s in enumerate(data.statuses)
    ]
    cells = [
        cell_status(k + 1, category, members, "2025-01-01T00:00:00Z")
        for k, (category, members) in enumerate(snapshot.by_category().items())
        if cell_category_effect(category) is not CellEffect.NONE
    ]
    return history(changes, cell_statuses=cells)


def test_the_vendored_map_holds_its_categories(snapshot: MapSnapshot) -> None:
    counts = {k: len(v) for k, v in snapshot.by_category().items()}
    assert counts["blacklisted"] == 297
    assert counts["waitlisted_Service_date_is_unknown_at_this_time"] == 6
    assert snapshot.published == "2025-01"


def test_default_policy_agrees_with_the_map_for_every_imported_cell(
    snapshot: MapSnapshot, default_policy: PolicyHistory
) -> None:
    result = compare(snapshot, compile_policy(default_policy), AT)
    assert result.full_agreement
    rows = {c.key: c for c in result.categories}
    assert rows["blacklisted"].codes == {"CELL_IS_DISABLED": 297}
    assert rows["faq"].effect is CellEffect.NONE
    assert result.differences_geojson()["features"] == []
    # Every blacklisted cell, decided by the reference engine, names the map and its date.
    blacklisted = snapshot.by_category()["blacklisted"]
    lat, lon = grid.cells_to_latlng(grid.hex_to_cells(blacklisted[::37]))
    for la, lo in zip(lat.tolist(), lon.tolist(), strict=True):
        d = decide(None, (la, lo), AT, default_policy.snapshot(AT))
        assert d.code is Code.CELL_IS_DISABLED
        assert "Starlink's availability map published 2025-01" in d.reasons[0]


def test_service_date_unknown_cells_are_refused_as_such_in_spain_and_morocco(
    snapshot: MapSnapshot, default_policy: PolicyHistory
) -> None:
    cells = snapshot.by_category()["waitlisted_Service_date_is_unknown_at_this_time"]
    lat, lon = grid.cells_to_latlng(grid.hex_to_cells(cells))
    countries = set()
    for la, lo in zip(lat.tolist(), lon.tolist(), strict=True):
        d = decide(None, (la, lo), AT, default_policy.snapshot(AT))
        assert d.code is Code.UNLICENSED_COUNTRY
        assert "Service date is unknown at this time" in d.reasons[0]
        countries.add(d.country)
    assert countries == {"ES", "MA"}  # Ceuta and Melilla are in Spain


def test_a_geobuf_file_round_trips_through_the_importer(snapshot: MapSnapshot) -> None:
    keep = np.isin(np.asarray(snapshot.categories), ["faq", "test"], invert=True)
    small = MapSnapshot(
        snapshot.cells[keep],
        tuple(np.asarray(snapshot.categories)[keep].tolist()),
        snapshot.published,
        snapshot.source,
    )
    doc = snapshot_to_geojson(small)
    doc["features"].append(
        {
            "type": "Feature",
            "geometry": json.loads(json.dumps(doc["features"][0]["geometry"])),
            "properties": {"status": "sold_out_somewhere", "expected": "Sold Out"},
        }
    )
    expected = {**small.by_category()}
    expected["sold_out_somewhere_Sold_Out"] = expected[next(iter(expected))]
    for name, data in (
        ("availability-cells.pb", geobuf.encode(doc)),
        ("availability-cells.geojson", json.dumps(doc).encode()),
    ):
        back = read_snapshot(data, name, published="2025-01", source="test")
        assert back.by_category() == expected, name


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\x00\x01garbage", "availability-cells.pb", "not a Geobuf file"),
        (b"{}", "cells.geojson", "FeatureCollection"),
        (b"cell\n85283473fffffff\n", "cells.csv", "'cell' and 'category'"),
        (b"cell,category\n8928308280fffff,blacklisted\n", "cells.csv", "not at resolution 5"),
        (b"x", "cells.txt", "give Starlink's availability-cells.pb"),
    ],
)
def test_bad_map_files_are_refused_with_what_is_expected(
    data: bytes, name: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        read_snapshot(data, name, published="2025-01", source="test")


@pytest.mark.parametrize(
    ("lat", "lon", "code"),
    [
        (35.889, -5.320, "ES"),  # Ceuta
        (35.292, -2.940, "ES"),  # Melilla
        (35.570, -5.370, "MA"),  # Tétouan
        (-21.115, 55.536, "RE"),
        (4.922, -52.326, "GF"),
        (14.616, -61.059, "MQ"),
        (16.241, -61.533, "GP"),
        (-12.781, 45.228, "YT"),
        (-10.421, 105.678, "CX"),
        (-12.118, 96.895, "CC"),
        (46.780, -56.177, "PM"),
        (-13.282, -176.174, "WF"),
        (48.857, 2.352, "FR"),
        (44.952, 34.102, "UA"),  # Crimea: the UN view
    ],
)
def test_places_starlink_lists_are_countries(lat: float, lon: float, code: str) -> None:
    from leolink.geo.countries import all_countries

    assert all_countries()[int(countries_at(lat, lon).index)].code == code
