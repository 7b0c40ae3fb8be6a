"""End to end: the forensics findings layer, the ground segment and the route of a clicked
place, in Debian's Chromium.

Findings: a simulated Crimea-2022 day (``leolink forensics simulate crimea-2022`` with one
restriction that is not in the scenario's log), inferred and matched against the scenario's
log (``leolink forensics infer --scenario crimea-2022 --format json``), opened in the map: every
cell of every finding is drawn where it is, the unlogged restriction is told apart from the
logged one in the picks, the legend and the pixels.  Ground: the 2026 PoPs by Starlink's codes
and the gateways; a click routes the place to its PoP through ``/v1/routes``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h3
import numpy as np
import pytest
from typer.testing import CliRunner

from leolink.cli.main import app
from tests.web.conftest import AT, Service
from tests.web.pages import READY_MS, api, canvas_pixels, click_at, count_near, open_map, pick

pytestmark = pytest.mark.slow

UNLOGGED = "46.45,30.75,2,2022-09-16T14:00:00Z,2022-09-16T20:00:00Z,CELL_IS_DISABLED"
KYIV = (50.45, 30.52)
FRANKFURT = (50.11, 8.68)


@pytest.fixture(scope="module")
def crimea_findings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The findings of a simulated Crimea-2022 day with one restriction left out of the log."""
    tmp = tmp_path_factory.mktemp("crimea-findings")
    runner = CliRunner()
    reports = tmp / "crimea-2022-day.jsonl"
    simulate = ["forensics", "simulate", "crimea-2022", "--out", str(reports)]
    sim = runner.invoke(
        app, [*simulate, "--terminals", "800", "--seed", "7", "--restriction", UNLOGGED]
    )
    assert sim.exit_code == 0, sim.output
    infer = ["forensics", "infer", "--reports", str(reports), "--scenario", "crimea-2022"]
    res = runner.invoke(app, [*infer, "--format", "json"])
    assert res.exit_code == 0, res.output
    out = tmp / "findings.json"
    out.write_text(res.stdout)
    return out


def test_findings_layer_tells_unlogged_restrictions_apart(
    page: Any, crimea_service: Service, crimea_findings: Path, screenshots: Any
) -> None:
    document = json.loads(crimea_findings.read_text())
    policy = [f for f in document["findings"] if f["kind"] == "policy_restriction"]
    unlogged = [f for f in policy if f["logged"] is False]
    logged = [f for f in policy if f["logged"] is True]
    assert len(unlogged) == 1
    assert logged
    open_map(page, crimea_service, "at=2022-09-16T22:00:00Z&c=45.7,32.6&z=6")
    before = canvas_pixels(page)
    page.locator('input[data-layer="findings"]').check()
    page.locator("#findings-file").set_input_files(str(crimea_findings))
    page.wait_for_function("window.leolink.layerSummary()['findings']?.count > 0", timeout=READY_MS)
    total = sum(len(f["cells"]) for f in document["findings"])
    assert page.evaluate("window.leolink.layerSummary()['findings'].count") == total
    # a cell of the unlogged restriction, and one of the logged one, each where it is
    (hidden,) = unlogged
    biggest = max(logged, key=lambda f: len(f["cells"]))
    for finding, expect in ((hidden, False), (biggest, True)):
        cell = finding["cells"][len(finding["cells"]) // 2]
        picked = pick(page, *h3.cell_to_latlng(cell))
        assert picked is not None
        assert picked["layer"] == "findings"
        assert picked["object"]["cell"] == cell
        assert picked["object"]["finding"]["logged"] is expect
    assert page.locator('#legend [data-log="unlogged"]').inner_text().split()[-1] == "1"
    assert page.locator('#legend [data-log="logged"]').inner_text().split()[-1] == str(len(logged))
    note = page.locator('[data-note="findings"]').inner_text()
    assert "1 restriction nobody logged" in note
    # the unlogged restriction's magenta outline is on the screen
    page.wait_for_timeout(400)
    after = canvas_pixels(page)
    assert count_near(after, (255, 0, 212), 40) > count_near(before, (255, 0, 212), 40) + 20
    # hovering a hidden cell says it is not in the log
    lat, lon = h3.cell_to_latlng(hidden["cells"][0])
    point = page.evaluate(f"(() => window.leolink.map.project([{lon}, {lat}]))()")
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_selector(".deck-tooltip", timeout=10_000)
    tip = page.locator(".deck-tooltip").inner_text()
    assert "not in the log" in tip
    assert hidden["start"] in tip
    page.screenshot(path=screenshots / "forensics-crimea-2022.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(600)
    page.screenshot(path=screenshots / "forensics-crimea-2022-phone.png")


def test_ground_segment_and_the_route_of_a_clicked_place(
    page: Any, service: Service, screenshots: Any
) -> None:
    ground = api(service, "/v1/ground-segment")
    assert any(p["id"] == "frntdeu1" and "Frankfurt" in p["name"] for p in ground["pops"])
    open_map(page, service, f"at={AT}&c=50,20&z=4")
    page.locator('input[data-layer="ground"]').check()
    page.wait_for_function("window.leolink.layerSummary()['pops']?.count > 0", timeout=READY_MS)
    summary = page.evaluate("window.leolink.layerSummary()")
    assert summary["pops"]["count"] == len(ground["pops"])
    assert summary["gateways"]["count"] == len(ground["gateways"])
    frankfurt = next(p for p in ground["pops"] if p["id"] == "frntdeu1")
    picked = pick(page, frankfurt["lat_deg"], frankfurt["lon_deg"])
    assert picked is not None
    assert picked["layer"] == "pops"
    assert picked["object"]["id"] == "frntdeu1"
    # the route of a clicked place: terminal -> satellite(s) -> gateway -> PoP, as /v1/routes
    page.locator('input[data-layer="route"]').check()
    click_at(page, *KYIV)
    page.wait_for_function(
        "window.leolink.layerSummary()['route-hops']?.count > 0", timeout=READY_MS
    )
    shown = page.evaluate("window.leolink.route.route")
    expected = api(service, f"/v1/routes?from={KYIV[0]:.4f},{KYIV[1]:.4f}&at={AT}")
    assert [h["id"] for h in shown["path"]] == [h["id"] for h in expected["path"]]
    kinds = [h["kind"] for h in shown["path"]]
    assert kinds[0] == "terminal"
    assert kinds[1] == "satellite"
    assert kinds[-2:] == ["gateway", "pop"]
    pop = shown["path"][-1]["id"]
    assert pop in {p["id"] for p in ground["pops"]}
    assert page.evaluate("window.leolink.layerSummary()['route-legs'].count") == len(kinds) - 1
    note = page.locator('[data-note="route"]').inner_text()
    assert f"to {pop}" in note
    details = page.locator("#route-details").inner_text()
    assert "median by component" in details
    page.wait_for_timeout(400)
    pixels = canvas_pixels(page)
    assert count_near(pixels, (0, 229, 255), 40) > 10  # the radio legs are drawn
    page.screenshot(path=screenshots / "ground-segment-route-kyiv.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(600)
    page.screenshot(path=screenshots / "ground-segment-route-kyiv-phone.png")
    assert np.isfinite(shown["rtt_ms"])
