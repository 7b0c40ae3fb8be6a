"""End to end: the coverage-figures and terminals layers of the web map, in Debian's Chromium.

Coverage: turning the layer on sweeps the cells in view through ``GET /v1/coverage``; the
hexagons drawn are that response's cells, each where deck.gl picks it, coloured by the chosen
figure with a colour bar in the legend.  Terminals: an operator's key shows every terminal at
its last reported position, coloured by what the policy says of it there (served, or in a
blocked country: a violation).  Screenshots are saved for a human eye.
"""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import h3
import numpy as np
import pytest
from PIL import Image

from tests.web.conftest import AT, Service
from tests.web.pages import (
    READY_MS,
    api,
    canvas_pixels,
    click_at,
    count_near,
    open_map,
    pick,
)

pytestmark = pytest.mark.slow

WARSAW = (52.23, 21.01)
MOSCOW = (55.75, 37.62)


def pixels_around(page: Any, lat: float, lon: float, half: int = 8) -> np.ndarray:
    """The screen's pixels in a square of ``2 * half`` around a place, as RGB."""
    point = page.evaluate(f"(() => window.leolink.map.project([{lon}, {lat}]))()")
    box = page.locator("#map").bounding_box()
    clip = {
        "x": box["x"] + point["x"] - half,
        "y": box["y"] + point["y"] - half,
        "width": 2 * half,
        "height": 2 * half,
    }
    png = page.screenshot(clip=clip)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_coverage_layer_draws_the_sweep_of_the_view(
    page: Any, service: Service, screenshots: Any
) -> None:
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r) if "/v1/coverage" in r.url else None)
    open_map(page, service, f"at={AT}&c=48,15&z=4")
    before = canvas_pixels(page)
    page.locator('input[data-layer="coverage"]').check()
    page.wait_for_function("window.leolink.layerSummary().coverage?.count > 0", timeout=READY_MS)
    # Coverage on takes the availability cells off (hexagons over hexagons hide each other).
    assert not page.locator('input[data-layer="cells"]').is_checked()
    assert "cells" not in page.evaluate("window.leolink.layerSummary()")

    [response] = [r for r in responses if r.status == 200][-1:]
    body = response.json()
    cells = body["cells"]["cell"]
    # The cells drawn are those of the sweep on land (coverage is about land: not the sea).
    on_land = np.array(
        page.evaluate(
            f"""{cells!r}.map(
                  (c) => window.leolink.land.countryAt(...window.leolink.h3center(c)) !== null)"""
        )
    )
    assert 0 < on_land.sum() <= len(cells)
    assert page.evaluate("window.leolink.layerSummary().coverage.count") == on_land.sum()
    assert body["start"].startswith(AT[:16])
    assert body["step_s"] == 60
    assert body["steps"] == 61
    # The most-covered cell is drawn where it is, with its own figure.
    values = np.array([np.nan if v is None else v for v in body["cells"]["mean_visible"]])
    best = int(np.nanargmax(np.where(on_land, values, np.nan)))
    picked = pick(page, *h3.cell_to_latlng(cells[best]))
    assert picked is not None
    assert picked["layer"] == "coverage"
    assert picked["object"]["cell"] == cells[best]
    assert picked["object"]["value"] == pytest.approx(values[best])

    legend = page.locator("#legend").inner_text()
    assert body["figures"]["mean_visible"]["label"] in legend
    page.wait_for_timeout(400)
    after = canvas_pixels(page)
    changed = (np.abs(after - before).max(axis=2) > 40).mean()
    assert changed > 0.3, f"only {changed:.0%} of the map changed with the coverage layer"
    page.screenshot(path=screenshots / "coverage-mean-visible.png")

    # Another figure of the same sweep: no new request, a new colour bar.
    sweeps = len(responses)
    page.select_option("#coverage-figure", "pct_time_covered")
    label = body["figures"]["pct_time_covered"]["label"]
    page.wait_for_function(
        f"document.querySelector('#legend').innerText.includes({label!r})", timeout=10_000
    )
    assert len(responses) == sweeps
    page.wait_for_timeout(300)
    page.screenshot(path=screenshots / "coverage-pct-time-covered.png")


def _register(service: Service, token: str, terminal_id: str, lat: float, lon: float) -> None:
    api(
        service,
        "/v1/terminals",
        token,
        {
            "id": terminal_id,
            "account": "e2e-map",
            "home_country": "PL",
            "customer_class": "residential",
            "reason": "end-to-end test of the terminals layer",
        },
    )
    api(
        service,
        f"/v1/terminals/{terminal_id}/reports",
        token,
        {"reports": [{"at": "2026-05-13T11:00:00Z", "lat": lat, "lon": lon}]},
    )


def test_terminals_layer_shows_operators_where_terminals_are(
    page: Any, service: Service, screenshots: Any
) -> None:
    alice = service.tokens["alice"]
    suffix = uuid.uuid4().hex[:6]
    served, violating = f"UT-E2E-WAW-{suffix}", f"UT-E2E-MOW-{suffix}"
    _register(service, alice, served, *WARSAW)
    _register(service, alice, violating, *MOSCOW)

    open_map(page, service, f"at={AT}&c=53,30&z=4.2")
    assert page.evaluate("window.leolink.layerSummary().terminals") is None  # no key: none
    page.locator('#tabs [data-tab="operator"]').click()
    page.fill("#op-key", alice)
    page.click("#op-key-use")
    page.wait_for_function(
        f"window.leolink.terminals.terminals.some(t => t.id === '{violating}')", timeout=30_000
    )
    page.locator('#tabs [data-tab="layers"]').click()
    page.wait_for_timeout(400)

    shown = {t["id"]: t for t in page.evaluate("window.leolink.terminals.terminals")}
    assert shown[served]["allowed"]
    assert not shown[served]["violation"]
    assert shown[violating]["code"] == "BLOCKED_COUNTRY"
    assert shown[violating]["violation"]
    for terminal_id, (lat, lon) in ((served, WARSAW), (violating, MOSCOW)):
        picked = pick(page, lat, lon)
        assert picked is not None, terminal_id
        assert picked["layer"] == "terminals", terminal_id
        assert picked["object"]["id"] == terminal_id

    # A red dot at Moscow, a green one at Warsaw: the map says which one to act on.
    assert count_near(pixels_around(page, *MOSCOW), (255, 59, 48), 40) > 10
    assert count_near(pixels_around(page, *WARSAW), (0, 208, 138), 40) > 10
    legend = page.locator("#legend").inner_text()
    assert "where it must not be" in legend
    page.screenshot(path=screenshots / "terminals.png")

    # Clicking the red one explains it; the operator suspends it from there (audited).
    click_at(page, *MOSCOW)
    card = page.locator(f'#pane-decision .terminal-card[data-terminal="{violating}"]')
    card.wait_for(timeout=10_000)
    assert card.get_attribute("data-kind") == "violation"
    assert page.locator("#pane-decision .decision").get_attribute("data-code") == (
        "BLOCKED_COUNTRY"
    )
    assert "Russia" in card.inner_text()
    page.screenshot(path=screenshots / "terminal-violation.png")
    card.locator('input[name="reason"]').fill("e2e: reports place it in a blocked country")
    card.locator('button[type="submit"]').click()
    page.wait_for_function(
        f"window.leolink.terminals.terminals.find(t => t.id === '{violating}')?.state"
        " === 'suspended'",
        timeout=30_000,
    )
    page.locator(f'.terminal-card[data-terminal="{violating}"][data-kind="suspended"]').wait_for(
        timeout=10_000
    )
    terminal = api(service, f"/v1/terminals/{violating}", alice)
    assert terminal["state"] == "suspended"
    trail = api(
        service, f"/v1/audit?entity=terminal&entity_id={violating}", service.tokens["audrey"]
    )["items"]
    assert any("blocked country" in json.dumps(record) for record in trail)


def test_starlink_map_layer_shows_where_the_policy_agrees_with_starlinks_map(
    page: Any, service: Service, screenshots: Any
) -> None:
    """Starlink's map of early 2025 over Ukraine: every imported cell drawn where it is,
    outlined as agreeing with the default policy at 2025-02-01 (which imports that map)."""
    at = "2025-02-01T00:00:00Z"
    expected = api(service, f"/v1/availability/compare?at={at}")
    cells = expected["cells"]
    assert expected["full_agreement"]
    open_map(page, service, f"at={at}&c=48.5,35&z=5")
    before = canvas_pixels(page)
    page.locator('input[data-layer="starlinkMap"]').check()
    page.wait_for_function(
        "window.leolink.layerSummary()['starlink-map']?.count > 0", timeout=READY_MS
    )
    assert page.evaluate("window.leolink.layerSummary()['starlink-map'].count") == len(
        cells["cell"]
    )
    # A blacklisted cell of the front line is drawn at its own place, saying the policy agrees.
    row = next(
        i
        for i, (c, country) in enumerate(zip(cells["category"], cells["country"], strict=True))
        if c == "blacklisted" and country == "UA"
    )
    picked = pick(page, *h3.cell_to_latlng(cells["cell"][row]))
    assert picked is not None
    assert picked["layer"] == "starlink-map"
    assert picked["object"]["cell"] == cells["cell"][row]
    assert picked["object"]["agrees"] is True
    assert picked["object"]["code"] == "CELL_IS_DISABLED"
    legend = page.locator("#legend").inner_text().lower()  # headings are set in capitals
    assert f"starlink's map ({expected['published']})" in legend
    agree_row = page.locator('#legend [data-agreement="agree"]').inner_text()
    assert agree_row.split()[-1] == str(len(cells["cell"]))
    page.wait_for_timeout(400)
    changed = (np.abs(canvas_pixels(page) - before).max(axis=2) > 40).mean()
    assert changed > 0.01, f"only {changed:.1%} of the map changed with Starlink's map layer"
    page.screenshot(path=screenshots / "starlink-map-ukraine.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)
    page.screenshot(path=screenshots / "starlink-map-ukraine-phone.png")
