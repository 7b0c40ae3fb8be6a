"""API keys and roles: every route that is not public refuses a missing key (401) and a role
without the permission (403).  The routes and the permissions they take (the role names of
their OpenAPI security requirement) come from the app's own OpenAPI document, so that no route
is forgotten; refused requests write nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.service.service_helpers import Keys, assert_problem, audit_count

from leolink.policy.records import Role
from leolink.service import ROLE_PERMISSIONS, Permission
from leolink.store import Store

#: Operations anyone may call; every other one must demand a key.
PUBLIC = {
    ("get", "/v1/health"),
    ("get", "/v1/countries"),
    ("get", "/v1/availability"),
    ("get", "/v1/availability/cells"),
    ("get", "/v1/availability/compare"),
    ("get", "/v1/cell-statuses/in-force"),
    ("get", "/v1/coverage"),
    ("get", "/v1/satellites"),
    ("get", "/v1/visible"),
    ("get", "/v1/routes"),
    ("get", "/v1/ground-segment"),
    ("get", "/v1/places"),
    ("get", "/v1/satellites/shells"),
    ("get", "/v1/satellites/{norad_id}/track"),
    ("post", "/v1/decisions"),
    ("post", "/v1/decisions/batch"),
    ("get", "/v1/log/checkpoint"),
    ("get", "/v1/log/checkpoint/newest"),
    # A pulling witness's cosignature: no key, the cosignature itself must verify under a
    # witness key the policy names (leolink.service.witnessing.accept_cosigned).
    ("post", "/v1/log/cosignatures"),
    ("get", "/v1/log/proof/inclusion"),
    ("get", "/v1/log/proof/consistency"),
    ("get", "/v1/log/checkpoints"),
    ("get", "/v1/log/witnesses"),
}

#: Operations any valid key may call, whatever its role (who am I): they name no permission.
ANY_KEY = {("get", "/v1/keys/me")}

#: The role table as documented (leolink.service.auth); the code must grant exactly this.
EXPECTED_ROLES = {
    Role.VIEWER: {"read"},
    Role.TERMINAL: {"report_own_positions"},
    Role.OPERATOR: {"read", "report_positions", "manage_policy", "manage_terminals"},
    Role.AUDITOR: {"read", "read_audit"},
    Role.ADMIN: {p.value for p in Permission},
}

_PARAM_VALUES = {"change_id": "1", "geofence_id": "gf-none", "terminal_id": "UT-0001"}


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    spec = app.openapi()
    return [
        (method, path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _protected(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for m, p, op in _operations(app) if (m, p) not in PUBLIC]


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: _PARAM_VALUES[m.group(1)], path)


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> Any:
    if method == "get":
        return client.get(_url(path), headers=headers)
    return client.request(method.upper(), _url(path), json={}, headers=headers)


def test_role_table_is_as_documented() -> None:
    assert {r: {p.value for p in perms} for r, perms in ROLE_PERMISSIONS.items()} == (
        EXPECTED_ROLES
    )


def test_every_operation_is_public_or_declares_its_permissions(app: FastAPI) -> None:
    operations = _operations(app)
    mutating = [(m, p) for m, p, _ in operations if m != "get"]
    assert len(mutating) >= 12  # the enumeration really found the write routes
    for method, path, op in operations:
        if (method, path) in PUBLIC:
            assert "security" not in op, f"{method} {path} is public but asks for a key"
        else:
            (requirement,) = op["security"]
            assert list(requirement) == ["HTTPBearer"], f"{method} {path}"
            if (method, path) in ANY_KEY:
                assert requirement["HTTPBearer"] == [], f"{method} {path} names a permission"
                continue
            assert requirement["HTTPBearer"], f"{method} {path} names no permission"
            assert {Permission(p) for p in requirement["HTTPBearer"]}
    assert {(m, p) for m, p, _ in operations} >= PUBLIC


@pytest.mark.parametrize(
    "header",
    [
        None,
        {"Authorization": "Basic dXNlcjpwdw=="},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer lk_000000000000_" + "A" * 43},
    ],
    ids=["missing", "basic", "empty", "malformed", "unknown"],
)
def test_protected_routes_refuse_requests_without_a_valid_key(
    app: FastAPI, client: TestClient, store: Store, header: dict[str, str] | None
) -> None:
    before = audit_count(store)
    for method, path, _ in _protected(app):
        response = _call(client, method, path, header or {})
        body = assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer"), (method, path)
        assert "leolink keys create" in body["detail"] or "unknown" in body["detail"]
    assert audit_count(store) == before


def test_protected_routes_refuse_roles_without_the_permission(
    app: FastAPI, client: TestClient, store: Store, keys: Keys
) -> None:
    before = audit_count(store)
    checked = 0
    for method, path, op in _protected(app):
        wanted = {Permission(p) for p in op["security"][0]["HTTPBearer"]}
        for role in Role:
            response = _call(client, method, path, keys(role.value))
            if ROLE_PERMISSIONS[role] & wanted or (method, path) in ANY_KEY:
                assert response.status_code not in (401, 403), (role, method, path, response.text)
            else:
                body = assert_problem(response, 403, "forbidden")
                assert repr(role.value) in body["detail"]
                checked += 1
    assert checked > 40
    assert audit_count(store) == before  # bodies were empty: nothing was accepted either


def test_a_terminal_key_reports_only_for_its_own_terminal(
    client: TestClient, store: Store, keys: Keys
) -> None:
    for terminal_id in ("UT-0001", "UT-0002"):
        store.register_terminal(
            terminal_id,
            account="acct",
            home_country="UA",
            customer_class="residential",
            actor="op",
            reason="test",
        )
    report = {"reports": [{"at": "2026-05-13T12:00:00Z", "lat": 50.45, "lon": 30.52}]}
    own = client.post("/v1/terminals/UT-0001/reports", json=report, headers=keys("UT-0001"))
    assert own.status_code == 201, own.text
    other = client.post("/v1/terminals/UT-0002/reports", json=report, headers=keys("UT-0001"))
    assert "only for terminal 'UT-0001'" in assert_problem(other, 403, "forbidden")["detail"]
    by_operator = client.post(
        "/v1/terminals/UT-0002/reports", json=report, headers=keys("operator")
    )
    assert by_operator.status_code == 201
    assert [r.terminal_id for r in store.position_reports()] == ["UT-0001", "UT-0002"]
    assert store.audit_log(limit=None)[-1].actor == "operator"


def test_a_revoked_key_no_longer_authenticates(
    client: TestClient, store: Store, keys: Keys
) -> None:
    assert client.get("/v1/terminals", headers=keys("viewer")).status_code == 200
    viewer = next(k for k in store.api_keys() if k.name == "viewer")
    store.revoke_api_key(viewer.id, actor="admin", reason="test")
    assert_problem(client.get("/v1/terminals", headers=keys("viewer")), 401, "unauthenticated")


def test_the_actor_of_a_change_is_the_key_name(
    client: TestClient, store: Store, keys: Keys
) -> None:
    body = {
        "id": "UT-0009",
        "account": "acct",
        "home_country": "PL",
        "customer_class": "business",
        "reason": "new customer",
    }
    assert client.post("/v1/terminals", json=body, headers=keys("admin")).status_code == 201
    record = store.audit_log(limit=None)[-1]
    assert (record.actor, record.action, record.entity_id) == (
        "admin",
        "terminal.register",
        "UT-0009",
    )
    assert record.reason == "new customer"
