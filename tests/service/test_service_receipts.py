"""Signed decision receipts from a running service, checked with ``leolink receipt verify``."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from tests.leolink_cli import run_leolink
from tests.service.witness_helpers import serving

from leolink import api
from leolink.policy.defaults import seed_if_empty
from leolink.policy.receipts import parse_receipt
from leolink.policy.records import Role
from leolink.service import create_app
from leolink.store import Store

ASK = {"lat": 50.45, "lon": 30.52, "at": "2026-05-13T12:00:00Z"}


def test_a_receipt_proves_the_decision_and_that_its_policy_is_in_the_log(
    store: Store, catalog: api.Catalog, tmp_path: Path
) -> None:
    seed_if_empty(store)
    vkey = store.log_verifier().vkey()
    with serving(create_app(store=store, catalog=catalog)) as base:
        request = urllib.request.Request(
            f"{base}/v1/decisions?receipt=true",
            data=json.dumps(ASK).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            decision = json.load(response)
        receipt = parse_receipt(decision["receipt"])
        assert receipt.statement["decision"]["code"] == decision["code"]
        assert receipt.statement["request"]["lat"] == ASK["lat"]
        assert receipt.statement["policy"]["version"] == decision["policy_version"] > 0
        saved = tmp_path / "receipt.note"
        saved.write_text(decision["receipt"])
        store.create_api_key(Role.VIEWER, name="later", actor="op", reason="the log grows")

        done = run_leolink("receipt", "verify", str(saved), "--public-key", vkey, "--url", base)
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert out["ok"]
        assert out["policy_in_log"]
        assert out["consistent_with_published"]
        assert out["published_size"] > out["checkpoint_size"]

        forged = tmp_path / "forged.note"
        forged.write_text(decision["receipt"].replace(f'"code":"{decision["code"]}"', '"code":"X"'))
        bad = run_leolink("receipt", "verify", str(forged), "--public-key", vkey, "--url", base)
        assert bad.returncode == 1
        assert "not signed" in json.loads(bad.stdout)["reason"]

    log = tmp_path / "log.jsonl"
    exported = run_leolink(
        "audit",
        "export",
        "--db",
        str(store.engine.url.render_as_string(False)),
        "--signing-key",
        str(tmp_path / "audit-signing-key.pem"),
    )
    assert exported.returncode == 0, exported.stderr
    log.write_text(exported.stdout)
    offline = run_leolink("receipt", "verify", str(saved), "--public-key", vkey, "--log", str(log))
    assert offline.returncode == 0, offline.stdout
    assert json.loads(offline.stdout)["policy_in_log"]

    missing = run_leolink("receipt", "verify", str(tmp_path / "none"), "--public-key", vkey)
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
