"""The map in bitemporal time: records that reconstruct the past are marked as such, and a
decision can be asked "as known now" or "as recorded then", the difference shown.

The service's store holds the crimea-2022 scenario as ``leolink scenario load`` writes it: a
reconstruction, recorded today, about September 2022 (``reconstruction_service``).  At
Sevastopol on the night of 16 September 2022 the two views differ: as known now, the coastal
geofence denies service; as recorded then, nothing about Ukraine had been recorded yet.  What
the page shows is checked against what the API answers.  The audit tab's filters are looked at
on a phone (390 x 844) as well.  Screenshots go to ``out/web-screenshots/``.
"""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Service
from tests.web.pages import api, open_map

SEVASTOPOL = (44.6167, 33.5254)
#: The night of the sea-drone attack, inside the scenario's geofence window.
WHEN = "2022-09-16T22:00:00Z"
#: Paris: nothing in this store speaks about France, so the two views agree there.
PARIS = (48.8566, 2.3522)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _availability(service: Service, where: tuple[float, float], view: str) -> Any:
    lat, lon = where
    return api(service, f"/v1/availability?lat={lat}&lon={lon}&at={WHEN}&as={view}")


def _wait_for_view(page: Any, view: str) -> Any:
    page.wait_for_function(
        f"document.querySelector('#decision-body .decision')?.dataset.as === '{view}'",
        timeout=30_000,
    )
    return page.locator("#decision-body .decision")


def test_a_reconstruction_is_marked_and_the_toggle_shows_where_the_views_differ(
    page: Any, reconstruction_service: Service, screenshots: Any
) -> None:
    service = reconstruction_service
    known = _availability(service, SEVASTOPOL, "known")
    recorded = _availability(service, SEVASTOPOL, "recorded")
    assert (known["code"], recorded["code"]) == ("BLOCKED_AREA", "UNLICENSED_COUNTRY")
    page.set_viewport_size(DESKTOP)
    lat, lon = SEVASTOPOL
    open_map(page, service, f"at={WHEN}&c=45.2,33.8&z=5.6&lat={lat}&lon={lon}")

    # As known now (the default): the geofence, marked as a reconstruction, and the other view.
    decision = _wait_for_view(page, "known")
    assert page.get_attribute('#asof [data-as="known"]', "aria-checked") == "true"
    assert decision.get_attribute("data-code") == known["code"]
    assert "differs" in (decision.get_attribute("class") or "")
    differ = decision.locator(".views-differ")
    assert differ.is_visible()
    assert differ.get_attribute("data-other-as") == "recorded"
    assert differ.get_attribute("data-other-code") == recorded["code"]
    assert "as recorded then" in differ.inner_text()
    assert decision.locator(".reconstruction-note").is_visible()
    marked = decision.locator(".reasons li.reconstructed")
    assert marked.count() == 1
    assert "gf-crimea-coast-2022" in marked.inner_text()
    page.screenshot(path=screenshots / "asof-known-reconstruction.png")

    # Flipped: as recorded then, the answer of the time, and the known one beside it.
    page.click('#asof [data-as="recorded"]')
    decision = _wait_for_view(page, "recorded")
    assert page.get_attribute('#asof [data-as="recorded"]', "aria-checked") == "true"
    assert page.get_attribute('#asof [data-as="known"]', "aria-checked") == "false"
    assert decision.get_attribute("data-code") == recorded["code"]
    differ = decision.locator(".views-differ")
    assert differ.get_attribute("data-other-as") == "known"
    assert differ.get_attribute("data-other-code") == known["code"]
    assert "as known now" in differ.inner_text()
    # The reconstructed reason is the other view's: marked there.
    assert differ.locator("li.reconstructed").count() == 1
    page.screenshot(path=screenshots / "asof-recorded.png")

    # An operator sees the geofence drawn and listed as a reconstruction.
    page.click('#asof [data-as="known"]')
    _wait_for_view(page, "known")
    page.locator('#tabs [data-tab="operator"]').click()
    page.fill("#op-key", service.tokens["alice"])
    page.click("#op-key-use")
    page.wait_for_function("window.leolink.layerSummary().geofences?.count >= 1", timeout=30_000)
    drawn = page.evaluate("window.leolink.layerData('geofences').map(d => d.g.reconstruction)")
    assert drawn
    assert all(drawn)
    badge = page.locator('.geofence[data-id="gf-crimea-coast-2022"] .badge.reconstruction')
    badge.wait_for(timeout=30_000)
    assert "recorded" in (badge.get_attribute("title") or "")
    assert page.locator('#legend [data-legend="reconstruction"]').is_visible()
    page.screenshot(path=screenshots / "asof-operator-reconstruction.png")

    # On a phone: the toggle and the difference in the bottom sheet.
    page.set_viewport_size(PHONE)
    page.locator('#tabs [data-tab="decision"]').click()
    page.wait_for_timeout(400)
    if page.locator("#legend").is_visible():
        page.click("#legend-toggle")
    toggle = page.locator("#asof").bounding_box()
    assert toggle is not None
    assert toggle["x"] >= 0
    assert toggle["x"] + toggle["width"] <= PHONE["width"]
    page.locator("#decision-body .views-differ").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "asof-phone.png")


def test_where_nothing_was_recorded_late_the_views_agree(
    page: Any, reconstruction_service: Service
) -> None:
    service = reconstruction_service
    known = _availability(service, PARIS, "known")
    assert known["other_view"] is None
    lat, lon = PARIS
    open_map(page, service, f"at={WHEN}&as=recorded&c={lat},{lon}&z=5&lat={lat}&lon={lon}")
    decision = _wait_for_view(page, "recorded")
    assert decision.get_attribute("data-code") == known["code"]
    assert decision.locator(".views-differ").count() == 0
    assert "the answer is the same" in decision.locator(".views-agree").inner_text()
    assert decision.locator(".reconstruction-note").count() == 0


def _assert_filters_read_whole(page: Any) -> None:
    """Each text filter is as wide as its hint (the placeholder) needs: nothing is clipped."""
    for selector in ("#audit-actor", "#audit-kind", "#audit-id"):
        box = page.eval_on_selector(
            selector,
            "e => { const c = document.createElement('canvas').getContext('2d');"
            " const s = getComputedStyle(e); c.font = `${s.fontSize} ${s.fontFamily}`;"
            " return {placeholder: e.placeholder, width: e.clientWidth,"
            " needs: c.measureText(e.placeholder).width + parseFloat(s.paddingLeft)"
            " + parseFloat(s.paddingRight)}; }",
        )
        assert box["width"] >= box["needs"], f"{selector} clips its hint: {box}"


def test_audit_filters_are_read_whole_on_a_desktop_and_a_phone(
    page: Any, reconstruction_service: Service, screenshots: Any
) -> None:
    service = reconstruction_service
    page.set_viewport_size(DESKTOP)
    open_map(page, service, f"at={WHEN}")
    page.locator('#tabs [data-tab="operator"]').click()
    page.fill("#op-key", service.tokens["audrey"])
    page.click("#op-key-use")
    page.locator('#tabs [data-tab="audit"]').click()
    page.locator("#audit-rows tr").first.wait_for(timeout=30_000)
    _assert_filters_read_whole(page)
    page.screenshot(path=screenshots / "audit-desktop.png")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)
    if page.locator("#legend").is_visible():
        page.click("#legend-toggle")
    _assert_filters_read_whole(page)
    page.locator("#audit-count").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "audit-phone.png")
