"""``leolink check --receipt`` and ``leolink receipt verify`` against a saved log."""

from __future__ import annotations

import json
from pathlib import Path

from tests.leolink_cli import run_leolink


def test_check_writes_a_receipt_that_verifies_against_the_exported_log(tmp_path: Path) -> None:
    store = ["--db", f"sqlite:///{tmp_path / 'ops.db'}", "--signing-key", str(tmp_path / "k.pem")]
    assert run_leolink("audit", "new-key", str(tmp_path / "k.pem")).returncode == 0
    assert run_leolink("policy", "load-defaults", *store).returncode == 0
    receipt = tmp_path / "receipt.note"
    checked = run_leolink(
        "check",
        "--lat",
        "25.03",
        "--lon",
        "121.56",
        "--at",
        "2026-05-13T12:00:00Z",
        "--no-satellites",
        "--receipt",
        str(receipt),
        *store,
    )
    assert checked.returncode == 0, checked.stderr
    decision = json.loads(checked.stdout)
    vkey = tmp_path / "log.vkey"
    vkey.write_text(run_leolink("audit", "public-key", *store).stdout)
    log = tmp_path / "log.jsonl"
    log.write_text(run_leolink("audit", "export", *store).stdout)

    done = run_leolink(
        "receipt", "verify", str(receipt), "--public-key", str(vkey), "--log", str(log)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = json.loads(done.stdout)
    assert out["decision"]["code"] == decision["code"]
    assert out["policy_in_log"]

    # A saved log whose policy record was rewritten does not hold the receipt's policy.
    records = [json.loads(line) for line in log.read_text().splitlines()]
    records[out["policy_seq"] - 1]["reason"] = "rewritten"
    forged = tmp_path / "forged.jsonl"
    forged.write_text("".join(json.dumps(r) + "\n" for r in records))
    bad = run_leolink(
        "receipt", "verify", str(receipt), "--public-key", str(vkey), "--log", str(forged)
    )
    assert bad.returncode == 1
    assert not json.loads(bad.stdout)["policy_in_log"]
    assert (
        f"record {out['policy_seq']} of the saved log was altered"
        in json.loads(bad.stdout)["reason"]
    )


def test_receipt_options_refuse_bad_input(tmp_path: Path) -> None:
    store = ["--db", f"sqlite:///{tmp_path / 'ops.db'}", "--signing-key", str(tmp_path / "k.pem")]
    assert run_leolink("audit", "new-key", str(tmp_path / "k.pem")).returncode == 0
    nowhere = run_leolink(
        "check",
        "--lat",
        "0",
        "--lon",
        "0",
        "--no-satellites",
        "--receipt",
        str(tmp_path / "no" / "such" / "r.note"),
        *store,
    )
    assert nowhere.returncode == 2
    assert "existing folder" in nowhere.stderr
    junk = tmp_path / "junk.note"
    junk.write_text("hello\n")
    refused = run_leolink("receipt", "verify", str(junk), "--public-key", "x+00000000+AAAA")
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
