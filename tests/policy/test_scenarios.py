"""Every shipped scenario replays with all its expectations met; mismatches are reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink import api
from leolink.errors import InputError
from leolink.policy.scenarios import (
    ScenarioClock,
    load_scenario,
    parse_scenario,
    run_scenario,
    scenario_names,
)
from leolink.policy.sky import Sky
from leolink.store import Store

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]


def fresh_store(clock: ScenarioClock) -> Store:
    return Store.open("sqlite://", signing_key=Ed25519PrivateKey.generate(), clock=clock)


@pytest.fixture(scope="module")
def sky() -> Sky:
    return Sky(api.load_catalog())


def test_the_shipped_scenarios_are_the_root_folder() -> None:
    """``scenarios/`` at the repository root is the packaged folder, not a copy."""
    names = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    assert names == scenario_names()
    assert len(names) >= 6


@pytest.mark.parametrize("name", scenario_names())
def test_scenario_replays(name: str, sky: Sky) -> None:
    scenario = load_scenario(name)
    run = run_scenario(scenario, fresh_store, sky=sky)
    failed = [o.to_dict() for o in run.outcomes if not o.ok]
    assert run.ok, failed
    assert any(o.expected is not None for o in run.outcomes)
    assert run.audit is not None
    assert run.audit.ok


def test_a_wrong_expectation_is_a_mismatch_and_the_run_goes_on() -> None:
    run = run_scenario(load_scenario(DATA / "wrong-expectation.yaml"), fresh_store)
    assert not run.ok
    assert [o.ok for o in run.outcomes] == [True, True, False, True]
    assert run.outcomes[2].expected == "BLOCKED_AREA (allowed=false)"
    assert run.outcomes[2].actual == "OKAY (allowed=true)"
    assert run.mismatches == 1


def test_a_refused_step_stops_the_run() -> None:
    run = run_scenario(load_scenario(DATA / "bad-step.yaml"), fresh_store)
    assert not run.ok
    assert len(run.outcomes) == 2
    assert run.outcomes[1].actual.startswith("error: terminal 'T-1' is already registered")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\n", "a list of steps"),
        ("steps:\n  - {do: fly}\n", "'do' must be one of"),
        (
            "steps:\n  - {do: check, lat: 0, lon: 0, expect: {code: OKAY, allowed: true}}\n",
            "needs an 'at'",
        ),
        ('steps:\n  - {at: "2024-01-01", do: check, lat: 0, lon: 0}\n', "a check needs expect"),
        (
            'steps:\n  - {at: "2024-01-01", do: check, lat: 0, lon: 0, '
            "expect: {code: FINE, allowed: true}}\n",
            "unknown code 'FINE'",
        ),
        (
            'steps:\n  - {at: "2024-01-02", do: set_status}\n'
            '  - {at: "2024-01-01", do: set_status}\n',
            "before the previous step",
        ),
        ("steps: [\n", "not valid YAML"),
    ],
)
def test_malformed_scenarios_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=r"bad\.yaml") as caught:
        parse_scenario(text, "bad.yaml")
    assert message in str(caught.value)


def test_a_bad_geofence_step_is_refused_field_by_field_when_parsed() -> None:
    text = (
        'steps:\n  - {at: "2022-09-16", do: set_status}\n'
        "  - {do: propose_geofence, id: gf-x, effect: block, customer_classes: [military],\n"
        "     window_start: yesterday, colour: red}\n"
    )
    with pytest.raises(InputError) as caught:
        parse_scenario(text, "bad.yaml")
    message = str(caught.value)
    assert message.startswith("bad.yaml step 2: ")
    assert "effect: Input should be 'deny' or 'allowlist' (got 'block')" in message
    assert "customer_classes.0: Input should be 'residential'" in message
    assert "window_start: Value error, time 'yesterdayT00:00:00Z' is not an ISO 8601" in message
    assert "colour: Extra inputs are not permitted (got 'red')" in message
    ok = text.replace("effect: block, customer_classes: [military],", "cells: 851e6a17fffffff,")
    parse_scenario(
        ok.replace("window_start: yesterday, colour: red", "window_end: 2022-09-18"), "ok"
    )


def test_an_unknown_scenario_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match="crimea-2022"):
        load_scenario("atlantis")
