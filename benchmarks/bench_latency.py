"""All countries' RTT at one instant: the measured-latency table against the propagation floor.

The work is ``leolink latency`` at one instant for the 242 countries (H3 resolution 3: 11,670
sample terminals) on the embedded catalog (10,361 satellites, +Grid lasers, 261 gateways):

1. baseline, ``leolink latency --floor``: `country_rtt_table`, one Dijkstra into the 23 StarPerf
   PoPs, the best satellite of each terminal;
2. ``leolink latency``: `latency_table`, terminals homed to the PoP of Starlink's GeoIP feed,
   one Dijkstra per PoP in use, every satellite in view a sample, four components.

Both run after a warm-up (borders, cells, +Grid inference and numba compilation are loaded
once, as in a long-running service) and are timed on the same instant, in the same run,
``--repeat`` times each (the best and the median are printed).  Run from the repository root::

    .venv/bin/python benchmarks/bench_latency.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from leolink import api

AT = "2026-05-13T12:00:00Z"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    catalog = api.load_catalog()
    floor_network = api.build_network(catalog)
    network = api.build_network(catalog, pops=False)
    api.country_rtt_table(floor_network, AT, countries=["DE"])
    api.latency_table(network, AT, countries=["DE"])
    timings: dict[str, list[float]] = {"floor (country_rtt_table)": [], "latency_table": []}
    rows = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        api.country_rtt_table(floor_network, AT)
        t1 = time.perf_counter()
        rows = len(api.latency_table(network, AT))
        t2 = time.perf_counter()
        timings["floor (country_rtt_table)"].append(t1 - t0)
        timings["latency_table"].append(t2 - t1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{rows} countries at {AT}; {os.cpu_count()} CPUs, load {load:.1f}, "
        f"Python {platform.python_version()}"
    )
    print("| table | best s | median s |\n|---|---:|---:|")
    for name, values in timings.items():
        print(f"| {name} | {min(values):.2f} | {statistics.median(values):.2f} |")


if __name__ == "__main__":
    main()
