"""Reading telemetry: the dish API's fields, unknown fields kept, malformed lines counted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leolink.errors import InputError
from leolink.forensics import Reports, parse_report_lines, read_reports, write_reports
from leolink.forensics.reports import DISABLEMENT_CODES

GOOD = {
    "terminal_id": "UT-1",
    "time": "2026-05-13T12:00:00Z",
    "lat": 48.5,
    "lon": 31.0,
    "gps_valid": True,
    "gps_sats": 11,
    "state": "DISABLED",
    "disablement_code": "CELL_IS_DISABLED",
    "outage_cause": None,
    "pop_ping_latency_ms": None,
    "pop_ping_drop_rate": 1.0,
}


def test_fields_are_read_unknown_kept_and_malformed_lines_named() -> None:
    lines = [
        json.dumps(GOOD | {"software_version": "2026.05.1", "uptime": 12}),
        "{not json",
        json.dumps(GOOD | {"state": "ON_FIRE"}),
        "",
        json.dumps({k: v for k, v in GOOD.items() if k not in ("lat", "lon")}),
        json.dumps(GOOD | {"time": "2026-05-13T12:00:00"}),
        json.dumps(GOOD | {"lat": 95.0}),
        json.dumps(GOOD | {"time": "2026-13-45T12:00:00Z"}),
        "[1, 2]",
    ]
    read = parse_report_lines(lines)
    assert len(read.reports) == 2
    assert [p.line for p in read.problems] == [2, 3, 6, 7, 8, 9]
    assert "not JSON" in read.problems[0].message
    assert "'state' 'ON_FIRE' is not one of" in read.problems[1].message
    assert "ending in Z" in read.problems[2].message
    assert "[-90, 90]" in read.problems[3].message
    assert "not an ISO 8601 instant" in read.problems[4].message
    assert read.lines == 8
    assert read.skipped == 6
    assert read.unknown_fields == {"software_version": 1, "uptime": 1}
    assert read.reports.extra == {0: {"software_version": "2026.05.1", "uptime": 12}}
    r = read.reports
    assert r.disablement[0] == DISABLEMENT_CODES.index("CELL_IS_DISABLED")
    assert np.isnan(r.lat_deg[1])
    assert np.isnan(r.pop_ping_latency_ms[0])
    assert r.time_ns[0] == np.datetime64("2026-05-13T12:00:00", "ns").astype(np.int64)


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".csv", ".parquet"])
def test_written_reports_read_back(tmp_path: Path, suffix: str) -> None:
    lines = [
        json.dumps(GOOD),
        json.dumps(
            GOOD
            | {
                "terminal_id": "UT-2",
                "lat": None,
                "lon": None,
                "gps_valid": False,
                "state": "CONNECTED",
                "disablement_code": "OKAY",
                "pop_ping_latency_ms": 31.5,
                "pop_ping_drop_rate": 0.01,
            }
        ),
    ]
    original = parse_report_lines(lines).reports
    path = write_reports(original, tmp_path / f"r{suffix}")
    again = read_reports(path)
    assert again.skipped == 0
    _assert_same(original, again.reports)


def _assert_same(a: Reports, b: Reports) -> None:
    assert [a.terminal_ids[i] for i in a.terminal] == [b.terminal_ids[i] for i in b.terminal]
    for name in ("time_ns", "gps_valid", "gps_sats", "state", "disablement", "outage"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in ("lat_deg", "lon_deg", "pop_ping_latency_ms", "pop_ping_drop_rate"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), atol=1e-3, err_msg=name)


def test_csv_lines_are_numbered_as_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "terminal_id,time,lat,lon,gps_valid,state,extra_column\n"
        "UT-1,2026-05-13T12:00:00Z,48.5,31.0,true,CONNECTED,x\n"
        "UT-1,2026-05-13T12:05:00Z,48.5,nope,true,CONNECTED,x\n"
    )
    read = read_reports(path)
    assert len(read.reports) == 1
    assert [(p.line, "'lon' must be a number" in p.message) for p in read.problems] == [(3, True)]
    assert read.unknown_fields == {"extra_column": 1}


def test_a_bad_parquet_row_is_named_and_skipped(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [GOOD, GOOD | {"time": "2026-05-13T12:05:00Z", "lat": 200.0}]
    path = tmp_path / "r.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    read = read_reports(path)
    assert len(read.reports) == 1
    assert [p.line for p in read.problems] == [2]
    assert "lat" in read.problems[0].message


def test_unusable_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"expected \.jsonl"):
        read_reports(tmp_path / "r.txt")
    with pytest.raises(InputError, match="does not exist"):
        read_reports(tmp_path / "missing.jsonl")
    bad = tmp_path / "r.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="not a readable Parquet"):
        read_reports(bad)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.integers(0, 10**6),
            st.floats(-90, 90),
            st.floats(-180, 180),
            st.booleans(),
            st.sampled_from(DISABLEMENT_CODES),
            st.floats(0, 1),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_jsonl_round_trip(rows: list[tuple[int, int, float, float, bool, str, float]]) -> None:
    lines = [
        json.dumps(
            {
                "terminal_id": f"T{t}",
                "time": str(np.datetime64("2026-01-01T00:00:00") + np.timedelta64(s, "s")) + "Z",
                "lat": lat,
                "lon": lon,
                "gps_valid": v,
                "state": "CONNECTED",
                "disablement_code": code,
                "pop_ping_drop_rate": drop,
            }
        )
        for t, s, lat, lon, v, code, drop in rows
    ]
    first = parse_report_lines(lines)
    assert first.skipped == 0
    from leolink.forensics import reports_to_jsonl

    second = parse_report_lines(list(reports_to_jsonl(first.reports)))
    _assert_same(first.reports, second.reports)


def test_columnar_reader_gives_what_the_line_reader_gives(tmp_path: Path) -> None:
    """A clean file goes through Arrow's reader; the result is the line-by-line reader's, to the
    order in which terminals are numbered (first appearance)."""
    from leolink.forensics.reports import _read_jsonl_columnar

    rows = [
        GOOD | {"terminal_id": f"UT-{(7 * i) % 5}", "time": f"2026-05-13T12:{i:02d}:00.25Z"}
        for i in range(40)
    ]
    rows[3] |= {"lat": None, "lon": None, "gps_valid": False, "state": "NO_SATS"}
    rows[4] |= {"outage_cause": "NO_PINGS", "disablement_code": None, "pop_ping_latency_ms": 40}
    text = [json.dumps(r) for r in rows]
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(text) + "\n")
    fast = _read_jsonl_columnar(path)
    assert fast is not None
    slow = parse_report_lines(text).reports
    assert fast.reports.terminal_ids == slow.terminal_ids
    np.testing.assert_array_equal(fast.reports.terminal, slow.terminal)
    _assert_same(slow, fast.reports)
    # a bad line sends the file to the line reader, which names it
    path.write_text("\n".join([*text, json.dumps(GOOD | {"time": "yesterday"})]) + "\n")
    assert _read_jsonl_columnar(path) is None
    read = read_reports(path)
    assert [p.line for p in read.problems] == [41]
