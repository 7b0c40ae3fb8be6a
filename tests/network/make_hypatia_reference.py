"""Regenerate ``data/hypatia_<shell>_reference.csv`` with Hypatia's own ``satgenpy``.

Not a test: it runs Hypatia's pipeline (PyPI ``satgenpy`` 0.4.0, the ``satgen`` package of
github.com/snkas/hypatia, MIT) in a virtualenv of its own, because ``satgenpy`` pulls in
astropy, cartopy and PyEphem, which leolink does not need::

    python3 -m venv /tmp/hypatia-venv
    /tmp/hypatia-venv/bin/pip install satgenpy==0.4.0
    /tmp/hypatia-venv/bin/python tests/network/make_hypatia_reference.py

For each shell of Hypatia's ``paper/satellite_networks_state/main_*.py`` — Starlink-550 (72 x
22, 53 deg, 15.19 rev/day, ground links to the FCC filing's 940.7 km cone), Kuiper-630 (34 x 34,
51.9 deg, 14.80 rev/day, 30 deg cone) and Telesat-1015 (27 x 13, 98.98 deg, 13.66 rev/day, 10
deg cone) — it does what those scripts and ``satgen.post_analysis.print_routes_and_rtt`` do:
generate the TLEs (phase_diff on) and the +Grid lasers (kept as ``data/hypatia_<shell>_isls.txt``,
Hypatia's own ``isls.txt``; ``--isls-only`` writes just those), compute the forwarding state with
``algorithm_free_one_only_over_isls`` at each instant, follow it from each city to each other
and back, and take RTT = (length there + length back) / c.
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

# (gid in Hypatia's ground_stations_cities_sorted_by_estimated_2025_pop_top_100, name, lat, lon)
CITIES = [
    (0, "Tokyo", "35.6895", "139.69171"),
    (3, "Sao-Paulo", "-23.5475", "-46.63611"),
    (9, "New-York-Newark", "40.717042", "-74.003663"),
    (21, "Moskva-(Moscow)", "55.754996", "37.621849"),
    (24, "Paris", "48.85341", "2.3488"),
    (27, "London", "51.50853", "-0.12574"),
    (66, "Luanda", "-8.83682", "13.23432"),
    (84, "Sydney", "-33.86785", "151.20732"),
]
SIX_CITIES = [c for c in CITIES if c[1] not in ("Moskva-(Moscow)", "London")]


def starlink_550_max_gsl_m(altitude_m: float) -> float:
    """main_starlink_550.py: the FCC filing's 940.7 km coverage-cone radius."""
    return math.sqrt(940700**2 + altitude_m**2)


def cone_max_gsl_m(altitude_m: float, elevation_deg: float) -> float:
    """main_kuiper_630.py, main_telesat_1015.py: a cone at this elevation."""
    return math.sqrt((altitude_m / math.tan(math.radians(elevation_deg))) ** 2 + altitude_m**2)


def max_isl_m(altitude_m: float) -> float:
    """Lasers may not dip below 80 km (every main_*.py)."""
    return 2 * math.sqrt((EARTH_RADIUS_M + altitude_m) ** 2 - (EARTH_RADIUS_M + 80000) ** 2)


# file, name, orbits, per orbit, inclination, mean motion, altitude m, max GSL m, cities, times
SHELLS = [
    ("starlink550", "Starlink-550", 72, 22, 53, 15.19, 550000.0,
     starlink_550_max_gsl_m(550000.0), CITIES,
     [0, 20_000, 46_800, 60_000, 100_000, 139_900, 180_000, 199_900]),
    ("kuiper630", "Kuiper-630", 34, 34, 51.9, 14.80, 630000.0,
     cone_max_gsl_m(630000.0, 30.0), SIX_CITIES, [0, 46_800, 139_900, 600_000]),
    ("telesat1015", "Telesat-1015", 27, 13, 98.98, 13.66, 1015000.0,
     cone_max_gsl_m(1015000.0, 10.0), SIX_CITIES, [0, 46_800, 139_900, 600_000]),
]  # fmt: skip


def reference(
    base: str,
    nice: str,
    orbits: int,
    per_orbit: int,
    inclination_deg: float,
    mean_motion: float,
    altitude_m: float,
    max_gsl_length_m: float,
    cities: list[tuple[int, str, str, str]],
    times_ms: list[int],
    isls_only: bool = False,
) -> None:
    max_isl_length_m = max_isl_m(altitude_m)
    work = Path(tempfile.mkdtemp(prefix=f"hypatia-{base}-"))
    basic = work / "ground_stations.basic.txt"
    basic.write_text(
        "".join(f"{i},{name},{lat},{lon},0\n" for i, (_, name, lat, lon) in enumerate(cities))
    )
    satgen.extend_ground_stations(str(basic), str(work / "ground_stations.txt"))
    satgen.generate_tles_from_scratch_manual(
        str(work / "tles.txt"),
        nice,
        orbits,
        per_orbit,
        True,
        inclination_deg,
        0.0000001,
        0.0,
        mean_motion,
    )
    list_isls = satgen.generate_plus_grid_isls(
        str(work / "isls.txt"), orbits, per_orbit, isl_shift=0
    )
    isls_path = Path(__file__).with_name("data") / f"hypatia_{base}_isls.txt"
    isls_path.write_bytes((work / "isls.txt").read_bytes())
    print(f"wrote Hypatia's {len(list_isls)} lasers to {isls_path}", file=sys.stderr)
    if isls_only:
        return
    ground_stations = satgen.read_ground_stations_extended(str(work / "ground_stations.txt"))
    satgen.generate_simple_gsl_interfaces_info(
        str(work / "gsl_interfaces_info.txt"),
        orbits * per_orbit,
        len(ground_stations),
        1,
        1,
        1,
        1,
    )
    interfaces = satgen.read_gsl_interfaces_info(
        str(work / "gsl_interfaces_info.txt"), orbits * per_orbit, len(ground_stations)
    )
    tles = satgen.read_tles(str(work / "tles.txt"))
    satellites, epoch = tles["satellites"], tles["epoch"]
    n = len(satellites)
    rows = []
    for t_ms in times_ms:
        t_ns = t_ms * 1_000_000
        out = generate_dynamic_state_at(
            str(work),
            epoch,
            t_ns,
            satellites,
            ground_stations,
            list_isls,
            interfaces,
            max_gsl_length_m,
            max_isl_length_m,
            "algorithm_free_one_only_over_isls",
            None,
            False,
        )
        fstate = {key: hop[0] for key, hop in out["fstate"].items()}
        for a in range(len(cities)):
            for b in range(a + 1, len(cities)):
                there = satgen.get_path(n + a, n + b, fstate)
                back = satgen.get_path(n + b, n + a, fstate)
                if there is None or back is None:
                    rows.append([t_ms, cities[a][1], cities[b][1], "", ""])
                    continue
                length_m = sum(
                    satgen.compute_path_length_without_graph(
                        path,
                        epoch,
                        t_ns,
                        satellites,
                        ground_stations,
                        list_isls,
                        max_gsl_length_m,
                        max_isl_length_m,
                    )
                    for path in (there, back)
                )
                rtt_ms = length_m * 1000.0 / 299792458.0
                sats = "-".join(str(node) for node in there[1:-1])
                rows.append([t_ms, cities[a][1], cities[b][1], sats, f"{rtt_ms:.6f}"])
        print(f"{nice}: t = {t_ms} ms done", file=sys.stderr)
    out_path = Path(__file__).with_name("data") / f"hypatia_{base}_reference.csv"
    with out_path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["t_ms", "from", "to", "satellites_there", "rtt_ms"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {out_path}", file=sys.stderr)


def main() -> None:
    isls_only = "--isls-only" in sys.argv[1:]
    for shell in SHELLS:
        reference(*shell, isls_only=isls_only)


if __name__ == "__main__":
    main()
