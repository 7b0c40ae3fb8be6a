"""The default policy dataset: well formed, sourced, dated; loaded under the two-person rule."""

from __future__ import annotations

import pytest

from leolink.errors import InputError
from leolink.geo.countries import get_country
from leolink.policy.decide import Code
from leolink.policy.defaults import (
    DEFAULT_APPROVER,
    DEFAULT_PROPOSER,
    apply_defaults,
    dataset_names,
    load_default_dataset,
    parse_dataset,
    seed_if_empty,
)
from leolink.policy.records import ChangeState, CountryStatus, GeofenceSpec
from leolink.policy.sources import decide_from
from leolink.store import Store
from tests.policy.factory import KYIV, MOSCOW, TAIPEI, box, t

HEADER = """
dataset: test
as_of: "2026-01-01"
sources:
  s1: {title: a source, url: "https://example.org", date: "2026"}
statuses:
"""


def test_shipped_dataset_is_well_formed_and_sourced() -> None:
    assert dataset_names() == ["policy-defaults-2026-05"]
    data = load_default_dataset()
    assert data.as_of == "2026-05-13"
    by_code = {s.country: s for s in data.statuses}
    assert len(by_code) == len(data.statuses) > 100
    for s in data.statuses:
        assert get_country(s.country).iso_a2 == s.country
        assert s.source.title
        assert s.source.date
        assert s.confidence in ("high", "medium", "low")
        assert s.effective_from <= t("2026-05-13T00:00:00Z")
    assert by_code["TW"].status is CountryStatus.SERVICE_DATE_UNKNOWN
    assert "not been licensed" in by_code["TW"].note
    assert by_code["RU"].status is CountryStatus.BLOCKED
    assert by_code["KP"].status is CountryStatus.BLOCKED
    assert by_code["IR"].status is CountryStatus.SERVICE_DATE_UNKNOWN  # unofficial, not licensed
    assert by_code["UA"].status is CountryStatus.AVAILABLE
    assert by_code["UA"].effective_from == t("2022-02-26T00:00:00Z")
    assert by_code["NO"].status is CountryStatus.AVAILABLE  # quoted: YAML's bare NO is false


def test_loading_goes_through_two_system_actors_and_is_idempotent(store: Store) -> None:
    data = load_default_dataset()
    first = apply_defaults(store, data)
    assert (first.proposed, first.approved, first.unchanged) == (len(data.statuses),) * 2 + (0,)
    version = store.policy_version()
    again = apply_defaults(store, data)
    assert (again.proposed, again.approved, again.unchanged) == (0, 0, len(data.statuses))
    assert store.policy_version() == version
    changes = store.country_status_changes(state="approved")
    assert {c.proposer for c in changes} == {DEFAULT_PROPOSER}
    assert {c.approver for c in changes} == {DEFAULT_APPROVER}
    actions = [r.action for r in store.audit_log(limit=None)]
    assert actions.count("country_status.propose") == actions.count("country_status.approve")
    assert store.verify().ok
    assert decide_from(store, None, TAIPEI, "2026-05-13T00:00:00Z").code is Code.UNLICENSED_COUNTRY
    assert decide_from(store, None, MOSCOW, "2026-05-13T00:00:00Z").code is Code.BLOCKED_COUNTRY
    assert decide_from(store, None, KYIV, "2022-09-15T00:00:00Z").code is Code.OKAY


def test_an_interrupted_load_is_finished_not_duplicated(memory_store: Store) -> None:
    data = load_default_dataset()
    entry = data.statuses[0]
    memory_store.propose_country_status(
        entry.country,
        entry.status,
        effective_from=entry.effective_from,
        source=entry.source_text(data.name),
        actor=DEFAULT_PROPOSER,
        reason="interrupted",
    )
    result = apply_defaults(memory_store, data)
    assert result.proposed == len(data.statuses) - 1
    assert result.approved == len(data.statuses)
    assert not memory_store.country_status_changes(state=ChangeState.PROPOSED)


def test_seed_only_an_empty_store(memory_store: Store) -> None:
    memory_store.propose_geofence(
        GeofenceSpec("x", "deny", "r", area_geojson=box(0, 0, 0.1, 0.1)), actor="a"
    )
    assert seed_if_empty(memory_store) is None
    assert not memory_store.country_status_changes()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            '  - {country: "XX", status: available, since: "2024-01-01", source: s1}',
            "unknown country code 'XX'",
        ),
        (
            '  - {country: "UKR", status: available, since: "2024-01-01", source: s1}',
            "must be an ISO alpha-2",
        ),
        ('  - {country: NO, status: available, since: "2024-01-01", source: s1}', 'write "NO"'),
        (
            '  - {country: "UA", status: open, since: "2024-01-01", source: s1}',
            "status 'open' is not one of",
        ),
        ('  - {country: "UA", status: available, since: "soon", source: s1}', "since 'soon'"),
        ('  - {country: "UA", status: available, since: "2024-01-01", source: s9}', "source 's9'"),
        ('  - {country: "UA", status: available, source: s1}', "'since' is missing"),
        (
            '  - {country: "UA", status: available, since: "2024-01-01", source: s1, '
            "confidence: sure}",
            "confidence 'sure'",
        ),
    ],
)
def test_bad_datasets_name_the_entry(entry: str, message: str) -> None:
    with pytest.raises(InputError, match="status #1") as caught:
        parse_dataset(HEADER + entry + "\n", "test.yaml")
    assert message in str(caught.value)


def test_duplicate_country_is_refused() -> None:
    line = '  - {country: "UA", status: available, since: "2024-01-01", source: s1}\n'
    with pytest.raises(InputError, match="UA is listed twice"):
        parse_dataset(HEADER + line + line, "test.yaml")
