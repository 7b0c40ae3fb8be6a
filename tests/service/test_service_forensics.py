"""``POST /v1/forensics``: findings from reports in the body, matched against the store's log."""

from __future__ import annotations

import json

import numpy as np
from fastapi.testclient import TestClient
from tests.service.service_helpers import Keys, assert_problem

from leolink.forensics import Restriction, Simulation, disk, reports_to_jsonl, simulate

T0 = np.datetime64("2026-05-13T00:00:00", "ns")


def test_findings_from_posted_reports(client: TestClient, keys: Keys) -> None:
    restricted = disk(48.6, 31.1, 1)
    sim = Simulation(
        disk(48.5, 31.0, 4),
        T0,
        T0 + np.timedelta64(3, "h"),
        terminals=300,
        seed=4,
        restrictions=[
            Restriction(restricted, T0 + np.timedelta64(1, "h"), T0 + np.timedelta64(2, "h"))
        ],
    )
    reports = [json.loads(line) for line in reports_to_jsonl(simulate(sim))]
    reports.append({"terminal_id": "UT-9", "time": "soon"})
    response = client.post("/v1/forensics", json={"reports": reports}, headers=keys("auditor"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reports"]["skipped"] == 1
    assert body["reports"]["problems"][0]["line"] == len(reports)
    (finding,) = [f for f in body["findings"] if f["kind"] == "policy_restriction"]
    assert finding["logged"] is False
    assert finding["log_records"] == []
    assert finding["evidence"]["coverage"]["checked"] is True
    assert body["not_enforced"] == []


def test_only_auditors_ask_and_bodies_are_checked(client: TestClient, keys: Keys) -> None:
    response = client.post("/v1/forensics", json={"reports": []}, headers=keys("viewer"))
    assert_problem(response, 403)
    response = client.post("/v1/forensics", json={"reports": "x"}, headers=keys("auditor"))
    assert_problem(response, 422)
