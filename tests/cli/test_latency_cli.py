"""``leolink latency``: the per-country table of modelled RTT to the nearest PoP."""

from __future__ import annotations

import json

from tests.leolink_cli import run_leolink


def test_latency_table_for_chosen_countries() -> None:
    result = run_leolink(
        "latency", "--at", "2026-05-13T12:00:00Z", "--countries", "PL,ZA", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    rows = {row["code"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"PL", "ZA"}
    for row in rows.values():
        assert row["reachable_pct"] > 90
        assert 0 < row["min_rtt_ms"] <= row["median_rtt_ms"] <= row["p90_rtt_ms"] < 200
    # Poland has PoPs next door (Frankfurt, Warsaw region); South Africa's traffic goes farther.
    assert rows["PL"]["median_rtt_ms"] < rows["ZA"]["median_rtt_ms"]


def test_latency_unknown_country_is_one_clear_error() -> None:
    result = run_leolink("latency", "--at", "2026-05-13T12:00:00Z", "--countries", "XX")
    assert result.returncode == 2
    assert "XX" in result.stderr
    assert "Traceback" not in result.stderr
