"""UTC instants and the arrays the rest of leolink computes with.

Instants are ``numpy.datetime64[ns]`` in UTC throughout.  SGP4 wants a Julian date split into a
whole and a fractional part (``jd``, ``fr``) to keep sub-millisecond precision; the Earth's
rotation wants UT1, which differs from UTC by the IERS offset DUT1 = UT1 - UTC (|DUT1| < 0.9 s),
read from the vendored table ``data/ut1-utc.csv.gz`` (see ``data/PROVENANCE.md``).
"""

from __future__ import annotations

import datetime as _dt
import gzip
import math
from functools import cache
from importlib import resources
from typing import Final, cast

import numpy as np

from leolink.arrays import DatetimeArray, FloatArray
from leolink.errors import TimeFormatError, TimeWindowError

__all__ = [
    "JD_UNIX_EPOCH",
    "MIN_STEP_S",
    "count_instants",
    "datetime64_to_jd_fr",
    "format_instant",
    "parse_instant",
    "time_grid",
    "ut1_minus_utc_s",
]

#: Julian date of 1970-01-01T00:00:00 UTC, the zero of ``datetime64``.
JD_UNIX_EPOCH = 2440587.5
_NS_PER_DAY = 86_400 * 10**9


#: The span of ``datetime64[ns]`` (whole days inside it), the instants leolink represents.
_FIRST_NS: Final = _dt.datetime(1678, 1, 1)
_LAST_NS: Final = _dt.datetime(2261, 12, 31, 23, 59, 59)


def parse_instant(text: str | np.datetime64 | _dt.datetime) -> np.datetime64:
    """Parse an ISO 8601 UTC instant (``2026-05-13T12:00:00Z``) or ``now`` to ``datetime64[ns]``.

    An offset other than UTC is converted; a time without a zone is refused, because a
    satellite position an hour off is worse than an error.
    """
    if isinstance(text, np.datetime64):
        return cast(np.datetime64, np.asarray(text, dtype="datetime64[ns]")[()])
    if isinstance(text, _dt.datetime):
        if text.tzinfo is None:
            raise TimeFormatError(
                f"datetime {text!r} has no time zone; pass an aware UTC datetime "
                "(datetime(..., tzinfo=timezone.utc))"
            )
        try:
            utc = text.astimezone(_dt.UTC).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01T00:00+02:00 is before the first datetime
            utc = _dt.datetime.min
        if not _FIRST_NS <= utc <= _LAST_NS:
            # datetime64[ns] holds 1678-2261; numpy would wrap a date outside silently.
            raise TimeFormatError(
                f"time {text.isoformat()!r} is outside the instants leolink computes with "
                f"({_FIRST_NS.isoformat()}Z to {_LAST_NS.isoformat()}Z); give a date in that range"
            )
        return np.datetime64(utc, "ns")
    stripped = str(text).strip()
    if stripped.lower() == "now":
        return np.datetime64(_dt.datetime.now(_dt.UTC).replace(tzinfo=None), "ns")
    try:
        parsed = _dt.datetime.fromisoformat(stripped.replace("z", "Z"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise TimeFormatError(
            f"time {stripped!r} is not an ISO 8601 UTC instant; expected e.g. "
            "'2026-05-13T12:00:00Z' (the 'Z' or '+00:00' is required) or 'now'"
        )
    return parse_instant(parsed)


def format_instant(t: np.datetime64) -> str:
    """Format an instant as ISO 8601 with ``Z``, to the second when it has no fraction."""
    text = str(np.datetime_as_string(np.asarray(t, dtype="datetime64[ns]"), unit="ns"))
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    return f"{whole}.{frac}Z" if frac else f"{whole}Z"


def time_grid(start: str | np.datetime64, end: str | np.datetime64, step_s: float) -> DatetimeArray:
    """Instants from ``start`` to ``end`` inclusive (when it falls on a step), every ``step_s``.

    A window that ends before it starts, or a step that is not positive, is refused.
    """
    t0, n, step_ns = _grid(start, end, step_s)
    return t0 + np.arange(n, dtype=np.int64) * np.timedelta64(step_ns, "ns")


#: The finest step of a time grid: a satellite moves ~8 m in a millisecond, so a finer step adds
#: instants, not information (and a step of 1e-9 s over a day would be 8.6e13 instants).
MIN_STEP_S: Final = 1e-3


def count_instants(start: str | np.datetime64, end: str | np.datetime64, step_s: float) -> int:
    """How many instants `time_grid` gives, with its checks, without making them."""
    return _grid(start, end, step_s)[1]


def _grid(
    start: str | np.datetime64, end: str | np.datetime64, step_s: float
) -> tuple[np.datetime64, int, int]:
    t0, t1 = parse_instant(start), parse_instant(end)
    try:
        step = float(step_s)
    except (TypeError, ValueError):
        step = math.nan
    if not (math.isfinite(step) and step >= MIN_STEP_S):
        raise TimeWindowError(
            f"step_s={step_s!r} must be a positive, finite number of seconds, "
            f"at least {MIN_STEP_S:g}"
        )
    if t1 < t0:
        raise TimeWindowError(
            f"time window ends ({format_instant(t1)}) before it starts ({format_instant(t0)}); "
            "give an end after the start"
        )
    step_ns = round(step * 1e9)
    span_ns = int((t1 - t0).astype(np.int64))
    return t0, span_ns // step_ns + 1, step_ns


def datetime64_to_jd_fr(times: DatetimeArray | np.datetime64) -> tuple[FloatArray, FloatArray]:
    """Split UTC instants into the (``jd``, ``fr``) pair that ``sgp4`` takes.

    ``jd`` is the Julian date of the preceding midnight (``...5``) and ``fr`` the fraction of the
    day since, so that no precision is lost in one large float.
    """
    ns = np.asarray(times, dtype="datetime64[ns]").astype(np.int64)
    days, rem = np.divmod(ns, _NS_PER_DAY)
    return JD_UNIX_EPOCH + days.astype(np.float64), rem.astype(np.float64) / _NS_PER_DAY


@cache
def _dut1_table() -> tuple[FloatArray, FloatArray]:
    ref = resources.files("leolink.data").joinpath("ut1-utc.csv.gz")
    with ref.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", skiprows=1, dtype=np.float64)
    return table[:, 0], table[:, 1]


def ut1_minus_utc_s(times: DatetimeArray | np.datetime64) -> FloatArray:
    """DUT1 = UT1 - UTC in seconds at each instant, interpolated daily from IERS data.

    Outside the table (before 1973 or past its prediction horizon) the nearest value is held;
    DUT1 changes by about 1 ms a day, so this stays within ~0.1 s for months.  Within a day that
    has a leap second the interpolation is off by up to 1 s for that day only.
    """
    mjd_table, dut1_table = _dut1_table()
    ns = np.asarray(times, dtype="datetime64[ns]").astype(np.int64)
    mjd = 40587.0 + ns / _NS_PER_DAY
    dut1 = np.interp(mjd, mjd_table, dut1_table)
    return np.asarray(dut1, dtype=np.float64)
