"""Position reports are one per (terminal, instant), dated within the service's era (issue 17)."""

from __future__ import annotations

import pytest

from leolink.errors import DuplicateError, InputError
from leolink.store import Store


@pytest.fixture
def terminal(store: Store) -> str:
    store.register_terminal(
        "UT-1",
        account="a",
        home_country="UA",
        customer_class="residential",
        actor="op",
        reason="t",
    )
    return "UT-1"


def test_a_report_sent_again_is_stored_once(store: Store, terminal: str) -> None:
    times = ["2026-05-13T12:00:00Z", "2026-05-13T12:01:00Z"]
    for _ in range(3):
        store.report_positions(terminal, times, [50.0, 50.1], [30.0, 30.1], actor="UT-1")
    store.report_positions(terminal, times[:1] * 2, 50.0, 30.0, actor="UT-1")
    assert len(store.position_reports(terminal)) == 2
    records = [r for r in store.audit_log(limit=None) if r.action == "terminal.report_positions"]
    assert len(records) == 1


def test_the_same_instant_elsewhere_is_refused(store: Store, terminal: str) -> None:
    store.report_positions(terminal, "2026-05-13T12:00:00Z", 50.0, 30.0, actor="UT-1")
    with pytest.raises(DuplicateError, match="one place at an instant"):
        store.report_positions(terminal, "2026-05-13T12:00:00Z", 51.0, 30.0, actor="UT-1")
    assert len(store.position_reports(terminal)) == 1


@pytest.mark.parametrize("at", ["1800-01-01T00:00:00Z", "2261-06-01T00:00:00Z"])
def test_reports_dated_outside_the_era_are_refused(store: Store, terminal: str, at: str) -> None:
    with pytest.raises(InputError, match="2019-01-01T00:00:00Z to 2100-01-01T00:00:00Z"):
        store.report_positions(terminal, at, 50.0, 30.0, actor="UT-1")
    assert store.position_reports(terminal) == []
