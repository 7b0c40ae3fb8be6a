"""Sealed (government) geofences through the service: the log holds a commitment, viewers see
no area, cells or reason, auditors read the text and salt and check them against the log."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.service.service_helpers import Keys, assert_problem

from leolink.policy.commitments import opening_matches
from leolink.store import Store


def test_a_sealed_fence_is_shown_to_auditors_and_hidden_from_viewers(
    client: TestClient, store: Store, keys: Keys
):
    body = {
        "id": "gf-gov",
        "name": "gov-1",
        "effect": "deny",
        "cells": ["85283473fffffff"],
        "customer_classes": ["government"],
        "reason": "a secret reason",
        "sealed": True,
    }
    made = client.post("/v1/geofences", json=body, headers=keys("operator"))
    assert made.status_code == 201, made.text
    assert made.json()["sealed"] is True
    seen = client.get("/v1/geofences/gf-gov", headers=keys("viewer")).json()
    assert (seen["cells"], seen["area"], "secret" in seen["reason"]) == ([], None, False)
    assert client.get("/v1/geofences/gf-gov", headers=keys("auditor")).json()["reason"] == (
        "a secret reason"
    )
    assert_problem(client.get("/v1/geofences/gf-gov/opening", headers=keys("viewer")), 403)
    opening = client.get("/v1/geofences/gf-gov/opening", headers=keys("auditor")).json()
    (rec,) = store.audit_log(entity="geofence", entity_id="gf-gov")
    assert "a secret reason" not in str(rec.to_dict())
    assert isinstance(rec.after, dict)
    assert opening_matches(rec.after["commitment"], opening)
    assert store.verify().ok
