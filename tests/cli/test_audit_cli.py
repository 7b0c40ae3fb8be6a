"""``leolink audit`` from the outside: checkpoint, verify (store, service, saved log), prove.

The rebuilt-history attack runs here end to end: an operator who keeps the database and the
signing key wipes the log and replays another history through leolink itself; a verifier who
saved an earlier checkpoint and holds only the public key catches it, from the database, from
the running service (its public endpoints, over loopback HTTP) and from a saved copy.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import create_engine
from typer.testing import CliRunner

from leolink import api
from leolink.cli.main import app
from leolink.service import create_app
from leolink.store import Store
from tests.store.test_store_audit import fill

runner = CliRunner()
WIPE = (
    "DELETE FROM terminals",
    "DELETE FROM policy_versions",
    "DELETE FROM audit_records",
    "DELETE FROM audit_checkpoints",
    "DELETE FROM audit_tree_nodes",
    "UPDATE audit_head SET seq = 0, hash = '" + "0" * 64 + "', signature = NULL, "
    "note = NULL, frontier = NULL",
)


@pytest.fixture
def log(tmp_path: Path) -> tuple[str, Path]:
    """A SQLite store with 5 records and its key file."""
    db, key = f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "key.pem"
    with Store.open(db, signing_key=key) as store:
        fill(store, 5)
    return db, key


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def save(tmp_path: Path, name: str, *args: str) -> Path:
    code, out = invoke(*args)
    assert code == 0, out
    path = tmp_path / name
    path.write_text(out, encoding="utf-8")
    return path


def rebuild(db: str, key: Path, n: int) -> None:
    """The attack: wipe the log in SQL, then replay another history with the real key."""
    with create_engine(db).begin() as conn:
        for statement in WIPE:
            conn.exec_driver_sql(statement)
    with Store.open(db, signing_key=key) as store:
        fill(store, n, actor="op:mallory", why="backdated order")


def test_a_rebuilt_history_is_caught_by_a_saved_checkpoint(log, tmp_path: Path):
    db, key = log
    vkey = save(tmp_path, "log.vkey", "audit", "public-key", "--db", db, "--signing-key", str(key))
    old = save(tmp_path, "old.note", "audit", "checkpoint", "--db", db)
    assert old.read_text().splitlines()[1] == "5"
    code, out = invoke(
        "audit", "verify", "--db", db, "--public-key", str(vkey), "--checkpoint", str(old)
    )
    assert code == 0, out

    rebuild(db, key, 7)  # longer than before; same size is caught the same way
    code, out = invoke("audit", "verify", "--db", db, "--public-key", str(vkey))
    assert code == 0, out  # without an earlier checkpoint the forgery is consistent in itself
    code, out = invoke(
        "audit", "verify", "--db", db, "--public-key", str(vkey), "--checkpoint", str(old)
    )
    assert code == 1
    result = json.loads(out)
    assert result["first_bad"] == 1
    assert "not an append-only extension of the earlier checkpoint of size 5" in result["reason"]


def test_a_saved_log_is_verified_offline_and_edits_are_named(log, tmp_path: Path):
    db, key = log
    vkey = save(tmp_path, "log.vkey", "audit", "public-key", "--db", db, "--signing-key", str(key))
    note = save(tmp_path, "cp.note", "audit", "checkpoint", "--db", db)
    saved = save(tmp_path, "log.jsonl", "audit", "export", "--db", db)
    args = ["audit", "verify", "--public-key", str(vkey), "--checkpoint", str(note), "--log"]
    code, out = invoke(*args, str(saved))
    assert (code, json.loads(out)["ok"]) == (0, True), out
    lines = saved.read_text().splitlines()

    edited = [*lines]
    record = json.loads(edited[2])
    record["reason"] = "something else"
    edited[2] = json.dumps(record)
    cases = {
        "edit": (edited, 3),
        "truncation": (lines[:4], 5),
        "reorder": ([lines[0], lines[2], lines[1], *lines[3:]], 2),
    }
    for name, (content, first_bad) in cases.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(content) + "\n")
        code, out = invoke(*args, str(path))
        assert code == 1, name
        assert json.loads(out)["first_bad"] == first_bad, (name, out)


def test_prove_a_record_and_refuse_a_foreign_key(log, tmp_path: Path):
    db, key = log
    vkey = save(tmp_path, "log.vkey", "audit", "public-key", "--db", db, "--signing-key", str(key))
    code, out = invoke("audit", "prove", "--db", db, "--public-key", str(vkey), "--seq", "3")
    assert code == 0, out
    result = json.loads(out)
    assert (result["included"], result["checkpoint_signed"], result["checkpoint_size"]) == (
        True,
        True,
        5,
    )
    other = tmp_path / "other.vkey"
    text = vkey.read_text()
    other.write_text(
        text.replace("leolink.local/audit", "leolink.local/other").split("+")[0]
        + "+00000000+"
        + text.split("+", 2)[2]
    )
    code, out = invoke("audit", "prove", "--db", db, "--public-key", str(other), "--seq", "3")
    assert code != 0


def test_verify_needs_an_existing_database_and_key(tmp_path: Path):
    missing = tmp_path / "nothing.db"
    result = runner.invoke(
        app, ["audit", "verify", "--db", f"sqlite:///{missing}", "--public-key", "x+1+y"]
    )
    assert result.exit_code != 0
    assert "there is no database" in str(result.exception)
    assert not missing.exists()


@pytest.fixture
def served(log) -> Iterator[str]:
    """The log's store behind a real HTTP server on loopback."""
    db, key = log
    store = Store.open(db, signing_key=key)
    server_app = create_app(store=store, catalog=api.load_catalog())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(server_app, host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    store.close()


def test_verify_against_a_running_service(log, served: str, tmp_path: Path):
    db, key = log
    vkey = save(tmp_path, "log.vkey", "audit", "public-key", "--db", db, "--signing-key", str(key))
    old = save(tmp_path, "old.note", "audit", "checkpoint", "--db", db)
    code, out = invoke(
        "audit", "verify", "--url", served, "--public-key", str(vkey), "--checkpoint", str(old)
    )
    assert code == 0, out
    rebuild(db, key, 5)  # the same size: only the roots differ
    code, out = invoke(
        "audit", "verify", "--url", served, "--public-key", str(vkey), "--checkpoint", str(old)
    )
    assert code == 1, out
    assert "not an append-only extension of the checkpoint of size 5" in out


def test_a_write_with_a_missing_signing_key_is_an_error_not_a_new_key(log, tmp_path: Path):
    db, key = log
    typo = tmp_path / "kye.pem"
    code, out = invoke("keys", "create", "--role", "viewer", "--db", db, "--signing-key", str(typo))
    assert code == 2
    assert "Invalid value for '--signing-key'" in out
    assert not typo.exists()
    with Store.open(db, signing_key=key) as store:
        assert len(store.audit_log()) == 5  # nothing was written
    code, out = invoke("audit", "new-key", str(typo))
    assert (code, len(out.strip())) == (0, 64), out
    assert typo.stat().st_mode & 0o077 == 0
    again = runner.invoke(app, ["audit", "new-key", str(typo)])
    assert "never overwritten" in str(again.exception)


def test_verify_refuses_a_postgres_database_that_does_not_exist(postgres_server_url: str):
    from sqlalchemy.engine import make_url

    missing = make_url(postgres_server_url).set(database="leolink_no_such_db")
    result = runner.invoke(
        app,
        [
            "audit", "verify", "--db", missing.render_as_string(hide_password=False),
            "--public-key", "x+1+y",
        ],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "check that it exists: verification never creates one" in str(result.exception)


def test_verify_refuses_a_database_without_a_store(tmp_path: Path):
    empty = tmp_path / "empty.db"
    create_engine(f"sqlite:///{empty}").connect().close()  # a file, but no schema
    result = runner.invoke(
        app, ["audit", "verify", "--db", f"sqlite:///{empty}", "--public-key", "x+1+y"]
    )
    assert "holds no leolink store" in str(result.exception)
