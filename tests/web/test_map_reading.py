"""End to end: the map as a person reads it, in Debian's Chromium against the real service.

Place and country names on the map and a search box (places, countries, coordinates,
satellites) from the vendored gazetteer; borders drawn above the cells; coverage kept to land,
or to the country chosen in the search box; satellites coloured by shell and a ground track on
demand; a phone-sized layout whose panels do not overlap; the impact preview in words with the
affected cells outlined; only the actions a key can take; the audit newest first, paged and
filtered by the service; the RTT a user measures and the PoP Starlink names; and the offer to
jump to the catalog's date when "now" is far from it.  Screenshots (desktop and phone) are saved
for a human eye.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import h3
import pytest

from tests.web.conftest import AT, Service
from tests.web.pages import READY_MS, api, click_at, open_map

pytestmark = pytest.mark.slow

#: A box in western Ukraine around Lviv (~150 km a side): big enough for the two-person rule.
BOX = [(49.3, 23.3), (49.3, 25.3), (50.3, 25.3), (50.3, 23.3)]
PHONE = {"width": 390, "height": 844}


def search(page: Any, text: str) -> list[dict[str, str]]:
    """Type ``text`` in the search box; the results listed, as {kind, text}."""
    page.fill("#search-input", text)
    page.wait_for_selector("#search-results li", timeout=10_000)
    return page.evaluate(
        """Array.from(document.querySelectorAll('#search-results li'))
             .map((li) => ({kind: li.dataset.kind, text: li.innerText}))"""
    )


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_names_on_the_map_and_search_for_places_and_coordinates(
    page: Any, service: Service, screenshots: Any
) -> None:
    open_map(page, service, f"at={AT}&c=48,20&z=3.6")
    page.wait_for_function("window.leolink.layerSummary().labels?.count > 10", timeout=READY_MS)
    shown = page.evaluate("window.leolink.places.labels.map((l) => l.text)")
    assert {"UKRAINE", "POLAND"} <= set(shown)
    assert {"Paris", "Kyiv"} & set(shown)
    page.wait_for_timeout(500)
    page.screenshot(path=screenshots / "labels-europe.png")

    results = search(page, "kyiv")
    assert results[0]["kind"] == "place"
    assert results[0]["text"].startswith("Kyiv")
    page.keyboard.press("Enter")
    # The decision there (other tests of the session may have switched Kyiv off: any code).
    page.wait_for_function(
        "document.querySelector('#pane-decision .decision')?.textContent.includes('50.45')",
        timeout=30_000,
    )
    assert "UA" in page.locator("#pane-decision .decision").inner_text()
    page.wait_for_function("Math.abs(window.leolink.map.getCenter().lat - 50.45) < 0.1")

    # Accents do not matter; coordinates are latitude first.
    assert search(page, "sao paulo")[0]["text"].startswith("São Paulo")
    results = search(page, "48.85, 2.35")
    assert results[0]["kind"] == "coordinates"
    page.keyboard.press("Enter")
    page.wait_for_function(
        "document.querySelector('#pane-decision .decision')?.textContent.includes('48.8500')",
        timeout=30_000,
    )
    assert "FR" in page.locator("#pane-decision .decision").inner_text()
    page.fill("#search-input", "qqqzzz")
    assert page.locator("#search-results li").count() == 0
    page.keyboard.press("Enter")
    assert "Nothing found" in page.locator("#search-results").inner_text()


def test_borders_are_drawn_above_the_cells(page: Any, service: Service) -> None:
    open_map(page, service, f"at={AT}&c=49,31&z=5")
    page.wait_for_function("window.leolink.layerSummary().cells?.count > 0", timeout=READY_MS)
    # deck.gl's interleaved layers go into MapLibre's order in groups: the cells' group is the
    # one before the border lines, the labels' and satellites' the one after everything.
    order = page.evaluate("window.leolink.map.getLayersOrder()")
    cells_group = order.index("deck-layer-group-before:country-line")
    assert order.index("country-fill") < cells_group < order.index("country-line")
    assert page.evaluate("window.leolink.layerBeforeId('cells')") == "country-line"
    assert page.evaluate("window.leolink.layerBeforeId('labels')") is None


def test_coverage_keeps_to_land_and_to_the_chosen_country(
    page: Any, service: Service, screenshots: Any
) -> None:
    # The Black Sea and its coasts: many cells of the box are at sea.
    open_map(page, service, f"at={AT}&c=44.5,33&z=5")
    page.locator('input[data-layer="coverage"]').check()
    page.wait_for_function("window.leolink.layerSummary().coverage?.count > 0", timeout=READY_MS)
    at_sea = page.evaluate(
        """window.leolink.layerData('coverage').filter(
             (d) => window.leolink.land.countryAt(...window.leolink.h3center(d.cell)) === null
           ).length"""
    )
    swept = page.evaluate("window.leolink.coverage.payload.cells.cell.length")
    drawn = page.evaluate("window.leolink.layerSummary().coverage.count")
    assert at_sea == 0
    assert drawn < 0.9 * swept, "the box holds sea: fewer cells are drawn than swept"

    results = search(page, "ukraine")
    assert results[0]["kind"] == "country"
    page.keyboard.press("Enter")
    page.locator("#country-chip:not([hidden])").wait_for(timeout=10_000)
    page.wait_for_function(
        "window.leolink.coverage.payload?.region.startsWith('country UA')", timeout=READY_MS
    )
    cells = page.evaluate(
        """window.leolink.layerData('coverage')
             .map((d) => d.cell)"""
    )
    assert len(cells) > 50
    countries = page.evaluate(
        f"""{cells!r}.map((c) => window.leolink.land.countryAt(...window.leolink.h3center(c)))"""
    )
    assert set(countries) == {"UA"}
    page.wait_for_timeout(500)
    page.screenshot(path=screenshots / "coverage-ukraine.png")


def test_satellites_by_shell_and_a_ground_track(
    page: Any, service: Service, screenshots: Any
) -> None:
    open_map(page, service, f"at={AT}&c=20,0&z=1.7")
    page.wait_for_function("window.leolink.orbits.payload !== null", timeout=READY_MS)
    legend = page.locator("#legend")
    assert legend.locator("[data-shell]").count() >= 5
    assert "53.0°" in legend.inner_text() or "53.2°" in legend.inner_text()
    name = page.evaluate("window.leolink.satellites.latest.name[0]")
    norad = page.evaluate("window.leolink.satellites.latest.noradId[0]")
    results = search(page, name)
    assert any(r["kind"] == "satellite" for r in results)
    page.locator('#search-results li[data-kind="satellite"]').first.dispatch_event("mousedown")
    page.wait_for_function("window.leolink.layerSummary()['ground-track']?.count > 0")
    track = api(service, f"/v1/satellites/{norad}/track?at={AT}")
    assert page.evaluate("window.leolink.orbits.track.norad_id") == norad
    assert page.evaluate("window.leolink.orbits.track.times.length") == len(track["times"])
    assert "Ground track of" in page.locator("#track-note").inner_text()
    page.wait_for_timeout(500)
    page.screenshot(path=screenshots / "shells-and-track.png")
    page.click("#track-clear")
    page.wait_for_function("!window.leolink.layerSummary()['ground-track']")


def test_phone_layout_has_no_overlapping_panels(
    page: Any, service: Service, screenshots: Any
) -> None:
    page.set_viewport_size(PHONE)
    open_map(page, service, f"at={AT}&c=49,31&z=4")
    page.wait_for_timeout(800)
    panels = ["#title", "#panel", "#timebar", "#legend-toggle"]
    boxes = {p: page.locator(p).bounding_box() for p in panels}
    assert page.locator("#legend").is_hidden(), "the legend starts folded on a phone"
    for i, a in enumerate(panels):
        box = boxes[a]
        assert box["x"] >= 0, a
        assert box["x"] + box["width"] <= PHONE["width"] + 0.5, a
        for b in panels[i + 1 :]:
            assert not overlaps(boxes[a], boxes[b]), f"{a} overlaps {b}"
    page.screenshot(path=screenshots / "phone-map.png")
    page.click("#legend-toggle")
    legend = page.locator("#legend").bounding_box()
    for p in ["#title", "#panel", "#timebar"]:
        assert not overlaps(legend, boxes[p]), f"the open legend overlaps {p}"
    page.screenshot(path=screenshots / "phone-legend.png")
    page.click("#legend-toggle")
    assert page.locator("#legend").is_hidden()
    # What deck.gl picks under Kyiv is the cell drawn there (picking and drawing agree).
    page.wait_for_function("window.leolink.layerSummary().cells?.count > 0", timeout=READY_MS)
    picked = page.evaluate(
        """(() => {
          const p = window.leolink.map.project([30.52, 50.45]);
          const info = window.leolink.overlay.pickObject({x: p.x, y: p.y, layerIds: ['cells']});
          return info && info.object.country;
        })()"""
    )
    assert picked == "UA"
    click_at(page, 50.45, 30.52)
    page.locator("#pane-decision .decision").wait_for(timeout=30_000)
    page.screenshot(path=screenshots / "phone-decision.png")


def test_impact_preview_in_words_and_only_the_actions_a_key_can_take(
    page: Any, service: Service, screenshots: Any
) -> None:
    open_map(page, service, f"at={AT}&c=49.8,24.3&z=6")
    page.locator('#tabs [data-tab="operator"]').click()
    page.fill("#op-key", service.tokens["alice"])
    page.click("#op-key-use")
    page.wait_for_function("document.querySelector('#op-key-state').textContent.includes('alice')")
    page.click("#op-draw")
    for lat, lon in BOX:
        click_at(page, lat, lon)
        page.wait_for_timeout(150)
    point = page.evaluate(f"(() => window.leolink.map.project([{BOX[-1][1]}, {BOX[-1][0]}]))()")
    page.mouse.dblclick(point["x"], point["y"])
    page.fill('#op-form input[name="name"]', "e2e Lviv region")
    page.fill('#op-form input[name="reason"]', "end-to-end test of the impact preview")
    page.click("#op-impact")
    impact = page.locator("#op-impact-result .impact")
    impact.wait_for(timeout=60_000)
    cells = int(impact.get_attribute("data-cells"))
    assert cells > 20
    text = impact.inner_text()
    for words in ["cells (H3 res. 5)", "km²", "terminals affected", "satellite-hours withdrawn"]:
        assert words in text
    # Lviv (~720,000 people) is inside: the head count says at least that many.
    assert int(impact.locator(".people").get_attribute("data-people")) >= 700_000
    assert "people" in impact.locator(".people").inner_text()
    page.wait_for_function(f"window.leolink.layerSummary()['impact-cells']?.count === {cells}")
    lviv_cell = h3.latlng_to_cell(49.8397, 24.0297, 5)
    assert lviv_cell in page.evaluate("window.leolink.state.impactCells")
    page.locator("#op-impact-result").scroll_into_view_if_needed()
    page.wait_for_timeout(400)
    page.screenshot(path=screenshots / "impact-preview.png")

    page.click("#op-propose")
    mine = page.locator('.geofence[data-state="proposed"]', has_text="e2e Lviv region")
    mine.wait_for(timeout=30_000)
    # Alice proposed it: she may withdraw it, not approve or reject it.
    assert mine.locator('button[data-act="approve"]').count() == 0
    assert mine.locator('button[data-act="reject"]').count() == 0
    assert mine.locator('button[data-act="withdraw"]').count() == 1

    # An auditor is offered nothing, not even the form to propose.
    page.click("#op-key-forget")
    page.fill("#op-key", service.tokens["audrey"])
    page.click("#op-key-use")
    page.wait_for_function("document.querySelector('#op-key-state').textContent.includes('audrey')")
    theirs = page.locator('.geofence[data-state="proposed"]', has_text="e2e Lviv region")
    theirs.wait_for(timeout=30_000)
    assert theirs.locator("button[data-act]:not([data-act=zoom])").count() == 0
    assert page.locator("#op-new").is_hidden()
    assert "cannot propose" in page.locator("#op-cannot-propose").inner_text()

    # Bob, a second operator, may approve or reject it, not withdraw it.
    page.click("#op-key-forget")
    page.fill("#op-key", service.tokens["bob"])
    page.click("#op-key-use")
    page.wait_for_function("document.querySelector('#op-key-state').textContent.includes('bob')")
    theirs = page.locator('.geofence[data-state="proposed"]', has_text="e2e Lviv region")
    theirs.wait_for(timeout=30_000)
    assert theirs.locator('button[data-act="approve"]').count() == 1
    assert theirs.locator('button[data-act="withdraw"]').count() == 0
    page.screenshot(path=screenshots / "operator-actions-bob.png")


def test_audit_pages_newest_first_and_the_service_filters(
    page: Any, service: Service, screenshots: Any
) -> None:
    # Something in the log from two people: alice proposes, bob rejects; then more records by
    # alice than one page (50) holds, so bob's rejection is only on a later page.
    body = {
        "name": "e2e audit filter",
        "effect": "deny",
        # ~2° a side: large enough for the two-person rule, so it waits as a proposal.
        "area": {
            "type": "Polygon",
            "coordinates": [[[10, 48], [12, 48], [12, 50], [10, 50], [10, 48]]],
        },
        "window_start": AT,
        "reason": "audit filter test",
    }
    fence = api(service, "/v1/geofences", service.tokens["alice"], body)
    api(
        service,
        f"/v1/geofences/{fence['id']}/reject",
        service.tokens["bob"],
        {"expected_version": fence["version"], "reason": "audit filter test: rejected"},
    )
    for i in range(60):
        terminal = {
            "id": f"e2e-audit-page-{i:02d}",
            "account": "e2e-audit",
            "home_country": "PL",
            "customer_class": "residential",
            "reason": "audit paging test",
        }
        api(service, "/v1/terminals", service.tokens["alice"], terminal)
    open_map(page, service, f"at={AT}")
    page.locator('#tabs [data-tab="operator"]').click()
    page.fill("#op-key", service.tokens["audrey"])
    page.click("#op-key-use")
    page.locator('#tabs [data-tab="audit"]').click()
    page.locator("#audit-rows tr").first.wait_for(timeout=30_000)

    def seqs() -> list[int]:
        return [
            int(s)
            for s in page.eval_on_selector_all("#audit-rows tr", "rs => rs.map(r => r.dataset.seq)")
        ]

    newest = api(service, "/v1/audit?limit=1", service.tokens["audrey"])["items"][0]["seq"]
    first = seqs()
    assert len(first) == 50
    assert first[0] == newest
    assert first == sorted(first, reverse=True)
    # "More" reads the page before the oldest shown: the list goes on, newest first, no repeat.
    page.click("#audit-more")
    page.wait_for_function("document.querySelectorAll('#audit-rows tr').length > 50")
    both = seqs()
    assert both[:50] == first
    assert both == sorted(set(both), reverse=True)
    assert (
        both[50]
        == api(service, f"/v1/audit?before_seq={first[-1]}&limit=1", service.tokens["audrey"])[
            "items"
        ][0]["seq"]
    )

    # Bob, however his name is typed: the service filters the whole log, not the page read.
    page.fill("#audit-actor", "BOB")
    page.wait_for_function(
        "[...document.querySelectorAll('#audit-rows tr td:nth-child(3)')]"
        ".every(c => c.innerText.trim() === 'bob') && "
        "document.querySelectorAll('#audit-rows tr').length > 0",
        timeout=30_000,
    )
    expected = api(service, "/v1/audit?actor=bob&limit=50", service.tokens["audrey"])["items"]
    assert seqs() == [r["seq"] for r in expected]
    assert "reject" in page.locator("#audit-rows tr").first.inner_text()
    # and what changed: bob's rejections of geofences only.
    page.fill("#audit-kind", "geofence.reject")
    page.wait_for_function(
        "[...document.querySelectorAll('#audit-rows tr td:nth-child(4)')]"
        ".every(c => c.innerText.includes('geofence.reject'))",
        timeout=30_000,
    )
    assert "matching" in page.locator("#audit-count").inner_text()
    page.screenshot(path=screenshots / "audit-filtered.png")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)
    if page.locator("#legend").is_visible():
        page.click("#legend-toggle")  # folded, as a phone opens it
    page.locator("#audit-count").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "audit-filtered-phone.png")


def test_decision_shows_the_rtt_a_user_measures_and_starlinks_pop(
    page: Any, service: Service, screenshots: Any
) -> None:
    # Warsaw: no test of the session fences it (Kyiv's decision depends on which ran first).
    warsaw = (52.23, 21.01)
    open_map(page, service, f"at={AT}&c=52,21&z=5")
    # the figures of the decision the map asked for at the point clicked (a pixel from Warsaw)
    with page.expect_response(lambda r: "/v1/availability?" in r.url) as answer:
        click_at(page, *warsaw)
    expected = answer.value.json()["serving"]
    latency = expected["latency"]
    assert latency is not None
    decision = page.locator("#pane-decision .decision")
    decision.wait_for(timeout=30_000)
    rtt = decision.locator("dd.rtt").inner_text()
    # whole milliseconds, as the browser rounds them (JS and Python round halves differently)
    shown = re.search(
        r"(\d+) ms median as a user would measure it \(min (\d+), p90 (\d+) ms\)", rtt
    )
    assert shown is not None, rtt
    for figure, name in zip(
        shown.groups(), ["median_rtt_ms", "min_rtt_ms", "p90_rtt_ms"], strict=True
    ):
        assert abs(int(figure) - latency[name]) <= 0.5 + 1e-9, name
    for part in ["space", "ground", "access", "processing"]:
        assert part in rtt
    floor = re.search(r"propagation alone \(the floor\): (\d+) ms", rtt)
    assert floor is not None, rtt
    assert abs(int(floor.group(1)) - expected["rtt_ms"]) <= 0.5 + 1e-9
    assert latency["median_rtt_ms"] > expected["rtt_ms"]
    assert latency["estimate"] in rtt
    route = decision.inner_text()
    assert f"PoP {latency['pop']}" in route
    assert expected["pop"]["name"] in route
    decision.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "decision-rtt.png")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)
    if page.locator("#legend").is_visible():
        page.click("#legend-toggle")  # folded, as a phone opens it
    decision.locator("dd.rtt").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "decision-rtt-phone.png")


def test_far_from_the_catalog_the_map_offers_its_date(
    page: Any, service: Service, screenshots: Any
) -> None:
    # Live, "now" is months past the embedded catalog (2026-05-13): the offer shows.
    health = api(service, "/v1/health")
    days = (datetime.now(UTC) - datetime.fromisoformat(health["catalog"]["epoch_max"])).days
    if abs(days) <= 3:
        pytest.skip(f"this machine's clock is {days} days from the catalog: nothing to offer")
    open_map(page, service, "c=30,20&z=1.7")
    offer = page.locator("#catalog-offer")
    offer.wait_for(state="visible", timeout=30_000)
    assert "days from now" in offer.inner_text()
    page.screenshot(path=screenshots / "catalog-offer.png")
    page.click("#catalog-jump")
    assert offer.is_hidden()
    assert not page.evaluate("window.leolink.time.isLive")
    at = page.evaluate("window.leolink.time.at.toISOString()")
    assert at[:10] == health["catalog"]["epoch_max"][:10]
    page.wait_for_function(
        f"window.leolink.satellites.latest?.atMs === Date.parse('{at}')", timeout=READY_MS
    )
    assert page.evaluate("window.leolink.satellites.latest.warning") is None
