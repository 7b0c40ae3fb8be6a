"""Routing per time step: leolink against Hypatia's satgen and a networkx baseline, same work.

The work is what Hypatia's ``satgen`` does at every time step of a run (Kassing et al., IMC
2020; ``satgen.dynamic_state.generate_dynamic_state_at`` with
``algorithm_free_one_only_over_isls``): place the satellites, find the links, and compute the
forwarding state — for every satellite and every ground station, the next hop towards it, and
for every pair of ground stations the first satellite.  Input: Hypatia's Starlink-550 shell
(72 x 22 = 1,584 satellites, +Grid lasers, its link limits; `hypatia_compatible_shell`) and
100 cities (``data/cities-top100-geonames.csv``).

Measured in one run:

1. leolink: SGP4 at the instant, links, sparse graph, `forwarding_state` (one SciPy Dijkstra per
   destination over the reversed graph);
2. networkx, the straightforward baseline on the very same links: a ``DiGraph`` and one
   ``dijkstra_predecessor_and_distance`` per destination (Hypatia itself uses networkx, with
   Floyd–Warshall);
3. Hypatia itself, when ``--hypatia-python`` names a Python with PyPI ``satgenpy`` installed
   (``python3 -m venv /tmp/hypatia-venv && /tmp/hypatia-venv/bin/pip install satgenpy==0.4.0``):
   this script runs itself there as a worker and times ``generate_dynamic_state_at`` on
   Hypatia's own files for the same shell and cities; it also reports how many of the 9,900
   city pairs get the same first satellite from Hypatia and from leolink;
4. the whole real catalog (10,361 satellites, inferred +Grid) with the 261 gateways and 23 PoPs
   and the same 100 cities: forwarding state towards the cities plus the delays from each city
   to every PoP (`delays_between`: 23 searches from the PoPs over the reversed graph), beside
   the same-run baseline that searches from each of the 100 cities (`shortest_delays`, as
   before) and checks that both give the same table.

Run from the repository root::

    .venv/bin/python benchmarks/bench_routing.py [--steps 10] [--hypatia-python PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CITIES_CSV = Path(__file__).resolve().parents[1] / "src" / "leolink" / "data"
CITIES_CSV = CITIES_CSV / "cities-top100-geonames.csv"


def hypatia_worker(cities_csv: str, steps: int, step_s: float) -> None:
    """Run under a Python with satgenpy: time Hypatia's per-step forwarding state, print JSON."""
    import csv

    import satgen  # type: ignore[import-not-found]
    from satgen.dynamic_state.generate_dynamic_state import (  # type: ignore[import-not-found]
        generate_dynamic_state_at,
    )

    earth_radius_m, altitude_m = 6378135.0, 550000
    max_gsl_m = math.sqrt(940700**2 + altitude_m**2)
    max_isl_m = 2 * math.sqrt((earth_radius_m + altitude_m) ** 2 - (earth_radius_m + 80000) ** 2)
    work = Path(tempfile.mkdtemp(prefix="hypatia-bench-"))
    with open(cities_csv, newline="") as f:
        cities = list(csv.DictReader(f))
    basic = work / "ground_stations.basic.txt"
    basic.write_text(
        "".join(
            f"{i},{c['name'].replace(',', '-').replace(' ', '-')},{c['lat']},{c['lon']},0\n"
            for i, c in enumerate(cities)
        )
    )
    satgen.extend_ground_stations(str(basic), str(work / "ground_stations.txt"))
    satgen.generate_tles_from_scratch_manual(
        str(work / "tles.txt"), "Starlink-550", 72, 22, True, 53, 0.0000001, 0.0, 15.19
    )
    isls = satgen.generate_plus_grid_isls(str(work / "isls.txt"), 72, 22, isl_shift=0)
    stations = satgen.read_ground_stations_extended(str(work / "ground_stations.txt"))
    satgen.generate_simple_gsl_interfaces_info(
        str(work / "gsl_interfaces_info.txt"), 1584, len(stations), 1, 1, 1, 1
    )
    interfaces = satgen.read_gsl_interfaces_info(
        str(work / "gsl_interfaces_info.txt"), 1584, len(stations)
    )
    tles = satgen.read_tles(str(work / "tles.txt"))
    seconds = []
    first_hops: dict[str, int] = {}
    for k in range(steps):
        t_ns = round(k * step_s * 1e9)
        start = time.perf_counter()
        out = generate_dynamic_state_at(
            str(work), tles["epoch"], t_ns, tles["satellites"], stations, isls, interfaces,
            max_gsl_m, max_isl_m, "algorithm_free_one_only_over_isls", None, False,
        )  # fmt: skip
        seconds.append(time.perf_counter() - start)
        if k == 0:
            n = 1584
            first_hops = {
                f"{a},{b}": int(out["fstate"][(n + a, n + b)][0])
                for a in range(len(stations))
                for b in range(len(stations))
                if a != b
            }
    json.dump({"seconds": seconds, "first_hops_t0": first_hops}, sys.stdout)


def _median_ms(values: list[float]) -> float:
    return 1e3 * statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="time steps to time (leolink)")
    parser.add_argument("--step-s", type=float, default=1.0, help="seconds between steps")
    parser.add_argument("--hypatia-python", help="a Python with satgenpy installed")
    parser.add_argument("--hypatia-steps", type=int, default=2, help="steps to time (Hypatia)")
    parser.add_argument("--hypatia-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hypatia_worker:
        hypatia_worker(str(CITIES_CSV), args.hypatia_steps, args.step_s)
        return

    import networkx as nx
    import numpy as np

    from leolink.network import (
        build_network,
        delays_between,
        forwarding_state,
        graph_from_positions,
        hypatia_compatible_shell,
        load_cities,
        shortest_delays,
    )
    from leolink.orbits.loading import load_catalog
    from leolink.orbits.propagate import propagate

    print(f"# bench_routing: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(
        f"# Python {platform.python_version()}, numpy {np.__version__}, networkx {nx.__version__}"
    )
    shell = hypatia_compatible_shell()
    cities = load_cities()
    network = build_network(
        shell.catalog,
        neighbours=shell.neighbours,
        gateways=False,
        pops=False,
        min_elevation_deg=None,
        max_gsl_km=shell.max_gsl_km,
        max_isl_km=shell.max_isl_km,
    )
    e = len(cities)
    print(f"# input: Hypatia Starlink-550 ({len(shell.catalog)} satellites), {e} cities")

    def instant(k: int, epoch: np.datetime64) -> np.datetime64:
        return epoch + np.timedelta64(round(k * args.step_s * 1e9), "ns")

    # Warm-up: compiles (or loads) the numba link kernel and SciPy's paths once.
    r0 = propagate(network.catalog, shell.epoch).r_itrs_km[:, 0, :]
    g0 = graph_from_positions(network, r0, cities, at=shell.epoch)
    forwarding_state(g0, np.asarray(g0.sink_node(np.arange(e))))

    phases: dict[str, list[float]] = {"propagate": [], "graph": [], "fstate": [], "total": []}
    for k in range(args.steps):
        at = instant(k, shell.epoch)
        t0 = time.perf_counter()
        r = propagate(network.catalog, at).r_itrs_km[:, 0, :]
        t1 = time.perf_counter()
        graph = graph_from_positions(network, r, cities, at=at)
        t2 = time.perf_counter()
        state = forwarding_state(graph, np.asarray(graph.sink_node(np.arange(e))))
        t3 = time.perf_counter()
        for name, value in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            phases[name].append(value)
        if k == 0:
            first_graph, first_state = graph, state
    ours_ms = _median_ms(phases["total"])
    print(
        f"leolink   per step: {ours_ms:8.1f} ms  (propagate {_median_ms(phases['propagate']):.1f}, "
        f"links+graph {_median_ms(phases['graph']):.1f}, forwarding state "
        f"{_median_ms(phases['fstate']):.1f}; median of {args.steps} steps; "
        f"{first_graph.n_nodes} nodes, {first_graph.adjacency.nnz} directed links)"
    )

    # networkx baseline on the same links (the first few steps)
    nx_seconds = []
    for k in range(min(args.steps, 3)):
        at = instant(k, shell.epoch)
        t0 = time.perf_counter()
        r = propagate(network.catalog, at).r_itrs_km[:, 0, :]
        graph = graph_from_positions(network, r, cities, at=at)
        coo = graph.adjacency.tocoo()
        reverse = nx.DiGraph()
        reverse.add_nodes_from(range(graph.n_nodes))
        reverse.add_weighted_edges_from(
            zip(coo.col.tolist(), coo.row.tolist(), coo.data.tolist(), strict=True)
        )
        delays = {}
        for d in range(e):
            sink = int(graph.sink_node(d))
            _, delays[d] = nx.dijkstra_predecessor_and_distance(reverse, sink)
        nx_seconds.append(time.perf_counter() - t0)
        if k == 0:
            worst = max(
                abs(delays[d].get(int(first_graph.source_node(s)), math.inf)
                    - first_state.delay_ms[d, int(first_graph.source_node(s))])
                for d in range(e) for s in range(e)
                if math.isfinite(first_state.delay_ms[d, int(first_graph.source_node(s))])
            )  # fmt: skip
    nx_ms = _median_ms(nx_seconds)
    print(
        f"networkx  per step: {nx_ms:8.1f} ms  (same links; Dijkstra per destination; "
        f"{len(nx_seconds)} steps; max |delay difference| {worst:.2e} ms)  "
        f"-> leolink {nx_ms / ours_ms:.0f}x faster"
    )

    if args.hypatia_python:
        done = subprocess.run(
            [args.hypatia_python, __file__, "--hypatia-worker",
             "--hypatia-steps", str(args.hypatia_steps), "--step-s", str(args.step_s)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        result: dict[str, Any] = json.loads(done.stdout)
        hyp_ms = _median_ms(result["seconds"])
        same = sum(
            1
            for key, sat in result["first_hops_t0"].items()
            for a, b in [map(int, key.split(","))]
            if first_state.next_hop[b, int(first_graph.source_node(a))] == sat
        )
        print(
            f"Hypatia   per step: {hyp_ms:8.1f} ms  (satgen generate_dynamic_state_at, "
            f"{len(result['seconds'])} steps; same first satellite for {same} of "
            f"{len(result['first_hops_t0'])} city pairs)  -> leolink {hyp_ms / ours_ms:.0f}x faster"
        )
    else:
        print("Hypatia   per step: not run (give --hypatia-python with satgenpy installed)")

    # The whole real catalog with gateways and PoPs.
    catalog = load_catalog()
    t0 = time.perf_counter()
    full = build_network(catalog)
    build_s = time.perf_counter() - t0
    epoch = np.datetime64("2026-05-13T12:00:00", "ns")
    r = propagate(full.catalog, epoch).r_itrs_km[:, 0, :]
    forwarding_state(graph_from_positions(full, r, cities, at=epoch), [0])  # warm-up
    full_phases: dict[str, list[float]] = {
        "propagate": [], "graph": [], "fstate": [], "to_pops": [], "total": [],
        "to_pops_baseline": [],
    }  # fmt: skip
    pop_nodes = np.arange(0)
    worst_pop_ms = 0.0
    cpu_seconds = []
    for k in range(args.steps):
        at = instant(k, epoch)
        c0 = time.process_time()
        t0 = time.perf_counter()
        r = propagate(full.catalog, at).r_itrs_km[:, 0, :]
        t1 = time.perf_counter()
        graph = graph_from_positions(full, r, cities, at=at)
        pop_nodes = np.asarray(graph.pop_node(np.arange(len(full.pops))))
        city_nodes = np.asarray(graph.source_node(np.arange(e)))
        t2 = time.perf_counter()
        forwarding_state(graph, np.asarray(graph.sink_node(np.arange(e))))
        t3 = time.perf_counter()
        to_pops = delays_between(graph, city_nodes, pop_nodes)
        t4 = time.perf_counter()
        cpu_seconds.append(time.process_time() - c0)
        baseline, _ = shortest_delays(graph, city_nodes)  # the same table, a search per city
        t5 = time.perf_counter()
        for name, value in zip(
            full_phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0, t5 - t4), strict=True
        ):
            full_phases[name].append(value)
        same = np.isfinite(to_pops) == np.isfinite(baseline[:, pop_nodes])
        assert same.all(), "delays_between and the per-city searches disagree on reachability"
        finite = np.isfinite(to_pops)
        difference = np.abs(to_pops[finite] - baseline[:, pop_nodes][finite])
        worst_pop_ms = max(worst_pop_ms, float(difference.max(initial=0.0)))
        if k == 0:
            reached = int(np.count_nonzero(np.isfinite(to_pops.min(axis=1))))
            full_graph = graph
    print(
        f"full catalog per step: {_median_ms(full_phases['total']):8.1f} ms  "
        f"({len(catalog)} satellites, {len(full.isl_pairs)} lasers, {len(full.gateways)} "
        f"gateways, {len(full.pops)} PoPs, {e} cities; propagate "
        f"{_median_ms(full_phases['propagate']):.1f}, links+graph "
        f"{_median_ms(full_phases['graph']):.1f}, forwarding state "
        f"{_median_ms(full_phases['fstate']):.1f}, city->PoP delays "
        f"{_median_ms(full_phases['to_pops']):.1f}; {full_graph.n_nodes} nodes, "
        f"{full_graph.adjacency.nnz} links; {reached}/{e} cities reach a PoP; "
        f"build_network once {1e3 * build_s:.0f} ms; CPU time per step "
        f"{_median_ms(cpu_seconds):.1f} ms: the wall time less the waits on a shared machine)"
    )
    baseline_ms = (
        _median_ms(full_phases["total"])
        - _median_ms(full_phases["to_pops"])
        + _median_ms(full_phases["to_pops_baseline"])
    )
    print(
        f"  baseline, a search from each city to the PoPs: city->PoP delays "
        f"{_median_ms(full_phases['to_pops_baseline']):.1f} ms, per step ~{baseline_ms:.1f} ms "
        f"(same table: max |difference| {worst_pop_ms:.1e} ms)"
    )


if __name__ == "__main__":
    main()
