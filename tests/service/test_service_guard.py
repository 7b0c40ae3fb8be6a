"""The public surface under hostile and careless input (issue 17): bounded bodies, strict
numbers, instants in range, control characters refused alike on both stores, HEAD, and
unknown key ids that cost what known ones do."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.service.service_helpers import Keys, assert_problem

from leolink.service.middleware import RequestGuard
from leolink.service.state import ServiceLimits
from leolink.store import Store


def test_body_over_the_limit_is_refused_before_the_key_is_checked(client: TestClient) -> None:
    limit = client.app.state.leolink.limits.max_body_bytes  # type: ignore[attr-defined]
    response = client.post(
        "/v1/terminals",
        content=b"x" * (limit + 1),
        headers={"Content-Type": "application/json"},
    )
    problem = assert_problem(response, 413, "too-large")
    assert f"{limit:,}" in problem["detail"]
    assert response.headers["connection"] == "close"


def test_booleans_are_not_numbers(client: TestClient) -> None:
    response = client.post("/v1/decisions", json={"lat": 50.0, "lon": False})
    problem = assert_problem(response, 422, "invalid-request")
    assert "boolean" in problem["detail"]
    assert "lon" in problem["detail"]


@pytest.mark.parametrize(
    "at", ["0001-01-01T00:00:00+02:00", "9999-12-31T23:59:59-05:00", "1677-12-31T00:00:00Z"]
)
def test_instants_outside_the_range_name_it(client: TestClient, at: str) -> None:
    response = client.post("/v1/decisions", json={"lat": 50.0, "lon": 30.0, "at": at})
    problem = assert_problem(response, 422, "invalid-input")
    assert "1678-01-01T00:00:00Z" in problem["detail"]


def test_a_window_of_centuries_is_too_many_instants_not_a_500(client: TestClient) -> None:
    response = client.get(
        "/v1/coverage",
        params={"bbox": "0,0,1,1", "start": "1800-01-01T00:00:00Z", "end": "2200-01-01T00:00:00Z"},
    )
    assert_problem(response, 422, "too-many-instants")


def test_control_characters_are_refused_in_queries_and_text(
    client: TestClient, store: Store, keys: Keys
) -> None:
    query = client.get("/v1/availability", params={"lat": "50", "lon": "30", "at": "now\x00"})
    assert "control character" in assert_problem(query, 422, "invalid-request")["detail"]
    body = {
        "id": "UT-0001",
        "account": "acct\x00",
        "home_country": "UA",
        "customer_class": "residential",
        "reason": "r",
    }
    created = client.post("/v1/terminals", json=body, headers=keys("operator"))
    assert_problem(created, 422, "invalid-request")
    assert store.terminals() == []


def test_head_is_get_without_the_body(client: TestClient) -> None:
    head = client.head("/v1/health")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == client.get("/v1/health").headers["content-type"]


def test_method_not_allowed_says_which_are(client: TestClient) -> None:
    response = client.delete("/v1/health")
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["allow"]


def test_stalled_body_is_refused_with_408() -> None:
    """The middleware alone, over an app that must never be reached."""

    async def never(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("a stalled body reached the application")

    guard = RequestGuard(never, ServiceLimits(body_timeout_s=0.05))
    sent: list[dict[str, Any]] = []

    async def stall() -> dict[str, Any]:
        await asyncio.sleep(10)
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/decisions", "headers": []}
    asyncio.run(guard(scope, stall, send))
    assert sent[0]["status"] == 408
    assert b"0.05 s" in sent[1]["body"]


def test_unknown_key_id_is_hashed_like_a_known_one(
    store: Store, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing is not asserted (a test must not time); the work done is: one hash either way."""
    from leolink.store import apikeys

    calls: list[str] = []
    real = apikeys.secret_matches

    def counting(secret: str, salt: str, expected: str) -> bool:
        calls.append(salt)
        return real(secret, salt, expected)

    monkeypatch.setattr(apikeys, "secret_matches", counting)
    known = keys("viewer")["Authorization"].removeprefix("Bearer ")
    unknown = "lk_000000000000_" + known.split("_", 2)[2]
    assert store.authenticate(known) is not None
    assert store.authenticate(unknown) is None
    assert len(calls) == 2
