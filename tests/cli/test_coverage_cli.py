"""``leolink coverage``, run as a user runs it: outputs, summary, and refusals of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.leolink_cli import CliResult, run_leolink

WINDOW = ["--start", "2026-05-13T06:00:00Z", "--end", "2026-05-13T06:04:00Z", "--step-s", "120"]
#: Every figure-of-merit column a sweep writes, after the cell's own columns.
FIGURE_COLUMNS = {
    "pct_time_covered",
    "mean_visible",
    "min_visible",
    "max_visible",
    "gaps",
    "max_gap_s",
    "mean_gap_s",
    "max_elevation_deg",
    "mean_max_elevation_deg",
    "min_max_elevation_deg",
}


def run(*args: str, cwd: Path | None = None, installed: bool = False) -> CliResult:
    """``leolink coverage ARGS``, in this process unless ``installed``."""
    return run_leolink("coverage", *args, cwd=cwd, installed=installed)


def test_country_sweep_writes_table_geojson_and_map(tmp_path: Path) -> None:
    out, cells_out, png = tmp_path / "ua.parquet", tmp_path / "ua.geojson", tmp_path / "ua.png"
    result = run(
        "--country", "UA", "--resolution", "4", *WINDOW, "--min-elevation-deg", "30",
        "--shell-mask", "300-500:20", "--at-least", "20",
        "--out", str(out), "--geojson-out", str(cells_out), "--png", str(png),
        "--figure", "pct_time_at_least_20", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["region"] == "country UA (Ukraine)"
    assert summary["steps"] == 3
    assert summary["shell_masks"] == ["300-500:20"]
    for key in ("cells", "mean_visible", "min_visible", "max_visible", "pct_time_covered",
                "max_gap_s", "pct_time_at_least_20", "area_weighted"):  # fmt: skip
        assert key in summary
    assert "sweeping" in result.stderr

    table = pq.read_table(out)
    assert table.num_rows == summary["cells"]
    assert table.column_names[:4] == ["cell", "lat_deg", "lon_deg", "area_km2"]
    assert set(table.column_names[4:]) == FIGURE_COLUMNS | {"pct_time_at_least_20"}
    metadata = json.loads(table.schema.metadata[b"leolink.coverage"])
    assert metadata["region"] == summary["region"]
    area = table.column("area_km2").to_numpy()
    mean = table.column("mean_visible").to_numpy()
    assert summary["mean_visible"] == pytest.approx(np.dot(area, mean) / area.sum())

    features = json.loads(cells_out.read_text())["features"]
    assert len(features) == summary["cells"]
    assert features[0]["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert features[0]["properties"]["cell"] == table.column("cell")[0].as_py()
    assert png.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ua.geojson", "ua.parquet", "ua.png"]


def test_dask_workers_write_the_same_table(tmp_path: Path) -> None:
    region = ["--bbox", "-10,35,5,44", "--resolution", "3", *WINDOW]
    here = run(*region, "--out", str(tmp_path / "here.parquet"))
    there = run(
        *region, "--workers", "2", "--chunk-steps", "1", "--out", str(tmp_path / "d.parquet")
    )
    assert here.returncode == 0, here.stderr
    assert there.returncode == 0, there.stderr
    assert "on 2 Dask worker(s)" in there.stderr
    a, b = pq.read_table(tmp_path / "here.parquet"), pq.read_table(tmp_path / "d.parquet")
    assert a.schema == b.schema
    for name in a.column_names:  # bit for bit, NaN where NaN (Table.equals has NaN != NaN)
        x, y = a.column(name).to_numpy(), b.column(name).to_numpy()
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
    assert json.loads(here.stdout) == json.loads(there.stdout)


def test_geojson_cells_are_cut_at_the_antimeridian(tmp_path: Path) -> None:
    out = tmp_path / "fiji.geojson"
    result = run("--bbox", "179,-18,-179,-16", "--resolution", "3", *WINDOW[:4], "--step-s",
                 "240", "--geojson-out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    features = json.loads(out.read_text())["features"]
    kinds = {f["geometry"]["type"] for f in features}
    assert kinds == {"Polygon", "MultiPolygon"}
    for feature in features:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        lons = [x for polygon in polygons for ring in polygon for x, _ in ring]
        assert min(lons) >= -180.0
        assert max(lons) <= 180.0
    assert json.loads(result.stdout)["pct_time_covered"] <= 100.0


def test_table_format_lists_one_figure_a_row() -> None:
    result = run("--bbox", "170,-20,-170,-10", "--resolution", "2", *WINDOW, "--format", "table")
    assert result.returncode == 0, result.stderr
    assert "pct_time_covered" in result.stdout
    assert "bbox 170,-20,-170,-10" in result.stdout
    assert "area-weighted over the cells" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--country", "XX", *WINDOW], "unknown country code 'XX'"),
        (
            [
                "--country",
                "UA",
                "--start",
                "2026-05-13T06:00:00Z",
                "--end",
                "2026-05-13T05:00:00Z",
                "--step-s",
                "60",
            ],
            "before it starts",
        ),
        (["--country", "UA", *WINDOW[:4], "--step-s", "0"], "must be a positive"),
        (["--country", "UA", *WINDOW[:4], "--step-s", "-60"], "must be a positive"),
        (["--bbox", "10,20,30", *WINDOW], "is not W,S,E,N"),
        (["--bbox", "a,b,c,d", *WINDOW], "is not W,S,E,N"),
        (["--bbox", "10,50,30,40", *WINDOW], "is not below north"),
        (["--geojson", "missing.geojson", *WINDOW], "does not exist"),
        (["--geojson", "bad.geojson", *WINDOW], "not valid JSON"),
        ([*WINDOW], "give exactly one region"),
        (["--country", "UA", "--world", *WINDOW], "give exactly one region"),
        (["--country", "UA", *WINDOW, "--shell-mask", "400:20"], "LOW-HIGH:DEG"),
        (["--country", "UA", *WINDOW, "--png", "m.png", "--figure", "coverage"], "unknown figure"),
        (
            ["--country", "UA", *WINDOW, "--png", "m.png", "--figure", "pct_time_at_least_3"],
            "needs --at-least 3",
        ),
        (
            ["--country", "UA", *WINDOW, "--png", "m.png", "--figure", "pct_time_at_least_1"],
            "K = 1 is pct_time_covered",
        ),
        (["--country", "UA", *WINDOW, "--out", "nowhere/x.parquet"], "does not exist"),
        (["--country", "UA", *WINDOW, "--workers", "0"], "positive number of processes"),
        (["--country", "UA", *WINDOW, "--workers", "2", "--scheduler", "tcp://h:1"], "not both"),
        (["--country", "UA", *WINDOW, "--min-elevation-deg", "91"], "not an elevation"),
        (["--country", "UA", *WINDOW, "--resolution", "12"], "resolution"),
        (["--country", "UA", *WINDOW, "--catalog", "none.tle"], "does not exist"),
    ],
)
def test_bad_input_is_one_message_exit_2_and_nothing_written(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "bad.geojson").write_text('{"type": "Polygon", "coordinates": [[[0, 0], ')
    before = sorted(p.name for p in tmp_path.iterdir())
    outputs = [
        arg
        for option, name in (
            ("--out", "t.parquet"),
            ("--geojson-out", "t.geojson"),
            ("--png", "t.png"),
        )
        if option not in args
        for arg in (option, name)
    ]
    result = run(*args, *outputs, cwd=tmp_path)
    code, out, err = result.returncode, result.stdout, result.stderr
    assert code == 2, err
    assert message in err
    assert err.startswith("error: ")
    assert err.count("error: ") == 1
    assert "Traceback" not in err
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_bad_input_from_the_installed_command_has_no_traceback(tmp_path: Path) -> None:
    result = run("--country", "XX", *WINDOW, "--out", "t.parquet", cwd=tmp_path, installed=True)
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown country code 'XX'")
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
