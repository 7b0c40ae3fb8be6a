"""A decision "as recorded then" against the same decision "as known now", in the service.

The store: the default country statuses and the six scenarios of the public record loaded as
reconstructions (`leolink scenario load`), so that the two views differ for the instants of
the scenarios.  Measured in the same run, per decision (a prospective terminal, policy only,
no sky): ``Decider.decide`` (as known now: the compiled policy is kept per policy version,
the baseline) and ``Decider.decide_as(..., AsOf.RECORDED)`` (the policy rewound to each
instant asked, compiled on first use, plus the other view for the comparison) over 20
distinct instants, then again over the last 8 (their rewound policies are kept); the best of
three passes where a pass can be repeated.

Run: ``.venv/bin/python benchmarks/bench_asof.py``.
"""

from __future__ import annotations

import json
import platform
import time

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink import api
from leolink.policy.defaults import apply_defaults, load_default_dataset
from leolink.policy.records import AsOf
from leolink.policy.scenarios import load_into, load_scenario, scenario_names
from leolink.service.decisions import Decider
from leolink.store import Store


def _per_call_ms(
    fn: object, calls: list[tuple[float, float, np.datetime64]], repeat: int = 1
) -> float:
    """The best of ``repeat`` passes over ``calls``, ms per call."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        for lat, lon, t in calls:
            fn(lat, lon, t)  # type: ignore[operator]
        best = min(best, (time.perf_counter() - start) / len(calls) * 1e3)
    return float(best)


def main() -> None:
    store = Store.open("sqlite://", signing_key=Ed25519PrivateKey.generate())
    apply_defaults(store, load_default_dataset())
    for name in scenario_names():
        load_into(store, load_scenario(name), loaded_by="bench")
    decider = Decider(store, api.load_catalog(), network=False)
    rng = np.random.default_rng(1)
    base = np.datetime64("2022-01-01T00:00:00", "ns")
    instants = [base + np.timedelta64(int(d), "D") for d in rng.integers(0, 1_600, 20)]
    calls = [(44.6 + rng.uniform(-2, 2), 33.5 + rng.uniform(-2, 2), t) for t in instants]
    decider.decide(0.0, 0.0, base)  # compile the current policy once (both share it)
    known = _per_call_ms(lambda la, lo, t: decider.decide(la, lo, t), calls, repeat=3)
    first = _per_call_ms(lambda la, lo, t: decider.decide_as(la, lo, t, None, AsOf.RECORDED), calls)
    again = _per_call_ms(
        lambda la, lo, t: decider.decide_as(la, lo, t, None, AsOf.RECORDED), calls[-8:], repeat=3
    )
    print(
        json.dumps(
            {
                "machine": platform.processor() or platform.machine(),
                "policy_version": store.policy_version(),
                "as_known_ms_per_decision (baseline)": round(known, 2),
                "as_recorded_first_ms_per_decision": round(first, 2),
                "as_recorded_again_ms_per_decision": round(again, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
