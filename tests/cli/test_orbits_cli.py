"""The space-segment commands, run as a user runs them (in process; the first test through the
installed ``leolink`` script)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.leolink_cli import CliResult, run_leolink

AT = "2026-05-13T12:00:00Z"


def run(*args: str, check: bool = True, installed: bool = False) -> CliResult:
    result = run_leolink(*args, installed=installed)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_positions_json_has_the_documented_fields() -> None:
    out = json.loads(
        run(
            "positions", "--at", AT, "--norad", "44714,44718", "--format", "json", installed=True
        ).stdout
    )
    assert [row["norad_id"] for row in out] == [44714, 44718]
    assert set(out[0]) >= {
        "norad_id",
        "name",
        "lat_deg",
        "lon_deg",
        "alt_km",
        "x_km",
        "y_km",
        "z_km",
    }


def test_positions_csv_and_table() -> None:
    rows = list(
        csv.DictReader(
            io.StringIO(run("positions", "--at", AT, "--norad", "44714", "--format", "csv").stdout)
        )
    )
    assert rows[0]["norad_id"] == "44714"
    table = run("positions", "--at", AT, "--norad", "44714", "--format", "table").stdout
    assert "44714" in table
    assert "STARLINK-1008" in table


def test_visible_json_highest_first() -> None:
    out = json.loads(
        run("visible", "--lat", "48.8566", "--lon", "2.3522", "--at", AT, "--format", "json").stdout
    )
    assert out
    assert all(row["elevation_deg"] >= 25 for row in out)
    assert [r["elevation_deg"] for r in out] == sorted(
        (r["elevation_deg"] for r in out), reverse=True
    )


def test_catalog_info_json_lists_shells() -> None:
    info = json.loads(run("catalog", "info", "--format", "json").stdout)
    assert info["satellites"] == 10361
    assert info["skipped"] == 0
    assert any(abs(s["inclination_deg"] - 53) < 0.5 for s in info["shells"])
    settled = sum(s["satellites"] for s in info["shells"])
    manoeuvring = sum(s["manoeuvring"] for s in info["shells"])
    assert settled + manoeuvring + info["unassigned"] == 10361
    # Sizes a reader can check against the filings: planes x per plane as filed, beside ours.
    shell_540 = next(s for s in info["shells"] if abs(s["altitude_km"] - 540) < 2)
    assert shell_540["filed"] == "Gen1-540km-53.2deg-72x22"
    assert shell_540["planes"] == 72


def test_a_malformed_record_is_reported_and_skipped_or_stops_with_strict(tmp_path: Path) -> None:
    good = (
        "STARLINK-1008\n"
        "1 44714C 19074B   26132.95048611 -.00027894  00000+0 -54858-3 0  1322\n"
        "2 44714  53.1534 236.8965 0001912  20.7505  90.9471 15.46691953    14\n"
    )
    bad = (
        "STARLINK-1012\n"
        "1 44718C 19074F   26132.95187500 -.00028201  00000+0 -55125-3 0  1329\n"
        "2 44718  53.1578 237.2060 0001512  11.2896  98.0152 15.46868906    10\n"
    )
    path = tmp_path / "two.tle"
    path.write_text(good + bad)
    lenient = run("positions", "--at", AT, "--catalog", str(path), "--format", "json")
    assert [row["norad_id"] for row in json.loads(lenient.stdout)] == [44714]
    assert "skipped 1" in lenient.stderr
    assert "two.tle:5" in lenient.stderr
    strict = run("positions", "--at", AT, "--catalog", str(path), "--strict", check=False)
    assert strict.returncode == 2
    assert "two.tle:5" in strict.stderr
    assert "checksum" in strict.stderr.lower()
    assert strict.stdout == ""


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("positions", "--at", "2026-05-13 12:00"), "ISO 8601"),
        (("positions", "--at", AT, "--norad", "abc"), "NORAD"),
        (("positions", "--at", AT, "--catalog", "/nonexistent/file.tle"), "/nonexistent/file.tle"),
        (("visible", "--lat", "95", "--lon", "0", "--at", AT), "latitude"),
    ],
)
def test_bad_input_is_one_clear_message_not_a_traceback(args: tuple[str, ...], needle: str) -> None:
    result = run(*args, check=False)
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_a_time_far_from_the_catalog_epochs_is_warned_about_and_runaways_left_out() -> None:
    result = run("visible", "--lat", "51.5", "--lon", "-0.13", "--at", "2026-11-21T12:00:00Z")
    assert "days from the epochs" in result.stderr
    rows = json.loads(result.stdout)
    assert all(row["range_km"] < 3000 for row in rows)
    near = run("visible", "--lat", "51.5", "--lon", "-0.13", "--at", AT)
    assert "days from the epochs" not in near.stderr
