"""Refused writes are events: a 403 or 409 on a write by an authenticated key is logged (who,
what, why), an anonymous caller's is not, and one key's refusals are bounded."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.service.service_helpers import Keys, assert_problem, audit_count, refusals

from leolink.service.refusals import RefusalLimiter
from leolink.store import Store

TERMINAL = {
    "id": "UT-9",
    "account": "a",
    "home_country": "UA",
    "customer_class": "residential",
    "reason": "new dish",
}


def test_a_forbidden_write_is_logged_with_who_what_and_why(
    client: TestClient, store: Store, keys: Keys
):
    changes = audit_count(store)
    assert_problem(client.post("/v1/terminals", json=TERMINAL, headers=keys("viewer")), 403)
    (rec,) = refusals(store)
    assert (rec.actor, rec.action, rec.entity_id) == (
        "viewer",
        "request.refuse",
        "POST /v1/terminals",
    )
    assert isinstance(rec.after, dict)
    assert (rec.after["status"], rec.after["role"], rec.after["problem"]) == (
        403,
        "viewer",
        "forbidden",
    )
    assert "may not" in rec.reason
    assert audit_count(store) == changes  # the refused change itself wrote nothing
    assert store.verify().ok  # a refusal is in the log, and changes no table


def test_a_conflict_is_logged_and_anonymous_callers_write_nothing(
    client: TestClient, store: Store, keys: Keys
):
    assert client.post("/v1/terminals", json=TERMINAL, headers=keys("operator")).is_success
    assert_problem(client.post("/v1/terminals", json=TERMINAL, headers=keys("operator")), 409)
    (rec,) = refusals(store)
    assert (rec.actor, rec.after["status"]) == ("operator", 409)  # type: ignore[index]
    assert "already registered" in rec.reason
    for _ in range(3):
        assert_problem(client.post("/v1/terminals", json=TERMINAL), 401)
        bad = {"Authorization": "Bearer lk_nobody_secret"}
        assert_problem(client.post("/v1/terminals", json=TERMINAL, headers=bad), 401)
    assert len(refusals(store)) == 1


def test_one_keys_refusals_are_bounded_and_the_rest_counted(
    app: FastAPI, client: TestClient, store: Store, keys: Keys
):
    now = [0.0]
    app.state.leolink.refusals = RefusalLimiter(
        per_key=3, total=100, window_s=60, clock=lambda: now[0]
    )
    for _ in range(10):
        assert_problem(client.post("/v1/terminals", json=TERMINAL, headers=keys("viewer")), 403)
    assert len(refusals(store)) == 3
    now[0] = 61.0  # the next window
    assert_problem(client.post("/v1/terminals", json=TERMINAL, headers=keys("viewer")), 403)
    last = refusals(store)[-1]
    assert last.after["suppressed_before"] == 7  # type: ignore[index]
