"""``leolink latency``: RTT to the assigned PoP by component, and the propagation floor."""

from __future__ import annotations

import json

from tests.leolink_cli import run_leolink

AT = "2026-05-13T12:00:00Z"
COMPONENTS = ("propagation_space_ms", "propagation_ground_ms", "access_ms", "processing_ms")


def run(*args: str) -> list[dict[str, object]]:
    result = run_leolink("latency", "--at", AT, *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_latency_by_country_has_the_assigned_pop_and_the_components() -> None:
    rows = {row["code"]: row for row in run("--countries", "QA,PL")}
    assert rows["QA"]["pop"] == "dohaqat1"
    assert rows["PL"]["pop"] == "wrswpol1"
    for row in rows.values():
        assert row["pop_source"] == "geoip-city"
        assert row["reachable_pct"] > 90
        assert 0 < row["min_rtt_ms"] <= row["median_rtt_ms"] <= row["p90_rtt_ms"]
        assert all(row[c] >= 0 for c in COMPONENTS)


def test_floor_keeps_the_propagation_only_table_and_is_below_the_model() -> None:
    (floor,) = run("--countries", "PL", "--floor")
    assert set(floor) == {
        "code", "name", "cells", "samples", "reachable_pct",
        "min_rtt_ms", "median_rtt_ms", "p90_rtt_ms",
    }  # fmt: skip
    (model,) = run("--countries", "PL")
    assert floor["median_rtt_ms"] < model["median_rtt_ms"]


def test_latency_per_place() -> None:
    (frankfurt,) = run("--place", "50.11,8.68")
    assert frankfurt["name"] == "DE"
    assert frankfurt["pop"] == "frntdeu1"


def test_a_malformed_place_is_one_clear_error() -> None:
    result = run_leolink("latency", "--at", AT, "--place", "50.11")
    assert result.returncode == 2
    assert "--place '50.11'" in result.stderr
    assert "Traceback" not in result.stderr


def test_latency_unknown_country_is_one_clear_error() -> None:
    result = run_leolink("latency", "--at", AT, "--countries", "XX")
    assert result.returncode == 2
    assert "XX" in result.stderr
    assert "Traceback" not in result.stderr
