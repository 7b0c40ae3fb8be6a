"""Regenerate ``data/hypatia_<shell>_reference.csv`` for Hypatia's Kuiper-630 and Telesat-1015.

Not a test: like ``make_hypatia_reference.py`` (Starlink-550) it runs Hypatia's own pipeline
(PyPI ``satgenpy`` 0.4.0, the ``satgen`` package of github.com/snkas/hypatia, MIT) in a
virtualenv of its own::

    python3 -m venv /tmp/hypatia-venv
    /tmp/hypatia-venv/bin/pip install satgenpy==0.4.0
    /tmp/hypatia-venv/bin/python tests/network/make_hypatia_shell_references.py

The shells are those of Hypatia's ``paper/satellite_networks_state/main_kuiper_630.py`` (34 x
34 at 51.9 deg, 14.80 rev/day, 630 km, ground links to a 30 deg cone) and
``main_telesat_1015.py`` (27 x 13 at 98.98 deg, 13.66 rev/day, 1,015 km, 10 deg cone): another
size, an odd number of planes and a near-polar inclination beside Starlink-550.  For each,
Hypatia's generator writes the TLEs (phase_diff on) and the +Grid lasers, and its forwarding
state (``algorithm_free_one_only_over_isls``) gives the route between each pair of 6 cities at
4 instants, with its RTT; leolink is then asked the same through ``leolink route --isl
plus-grid`` without the ISL file (``tests/network/test_network_hypatia.py``).
"""

from __future__ import annotations

import csv
import math
import sys
import tempfile
from pathlib import Path

import satgen  # type: ignore[import-not-found]
from satgen.dynamic_state.generate_dynamic_state import (  # type: ignore[import-not-found]
    generate_dynamic_state_at,
)

EARTH_RADIUS_M = 6378135.0  # WGS72, as Hypatia's main_*.py


def _limits(altitude_m: float, cone_elevation_deg: float) -> tuple[float, float]:
    """Hypatia's ground and laser limits, m (main_kuiper_630.py, main_telesat_1015.py)."""
    cone_m = altitude_m / math.tan(math.radians(cone_elevation_deg))
    gsl = math.sqrt(cone_m**2 + altitude_m**2)
    isl = 2 * math.sqrt((EARTH_RADIUS_M + altitude_m) ** 2 - (EARTH_RADIUS_M + 80000) ** 2)
    return gsl, isl


# name, orbits, sats per orbit, inclination, mean motion, altitude m, cone elevation deg
SHELLS = [
    ("kuiper630", "Kuiper-630", 34, 34, 51.9, 14.80, 630000.0, 30.0),
    ("telesat1015", "Telesat-1015", 27, 13, 98.98, 13.66, 1015000.0, 10.0),
]

# (name, lat, lon) of Hypatia's top-100 cities (ground_stations_cities_sorted_by_estimated_2025_pop)
CITIES = [
    ("Tokyo", "35.6895", "139.69171"),
    ("Sao-Paulo", "-23.5475", "-46.63611"),
    ("New-York-Newark", "40.717042", "-74.003663"),
    ("Paris", "48.85341", "2.3488"),
    ("Luanda", "-8.83682", "13.23432"),
    ("Sydney", "-33.86785", "151.20732"),
]
TIMES_MS = [0, 46_800, 139_900, 600_000]


def reference(
    base: str,
    nice: str,
    orbits: int,
    per_orbit: int,
    inclination: float,
    mean_motion: float,
    altitude_m: float,
    cone_deg: float,
) -> None:
    max_gsl_m, max_isl_m = _limits(altitude_m, cone_deg)
    work = Path(tempfile.mkdtemp(prefix=f"hypatia-{base}-"))
    basic = work / "ground_stations.basic.txt"
    basic.write_text("".join(f"{i},{n},{lat},{lon},0\n" for i, (n, lat, lon) in enumerate(CITIES)))
    satgen.extend_ground_stations(str(basic), str(work / "ground_stations.txt"))
    satgen.generate_tles_from_scratch_manual(
        str(work / "tles.txt"),
        nice,
        orbits,
        per_orbit,
        True,
        inclination,
        0.0000001,
        0.0,
        mean_motion,
    )
    list_isls = satgen.generate_plus_grid_isls(str(work / "isls.txt"), orbits, per_orbit, 0)
    ground_stations = satgen.read_ground_stations_extended(str(work / "ground_stations.txt"))
    n = orbits * per_orbit
    satgen.generate_simple_gsl_interfaces_info(
        str(work / "gsl_interfaces_info.txt"), n, len(ground_stations), 1, 1, 1, 1
    )
    interfaces = satgen.read_gsl_interfaces_info(
        str(work / "gsl_interfaces_info.txt"), n, len(ground_stations)
    )
    tles = satgen.read_tles(str(work / "tles.txt"))
    satellites, epoch = tles["satellites"], tles["epoch"]
    rows = []
    for t_ms in TIMES_MS:
        t_ns = t_ms * 1_000_000
        out = generate_dynamic_state_at(
            str(work),
            epoch,
            t_ns,
            satellites,
            ground_stations,
            list_isls,
            interfaces,
            max_gsl_m,
            max_isl_m,
            "algorithm_free_one_only_over_isls",
            None,
            False,
        )
        fstate = {key: hop[0] for key, hop in out["fstate"].items()}
        for a in range(len(CITIES)):
            for b in range(a + 1, len(CITIES)):
                there = satgen.get_path(n + a, n + b, fstate)
                back = satgen.get_path(n + b, n + a, fstate)
                if there is None or back is None:
                    rows.append([t_ms, CITIES[a][0], CITIES[b][0], "", ""])
                    continue
                length_m = sum(
                    satgen.compute_path_length_without_graph(
                        path,
                        epoch,
                        t_ns,
                        satellites,
                        ground_stations,
                        list_isls,
                        max_gsl_m,
                        max_isl_m,
                    )
                    for path in (there, back)
                )
                rtt_ms = length_m * 1000.0 / 299792458.0
                sats = "-".join(str(node) for node in there[1:-1])
                rows.append([t_ms, CITIES[a][0], CITIES[b][0], sats, f"{rtt_ms:.6f}"])
        print(f"{nice}: t = {t_ms} ms done", file=sys.stderr)
    out_path = Path(__file__).with_name("data") / f"hypatia_{base}_reference.csv"
    with out_path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["t_ms", "from", "to", "satellites_there", "rtt_ms"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {out_path}", file=sys.stderr)


def main() -> None:
    for shell in SHELLS:
        reference(*shell)


if __name__ == "__main__":
    main()
