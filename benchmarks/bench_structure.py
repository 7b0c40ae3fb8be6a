"""Structure inference and lasers over a day on the embedded catalog (10,361 satellites).

Measured in one run:

1. `leolink.orbits.structure.infer_structure` on the whole catalog (shells, settled and
   manoeuvring satellites, planes, slots, +Grid neighbours; target <= 3 s), beside its floor:
   one SGP4 call placing every satellite at the common instant (``SatrecArray.sgp4``), the
   work inference cannot avoid;
2. `leolink.network.build_network` (inference plus the +Grid lasers within range);
3. `leolink.network.laser_day` over 24 h at ``--step-s`` (default 60 s), with the +Grid held
   all day and re-planned every ``--replan-every-s`` (default 3,600 s): acquisitions per
   day, link uptime, lasers in use and the longest link up, printed beside SpaceX's figures of
   January 2024 (not fitted to them), and its time beside propagating the same grid
   (`leolink.orbits.propagate.propagate`), which it contains.

Run from the repository root::

    .venv/bin/python benchmarks/bench_structure.py [--step-s 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step-s", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--replan-every-s",
        type=float,
        default=3600.0,
        help="also run laser_day re-inferring the +Grid this often (0: skip)",
    )
    args = parser.parse_args()

    from leolink import api
    from leolink.network import SPACEX_LASERS_2024, build_network, laser_day
    from leolink.orbits.propagate import propagate
    from leolink.orbits.structure import Manoeuvre, infer_structure
    from leolink.time import datetime64_to_jd_fr

    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    catalog = api.load_catalog()
    structure = infer_structure(catalog)  # warm-up (numba, caches)
    jd, fr = datetime64_to_jd_fr(structure.at)
    floor, ours = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        catalog.satrec_array.sgp4(np.atleast_1d(jd), np.atleast_1d(fr))
        t1 = time.perf_counter()
        structure = infer_structure(catalog)
        t2 = time.perf_counter()
        floor.append(t1 - t0)
        ours.append(t2 - t1)
    print(
        f"infer_structure: {statistics.median(ours):.3f} s (median of {args.repeat}; target "
        f"<= 3 s)  baseline one SGP4 call for all: {statistics.median(floor):.3f} s"
    )
    print("shell table (settled / manoeuvring: raising, lowering, parked):")
    for k, shell in enumerate(structure.shells):
        m = structure.manoeuvre[(structure.home_shell == k) & (structure.shell < 0)]
        print(
            f"  {shell.altitude_km:6.1f} km {shell.inclination_deg:6.2f} deg  "
            f"{shell.planes:3d} planes x {shell.sats_per_plane:3d}  settled {shell.satellites:5d}"
            f"  manoeuvring {shell.manoeuvring:4d} ({np.sum(m == Manoeuvre.RAISING)} raising, "
            f"{np.sum(m == Manoeuvre.LOWERING)} lowering, {np.sum(m == Manoeuvre.PARKED)} parked)"
        )
    print(f"  unassigned {structure.unassigned}")

    t0 = time.perf_counter()
    network = build_network(catalog, gateways=False, pops=False)
    print(f"build_network: {time.perf_counter() - t0:.3f} s, {len(network.isl_pairs)} lasers")

    times = api.time_grid("2026-05-13T00:00:00Z", "2026-05-14T00:00:00Z", step_s=args.step_s)
    t0 = time.perf_counter()
    for start in range(0, len(times), 240):
        propagate(catalog, times[start : start + 240])
    t1 = time.perf_counter()
    day = laser_day(network, times)
    t2 = time.perf_counter()
    print(
        f"laser_day over {len(times)} instants: {t2 - t1:.1f} s  baseline propagate of the "
        f"same grid: {t1 - t0:.1f} s"
    )
    summary = day.summary()
    summary.pop("spacex_2024")
    summary.pop("assumptions")
    print("model, +Grid held all day:  " + json.dumps(summary))
    if args.replan_every_s > 0:
        t0 = time.perf_counter()
        replanned = laser_day(network, times, replan_every_s=args.replan_every_s)
        elapsed = time.perf_counter() - t0
        summary = replanned.summary()
        summary.pop("spacex_2024")
        summary.pop("assumptions")
        print(f"model, +Grid re-planned ({elapsed:.1f} s):  " + json.dumps(summary))
    print("assumptions: " + json.dumps(day.summary()["assumptions"]))
    print("SpaceX: " + json.dumps(SPACEX_LASERS_2024))


if __name__ == "__main__":
    main()
