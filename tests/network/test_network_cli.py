"""``leolink route``, run as a user runs it (in process; the first test through the installed
``leolink`` script)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from leolink.network import hypatia_tle_lines, parse_lat_lon, route
from leolink.orbits.loading import load_catalog
from tests.leolink_cli import CliResult, run_leolink

AT = "2026-05-13T12:00:00Z"
PARIS, LUANDA = "48.85341,2.3488", "-8.83682,13.23432"


def run(*args: str, installed: bool = False) -> CliResult:
    return run_leolink(*args, installed=installed)


def test_route_json_between_two_points() -> None:
    done = run(
        "route", "--from", PARIS, "--to", LUANDA, "--at", AT, "--format", "json", installed=True
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["reachable"] is True
    assert out["hops"] == len(out["path"]) - 1
    assert out["rtt_ms"] == pytest.approx(2 * out["one_way_ms"])
    assert out["path"][0]["id"] == "from"
    assert out["path"][-1]["id"] == "to"
    assert {
        "kind",
        "id",
        "name",
        "lat_deg",
        "lon_deg",
        "alt_km",
        "link",
        "link_km",
        "delay_ms",
    } == (set(out["path"][1]))


def test_route_to_the_internet_csv_and_table() -> None:
    done = run("route", "--from", "50.45,30.52", "--at", AT, "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows[-1]["kind"] == "pop"
    assert rows[-2]["kind"] == "gateway"
    assert "RTT" in done.stderr
    assert rows[-1]["id"] == "wrswpol1"  # Kyiv is homed to Warsaw by Starlink's GeoIP feed
    table = run(
        "route", "--from", "50.45,30.52", "--at", AT, "--pop", "frntdeu1", "--format", "table"
    )
    assert table.returncode == 0, table.stderr
    assert "frntdeu1" in table.stdout


def test_route_options_reach_the_router(tmp_path: Path) -> None:
    """--catalog, --no-gateways, --max-gsl-km and --isl give what `route` gives with them.

    The catalog is Hypatia's Starlink-550 as TLEs; from a file its +Grid is inferred
    (`infer_structure`), so the RTT is not Hypatia's 117 ms (`test_network_hypatia` uses its grid).
    """
    tles = tmp_path / "starlink-550.tle"
    tles.write_text(
        "\n".join(hypatia_tle_lines(72, 22, inclination_deg=53.0, mean_motion_rev_per_day=15.19))
        + "\n"
    )
    at = "2000-01-01T00:00:46.8Z"
    common = ("--from", PARIS, "--to", LUANDA, "--at", at, "--catalog", str(tles), "--no-gateways")
    done = run("route", *common, "--max-gsl-km", "1089.6864181956202", "--max-isl-km", "5000")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    expected = route(
        load_catalog(tles),
        at,
        parse_lat_lon(PARIS),
        parse_lat_lon(LUANDA),
        gateways=False,
        pops=False,
        min_elevation_deg=None,
        max_gsl_km=1089.6864181956202,
        max_isl_km=5000.0,
    )
    assert out["rtt_ms"] == pytest.approx(expected.rtt_ms, abs=1e-9)
    assert [h["id"] for h in out["path"]] == [h.id for h in expected.path]
    bent = json.loads(run("route", *common, "--isl", "none").stdout)
    assert bent["reachable"] is False
    assert bent["rtt_ms"] is None
    assert "no path" in bent["reason"]


def test_unreachable_is_reported_not_raised() -> None:
    """No satellite within 0.01 deg of the zenith: a result with the reason, exit code 0."""
    args = ("route", "--from", PARIS, "--to", LUANDA, "--at", AT, "--min-elevation-deg", "89.99")
    done = run(*args, "--format", "json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["reachable"] is False
    assert out["reason"] == "no satellite in view of the start (above 89.99 deg elevation)"
    table = run(*args, "--format", "table")
    assert table.returncode == 0
    assert "no satellite in view" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "48.85", "--to", LUANDA), "--from '48.85' is not LAT,LON"),
        (("--from", "95,2", "--to", LUANDA), "latitude 95.0 is outside [-90, 90]"),
        (("--from", PARIS, "--to", "1,2,3"), "--to '1,2,3' is not LAT,LON"),
        (
            ("--from", PARIS, "--to", LUANDA, "--min-elevation-deg", "25", "--max-gsl-km", "1000"),
            "not both",
        ),
        (("--from", PARIS, "--no-gateways"), "drop --no-gateways"),
        (("--from", PARIS, "--to", LUANDA, "--pop", "POP1"), "leave out --to"),
    ],
)
def test_bad_input_is_one_clear_message(args: tuple[str, ...], message: str) -> None:
    done = run("route", "--at", AT, *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
