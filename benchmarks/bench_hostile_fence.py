"""Issue 17's hostile geofence off the slow paths: ``leolink check``, the impact preview, a restart.

The fence: 10 rings that cross themselves (each needs ``make_valid``), ``--vertices`` positions
each (10,000 by default: 100,000 in all, today's `max_geofence_vertices`; the issue's 100,000
each, a million in all, is put in the store as one written before that limit was), all within
~3 km of a point in Ukraine, in force from 2026.  Every figure is a separate process measured
with ``/usr/bin/time -v`` (wall and CPU seconds, peak RSS), beside the same command over a store
without the fence (the baseline, same run):

- ``leolink check --db URL --no-satellites`` far from the fence, and in one of its edge cells
  (where the region itself must be tested);
- ``leolink geofence impact --no-satellites`` of the fence's GeoJSON file (``--force``: it is
  beyond the limits), and of the stored fence (``--geofence ID``); the baseline is the impact
  of one explicit cell;
- the first ``POST /v1/decisions`` of a restarted ``leolink serve`` once the fence is withdrawn
  (time from the request to the answer; the server's peak RSS after it).

    .venv/bin/python benchmarks/bench_hostile_fence.py [--vertices 10000] [--rings 10]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from leolink.geo import grid
from leolink.limits import WorkLimits
from leolink.policy.defaults import seed_if_empty
from leolink.policy.records import GeofenceSpec
from leolink.store import Store

CENTRE_LAT_DEG, CENTRE_LON_DEG = 48.5, 35.0  # inland Ukraine
KYIV = (50.45, 30.52)
AT = "2026-05-14T12:00:00Z"
HERE = Path(__file__).resolve().parent
LEOLINK = str(Path(sys.executable).with_name("leolink"))


def hostile_region(rings: int, vertices: int) -> dict[str, Any]:
    """``rings`` star-shaped rings of ``vertices`` positions that cross themselves, as one
    MultiPolygon within ~3 km of (`CENTRE_LAT_DEG`, `CENTRE_LON_DEG`)."""
    rng = np.random.default_rng(17)
    polygons = []
    for k in range(rings):
        angle = np.sort(rng.uniform(0.0, 2.0 * np.pi, vertices))
        radius_deg = 0.02 + 0.005 * k / rings + 0.004 * rng.uniform(-1.0, 1.0, vertices)
        lon = CENTRE_LON_DEG + radius_deg * np.cos(angle) / np.cos(np.radians(CENTRE_LAT_DEG))
        lat = CENTRE_LAT_DEG + radius_deg * np.sin(angle)
        lon[[1, 3]], lat[[1, 3]] = lon[[3, 1]], lat[[3, 1]]  # the ring crosses itself
        ring = np.column_stack([lon, lat]).round(7).tolist()
        polygons.append([[*ring, ring[0]]])
    return {"type": "MultiPolygon", "coordinates": polygons}


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user + system), peak RSS (MB) and exit code of ``command``
    under /usr/bin/time -v."""
    done = subprocess.run(
        ["/usr/bin/time", "-v", *command], capture_output=True, text=True, env=env, check=False
    )
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    cpu = re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr)
    if wall is None or rss is None or len(cpu) != 2:
        sys.exit(f"/usr/bin/time gave no figures for {command}: {done.stderr[-2000:]}")
    hours, minutes, seconds = wall.groups()
    wall_s = 3600 * int(hours or 0) + 60 * int(minutes) + float(seconds)
    return wall_s, sum(map(float, cpu)), int(rss.group(1)) / 1024, done.returncode


def first_decision_after_restart(db: str, key: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds of the first ``POST /v1/decisions`` of a fresh ``leolink serve`` (one worker) and
    the server's peak RSS (MB) after it."""
    sys.path.insert(0, str(HERE))
    from bench_http import free_port, wait_healthy

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            LEOLINK,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            db,
            "--signing-key",
            str(key),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(url, server)
        body = json.dumps({"lat": KYIV[0], "lon": KYIV[1], "at": AT}).encode()
        request = urllib.request.Request(
            f"{url}/v1/decisions", body, {"Content-Type": "application/json"}
        )
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=600) as response:
            response.read()
        seconds = time.perf_counter() - start
        status = Path(f"/proc/{server.pid}/status").read_text()
        hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
        return seconds, (int(hwm.group(1)) / 1024 if hwm else float("nan"))
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vertices", type=int, default=10_000, help="positions per ring")
    parser.add_argument("--rings", type=int, default=10, help="rings of the fence")
    parser.add_argument("--skip-restart", action="store_true", help="no server restart phase")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="leolink-bench-hostile-"))
    env = {**os.environ, "XDG_DATA_HOME": str(work / "data")}  # the default key, store
    key = work / "audit-signing-key.pem"
    region = hostile_region(args.rings, args.vertices)
    region_file = work / "hostile.geojson"
    region_file.write_text(json.dumps(region))
    total = args.rings * args.vertices
    # A store from before the vertex limit: it may hold the fence.
    roomy = WorkLimits(max_geofence_vertices=total, max_operator_vertices_per_day=2 * total)
    plain, fenced = f"sqlite:///{work / 'plain.db'}", f"sqlite:///{work / 'fenced.db'}"
    with Store.open(plain, signing_key=key) as store:
        seed_if_empty(store)
    with Store.open(fenced, signing_key=key, limits=roomy) as store:
        seed_if_empty(store)
        start = time.perf_counter()
        fence = store.propose_geofence(
            GeofenceSpec(
                name="hostile",
                effect="deny",
                reason=f"benchmark: {args.rings} x {args.vertices:,} vertices",
                area_geojson=json.dumps(region),
                window_start="2026-01-01T00:00:00Z",
            ),
            actor="op:mallory",
        )
        proposal_s = time.perf_counter() - start
    print(
        f"fence {fence.id}: {args.rings} rings x {args.vertices:,} vertices "
        f"({region_file.stat().st_size / 1e6:.1f} MB of GeoJSON), state {fence.state.value}, "
        f"proposed (checked and compiled) in {proposal_s:.1f} s"
    )
    edge = grid.latlng_to_cells(np.array([CENTRE_LAT_DEG]), np.array([CENTRE_LON_DEG]), 5)
    cell = grid.cells_to_hex(edge)[0]

    print("\n| command (wall, CPU, peak RSS) | without the fence | with the fence |")
    print("|---|---:|---:|")

    def row(what: str, tail: list[str], baseline: list[str] | None = None) -> None:
        figures = []
        for db, extra in ((plain, baseline or tail), (fenced, tail)):
            wall, rss, code, _ = timed([LEOLINK, *extra, "--db", db], env)
            figures.append(
                f"{wall:.2f} s, {rss:,.0f} MB" + ("" if code == 0 else f" (exit {code})")
            )
        print(f"| {what} | {figures[0]} | {figures[1]} |", flush=True)

    for place, (lat, lon) in (
        ("Kyiv", KYIV),
        ("the fence's cell", (CENTRE_LAT_DEG, CENTRE_LON_DEG)),
    ):
        row(
            f"`check` at {place}",
            [
                "check",
                "--lat",
                str(lat),
                "--lon",
                str(lon),
                "--at",
                AT,
                "--no-satellites",
                "--format",
                "json",
            ],
        )
    impact = ["geofence", "impact", "--no-satellites", "--format", "json"]
    one_cell = [*impact, "--cells", cell]
    row(
        "`geofence impact --geojson F --force`",
        [*impact, "--geojson", str(region_file), "--force"],
        one_cell,
    )
    row(
        "`geofence impact --geojson F` (no --force)",
        [*impact, "--geojson", str(region_file)],
        one_cell,
    )
    row(f"`geofence impact --geofence {fence.id}`", [*impact, "--geofence", fence.id], one_cell)

    if not args.skip_restart:
        with Store.open(fenced, signing_key=key, limits=roomy) as store:
            store.withdraw_geofence(
                fence.id, expected_version=fence.version, actor="op:mallory", reason="benchmark"
            )
        print("\n| first decision after a restart | without the fence | fence withdrawn |")
        print("|---|---:|---:|")
        figures = [first_decision_after_restart(db, key, env) for db in (plain, fenced)]
        print(
            "| `POST /v1/decisions` (s, server peak RSS) | "
            + " | ".join(f"{s:.2f} s, {mb:,.0f} MB" for s, mb in figures)
            + " |"
        )


if __name__ == "__main__":
    main()
