"""``Idempotency-Key`` on POSTs (IETF draft semantics) and report retries (issue 17)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.service.service_helpers import Keys, assert_problem, audit_count

from leolink.store import Store
from leolink.store.idempotency import Outcome

TERMINAL = {
    "id": "UT-0001",
    "account": "acct",
    "home_country": "UA",
    "customer_class": "residential",
    "reason": "new",
}


def test_same_key_same_body_replays_without_doing_it_again(
    client: TestClient, store: Store, keys: Keys
) -> None:
    headers = {**keys("operator"), "Idempotency-Key": '"k-1"'}
    first = client.post("/v1/terminals", json=TERMINAL, headers=headers)
    assert first.status_code == 201
    records = audit_count(store)
    again = client.post("/v1/terminals", json=TERMINAL, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotency-replayed"] == "true"
    assert audit_count(store) == records
    # Without the key the same POST is done, and is a duplicate.
    assert_problem(client.post("/v1/terminals", json=TERMINAL, headers=keys("operator")), 409)


def test_same_key_other_body_is_422(client: TestClient, keys: Keys) -> None:
    headers = {**keys("operator"), "Idempotency-Key": "k-2"}
    assert client.post("/v1/terminals", json=TERMINAL, headers=headers).status_code == 201
    other = client.post("/v1/terminals", json={**TERMINAL, "id": "UT-0002"}, headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")


def test_keys_belong_to_their_credentials(client: TestClient, store: Store, keys: Keys) -> None:
    body = {"lat": 50.0, "lon": 30.0, "at": "2026-05-13T12:00:00Z"}
    mine = client.post("/v1/decisions", json=body, headers={"Idempotency-Key": "shared"})
    theirs = client.post(
        "/v1/decisions", json=body, headers={**keys("viewer"), "Idempotency-Key": "shared"}
    )
    assert mine.status_code == theirs.status_code == 200
    assert "idempotency-replayed" not in theirs.headers


def test_in_flight_duplicate_is_409(client: TestClient, store: Store) -> None:
    import hashlib

    body = b'{"lat":50.0,"lon":30.0}'
    fingerprint = hashlib.sha256(b"\0".join([b"POST", b"/v1/decisions", b"", body])).hexdigest()
    owner = hashlib.sha256(b"").hexdigest()
    assert store.idempotency.begin(owner, "k-3", fingerprint).outcome is Outcome.NEW
    response = client.post(
        "/v1/decisions",
        content=body,
        headers={"Content-Type": "application/json", "Idempotency-Key": "k-3"},
    )
    assert_problem(response, 409, "idempotency-in-flight")
    store.idempotency.release(owner, "k-3")
    assert store.idempotency.begin(owner, "k-3", fingerprint).outcome is Outcome.NEW


def test_report_retries_store_one_report(client: TestClient, store: Store, keys: Keys) -> None:
    assert client.post("/v1/terminals", json=TERMINAL, headers=keys("operator")).status_code == 201
    report = {"reports": [{"at": "2026-05-13T12:00:00Z", "lat": 50.45, "lon": 30.52}]}
    for _ in range(3):
        sent = client.post("/v1/terminals/UT-0001/reports", json=report, headers=keys("UT-0001"))
        assert sent.status_code in (200, 201), sent.text
    assert len(store.position_reports("UT-0001")) == 1
