"""One million terminal reports to findings: reading, inference, the coverage model and the log.

The input: `leolink.forensics.simulate` with 2,000 dishes over 24 h reporting every 150 s (5 %
lost: ~1.09 M reports) around Kherson and Crimea on 2026-05-13 (the embedded catalog's epoch, so
that the coverage model is asked), hiding a 37-cell restriction, a 19-cell GNSS jamming and a
gateway outage, written as JSON Lines.  Measured in the same run: the baseline — reading the
file's bytes, and parsing it into columns (`read_reports`) —, then inference (`infer` with the
coverage model) and matching against a log with the restriction on the record (`match_log`).
The target of issue 15 is ≤ 30 s from the file to the findings on 2 cores.

Run: ``.venv/bin/python benchmarks/bench_forensics.py [--terminals N] [--cadence-s S]``.
"""

from __future__ import annotations

import argparse
import os
import platform
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


def _log(cells: np.ndarray, start: np.datetime64, end: np.datetime64) -> fx.PolicyLog:  # type: ignore[type-arg]
    with Store.open("sqlite://", signing_key=Ed25519PrivateKey.generate()) as store:
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
        fx.write_reports(fx.simulate(sim), path)
        size_mb = path.stat().st_size / 1e6
        a = time.perf_counter()
        raw = path.read_bytes()
        b = time.perf_counter()
        read = fx.read_reports(path)
        c = time.perf_counter()
    model = fx.CoverageModel(load_catalog())
    d = time.perf_counter()
    inference = fx.infer(read.reports, coverage=model)
    e = time.perf_counter()
    matched = fx.match_log(inference, _log(restricted, h(9), h(15.5)))
    f = time.perf_counter()
    n = len(read.reports)
    print(
        f"input: {n:,} reports of {args.terminals:,} dishes, {size_mb:.0f} MB JSON Lines "
        f"({len(raw):,} bytes)"
    )
    rows = [
        ("baseline: read the file's bytes", b - a),
        ("baseline: parse into columns (read_reports)", c - b),
        ("infer (with the coverage model)", e - d),
        ("match_log", f - e),
        ("file to findings (read_reports + infer + match_log)", (c - b) + (f - d)),
    ]
    for what, s in rows:
        print(f"  {what:<55} {s:7.2f} s   {n / s / 1e6:6.2f} M reports/s")
    for finding in matched.findings:
        x = finding.to_dict()
        print(
            f"  finding: {x['kind']:<20} {len(x['cells']):4d} cells {x['start']} – {x['end']} "
            f"confidence {x['confidence']:.2f} terminals {x['terminals']} logged {x['logged']}"
        )


if __name__ == "__main__":
    main()
