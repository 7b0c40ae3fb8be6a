"""Issue 17's command-line reproductions: bounded work and no tracebacks.

Each command below was killed by the kernel (20 GB and more) or printed a traceback with exit 1;
now each is refused before any work with one message naming the input (exit 2), and a sweep
beyond the limits says what it would cost and how to go on (``--force``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leolink.coverage.budget import estimate_region_cells, estimate_sweep
from leolink.coverage.sweep import region_cells
from leolink.limits import COMMAND_LINE_LIMITS
from tests.leolink_cli import run_leolink

AT = "2026-05-13T12:00:00Z"
HOUR = ["--start", "2026-05-13T00:00:00Z", "--end", "2026-05-13T01:00:00Z"]
MONTH = ["--start", "2026-05-01T00:00:00Z", "--end", "2026-06-01T00:00:00Z"]


def refused(*args: str) -> str:
    """Run ``leolink ARGS``; it must exit 2 with one message and no traceback (its text)."""
    result = run_leolink(*args)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    return " ".join(result.stderr.split())


def test_the_world_at_resolution_9_is_refused_with_an_estimate() -> None:
    message = refused("coverage", "--world", "--resolution", "9", *HOUR, "--step-s", "60")
    assert "~4,842,432,842 cells x 61 instants" in message
    assert "TB of memory" in message
    assert f"cells 4,842,432,842 > max_cells {COMMAND_LINE_LIMITS.max_cells:,}" in message
    assert "--force" in message


def test_a_month_at_a_hundredth_of_a_second_is_refused_with_an_estimate() -> None:
    message = refused("coverage", "--country", "UA", *MONTH, "--step-s", "0.01")
    assert "x 267,840,001 instants" in message
    assert f"instants 267,840,001 > max_instants {COMMAND_LINE_LIMITS.max_instants:,}" in message


def test_force_goes_beyond_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two instants over a small box: within the limits, refused once the limits are lowered ...
    args = ["coverage", "--bbox", "30,50,30.5,50.5", "--resolution", "5"]
    window = ["--start", AT, "--end", "2026-05-13T12:01:00Z", "--step-s", "60"]
    monkeypatch.setattr(
        "leolink.cli.coverage.COMMAND_LINE_LIMITS",
        COMMAND_LINE_LIMITS.__class__(max_instants=1),
    )
    assert "instants 2 > max_instants 1" in refused(*args, *window)
    # ... and done with --force.
    result = run_leolink(*args, *window, "--force")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["steps"] == 2


def test_the_help_lists_the_limits() -> None:
    result = run_leolink("coverage", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "max_cells 200,000" in text
    assert "max_cell_instants 200,000,000" in text


def test_the_estimate_of_cells_is_near_the_count_and_grows_with_the_work() -> None:
    actual = region_cells(country="UA", resolution=5)[0].size  # 2,469
    assert actual / 2 < estimate_region_cells(5, country="UA") < actual * 2
    small = estimate_sweep(estimate_region_cells(4, country="UA"), 61, 10_000)
    large = estimate_sweep(estimate_region_cells(6, country="UA"), 61, 10_000)
    assert small.cells < large.cells
    assert small.memory_bytes < large.memory_bytes
    assert small.seconds < large.seconds


@pytest.mark.parametrize("step", ["inf", "1e-9", "nan", "-1"])
def test_steps_that_are_not_a_step_are_refused(step: str) -> None:
    message = refused("coverage", "--country", "UA", *HOUR, "--step-s", step)
    assert "must be a positive, finite number of seconds, at least 0.001" in message


def test_a_catalog_of_nested_json_is_refused(tmp_path: Path) -> None:
    nested = tmp_path / "nested.json"
    nested.write_text('{"a": ' + "[" * 5_000 + "]" * 5_000 + "}", encoding="utf-8")
    message = refused("catalog", "info", "--catalog", str(nested))
    assert "nests JSON arrays or objects too deeply" in message


def test_an_unreachable_database_is_refused() -> None:
    url = "postgresql+psycopg://someone:secret@127.0.0.1:1/leolink"
    message = refused("check", "--lat", "50", "--lon", "30", "--at", AT, "--db", url)
    assert "cannot open the database postgresql+psycopg://someone:***@127.0.0.1:1/leolink" in (
        message
    )
    assert "secret" not in message


def test_a_binary_scenario_file_is_refused(tmp_path: Path) -> None:
    binary = tmp_path / "scenario.yaml"
    binary.write_bytes(bytes(range(256)) * 8)
    message = refused("scenario", "run", str(binary))
    assert f"scenario file {str(binary)!r} is not UTF-8 text" in message


@pytest.mark.parametrize(
    "args",
    [
        ["positions", "--at", "0001-01-01T00:00:00Z"],
        ["check", "--lat", "50", "--lon", "30", "--at", "9999-12-31T23:59:59Z"],
        ["coverage", "--country", "UA", "--start", "1400-01-01T00:00:00Z", "--end", AT],
    ],
)
def test_instants_out_of_range_are_refused_naming_the_range(args: list[str]) -> None:
    if args[0] == "coverage":
        args = [*args, "--step-s", "60"]
    message = refused(*args)
    assert "outside the instants leolink computes with (1678-01-01T00:00:00Z to 2261" in message


def test_visible_refuses_a_longitude_off_the_globe() -> None:
    message = refused("visible", "--lat", "50", "--lon", "400", "--at", AT)
    assert "lon 400.0 is not a point on Earth" in message
    assert "longitude in [-180, 180]" in message
