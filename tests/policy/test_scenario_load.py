"""`load_into`: a scenario's records in a store as a reconstruction of the past."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink.errors import InputError
from leolink.policy.scenarios import load_into, load_scenario
from leolink.store import Store


@pytest.fixture
def store() -> Store:
    return Store.open("sqlite://", signing_key=Ed25519PrivateKey.generate())


def test_every_status_is_flagged_and_a_second_load_is_refused(store: Store):
    scenario = load_scenario("taiwan-never-activated")
    steps = load_into(store, scenario, loaded_by="test:me")
    changes = store.country_status_changes()
    assert changes
    assert all(c.reconstruction and c.state.value == "approved" for c in changes)
    assert all(c.recorded_at > c.effective_from for c in changes)
    assert [s.step.do for s in steps if s.written] == [
        s.do for s in scenario.steps if s.do in ("set_status", "register_terminal")
    ]
    before = len(store.audit_log(limit=None))
    with pytest.raises(InputError, match="already in this store"):
        load_into(store, scenario, loaded_by="test:me")
    assert len(store.audit_log(limit=None)) == before  # nothing written


def test_enforcement_is_not_replayed_into_the_past(store: Store):
    steps = load_into(store, load_scenario("russia-third-country-terminals"), loaded_by="t")
    skipped = {s.step.do: s.skipped for s in steps if s.skipped}
    assert "not kept in time" in str(skipped["enforce"])
    assert all(t.state.value == "active" for t in store.terminals())
    assert store.verify().ok


def test_a_status_another_scenario_reconstructed_is_not_written_twice(store: Store):
    load_into(store, load_scenario("crimea-2022"), loaded_by="t")
    steps = load_into(store, load_scenario("starshield-government"), loaded_by="t")
    ua = [c for c in store.country_status_changes("UA") if c.status.value == "available"]
    assert len(ua) == 1
    assert "already on record as a reconstruction" in {s.skipped for s in steps}
