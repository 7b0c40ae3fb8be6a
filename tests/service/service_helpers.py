"""Helpers of the service tests: API-key headers, audit counts, problem+json checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from httpx2 import Response

from leolink.policy.audit import AuditRecord
from leolink.store import Store

#: An instant within the embedded catalog's epochs.
T0 = "2026-05-13T12:00:00Z"


@dataclass(frozen=True)
class Keys:
    """Bearer headers of the test's API keys."""

    tokens: dict[str, str]

    def __call__(self, name: str) -> dict[str, str]:
        """``Authorization`` header of the key ``name`` (a role, ``bob`` or ``UT-0001``)."""
        return {"Authorization": f"Bearer {self.tokens[name]}"}


def audit_count(store: Store) -> int:
    """How many changes the audit log holds (a refused write is logged as a refusal,
    `leolink.service.refusals`, and changes nothing: it is not counted)."""
    return sum(r.entity != "request" for r in store.audit_log(limit=None))


def refusals(store: Store) -> list[AuditRecord]:
    """The refused writes the log holds, oldest first."""
    return store.audit_log(limit=None, entity="request")


def last_record(store: Store) -> AuditRecord:
    """The newest audit record."""
    return store.audit_log(limit=None)[-1]


def assert_problem(response: Response, status: int, slug: str | None = None) -> dict[str, Any]:
    """Check an RFC 9457 problem response and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert isinstance(body, dict)
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    if slug is not None:
        assert body["type"] == f"urn:leolink:problem:{slug}"
    return body
