"""Terminal telemetry as real dishes report it: reading JSON Lines, CSV and Parquet into columns.

Fields are named as the dish's own gRPC API names them (``SpaceX.API.Device.Device/Handle``,
``get_status`` / ``get_location`` / ``dish_get_context``; summarised from sparky8512's
starlink-grpc-tools, public domain): ``terminal_id``, ``time`` (ISO 8601 ``Z``), ``lat``,
``lon`` (absent without a location), ``gps_valid``, ``gps_sats``, ``state`` (``CONNECTED`` or a
``DishOutage.Cause`` name, or ``DISABLED``/``SEARCHING``), ``disablement_code`` (a
``UtDisablementCode`` name or null), ``outage_cause`` (a ``DishOutage.Cause`` name or null),
``pop_ping_latency_ms`` and ``pop_ping_drop_rate``.

Unknown fields are kept (counted by name, the values of the first rows that have them kept in
`Reports.extra`) and ignored.  A malformed line (not JSON, not an object, a missing or
ill-typed field) is skipped and reported with its line number (CSV: its line; Parquet: its row,
counted from 1); nothing is skipped silently.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from leolink.arrays import BoolArray, FloatArray, IntArray
from leolink.errors import InputError

__all__ = [
    "DISABLEMENT_CODES",
    "FIELDS",
    "OUTAGE_CAUSES",
    "ReportProblem",
    "Reports",
    "ReportsRead",
    "instant_ns",
    "ns_to_instant",
    "parse_report_lines",
    "read_reports",
    "reports_from_columns",
    "reports_from_records",
    "reports_to_jsonl",
    "reports_to_records",
    "write_reports",
]


#: The fields leolink reads, in the dish API's names.
FIELDS: Final = (
    "terminal_id",
    "time",
    "lat",
    "lon",
    "gps_valid",
    "gps_sats",
    "state",
    "disablement_code",
    "outage_cause",
    "pop_ping_latency_ms",
    "pop_ping_drop_rate",
)
#: ``UtDisablementCode`` (SpaceX.API.Satellites.Network), as the dish reports it.
DISABLEMENT_CODES: Final = (
    "UNKNOWN_STATE",
    "OKAY",
    "NO_ACTIVE_ACCOUNT",
    "TOO_FAR_FROM_SERVICE_ADDRESS",
    "IN_OCEAN",
    "INVALID_COUNTRY",
    "BLOCKED_COUNTRY",
    "DATA_OVERAGE_SANDBOX_POLICY",
    "CELL_IS_DISABLED",
    "UNLICENSED_COUNTRY",
    "ROAM_RESTRICTED",
    "UNKNOWN_LOCATION",
    "ACCOUNT_DISABLED",
    "UNSUPPORTED_VERSION",
    "MOVING_TOO_FAST_FOR_POLICY",
    "UNDER_AVIATION_FLYOVER_LIMITS",
    "BLOCKED_AREA",
)
#: ``DishOutage.Cause``, as the dish reports it.
OUTAGE_CAUSES: Final = (
    "UNKNOWN",
    "BOOTING",
    "STOWED",
    "THERMAL_SHUTDOWN",
    "NO_SCHEDULE",
    "NO_SATS",
    "OBSTRUCTED",
    "NO_DOWNLINK",
    "NO_PINGS",
    "ACTUATOR_ACTIVITY",
    "CABLE_TEST",
    "SLEEPING",
    "MOVING_WHILE_NOT_ALLOWED",
)
_STATES: Final = ("CONNECTED", "DISABLED", "SEARCHING", *OUTAGE_CAUSES)
#: Only this many rows keep the values of their unknown fields (the names are all counted).
_EXTRA_KEPT: Final = 1000


def instant_ns(t: np.datetime64 | int) -> int:
    """An instant as integer nanoseconds since 1970 (how the columns keep times)."""
    return int(np.asarray(t, dtype="datetime64[ns]").astype(np.int64))


def ns_to_instant(t_ns: int, unit: str = "ns") -> np.datetime64:
    """Integer nanoseconds since 1970 as a ``datetime64`` of ``unit`` (``"m"``: to the minute)."""
    value: np.datetime64 = np.datetime64(int(t_ns), "ns").astype(f"datetime64[{unit}]")
    return value


@dataclass(frozen=True)
class ReportProblem:
    """A line (CSV: line, Parquet: row) that was skipped, and why."""

    line: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"line": self.line, "message": self.message}


@dataclass(frozen=True)
class Reports:
    """Reports as columns of equal length ``(R,)``, in the order read.

    ``terminal`` indexes ``terminal_ids``; ``state``, ``disablement`` and ``outage`` index
    `STATE_NAMES`, `DISABLEMENT_CODES` and `OUTAGE_CAUSES`, ``-1`` for null.  Absent numbers are
    NaN (``gps_sats`` -1).  ``extra`` maps a row to its unknown fields (the first rows only).
    """

    terminal_ids: tuple[str, ...]
    terminal: IntArray
    time_ns: IntArray
    lat_deg: FloatArray
    lon_deg: FloatArray
    gps_valid: BoolArray
    gps_sats: IntArray
    state: IntArray
    disablement: IntArray
    outage: IntArray
    pop_ping_latency_ms: FloatArray
    pop_ping_drop_rate: FloatArray
    extra: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)

    STATE_NAMES = _STATES

    def __len__(self) -> int:
        return int(self.terminal.size)

    def code_of(self, name: str) -> int:
        """Index of a disablement code name."""
        return DISABLEMENT_CODES.index(name)


@dataclass(frozen=True)
class ReportsRead:
    """What reading gave: the reports, the lines skipped and why, unknown field names seen."""

    reports: Reports
    lines: int
    problems: tuple[ReportProblem, ...]
    unknown_fields: Mapping[str, int]

    @property
    def skipped(self) -> int:
        """Number of malformed lines skipped."""
        return len(self.problems)

    def summary(self) -> dict[str, Any]:
        """JSON-ready: counts, the first problems and the unknown fields."""
        return {
            "lines": self.lines,
            "reports": len(self.reports),
            "skipped": self.skipped,
            "problems": [p.to_dict() for p in self.problems[:20]],
            "unknown_fields": dict(self.unknown_fields),
        }


class _Columns:
    """Accumulates validated records; one malformed record raises `_BadRecordError`."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.terminal: list[int] = []
        self.time: list[str] = []
        self.lat: list[float] = []
        self.lon: list[float] = []
        self.gps_valid: list[bool] = []
        self.gps_sats: list[int] = []
        self.state: list[int] = []
        self.disablement: list[int] = []
        self.outage: list[int] = []
        self.latency: list[float] = []
        self.drop: list[float] = []
        self.extra: dict[int, dict[str, Any]] = {}
        self.unknown: Counter[str] = Counter()
        self.lines: list[int] = []

    def add(self, record: Any, line: int) -> None:
        if not isinstance(record, dict):
            raise _BadRecordError(f"expected a JSON object, got {type(record).__name__}")
        tid = record.get("terminal_id")
        if not isinstance(tid, str) or not tid:
            raise _BadRecordError("'terminal_id' must be a non-empty string")
        when = record.get("time")
        if not isinstance(when, str) or not when.endswith("Z"):
            raise _BadRecordError(f"'time' must be ISO 8601 UTC ending in Z, got {when!r}")
        values = (
            _number(record, "lat", -90.0, 90.0),
            _number(record, "lon", -180.0, 180.0),
            _flag(record, "gps_valid"),
            _count(record, "gps_sats"),
            _name(record, "state", _STATES),
            _name(record, "disablement_code", DISABLEMENT_CODES),
            _name(record, "outage_cause", OUTAGE_CAUSES),
            _number(record, "pop_ping_latency_ms", 0.0, 1e6),
            _number(record, "pop_ping_drop_rate", 0.0, 1.0),
        )
        if (values[0] != values[0]) != (values[1] != values[1]):
            raise _BadRecordError("'lat' and 'lon' come together or not at all")
        unknown = record.keys() - _FIELD_SET
        if unknown:
            self.unknown.update(unknown)
            if len(self.extra) < _EXTRA_KEPT:
                self.extra[len(self.terminal)] = {k: record[k] for k in sorted(unknown)}
        self.terminal.append(self.ids.setdefault(tid, len(self.ids)))
        self.time.append(when[:-1])
        lat, lon, valid, sats, state, code, cause, latency, drop = values
        self.lat.append(lat)
        self.lon.append(lon)
        self.gps_valid.append(bool(valid))
        self.gps_sats.append(sats)
        self.state.append(state)
        self.disablement.append(code)
        self.outage.append(cause)
        self.latency.append(latency)
        self.drop.append(drop)
        self.lines.append(line)

    def build(self, problems: list[ReportProblem]) -> Reports:
        time_ns = self._times(problems)
        keep = time_ns != np.iinfo(np.int64).min

        def col(values: Sequence[Any], dtype: Any) -> Any:
            return np.asarray(values, dtype=dtype)[keep]

        extra = self.extra
        if not keep.all():
            new_index = np.cumsum(keep) - 1
            extra = {int(new_index[i]): v for i, v in extra.items() if keep[i]}
        return Reports(
            terminal_ids=tuple(self.ids),
            terminal=col(self.terminal, np.int64),
            time_ns=time_ns[keep],
            lat_deg=col(self.lat, np.float64),
            lon_deg=col(self.lon, np.float64),
            gps_valid=col(self.gps_valid, np.bool_),
            gps_sats=col(self.gps_sats, np.int64),
            state=col(self.state, np.int64),
            disablement=col(self.disablement, np.int64),
            outage=col(self.outage, np.int64),
            pop_ping_latency_ms=col(self.latency, np.float64),
            pop_ping_drop_rate=col(self.drop, np.float64),
            extra=extra,
        )

    def _times(self, problems: list[ReportProblem]) -> IntArray:
        """Parse the times in one go; on failure, one by one to name the bad lines."""
        try:
            return np.array(self.time, dtype="datetime64[ns]").astype(np.int64)
        except ValueError:
            out = np.empty(len(self.time), dtype=np.int64)
            for i, text in enumerate(self.time):
                try:
                    out[i] = np.datetime64(text, "ns").astype(np.int64)
                except ValueError:
                    out[i] = np.iinfo(np.int64).min
                    problems.append(
                        ReportProblem(self.lines[i], f"'time' is not an ISO 8601 instant: {text}Z")
                    )
            problems.sort(key=lambda p: p.line)
            return out


class _BadRecordError(Exception):
    """One record is malformed: it is skipped and reported with its line number."""


_FIELD_SET: Final = frozenset(FIELDS)
_NAN: Final = float("nan")


def _number(record: Mapping[str, Any], key: str, lo: float, hi: float) -> float:
    value = record.get(key)
    if value is None or value == "":
        return _NAN
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _BadRecordError(f"'{key}' must be a number, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise _BadRecordError(f"'{key}' must be a number, got {value!r}") from None
    if not lo <= number <= hi:
        raise _BadRecordError(f"'{key}' must lie in [{lo:g}, {hi:g}], got {value!r}")
    return number


def _flag(record: Mapping[str, Any], key: str) -> bool:
    value = record.get(key)
    if isinstance(value, bool):
        return value
    if value in ("true", "True", "1", 1):
        return True
    if value in ("false", "False", "0", 0, None, ""):
        return False
    raise _BadRecordError(f"'{key}' must be true or false, got {value!r}")


def _count(record: Mapping[str, Any], key: str) -> int:
    value = record.get(key)
    if value is None or value == "":
        return -1
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _BadRecordError(f"'{key}' must be a whole number, got {value!r}") from None
    if isinstance(value, bool) or number < 0 or number != float(value):
        raise _BadRecordError(f"'{key}' must be a whole number ≥ 0, got {value!r}")
    return number


def _name(record: Mapping[str, Any], key: str, names: tuple[str, ...]) -> int:
    value = record.get(key)
    if value is None or value == "":
        return -1
    if not isinstance(value, str) or value not in names:
        raise _BadRecordError(f"'{key}' {value!r} is not one of {', '.join(names)}")
    return names.index(value)


def _collect(
    records: Iterable[tuple[int, Any]],
) -> tuple[Reports, int, list[ReportProblem], Counter[str]]:
    columns = _Columns()
    problems: list[ReportProblem] = []
    lines = 0
    for line, record in records:
        lines += 1
        if isinstance(record, _BadRecordError):
            problems.append(ReportProblem(line, str(record)))
            continue
        try:
            columns.add(record, line)
        except _BadRecordError as bad:
            problems.append(ReportProblem(line, str(bad)))
    return columns.build(problems), lines, problems, columns.unknown


def _json_lines(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            yield number, json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, _BadRecordError(f"not JSON ({exc.msg} at column {exc.colno})")


def parse_report_lines(lines: Iterable[str]) -> ReportsRead:
    """Reports from JSON Lines text (one object a line); blank lines are not counted."""
    reports, n, problems, unknown = _collect(_json_lines(lines))
    return ReportsRead(reports, n, tuple(problems), dict(unknown))


def reports_from_records(records: Iterable[Mapping[str, Any]]) -> ReportsRead:
    """Reports from already-decoded objects (an HTTP body); positions count from 1."""
    reports, n, problems, unknown = _collect(enumerate(records, start=1))
    return ReportsRead(reports, n, tuple(problems), dict(unknown))


def _csv_records(text: io.TextIOBase) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(text)
    if reader.fieldnames is None:
        return
    for row in reader:
        record: dict[str, Any] = {k: v for k, v in row.items() if k is not None}
        if None in row:
            yield reader.line_num, _BadRecordError("more values than the header has columns")
            continue
        yield reader.line_num, record


def read_reports(path: Path | str) -> ReportsRead:
    """Read reports from ``.jsonl``/``.ndjson`` (optionally ``.gz``), ``.csv`` or ``.parquet``."""
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    kind = suffixes[-1] if suffixes else ""
    if kind not in (".jsonl", ".ndjson", ".json", ".csv", ".parquet"):
        raise InputError(
            f"reports file {p}: expected .jsonl (JSON Lines), .csv or .parquet (optionally .gz)"
        )
    if not p.is_file():
        raise InputError(f"reports file {p} does not exist")
    if kind == ".parquet":
        return _read_parquet(p)
    if kind != ".csv" and p.suffix.lower() != ".gz":
        fast = _read_jsonl_columnar(p)
        if fast is not None:
            return fast
    opener: Any = gzip.open if p.suffix.lower() == ".gz" else open
    try:
        with opener(p, "rt", encoding="utf-8", newline="") as f:
            if kind == ".csv":
                reports, n, problems, unknown = _collect(_csv_records(f))
            else:
                reports, n, problems, unknown = _collect(_json_lines(f))
    except (UnicodeDecodeError, OSError, csv.Error) as exc:
        raise InputError(f"reports file {p} cannot be read as {kind[1:]} text: {exc}") from None
    return ReportsRead(reports, n, tuple(problems), dict(unknown))


def _read_jsonl_columnar(p: Path) -> ReportsRead | None:
    """JSON Lines read by Arrow's multi-threaded reader and checked column by column.

    None when anything is off (a malformed line, a bad value, an unexpected type): the caller
    then reads line by line, which names every bad line.  Both give the same reports for a
    clean file; this is ~10x faster.
    """
    import pyarrow as pa
    import pyarrow.json as pj

    try:
        # Every known field typed up front: Arrow then skips type inference (~1/3 of its CPU
        # time); a value of another type fails the read and the line reader names its line.
        types = {"gps_valid": pa.bool_(), "gps_sats": pa.int64()} | {
            f: pa.float64() for f in ("lat", "lon", "pop_ping_latency_ms", "pop_ping_drop_rate")
        }
        schema = pa.schema([(f, types.get(f, pa.string())) for f in FIELDS])
        table = pj.read_json(p, parse_options=pj.ParseOptions(explicit_schema=schema))
    except (pa.ArrowException, OSError):
        return None
    return _from_table(table)


def _from_table(table: Any) -> ReportsRead | None:
    """Reports from an Arrow table, checked column by column; None when anything is off."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = table.num_rows
    names = set(table.column_names)
    if n == 0 or not {"terminal_id", "time"} <= names:
        return None

    def column(name: str) -> Any:
        return table.column(name) if name in names else pa.nulls(n)

    def floats(name: str, lo: float, hi: float) -> FloatArray | None:
        col = column(name)
        if not (
            pa.types.is_floating(col.type)
            or pa.types.is_integer(col.type)
            or pa.types.is_null(col.type)
        ):
            return None
        values = np.asarray(
            pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
        )
        finite = values[~np.isnan(values)]
        return values if finite.size == 0 or (finite.min() >= lo and finite.max() <= hi) else None

    def names_of(name: str, vocab: tuple[str, ...]) -> IntArray | None:
        col = column(name)
        if pa.types.is_null(col.type):
            return np.full(n, -1, dtype=np.int64)
        if not pa.types.is_string(col.type):
            return None
        index = pc.index_in(col, value_set=pa.array(vocab))
        if index.null_count != col.null_count:
            return None
        return np.asarray(pc.fill_null(index, -1).to_numpy(zero_copy_only=False), dtype=np.int64)

    tid, when = column("terminal_id"), column("time")
    if not pa.types.is_string(tid.type):
        return None
    if tid.null_count or when.null_count or pc.any(pc.equal(pc.utf8_length(tid), 0)).as_py():
        return None
    if pa.types.is_timestamp(when.type):  # Parquet's own instants, UTC or naive
        time_ns = np.asarray(pc.cast(when, pa.timestamp("ns", when.type.tz)).cast(pa.int64()))
    elif not pa.types.is_string(when.type) or not pc.all(pc.ends_with(when, "Z")).as_py():
        return None
    else:
        naive = pc.utf8_slice_codeunits(when, 0, -1)
        try:  # Arrow's ISO 8601 parser, ~5x numpy's; forms it does not take go to numpy's
            time_ns = np.asarray(
                pc.cast(naive, pa.timestamp("ns")).cast(pa.int64()), dtype=np.int64
            )
        except pa.ArrowInvalid:
            try:
                time_ns = np.asarray(
                    naive.to_numpy(zero_copy_only=False), dtype="datetime64[ns]"
                ).astype(np.int64)
            except ValueError:
                return None
    lat, lon = floats("lat", -90.0, 90.0), floats("lon", -180.0, 180.0)
    latency = floats("pop_ping_latency_ms", 0.0, 1e6)
    drop = floats("pop_ping_drop_rate", 0.0, 1.0)
    sats = floats("gps_sats", 0.0, 1e6)
    state = names_of("state", _STATES)
    code = names_of("disablement_code", DISABLEMENT_CODES)
    cause = names_of("outage_cause", OUTAGE_CAUSES)
    valid_col = column("gps_valid")
    if not (pa.types.is_boolean(valid_col.type) or pa.types.is_null(valid_col.type)):
        return None
    parts = (lat, lon, latency, drop, sats, state, code, cause)
    if any(x is None for x in parts):
        return None
    assert lat is not None
    assert lon is not None
    assert sats is not None
    assert latency is not None
    assert drop is not None
    assert state is not None
    assert code is not None
    assert cause is not None
    if (np.isnan(lat) != np.isnan(lon)).any() or (sats[~np.isnan(sats)] % 1).any():
        return None
    # ids in order of first appearance, as the line-by-line reader numbers them
    encoded = pc.dictionary_encode(tid).combine_chunks()
    ids = encoded.dictionary.to_pylist()
    terminal = encoded.indices.to_numpy(zero_copy_only=False)
    unknown = sorted(names - _FIELD_SET)
    extra: dict[int, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    if unknown:
        sub = table.select(unknown)
        counts = {u: n - sub.column(u).null_count for u in unknown}
        for i, row in enumerate(sub.slice(0, _EXTRA_KEPT).to_pylist()):
            kept = {k: v for k, v in row.items() if v is not None}
            if kept:
                extra[i] = kept
    reports = Reports(
        terminal_ids=tuple(str(x) for x in ids),
        terminal=np.asarray(terminal, dtype=np.int64),
        time_ns=time_ns,
        lat_deg=lat,
        lon_deg=lon,
        gps_valid=np.asarray(
            pc.fill_null(valid_col, False).to_numpy(zero_copy_only=False), dtype=bool
        )
        if not pa.types.is_null(valid_col.type)
        else np.zeros(n, dtype=bool),
        gps_sats=np.where(np.isnan(sats), -1, sats).astype(np.int64),
        state=state,
        disablement=code,
        outage=cause,
        pop_ping_latency_ms=latency,
        pop_ping_drop_rate=drop,
        extra=extra,
    )
    return ReportsRead(reports, n, (), {k: v for k, v in counts.items() if v})


def _read_parquet(p: Path) -> ReportsRead:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(p)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"reports file {p} is not a readable Parquet file: {exc}") from None
    fast = _from_table(table)
    if fast is not None:
        return fast
    # something is off: row by row, which names every bad row
    names = table.column_names
    columns = [table.column(n).to_pylist() for n in names]
    for i, name in enumerate(names):
        if name == "time" and pa.types.is_timestamp(table.schema.field(i).type):
            columns[i] = [
                None if t is None else t.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for t in columns[i]
            ]
    rows = ({n: c[i] for n, c in zip(names, columns, strict=True)} for i in range(table.num_rows))
    reports, n, problems, unknown = _collect(enumerate(rows, start=1))
    return ReportsRead(reports, n, tuple(problems), dict(unknown))


def _index_of(names: Sequence[str | None], vocab: tuple[str, ...]) -> IntArray:
    lookup = {name: i for i, name in enumerate(vocab)}
    return np.fromiter((lookup.get(x, -1) if x else -1 for x in names), np.int64, len(names))


def reports_from_columns(
    terminal_id: Sequence[str],
    time_ns: npt.ArrayLike,
    *,
    lat_deg: Sequence[float | None],
    lon_deg: Sequence[float | None],
    gps_valid: Sequence[bool],
    gps_sats: Sequence[int | None],
    state: Sequence[str | None],
    disablement_code: Sequence[str | None],
    outage_cause: Sequence[str | None],
    pop_ping_latency_ms: Sequence[float | None],
    pop_ping_drop_rate: Sequence[float | None],
) -> Reports:
    """Reports from columns already checked (a store's rows): names as the dish sends them,
    None for absent values; names outside the vocabularies read as absent."""

    def floats(values: Sequence[float | None]) -> FloatArray:
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    ids, terminal = np.unique(np.asarray(terminal_id, dtype=object), return_inverse=True)
    return Reports(
        terminal_ids=tuple(str(x) for x in ids),
        terminal=np.asarray(terminal, dtype=np.int64).reshape(-1),
        time_ns=np.asarray(time_ns, dtype="datetime64[ns]").astype(np.int64),
        lat_deg=floats(lat_deg),
        lon_deg=floats(lon_deg),
        gps_valid=np.asarray(gps_valid, dtype=bool).reshape(-1),
        gps_sats=np.array([-1 if v is None else v for v in gps_sats], dtype=np.int64),
        state=_index_of(state, _STATES),
        disablement=_index_of(disablement_code, DISABLEMENT_CODES),
        outage=_index_of(outage_cause, OUTAGE_CAUSES),
        pop_ping_latency_ms=floats(pop_ping_latency_ms),
        pop_ping_drop_rate=floats(pop_ping_drop_rate),
    )


def reports_to_records(reports: Reports) -> Iterator[dict[str, Any]]:
    """Each report as a dict of the dish API's fields (None where absent), times as ns ints."""
    ids = reports.terminal_ids
    states = Reports.STATE_NAMES
    for i in range(len(reports)):
        lat = float(reports.lat_deg[i])
        sats = int(reports.gps_sats[i])
        d, o, st = int(reports.disablement[i]), int(reports.outage[i]), int(reports.state[i])
        latency = float(reports.pop_ping_latency_ms[i])
        drop = float(reports.pop_ping_drop_rate[i])
        yield {
            "terminal_id": ids[reports.terminal[i]],
            "time_ns": int(reports.time_ns[i]),
            "lat": lat if lat == lat else None,
            "lon": float(reports.lon_deg[i]) if lat == lat else None,
            "gps_valid": bool(reports.gps_valid[i]),
            "gps_sats": sats if sats >= 0 else None,
            "state": states[st] if st >= 0 else None,
            "disablement_code": DISABLEMENT_CODES[d] if d >= 0 else None,
            "outage_cause": OUTAGE_CAUSES[o] if o >= 0 else None,
            "pop_ping_latency_ms": latency if latency == latency else None,
            "pop_ping_drop_rate": drop if drop == drop else None,
        }


def reports_to_jsonl(reports: Reports) -> Iterator[str]:
    """The reports as JSON Lines (no newline at the ends), absent values left out or null.

    Times are written to the second, as dishes stamp them.
    """
    times = np.asarray(reports.time_ns).astype("datetime64[ns]").astype("datetime64[s]").astype(str)
    ids = reports.terminal_ids
    states = Reports.STATE_NAMES
    for i in range(len(reports)):
        record: dict[str, Any] = {"terminal_id": ids[reports.terminal[i]], "time": times[i] + "Z"}
        lat = float(reports.lat_deg[i])
        if lat == lat:
            record["lat"] = round(lat, 5)
            record["lon"] = round(float(reports.lon_deg[i]), 5)
        record["gps_valid"] = bool(reports.gps_valid[i])
        sats = int(reports.gps_sats[i])
        record["gps_sats"] = sats if sats >= 0 else None
        record["state"] = states[reports.state[i]]
        d, o = int(reports.disablement[i]), int(reports.outage[i])
        record["disablement_code"] = DISABLEMENT_CODES[d] if d >= 0 else None
        record["outage_cause"] = OUTAGE_CAUSES[o] if o >= 0 else None
        latency = float(reports.pop_ping_latency_ms[i])
        record["pop_ping_latency_ms"] = round(latency, 1) if latency == latency else None
        record["pop_ping_drop_rate"] = round(float(reports.pop_ping_drop_rate[i]), 3)
        yield json.dumps(record, separators=(",", ":"))


def _to_table(reports: Reports) -> Any:
    """The reports as an Arrow table, column by column, with the values `reports_to_jsonl`
    writes (times to the second, as dishes stamp them; absent values null)."""
    import pyarrow as pa

    def names(index: IntArray, vocab: tuple[str, ...]) -> Any:
        return pa.DictionaryArray.from_arrays(
            pa.array(index, mask=index < 0, type=pa.int32()), pa.array(vocab)
        ).cast(pa.string())

    lat = np.round(reports.lat_deg, 5)
    latency = np.round(reports.pop_ping_latency_ms, 1)
    seconds = (np.asarray(reports.time_ns) // 1_000_000_000).astype("datetime64[s]")
    times = np.char.add(seconds.astype(str), "Z")
    columns = {
        "terminal_id": names(reports.terminal, reports.terminal_ids),
        "time": pa.array(times.tolist(), type=pa.string()),
        "lat": pa.array(lat, mask=np.isnan(lat)),
        "lon": pa.array(np.round(reports.lon_deg, 5), mask=np.isnan(lat)),
        "gps_valid": pa.array(reports.gps_valid),
        "gps_sats": pa.array(reports.gps_sats, mask=reports.gps_sats < 0),
        "state": names(reports.state, Reports.STATE_NAMES),
        "disablement_code": names(reports.disablement, DISABLEMENT_CODES),
        "outage_cause": names(reports.outage, OUTAGE_CAUSES),
        "pop_ping_latency_ms": pa.array(latency, mask=np.isnan(latency)),
        "pop_ping_drop_rate": pa.array(np.round(reports.pop_ping_drop_rate, 3)),
    }
    return pa.table(columns)


def write_reports(reports: Reports, path: Path | str) -> Path:
    """Write reports as JSON Lines (``.jsonl``, optionally ``.gz``), CSV or Parquet, by suffix."""
    p = Path(path)
    kind = [s.lower() for s in p.suffixes if s.lower() != ".gz"][-1:] or [""]
    if kind[0] not in (".jsonl", ".ndjson", ".csv", ".parquet"):
        raise InputError(f"output file {p}: expected .jsonl, .csv or .parquet (optionally .gz)")
    if kind[0] == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(_to_table(reports), p)
        return p
    lines = reports_to_jsonl(reports)
    opener: Any = gzip.open if p.suffix.lower() == ".gz" else open
    with opener(p, "wt", encoding="utf-8", newline="") as f:
        if kind[0] == ".csv":
            writer = csv.DictWriter(f, fieldnames=list(FIELDS), lineterminator="\n")
            writer.writeheader()
            for line in lines:
                writer.writerow(json.loads(line))
        else:
            for line in lines:
                f.write(line)
                f.write("\n")
    return p
