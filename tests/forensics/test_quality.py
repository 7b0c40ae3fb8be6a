"""The quality targets of issue 15 at the issue's own scale: 2,000 dishes over a day.

On simulated telemetry of the Crimea-2022 day (the scenario's deny geofence, in the log, and a
restriction left out of it): a hidden restriction of ≥ 10 cells is found with ≥ 0.8 IoU of cells
and its window within 10 minutes; jamming is not taken for a switch-off; no policy restriction
is reported where none was hidden.  The first test runs the user's two commands; the others call
the public functions over several seeds and a second restriction shape (a band 2-3 cells
wide), so that the figures do not rest on one lucky draw.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from leolink import forensics as fx
from leolink.cli.main import app
from leolink.geo.regions import bbox_to_cells
from leolink.network.homing import pop_for_places
from leolink.policy.scenarios import load_scenario
from leolink.time import parse_instant

MIN_IOU = 0.8
MINUTES_10 = np.timedelta64(10, "m")
DAY_START = parse_instant("2022-09-15T12:00:00Z")
DAY_END = DAY_START + np.timedelta64(24, "h")
UNLOGGED_START = parse_instant("2022-09-16T02:00:00Z")
UNLOGGED_END = parse_instant("2022-09-16T08:30:00Z")
UNLOGGED_DISK = (46.9, 31.2, 2)  # 19 cells off Mykolaiv, as in the README
JAMMED_DISK = (47.4, 33.6, 2)  # 19 cells north of the Dnipro
SHAPES = {
    "disk-19": fx.disk(*UNLOGGED_DISK),
    "band-26": bbox_to_cells(30.4, 46.65, 32.4, 47.05),  # ~150 km by 45 km, 2-3 cells wide
}

runner = CliRunner()


def _iou(a: np.ndarray, b: np.ndarray) -> float:  # type: ignore[type-arg]
    return np.intersect1d(a, b).size / np.union1d(a, b).size


def _hex_cells(finding: dict[str, object]) -> np.ndarray:  # type: ignore[type-arg]
    from leolink.geo import grid

    return grid.hex_to_cells(finding["cells"])  # type: ignore[arg-type]


@cache
def _crimea_fence() -> fx.Restriction:
    (fence,) = fx.scenario_restrictions(load_scenario("crimea-2022"))
    return fence


def test_the_crimea_day_through_the_users_commands(tmp_path: Path) -> None:
    out = tmp_path / "crimea.parquet"  # JSON Lines: tests/cli/test_forensics_cli.py
    lat, lon, rings = UNLOGGED_DISK
    j_lat, j_lon, j_rings = JAMMED_DISK
    sim = runner.invoke(
        app,
        [
            "forensics",
            "simulate",
            "crimea-2022",
            "--out",
            str(out),
            "--start",
            "2022-09-15T12:00:00Z",
            "--restriction",
            f"{lat},{lon},{rings},2022-09-16T02:00:00Z,2022-09-16T08:30:00Z",
            "--jamming",
            f"{j_lat},{j_lon},{j_rings},2022-09-15T18:00:00Z,2022-09-15T23:00:00Z",
            "--format",
            "json",
        ],
    )
    assert sim.exit_code == 0, sim.output
    truth = json.loads(sim.stdout)
    assert [(t["kind"], t["logged"]) for t in truth] == [
        ("policy_restriction", True),
        ("policy_restriction", False),
        ("gnss_interference", None),
    ]
    res = runner.invoke(
        app,
        [
            *("forensics", "infer", "--reports", str(out)),
            *("--scenario", "crimea-2022", "--format", "json"),
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["summary"]["terminals"] == 2000
    policy = [f for f in data["findings"] if f["kind"] == "policy_restriction"]
    assert len(policy) == 2
    by_logged = {f["logged"]: f for f in policy}

    unlogged = by_logged[False]
    hidden = fx.disk(*UNLOGGED_DISK)
    assert hidden.size >= 10
    assert _iou(_hex_cells(unlogged), hidden) >= MIN_IOU
    assert abs(parse_instant(unlogged["start"]) - UNLOGGED_START) <= MINUTES_10
    assert abs(parse_instant(unlogged["end"]) - UNLOGGED_END) <= MINUTES_10

    logged = by_logged[True]  # the geofence, in force from 00:00 to past the simulated day
    assert logged["evidence"]["log"]["geofences"] == ["gf-crimea-coast-2022"]
    assert _iou(_hex_cells(logged), _crimea_fence().cells) >= MIN_IOU
    assert abs(parse_instant(logged["start"]) - _crimea_fence().start) <= MINUTES_10
    assert abs(parse_instant(logged["end"]) - DAY_END) <= MINUTES_10

    (jam,) = [f for f in data["findings"] if f["kind"] == "gnss_interference"]
    jammed = fx.disk(*JAMMED_DISK)
    assert _iou(_hex_cells(jam), jammed) >= MIN_IOU
    for f in policy:
        assert np.intersect1d(_hex_cells(f), jammed).size == 0


def _day(seed: int, **kwargs: object) -> fx.Simulation:
    fence = _crimea_fence()
    extra = fx.Restriction(SHAPES["disk-19"], UNLOGGED_START, UNLOGGED_END)
    base: dict[str, object] = dict(
        area_cells=fx.study_area([fence, extra]),
        start=DAY_START,
        end=DAY_END,
        terminals=2000,
        cadence_s=300,
        seed=seed,
    )
    return fx.Simulation(**(base | kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [3, 4])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_hidden_restriction_is_recovered_for_each_seed_and_shape(shape: str, seed: int) -> None:
    hidden = SHAPES[shape]
    assert hidden.size >= 10
    restriction = fx.Restriction(hidden, UNLOGGED_START, UNLOGGED_END, code="CELL_IS_DISABLED")
    inference = fx.infer(fx.simulate(_day(seed, restrictions=[_crimea_fence(), restriction])))
    policy = [f for f in inference.findings if f.kind is fx.FindingKind.POLICY_RESTRICTION]
    overlapping = [f for f in policy if np.intersect1d(f.cells, hidden).size]
    assert len(overlapping) == 1  # one finding, not pieces of one
    (found,) = overlapping
    assert _iou(found.cells, hidden) >= MIN_IOU
    assert abs(found.start - UNLOGGED_START) <= MINUTES_10
    assert abs(found.end - UNLOGGED_END) <= MINUTES_10
    assert found.evidence["disablement_codes"] == {"CELL_IS_DISABLED": found.evidence["reports"]}


@pytest.mark.parametrize("seed", [5, 6])
def test_no_restriction_where_none_was_hidden_and_jamming_is_not_one(seed: int) -> None:
    jammed = fx.disk(*JAMMED_DISK)
    home = pop_for_places([46.0], [33.0]).codes()[0]  # the PoP Starlink homes the area to
    start = parse_instant("2022-09-15T18:00:00Z")
    sim = _day(
        seed,
        jamming=[fx.Jamming(jammed, start, start + np.timedelta64(5, "h"))],
        outages=[fx.GroundOutage(home, UNLOGGED_START, UNLOGGED_START + np.timedelta64(1, "h"))],
    )
    inference = fx.infer(fx.simulate(sim))
    kinds = [f.kind for f in inference.findings]
    assert fx.FindingKind.POLICY_RESTRICTION not in kinds
    (jam,) = [f for f in inference.findings if f.kind is fx.FindingKind.GNSS_INTERFERENCE]
    assert _iou(jam.cells, jammed) >= MIN_IOU
    (ground,) = [f for f in inference.findings if f.kind is fx.FindingKind.GROUND_SEGMENT]
    assert ground.evidence["assigned_pop"]["id"] == home
    assert abs(ground.start - UNLOGGED_START) <= MINUTES_10
