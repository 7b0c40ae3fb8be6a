"""A geofence proposed without a start takes effect when it is approved, not before."""

from __future__ import annotations

import numpy as np

from tests.policy.factory import fence, t

APPROVED = "2026-12-03T12:00:00Z"


def test_no_start_means_from_approval() -> None:
    record = fence("gf-1", cells=["85754e67fffffff"], approved_at=APPROVED)
    assert record.in_force_interval() == (t(APPROVED), None)
    assert not record.is_in_force(t("2022-09-16T00:00:00Z"))
    assert not record.is_in_force(t(APPROVED) - np.timedelta64(1, "s"))
    assert record.is_in_force(t(APPROVED))


def test_a_given_start_in_the_past_stands() -> None:
    record = fence(
        "gf-2", cells=["85754e67fffffff"], start="2022-09-16T00:00:00Z", approved_at=APPROVED
    )
    assert record.is_in_force(t("2022-09-16T12:00:00Z"))
    assert record.is_in_force(t("2022-09-16T12:00:00Z"), known_at=t(APPROVED))
    # As recorded then (before the approval), it was not in force.
    assert not record.is_in_force(t("2022-09-16T12:00:00Z"), known_at=t("2022-09-17T00:00:00Z"))
