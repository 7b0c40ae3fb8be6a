"""Decisions over HTTP: ``POST /v1/decisions`` on loopback against ``leolink serve``, with wrk.

What is measured: requests per second and the latency distribution (wrk's ``--latency``:
p50, p90, p99) of single decisions for prospective terminals at 1,000 places around the world
and 10 instants near the catalog's epochs, each decision with its serving satellite, against
``leolink serve --workers 2`` (uvicorn, uvloop, httptools; one listening socket per worker,
`leolink.service.workers`) over a SQLite store holding a
realistic policy (the default policy dataset, a deny geofence with a time window, an
allow-list).  The load generator is wrk (Debian's ``wrk``), one thread, a fixed number of
connections, for a fixed time; a Lua script sends the POST bodies.

Baselines measured in the same run: ``GET /v1/health`` over the same server and connections
(the service's floor: routing, a store read, JSON), and the same decisions computed in process
by the service's decision engine (``leolink.service.decisions.Decider``), one core.

With ``--large-fence`` (the default) a deny geofence of 100,000 vertices (one ring around a
point in Ukraine, inside one resolution-5 cell: issue 17's hostile geometry) is in force as well,
and a third phase sends ``POST /v1/decisions/batch`` with 1,000 items; the batch's time in
process is printed beside it.

Targets (issue 17): >= 1,000 decisions/s with p99 <= 50 ms at 64 connections on 2 cores (the
server's two workers and wrk share them); a 1,000-item batch within 50 ms.  Loopback only;
everything is bounded in time (``--duration`` per phase).

    .venv/bin/python benchmarks/bench_http.py [--duration 10] [--connections 64]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from leolink import api
from leolink.policy.defaults import seed_if_empty
from leolink.policy.records import ChangeState, GeofenceSpec
from leolink.service.decisions import Decider
from leolink.store import Store

TARGET_RPS = 1_000.0
TARGET_P99_MS = 50.0
TARGET_BATCH_MS = 50.0
LARGE_FENCE_VERTICES = 100_000
INSTANTS = [f"2026-05-13T12:{m:02d}:00Z" for m in range(0, 50, 5)]

LUA = """
-- POST /v1/decisions with bodies read from a file, one per line, in turn.
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/json"}, bodies[i])
end
"""


def seed_large_fence(store: Store) -> None:
    """A deny geofence of `LARGE_FENCE_VERTICES` vertices: a ring of ~3 km radius around a
    point near Kharkiv (one resolution-5 cell), approved and in force from 2026."""
    angle = np.linspace(0.0, 2.0 * np.pi, LARGE_FENCE_VERTICES, endpoint=False)
    lon = 36.25 + 0.04 * np.cos(angle)
    lat = 49.99 + 0.025 * np.sin(angle)
    ring = [[round(float(o), 7), round(float(a), 7)] for o, a in zip(lon, lat, strict=True)]
    ring.append(ring[0])
    fence = store.propose_geofence(
        GeofenceSpec(
            name="hostile",
            effect="deny",
            reason="benchmark: 100,000 vertices",
            area_geojson={"type": "Polygon", "coordinates": [ring]},
            window_start="2026-01-01T00:00:00Z",
        ),
        actor="op:a",
    )
    if fence.state is ChangeState.PROPOSED:  # a small area takes effect without a second operator
        store.approve_geofence(fence.id, expected_version=1, actor="op:b", reason="benchmark")


def ensure_wrk() -> str:
    """The wrk executable; installed with apt-get when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0:
        print("installing wrk with apt-get ...", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
        found = shutil.which("wrk")
    if not found:
        sys.exit("this benchmark needs wrk: sudo apt-get install -y wrk")
    return found


def seed(store: Store) -> None:
    """The default policy (a status per country, as publicly reported), a deny area with a
    time window and an allow-list area."""
    seed_if_empty(store)
    crimea = {
        "type": "Polygon",
        "coordinates": [[[32.0, 44.0], [37.0, 44.0], [37.0, 46.5], [32.0, 46.5], [32.0, 44.0]]],
    }
    fence = store.propose_geofence(
        GeofenceSpec(
            name="coast",
            effect="deny",
            reason="benchmark",
            area_geojson=crimea,
            window_start="2026-05-13T00:00:00Z",
            window_end="2026-05-14T00:00:00Z",
        ),
        actor="op:a",
    )
    store.approve_geofence(fence.id, expected_version=1, actor="op:b", reason="benchmark")
    donbas = {
        "type": "Polygon",
        "coordinates": [[[37.0, 47.0], [40.0, 47.0], [40.0, 49.5], [37.0, 49.5], [37.0, 47.0]]],
    }
    allow = store.propose_geofence(
        GeofenceSpec(name="registered only", effect="allowlist", reason="b", area_geojson=donbas),
        actor="op:a",
    )
    store.approve_geofence(allow.id, expected_version=1, actor="op:b", reason="benchmark")


def bodies(n: int) -> list[dict[str, object]]:
    """``n`` decision requests: places uniform over the sphere up to ±70°, 10 instants."""
    rng = np.random.default_rng(20260513)
    lat = np.degrees(np.arcsin(rng.uniform(-np.sin(np.radians(70)), np.sin(np.radians(70)), n)))
    lon = rng.uniform(-180.0, 180.0, n)
    return [
        {"lat": round(float(a), 5), "lon": round(float(o), 5), "at": INSTANTS[i % len(INSTANTS)]}
        for i, (a, o) in enumerate(zip(lat, lon, strict=True))
    ]


def in_process(
    store: Store, catalog: api.Catalog, requests: list[dict[str, object]]
) -> tuple[float, float]:
    """Decisions per second by the service's engine alone, one thread (after a warm-up pass),
    and the best of 5 times (ms) of the same requests as one batch."""
    decider = Decider(store, catalog)
    rows = [
        (float(r["lat"]), float(r["lon"]), api.parse_instant(str(r["at"])), None)  # type: ignore[arg-type]
        for r in requests
    ]
    for lat, lon, t, _ in rows:
        decider.decide(lat, lon, t)
    start = time.perf_counter()
    for lat, lon, t, _ in rows:
        decider.decide(lat, lon, t)
    rate = len(rows) / (time.perf_counter() - start)
    best = np.inf
    for _ in range(5):
        start = time.perf_counter()
        decider.decide_many(rows)
        best = min(best, time.perf_counter() - start)
    return rate, 1e3 * best


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, server: subprocess.Popen[bytes], timeout_s: float = 900.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited with {server.returncode} before it answered")
        try:
            with urllib.request.urlopen(f"{url}/v1/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the server did not answer {url}/v1/health within {timeout_s:.0f} s")


_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"cannot read the duration {text!r} in wrk's output")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def run_wrk(
    wrk: str, url: str, duration_s: int, connections: int, script: Path | None = None
) -> dict[str, float]:
    """One wrk run; its throughput, latency percentiles and error counts."""
    command = [wrk, "-t1", f"-c{connections}", f"-d{duration_s}s", "--latency", "--timeout", "5s"]
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    out = done.stdout
    result: dict[str, float] = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "requests": float(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
    }
    for pct in ("50", "90", "99"):
        result[f"p{pct}_ms"] = _ms(re.search(rf"\s{pct}%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    result["non_2xx"] = float(non2xx.group(1)) if non2xx else 0.0
    errors = re.search(r"Socket errors:.*", out)
    result["socket_errors"] = (
        float(sum(int(x) for x in re.findall(r"\d+", errors.group(0)))) if errors else 0.0
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured phase")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument(
        "--large-fence",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f"a deny geofence of {LARGE_FENCE_VERTICES:,} vertices in force",
    )
    args = parser.parse_args()
    wrk = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="leolink-bench-http-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        db = f"sqlite:///{work / 'leolink.db'}"
        key = work / "audit-signing-key.pem"
        catalog = api.load_catalog()
        requests = bodies(1_000)
        with Store.open(db, signing_key=key) as store:
            seed(store)
            if args.large_fence:
                seed_large_fence(store)
            version = store.policy_version()
            rate, batch_ms = in_process(store, catalog, requests)
        lines = work / "bodies.jsonl"
        lines.write_text("\n".join(json.dumps(r, separators=(",", ":")) for r in requests) + "\n")
        script = work / "decisions.lua"
        script.write_text(LUA % {"bodies": lines, "path": "/v1/decisions"})
        batch_lines = work / "batch.jsonl"
        # 1,000 items at one instant (a batch may have at most 100 distinct instants).
        one_instant = [{**r, "at": INSTANTS[0]} for r in requests]
        batch_lines.write_text(json.dumps({"items": one_instant}, separators=(",", ":")) + "\n")
        batch_script = work / "batch.lua"
        batch_script.write_text(LUA % {"bodies": batch_lines, "path": "/v1/decisions/batch"})

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        leolink = Path(sys.executable).with_name("leolink")
        server = subprocess.Popen(
            [
                str(leolink),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--db",
                db,
                "--signing-key",
                str(key),
                "--workers",
                str(args.workers),
                "--no-seed",
                "--log-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_healthy(url, server)
        # Warm-up: each instant's sky and routes into every PoP (a batch of all the places per
        # instant, three times so that each worker process is likely to get one), then caches.
        for instant in INSTANTS:
            warm = json.dumps({"items": [{**r, "at": instant} for r in requests]}).encode()
            for _ in range(3):
                post = urllib.request.Request(
                    f"{url}/v1/decisions/batch",
                    data=warm,
                    headers={"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(post, timeout=120) as response:
                    response.read()
        run_wrk(wrk, url, 3, args.connections, script)
        health = run_wrk(wrk, f"{url}/v1/health", args.duration, args.connections)
        decisions = run_wrk(wrk, url, args.duration, args.connections, script)
        batches = run_wrk(wrk, url, args.duration, 4, batch_script)
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)

    fence = f", a {LARGE_FENCE_VERTICES:,}-vertex geofence in force" if args.large_fence else ""
    print(
        f"leolink serve --workers {args.workers} on 127.0.0.1, SQLite store, policy version "
        f"{version}{fence}; wrk -t1 -c{args.connections} -d{args.duration}s (batches: -c4); "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'phase':<34}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, r in (
        ("GET /v1/health (baseline)", health),
        ("POST /v1/decisions", decisions),
        ("POST /v1/decisions/batch (1,000)", batches),
    ):
        errors = int(r["non_2xx"] + r["socket_errors"])
        print(
            f"{name:<34}{r['rps']:>10.0f}{r['p50_ms']:>9.2f}{r['p90_ms']:>9.2f}"
            f"{r['p99_ms']:>9.2f}{errors:>8d}"
        )
    print(f"{'decisions in process, 1 thread':<34}{rate:>10.0f}")
    print(
        f"{'1,000-item batch in process, ms':<34}{batch_ms:>10.1f}"
        f"  (target <= {TARGET_BATCH_MS:.0f})"
    )
    ok = (
        decisions["rps"] >= TARGET_RPS
        and decisions["p99_ms"] <= TARGET_P99_MS
        and decisions["non_2xx"] == 0
        and decisions["socket_errors"] == 0
    )
    print(
        f"target >= {TARGET_RPS:.0f} decisions/s with p99 <= {TARGET_P99_MS:.0f} ms, no errors: "
        f"{'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
