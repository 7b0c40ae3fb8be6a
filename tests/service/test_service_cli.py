"""``leolink keys`` (in process) and ``leolink serve`` (the installed script), as a user runs
them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.leolink_cli import LEOLINK, CliResult, run_leolink

from leolink.store import Store
from leolink.store.signing import load_or_create_key


def _run(*args: str) -> CliResult:
    return run_leolink(*args)


def test_keys_create_prints_a_token_once_that_authenticates(db_url: str, tmp_path: Path) -> None:
    key = str(tmp_path / "signing.pem")
    load_or_create_key(key)  # --signing-key must name an existing key
    made = _run(
        "keys",
        "create",
        "--role",
        "operator",
        "--name",
        "alice",
        "--db",
        db_url,
        "--signing-key",
        key,
    )
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("lk_")
    assert "shown only now" in made.stderr
    as_json = _run(
        "keys",
        "create",
        "--role",
        "viewer",
        "--db",
        db_url,
        "--signing-key",
        key,
        "--format",
        "json",
    )
    viewer = json.loads(as_json.stdout)
    assert viewer["role"] == "viewer"
    assert viewer["name"].startswith("viewer-")
    listed = json.loads(_run("keys", "list", "--db", db_url, "--format", "json").stdout)
    assert [k["name"] for k in listed] == ["alice", viewer["name"]]
    assert "token" not in listed[0]
    with Store.open(db_url, signing_key=key) as store:
        alice = store.authenticate(token)
        assert alice is not None
        assert (alice.name, alice.role.value) == ("alice", "operator")
        assert store.audit_log(limit=None)[0].actor.startswith("cli:")
    revoked = _run(
        "keys",
        "revoke",
        alice.id,
        "--reason",
        "left",
        "--db",
        db_url,
        "--signing-key",
        key,
        "--format",
        "json",
    )
    assert json.loads(revoked.stdout)["revoked_at"] is not None
    with Store.open(db_url, signing_key=key) as store:
        assert store.authenticate(token) is None
    bad = _run("keys", "create", "--role", "root", "--db", db_url)
    assert bad.returncode != 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_prints_its_address_seeds_an_empty_store_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    key = str(tmp_path / "signing.pem")
    load_or_create_key(key)  # --signing-key must name an existing key
    command = [LEOLINK, "serve", "--port", str(port), "--db", db, "--signing-key", key]
    log = tmp_path / "serve.log"
    with (
        log.open("w") as stderr,
        subprocess.Popen(
            [*command, "--log-level", "warning"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
        ) as server,
    ):
        try:
            assert server.stdout is not None
            assert server.stdout.readline().strip() == f"http://127.0.0.1:{port}"
            health = _wait_for_health(server, port, log)
            assert health["status"] == "ok"
            assert health["policy_version"] > 0  # the default policy was loaded
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as page:
                assert b"<html" in page.read().lower()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
    with Store.open(db, signing_key=key) as store:
        seeded = store.country_status_changes()
        assert seeded
        assert all(c.state.value == "approved" for c in seeded)
        assert store.verify().ok


def _wait_for_health(server: subprocess.Popen[str], port: int, log: Path) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health") as response:
                body: dict[str, object] = json.load(response)
                return body
        except OSError:
            assert server.poll() is None, log.read_text()
            time.sleep(0.3)
    raise AssertionError(f"no answer on port {port} within 120 s:\n{log.read_text()}")
