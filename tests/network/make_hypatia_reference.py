"""Regenerate ``data/hypatia_starlink550_reference.csv`` with Hypatia's own ``satgenpy``.

Not a test: it runs Hypatia's pipeline (PyPI ``satgenpy`` 0.4.0, the ``satgen`` package of
github.com/snkas/hypatia, MIT) in a virtualenv of its own, because ``satgenpy`` pulls in
astropy, cartopy and PyEphem, which leolink does not need::

    python3 -m venv /tmp/hypatia-venv
    /tmp/hypatia-venv/bin/pip install satgenpy==0.4.0
    /tmp/hypatia-venv/bin/python tests/network/make_hypatia_reference.py

It does what ``paper/satellite_networks_state/main_starlink_550.py`` and
``satgen.post_analysis.print_routes_and_rtt`` do, for 8 of Hypatia's top-100 cities: generate
the Starlink-550 TLEs (72 x 22, 53 deg, 15.19 rev/day, phase_diff) and the +Grid lasers, compute
the forwarding state with ``algorithm_free_one_only_over_isls`` at each instant, follow it from
each city to each other and back, and take RTT = (length there + length back) / c.
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

# Hypatia's paper/satellite_networks_state/main_starlink_550.py
EARTH_RADIUS_M = 6378135.0
MEAN_MOTION_REV_PER_DAY = 15.19
ALTITUDE_M = 550000
MAX_GSL_LENGTH_M = math.sqrt(940700**2 + ALTITUDE_M**2)
MAX_ISL_LENGTH_M = 2 * math.sqrt((EARTH_RADIUS_M + ALTITUDE_M) ** 2 - (EARTH_RADIUS_M + 80000) ** 2)

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
TIMES_MS = [0, 20_000, 46_800, 60_000, 100_000, 139_900, 180_000, 199_900]
OUT = Path(__file__).with_name("data") / "hypatia_starlink550_reference.csv"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="hypatia-"))
    basic = work / "ground_stations.basic.txt"
    basic.write_text(
        "".join(f"{i},{name},{lat},{lon},0\n" for i, (_, name, lat, lon) in enumerate(CITIES))
    )
    satgen.extend_ground_stations(str(basic), str(work / "ground_stations.txt"))
    satgen.generate_tles_from_scratch_manual(
        str(work / "tles.txt"),
        "Starlink-550",
        72,
        22,
        True,
        53,
        0.0000001,
        0.0,
        MEAN_MOTION_REV_PER_DAY,
    )
    list_isls = satgen.generate_plus_grid_isls(str(work / "isls.txt"), 72, 22, isl_shift=0)
    ground_stations = satgen.read_ground_stations_extended(str(work / "ground_stations.txt"))
    satgen.generate_simple_gsl_interfaces_info(
        str(work / "gsl_interfaces_info.txt"), 72 * 22, len(ground_stations), 1, 1, 1, 1
    )
    interfaces = satgen.read_gsl_interfaces_info(
        str(work / "gsl_interfaces_info.txt"), 72 * 22, len(ground_stations)
    )
    tles = satgen.read_tles(str(work / "tles.txt"))
    satellites, epoch = tles["satellites"], tles["epoch"]
    n = len(satellites)
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
            MAX_GSL_LENGTH_M,
            MAX_ISL_LENGTH_M,
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
                    rows.append([t_ms, CITIES[a][1], CITIES[b][1], "", ""])
                    continue
                length_m = sum(
                    satgen.compute_path_length_without_graph(
                        path,
                        epoch,
                        t_ns,
                        satellites,
                        ground_stations,
                        list_isls,
                        MAX_GSL_LENGTH_M,
                        MAX_ISL_LENGTH_M,
                    )
                    for path in (there, back)
                )
                rtt_ms = length_m * 1000.0 / 299792458.0
                sats = "-".join(str(node) for node in there[1:-1])
                rows.append([t_ms, CITIES[a][1], CITIES[b][1], sats, f"{rtt_ms:.6f}"])
        print(f"t = {t_ms} ms done", file=sys.stderr)
    with OUT.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["t_ms", "from", "to", "satellites_there", "rtt_ms"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
