"""End to end: the built web map in Debian's Chromium against the real service.

The page loads and draws its layers (checked in deck.gl's layer list and in the canvas's
pixels), a click on Taipei explains "service date unknown", an operator's geofence drawn in
the page, proposed by one operator and approved by a second, turns the decision inside it to
BLOCKED_AREA, and the audit tab verifies the chain.  Screenshots are saved for a human eye.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.web.conftest import AT, Service
from tests.web.pages import READY_MS, api, blend, canvas_pixels, click_at, count_near, open_map

pytestmark = pytest.mark.slow

TAIPEI = (25.033, 121.565)
#: A box in central Ukraine (available), ~220 km a side: large enough for the two-person rule.
BOX = [(49.4, 30.0), (49.4, 33.0), (51.4, 33.0), (51.4, 30.0)]
INSIDE = (50.4, 31.5)


def test_page_loads_and_draws_countries_and_satellites(
    page: Any, service: Service, screenshots: Any
) -> None:
    satellite_responses: list[Any] = []
    page.on(
        "response",
        lambda r: satellite_responses.append(r) if "/v1/satellites?" in r.url else None,
    )
    open_map(page, service, f"at={AT}&c=30,20&z=1.7")
    page.wait_for_function("window.leolink.state.satelliteCount > 0", timeout=READY_MS)
    assert page.title().startswith("leolink")
    assert page.locator("#title h1").inner_text() == "leolink"
    body = satellite_responses[0].json()
    assert satellite_responses[0].status == 200
    assert len(body["satellites"]["norad_id"]) > 5000
    layers = page.evaluate("window.leolink.layerSummary()")
    assert layers["satellites"]["count"] == len(body["satellites"]["norad_id"])
    countries = page.evaluate("window.leolink.state.countries.features.length")
    assert countries > 200
    legend = page.locator("#legend").inner_text()
    assert "Available" in legend
    assert "Service date unknown" in legend
    page.wait_for_timeout(500)
    page.screenshot(path=screenshots / "world.png")

    # White dots (not coloured by shell) and no white place names, for the pixel count below.
    page.locator("#satellites-by-shell").uncheck()
    page.locator('input[data-layer="labels"]').uncheck()
    page.wait_for_timeout(400)
    with_satellites = canvas_pixels(page)
    page.locator('input[data-layer="satellites"]').uncheck()
    page.wait_for_timeout(400)
    without = canvas_pixels(page)
    white = (255, 255, 255)
    # Satellites are small white dots: many near-white pixels with the layer, few without.
    assert count_near(with_satellites, white, 60) > 500 + 5 * count_near(without, white, 60)
    # Countries are filled by status: "available" blue and "no status" grey cover many pixels.
    assert count_near(without, blend("#0072B2", 0.78)) > 2000
    assert count_near(without, blend("#5B6472", 0.78)) > 2000


def test_satellites_move_in_live_mode(page: Any, service: Service) -> None:
    open_map(page, service, "c=30,20&z=1.7")
    page.wait_for_function("window.leolink.satellites.fetches >= 2", timeout=READY_MS)
    first = page.evaluate(
        "Array.from(window.leolink.satellites.positionsAt(Date.now()).positions.slice(0, 20))"
    )
    page.wait_for_timeout(1500)
    second = page.evaluate(
        "Array.from(window.leolink.satellites.positionsAt(Date.now()).positions.slice(0, 20))"
    )
    assert first != second, "positions did not change between two frames"
    # ~7.6 km/s: in 1.5 s a satellite moves ~0.1° of arc, never degrees.
    moved = np.abs(np.array(second) - np.array(first))
    moved = np.minimum(moved, 360 - moved)
    assert moved.max() < 2.0


def test_click_on_taipei_explains_service_date_unknown(
    page: Any, service: Service, screenshots: Any
) -> None:
    open_map(page, service, f"at={AT}&c=24,121&z=5")
    click_at(page, *TAIPEI)
    decision = page.locator("#pane-decision .decision")
    decision.wait_for(timeout=30_000)
    assert decision.get_attribute("data-code") == "UNLICENSED_COUNTRY"
    text = decision.inner_text()
    assert "No service" in text
    assert "Not licensed in this country" in text
    assert "service date unknown" in text.lower()
    assert "TW" in text
    page.wait_for_function("window.leolink.layerSummary().cells?.count > 0", timeout=30_000)
    page.wait_for_timeout(300)
    page.screenshot(path=screenshots / "taipei.png")


def test_operators_geofence_blocks_the_area(page: Any, service: Service, screenshots: Any) -> None:
    open_map(page, service, f"at={AT}&c=50.4,31.5&z=5.3")
    click_at(page, *INSIDE)
    page.locator("#pane-decision .decision").wait_for(timeout=30_000)
    assert page.locator("#pane-decision .decision").get_attribute("data-code") == "OKAY"

    # Alice draws the area and proposes it, after looking at its impact.
    page.locator('#tabs [data-tab="operator"]').click()
    page.fill("#op-key", service.tokens["alice"])
    page.click("#op-key-use")
    page.click("#op-draw")
    for lat, lon in BOX:
        click_at(page, lat, lon)
        page.wait_for_timeout(150)
    lat, lon = BOX[-1]
    point = page.evaluate(f"(() => window.leolink.map.project([{lon}, {lat}]))()")
    page.mouse.dblclick(point["x"], point["y"])
    assert "4 vertices ready" in page.locator("#op-draw-state").inner_text()
    page.fill('#op-form input[name="name"]', "e2e central Ukraine")
    page.fill('#op-form input[name="reason"]', "end-to-end test of the map")
    page.click("#op-impact")
    impact = page.locator("#op-impact-result .impact")
    impact.wait_for(timeout=60_000)
    assert "km²" in impact.inner_text()
    page.screenshot(path=screenshots / "geofence-impact.png")
    page.click("#op-propose")
    proposed = page.locator('.geofence[data-state="proposed"]', has_text="e2e central Ukraine")
    proposed.wait_for(timeout=30_000)

    # Still allowed: a proposal is not in force.
    page.locator('#tabs [data-tab="decision"]').click()
    click_at(page, *INSIDE)
    page.wait_for_function(
        "document.querySelector('#pane-decision .decision')?.dataset.code === 'OKAY'",
        timeout=30_000,
    )

    # Bob, a second operator, approves it: the decision inside changes at once.
    page.locator('#tabs [data-tab="operator"]').click()
    page.click("#op-key-forget")
    page.fill("#op-key", service.tokens["bob"])
    page.click("#op-key-use")
    page.locator('.geofence[data-state="proposed"]', has_text="e2e central Ukraine").locator(
        'button[data-act="approve"]'
    ).click()
    page.locator('.geofence[data-state="approved"]').wait_for(timeout=30_000)
    page.wait_for_function(
        "document.querySelector('#pane-decision .decision')?.dataset.code === 'BLOCKED_AREA'",
        timeout=30_000,
    )
    text = page.locator("#pane-decision .decision").inner_text()
    assert "Area switched off by a geofence" in text
    # Drawn in force (other tests' proposals may be drawn beside it).
    page.wait_for_function(
        """(window.leolink.layerData('geofences') ?? [])
             .some((d) => d.g.name === 'e2e central Ukraine' && d.inForce)""",
        timeout=10_000,
    )
    page.wait_for_timeout(500)
    page.screenshot(path=screenshots / "geofence-approved.png")

    # And the service agrees.
    decision = api(service, f"/v1/availability?lat={INSIDE[0]}&lon={INSIDE[1]}&at={AT}")
    assert decision["code"] == "BLOCKED_AREA"
    fences = api(service, "/v1/geofences", service.tokens["alice"])["items"]
    [fence] = [f for f in fences if f["name"] == "e2e central Ukraine"]
    assert (fence["proposer"], fence["approver"], fence["state"]) == ("alice", "bob", "approved")


def test_audit_tab_verifies_the_chain(page: Any, service: Service, screenshots: Any) -> None:
    open_map(page, service, f"at={AT}")
    page.locator('#tabs [data-tab="operator"]').click()
    page.fill("#op-key", service.tokens["audrey"])
    page.click("#op-key-use")
    page.locator('#tabs [data-tab="audit"]').click()
    ok = page.locator('#audit-result [data-ok="true"]')
    ok.wait_for(timeout=30_000)
    assert "Chain OK" in ok.inner_text()
    assert page.locator("#audit-rows tr").count() > 0
    page.screenshot(path=screenshots / "audit.png")


def test_sevastopol_under_the_crimea_scenario_says_who_and_since_when(
    page: Any, crimea_service: Service, screenshots: Any
) -> None:
    sevastopol = "lat=44.6167&lon=33.5254"
    open_map(page, crimea_service, f"at=2022-09-16T22:00:00Z&c=45.2,33.8&z=5.6&{sevastopol}")
    decision = page.locator("#pane-decision .decision")
    decision.wait_for(timeout=30_000)
    assert decision.get_attribute("data-code") == "BLOCKED_AREA"
    text = decision.inner_text()
    assert "Area switched off by a geofence" in text
    assert "proposed by spacex:network-engineering, approved by spacex:leadership" in text
    assert "from 2022-09-16T00:00:00Z" in text
    # An operator sees the geofence itself on the map.
    page.locator('#tabs [data-tab="operator"]').click()
    page.fill("#op-key", crimea_service.tokens["alice"])
    page.click("#op-key-use")
    page.wait_for_function("window.leolink.layerSummary().geofences?.count === 1", timeout=30_000)
    page.locator('#tabs [data-tab="decision"]').click()
    page.wait_for_timeout(500)
    page.screenshot(path=screenshots / "crimea-2022-09-16.png")

    # The day before, the same place is served.
    page.fill("#time-at", "2022-09-15T22:00:00Z")
    page.click("#time-set")
    page.wait_for_function(
        "document.querySelector('#pane-decision .decision')?.dataset.code === 'OKAY'",
        timeout=30_000,
    )
