"""One million terminal reports to findings: reading, inference, the coverage model and the log.

The input: `leolink.forensics.simulate` with 2,000 dishes over 24 h reporting every 150 s (5 %
lost: ~1.09 M reports) around Kherson and Crimea on 2026-05-13 (the embedded catalog's epoch, so
that the coverage model is asked), hiding a 37-cell restriction, a 19-cell GNSS jamming and a
gateway outage, written as JSON Lines.  Measured in the same run: the baseline — reading the
file's bytes, and parsing it into columns (`read_reports`) —, then inference (`infer` with the
coverage model) and matching against a log with the restriction on the record (`match_log`);
and the whole command, ``leolink forensics infer --reports FILE --db URL --format json``, run as
a user runs it (start-up, catalog, store and output included).  Each figure is given as wall
time and as CPU time of the process (the machine is shared: CPU time is what the work costs).
The target of issue 15 is ≤ 30 s from the file to the findings on 2 cores.

Run: ``.venv/bin/python benchmarks/bench_forensics.py [--terminals N] [--cadence-s S]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink import forensics as fx
from leolink.geo import grid
from leolink.network.sites import great_circle_km, load_gateways
from leolink.orbits.loading import load_catalog
from leolink.policy.records import GeofenceEffect, GeofenceSpec
from leolink.store import Store


def _log(
    url: str,
    cells: np.ndarray,  # type: ignore[type-arg]
    start: np.datetime64,
    end: np.datetime64,
) -> fx.PolicyLog:
    with Store.open(url, signing_key=Ed25519PrivateKey.generate()) as store:
        spec = GeofenceSpec(
            name="bench",
            effect=GeofenceEffect.DENY,
            reason="benchmark",
            cells=tuple(grid.cells_to_hex(cells)),
            window_start=start,
            window_end=end,
        )
        fence = store.propose_geofence(spec, actor="op:alice", geofence_id="gf-bench")
        if fence.approved_at is None:
            store.approve_geofence(
                "gf-bench", expected_version=fence.version, actor="op:bob", reason="b"
            )
        return fx.PolicyLog(store.policy_history(), store.audit_log(limit=None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminals", type=int, default=2000)
    parser.add_argument("--cadence-s", type=int, default=150)
    args = parser.parse_args()
    t0 = np.datetime64("2026-05-13T00:00:00", "ns")
    h = lambda x: t0 + np.timedelta64(int(x * 60), "m")  # noqa: E731
    restricted = fx.disk(46.65, 32.6, 3)
    jammed = fx.disk(45.3, 34.5, 2)
    gws = load_gateways()
    gw = gws.ids[int(np.argmin(great_circle_km(46.0, 33.0, gws.lat_deg, gws.lon_deg)))]
    sim = fx.Simulation(
        fx.study_area([fx.Restriction(restricted, t0, t0), fx.Jamming(jammed, t0, t0)]),
        t0,
        h(24),
        terminals=args.terminals,
        cadence_s=args.cadence_s,
        seed=1,
        restrictions=[fx.Restriction(restricted, h(9), h(15.5), code="BLOCKED_AREA")],
        jamming=[fx.Jamming(jammed, h(18), h(23))],
        outages=[fx.GroundOutage(gw, h(3), h(5))],
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.2f}; Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reports.jsonl"
        url = f"sqlite:///{tmp}/store.db"
        fx.write_reports(fx.simulate(sim), path)
        log = _log(url, restricted, h(9), h(15.5))
        size_mb = path.stat().st_size / 1e6
        clocks = [(time.perf_counter(), time.process_time())]

        def lap() -> tuple[float, float]:
            clocks.append((time.perf_counter(), time.process_time()))
            (w0, c0), (w1, c1) = clocks[-2:]
            return w1 - w0, c1 - c0

        raw = path.read_bytes()
        t_bytes = lap()
        read = fx.read_reports(path)
        t_read = lap()
        model = fx.CoverageModel(load_catalog())
        t_model = lap()
        inference = fx.infer(read.reports, coverage=model)
        t_infer = lap()
        matched = fx.match_log(inference, log)
        t_match = lap()
        cli = Path(sys.executable).with_name("leolink")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        a = time.perf_counter()
        subprocess.run(
            [cli, "forensics", "infer", "--reports", path, "--db", url, "--format", "json"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        t_cli = (time.perf_counter() - a, cpu)
    n = len(read.reports)
    print(
        f"input: {n:,} reports of {args.terminals:,} dishes, {size_mb:.0f} MB JSON Lines "
        f"({len(raw):,} bytes)"
    )
    total = tuple(sum(x) for x in zip(t_read, t_model, t_infer, t_match, strict=True))
    rows = [
        ("baseline: read the file's bytes", t_bytes),
        ("parse into columns (read_reports)", t_read),
        ("coverage model (embedded catalog)", t_model),
        ("infer", t_infer),
        ("match_log", t_match),
        ("file to findings in process (the four above)", total),
        ("`leolink forensics infer --db --format json`, end to end", t_cli),
    ]
    print(f"  {'':<58} {'wall s':>7} {'CPU s':>7}  M reports/s (wall)")
    for what, (wall, cpu_s) in rows:
        print(f"  {what:<58} {wall:7.2f} {cpu_s:7.2f}  {n / wall / 1e6:6.2f}")
    for finding in matched.findings:
        x = finding.to_dict()
        print(
            f"  finding: {x['kind']:<20} {len(x['cells']):4d} cells {x['start']} – {x['end']} "
            f"confidence {x['confidence']:.2f} terminals {x['terminals']} logged {x['logged']}"
        )


if __name__ == "__main__":
    main()
