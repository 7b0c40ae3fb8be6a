"""Hypatia's shells through ``leolink route --isl plus-grid``: the +Grid inferred from the TLEs
alone (no ISL file) is Hypatia's, so its paths and RTTs come out.

Authorities: ``data/hypatia_starlink550_reference.csv``, ``data/hypatia_kuiper630_reference.csv``
and ``data/hypatia_telesat1015_reference.csv``, Hypatia's own routes and RTTs over its
Starlink-550 (72 x 22, 53 deg; 8 cities at 8 instants), Kuiper-630 (34 x 34, 51.9 deg) and
Telesat-1015 (27 x 13, 98.98 deg: an odd number of planes, near-polar; 6 cities at 4 instants)
shells, computed by its ``satgenpy`` 0.4.0 (``make_hypatia_reference.py``).
``test_network_hypatia.py`` checks Starlink-550 through Hypatia's own links as well.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from leolink.cli.main import app
from leolink.network import (
    STARLINK_550_MAX_GSL_KM,
    build_network,
    format_isls,
    ground_sites,
    hypatia_compatible_shell,
    hypatia_tle_lines,
    max_isl_range_km,
    network_graph,
    parse_isls,
    plus_grid_pairs,
    route_in,
)
from leolink.network.hypatia import HypatiaShell
from leolink.orbits.structure import infer_structure
from leolink.time import format_instant

#: As for Starlink-550 (``test_network_hypatia.py``): 0.1 ms is 30 km of path.
HYPATIA_RTT_TOLERANCE_MS = 0.1

DATA = Path(__file__).with_name("data")

#: Coordinates of Hypatia's ground_stations_cities_sorted_by_estimated_2025_pop_top_100.
CITIES = {
    "Tokyo": (35.6895, 139.69171),
    "Sao-Paulo": (-23.5475, -46.63611),
    "New-York-Newark": (40.717042, -74.003663),
    "Moskva-(Moscow)": (55.754996, 37.621849),
    "Paris": (48.85341, 2.3488),
    "London": (51.50853, -0.12574),
    "Luanda": (-8.83682, 13.23432),
    "Sydney": (-33.86785, 151.20732),
}
SIX_CITIES = tuple(name for name in CITIES if name not in ("Moskva-(Moscow)", "London"))


@dataclass(frozen=True)
class Spec:
    """A shell of Hypatia's ``main_*.py``: its pattern and link limits."""

    base: str
    name: str
    orbits: int
    per_orbit: int
    inclination_deg: float
    mean_motion_rev_per_day: float
    altitude_km: float
    cone_elevation_deg: float | None  # None: the FCC filing's cone radius (Starlink-550)
    cities: tuple[str, ...]
    instants: int

    @property
    def max_gsl_km(self) -> float:
        if self.cone_elevation_deg is None:
            return STARLINK_550_MAX_GSL_KM
        cone_km = self.altitude_km / math.tan(math.radians(self.cone_elevation_deg))
        return math.hypot(cone_km, self.altitude_km)

    @property
    def max_isl_km(self) -> float:
        return max_isl_range_km(self.altitude_km)


SPECS = [
    Spec("starlink550", "Starlink-550", 72, 22, 53.0, 15.19, 550.0, None, tuple(CITIES), 8),
    Spec("kuiper630", "Kuiper-630", 34, 34, 51.9, 14.80, 630.0, 30.0, SIX_CITIES, 4),
    Spec("telesat1015", "Telesat-1015", 27, 13, 98.98, 13.66, 1015.0, 10.0, SIX_CITIES, 4),
]


@cache
def shell(spec: Spec) -> HypatiaShell:
    return hypatia_compatible_shell(
        spec.orbits,
        spec.per_orbit,
        inclination_deg=spec.inclination_deg,
        mean_motion_rev_per_day=spec.mean_motion_rev_per_day,
        max_gsl_km=spec.max_gsl_km,
        max_isl_km=spec.max_isl_km,
        name=spec.name,
    )


def reference_rows(spec: Spec) -> list[dict[str, str]]:
    with (DATA / f"hypatia_{spec.base}_reference.csv").open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.base)
def test_inferred_plus_grid_is_hypatias(spec: Spec) -> None:
    """The +Grid inferred from the TLEs is link for link the ``isls.txt`` that Hypatia's
    ``generate_plus_grid_isls`` wrote for the shell."""
    s = shell(spec)
    structure = infer_structure(s.catalog)
    assert len(structure.shells) == 1
    np.testing.assert_array_equal(structure.plane, s.plane)
    np.testing.assert_array_equal(structure.slot, s.slot)
    np.testing.assert_array_equal(structure.neighbours, s.neighbours)
    # Hypatia's own isls.txt, written by its generate_plus_grid_isls (make_hypatia_reference.py).
    text = (DATA / f"hypatia_{spec.base}_isls.txt").read_text()
    hypatia = parse_isls(text, len(s.catalog))
    assert len(hypatia) == len(text.splitlines()) == 2 * spec.orbits * spec.per_orbit
    np.testing.assert_array_equal(plus_grid_pairs(structure.neighbours), hypatia)
    np.testing.assert_array_equal(plus_grid_pairs(s.neighbours), hypatia)
    # And through Hypatia's isls.txt form, both ways.
    assert np.array_equal(parse_isls(format_isls(hypatia), len(s.catalog)), hypatia)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.base)
def test_same_paths_and_rtts_as_hypatia(spec: Spec) -> None:
    """Every reference route from the inferred network: Hypatia's satellites, RTT within 0.1 ms."""
    s = shell(spec)
    network = build_network(
        s.catalog,
        gateways=False,
        pops=False,
        min_elevation_deg=None,
        max_gsl_km=s.max_gsl_km,
        max_isl_km=s.max_isl_km,
    )
    rows = reference_rows(spec)
    pairs = len(spec.cities) * (len(spec.cities) - 1) // 2
    assert len(rows) == spec.instants * pairs
    assert all(row["rtt_ms"] for row in rows)
    names = list(spec.cities)
    cities = ground_sites(
        [CITIES[n][0] for n in names], [CITIES[n][1] for n in names], ids=names, kind="city"
    )
    graphs = {
        t_ms: network_graph(network, s.epoch + np.timedelta64(t_ms, "ms"), cities)
        for t_ms in {int(row["t_ms"]) for row in rows}
    }
    for row in rows:
        graph = graphs[int(row["t_ms"])]
        result = route_in(graph, names.index(row["from"]), names.index(row["to"]))
        where = f"{spec.name} {row['from']} -> {row['to']} at {row['t_ms']} ms"
        assert result.reachable, where
        ours = "-".join(str(int(h.id) - 1) for h in result.path[1:-1])  # NORAD id = node + 1
        assert ours == row["satellites_there"], where
        assert abs(result.rtt_ms - float(row["rtt_ms"])) <= HYPATIA_RTT_TOLERANCE_MS, where


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.base)
def test_leolink_route_cli_reproduces_hypatia(spec: Spec, tmp_path: Path) -> None:
    """``leolink route --isl plus-grid`` on the shell's TLE file, at one instant, five pairs."""
    s = shell(spec)
    tles = tmp_path / "tles.txt"
    tles.write_text(
        "\n".join(
            hypatia_tle_lines(
                spec.orbits,
                spec.per_orbit,
                inclination_deg=spec.inclination_deg,
                mean_motion_rev_per_day=spec.mean_motion_rev_per_day,
                name=spec.name,
            )
        )
        + "\n"
    )
    isls = DATA / f"hypatia_{spec.base}_isls.txt"  # Hypatia's own
    runner = CliRunner()
    rows = [r for r in reference_rows(spec) if r["t_ms"] == "139900"][::3]
    for k, row in enumerate(rows):
        at = format_instant(s.epoch + np.timedelta64(int(row["t_ms"]), "ms"))
        args = ["route", "--catalog", str(tles), "--at", at, "--isl", "plus-grid"]
        args += ["--from", ",".join(map(str, CITIES[row["from"]]))]
        args += ["--to", ",".join(map(str, CITIES[row["to"]]))]
        args += ["--max-gsl-km", f"{s.max_gsl_km!r}", "--max-isl-km", f"{s.max_isl_km!r}"]
        args += ["--no-gateways", "--format", "json"]
        if k % 2 == 1:  # some through Hypatia's own isls.txt: the same route
            args += ["--isl-file", str(isls)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        where = f"{spec.name} {row['from']} -> {row['to']} at {at}"
        ours = "-".join(str(int(h["id"]) - 1) for h in out["path"][1:-1])
        assert ours == row["satellites_there"], where
        assert abs(out["rtt_ms"] - float(row["rtt_ms"])) <= HYPATIA_RTT_TOLERANCE_MS, where
