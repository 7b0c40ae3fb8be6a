"""Instants: ISO 8601 UTC in, ``datetime64[ns]`` out, and clear refusals of everything else."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from leolink.errors import TimeFormatError, TimeWindowError
from leolink.time import format_instant, parse_instant, time_grid


def test_utc_and_offsets_are_the_same_instant() -> None:
    expected = np.datetime64("2026-05-13T12:00:00", "ns")
    assert parse_instant("2026-05-13T12:00:00Z") == expected
    assert parse_instant("2026-05-13T14:00:00+02:00") == expected
    assert parse_instant(dt.datetime(2026, 5, 13, 12, tzinfo=dt.UTC)) == expected
    assert format_instant(expected) == "2026-05-13T12:00:00Z"


@pytest.mark.parametrize("text", ["2026-05-13T12:00:00", "13/05/2026", "", "tomorrow"])
def test_a_time_without_zone_or_not_iso_is_refused(text: str) -> None:
    with pytest.raises(TimeFormatError, match="ISO 8601 UTC"):
        parse_instant(text)


@pytest.mark.parametrize(
    "text", ["9999-12-31T00:00:00Z", "1600-01-01T00:00:00Z", "2262-06-01T00:00:00Z"]
)
def test_a_date_outside_nanosecond_range_is_refused_not_wrapped(text: str) -> None:
    # numpy's datetime64[ns] would turn 9999-12-31 into 1816-03-29 without a word.
    with pytest.raises(TimeFormatError, match="outside the instants"):
        parse_instant(text)
    with pytest.raises(TimeFormatError, match="outside the instants"):
        parse_instant(dt.datetime.fromisoformat(text))


def test_the_edges_of_the_range_are_accepted() -> None:
    assert format_instant(parse_instant("1678-01-01T00:00:00Z")) == "1678-01-01T00:00:00Z"
    assert format_instant(parse_instant("2261-12-31T00:00:00Z")) == "2261-12-31T00:00:00Z"


def test_a_window_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(TimeWindowError, match="before it starts"):
        time_grid("2026-05-13T12:00:00Z", "2026-05-13T11:00:00Z", 60)
