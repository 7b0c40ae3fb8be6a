"""Witnesses as separate processes: k-of-n publication, a witness down, a rebuilt history and a
split view, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.service.service_helpers import assert_problem
from tests.service.witness_helpers import free_port, policy, serving, wait_for, witnesses

from leolink import api
from leolink.policy.notes import parse_checkpoint, verifier_from_vkey, vkey
from leolink.policy.records import Role
from leolink.policy.witness import add_checkpoint_body, find_split_view
from leolink.service import create_app
from leolink.service.witnessing import Publisher, Witness, WitnessPolicy, published
from leolink.store import Store
from leolink.store.models import Base


def write(store: Store, n: int, tag: str) -> None:
    """``n`` audit records (API keys made), named with ``tag``."""
    for i in range(n):
        store.create_api_key(Role.VIEWER, name=f"{tag}-{i}", actor="operator", reason=tag)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_publication_waits_for_k_of_n_while_decisions_and_writes_go_on(
    store: Store, catalog: api.Catalog, tmp_path: Path
) -> None:
    write(store, 3, "before")
    with witnesses(tmp_path, store.log_verifier().vkey(), "w1.test", "w2.test") as (w1, w2):
        w1.start()
        w2.start()
        w2.stop()  # its key is known; it is down
        app = create_app(
            store=store, catalog=catalog, witnesses=policy(2, w1, w2), witness_interval_s=0.1
        )
        with serving(app) as base:
            wait_for(
                lambda: (w1.status() or {})["logs"][store.log_origin()]["size"] == 3, "w1 cosigns"
            )
            status, body = get(f"{base}/v1/log/checkpoint")
            assert status == 503
            assert "2 of the 2 witnesses" in body
            write(store, 2, "while-w2-is-down")  # writes go on
            request = urllib.request.Request(
                f"{base}/v1/decisions",
                data=json.dumps(
                    {"lat": 50.45, "lon": 30.52, "at": "2026-05-13T12:00:00Z"}
                ).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=60) as response:
                assert response.status == 200  # decisions go on
            w2.start()
            wait_for(lambda: get(f"{base}/v1/log/checkpoint")[0] == 200, "publication")
            cp = parse_checkpoint(get(f"{base}/v1/log/checkpoint")[1])
            assert cp.size == 5  # nothing written meanwhile was lost
            assert cp.signed_by(store.log_verifier())
            for w in (w1, w2):
                assert cp.cosigned_by(verifier_from_vkey(w.vkey)) is not None
            listed = json.loads(get(f"{base}/v1/log/checkpoints")[1])
            assert listed["quorum"] == 2
            assert listed["items"][0]["size"] == 5
            assert listed["items"][0]["published"]
            assert {c["witness"] for c in listed["items"][0]["cosignatures"]} == {
                "w1.test",
                "w2.test",
            }
            assert not any(i["published"] for i in listed["items"][1:])  # size 3 had w1 alone
            shown = json.loads(get(f"{base}/v1/log/witnesses")[1])
            assert [w["size"] for w in shown["witnesses"]] == [5, 5]


def rebuild(store: Store, db_url: str, key: Path) -> Store:
    """What an operator with the database and the key can do: drop everything, start again."""
    Base.metadata.drop_all(store.engine)
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    store.close()
    return Store.open(db_url, signing_key=key)


def test_a_witness_holding_a_checkpoint_refuses_a_rebuilt_history(
    db_url: str, tmp_path: Path
) -> None:
    key = tmp_path / "log.pem"
    store = Store.open(db_url, signing_key=key)
    write(store, 6, "honest")
    with witnesses(tmp_path, store.log_verifier().vkey(), "w1.test") as (w1,):
        w1.start()
        rule = policy(1, w1)
        honest = Publisher(store, rule).round()
        assert honest.cosigned_by(w1.witness.verifier) is not None
        assert published(store, rule) == honest

        rebuilt = rebuild(store, db_url, key)
        try:
            write(rebuilt, 6, "rebuilt")  # same size, re-signed with the same key
            same = Publisher(rebuilt, rule)
            assert same.round().cosigned_by(w1.witness.verifier) is None
            assert "split view" in (same.status["w1.test"].last_error or "")
            assert published(rebuilt, rule) is None

            write(rebuilt, 4, "longer")  # longer: the proof from 6 cannot hold
            longer = Publisher(rebuilt, rule)
            assert longer.round().cosigned_by(w1.witness.verifier) is None
            assert "rebuilt" in (longer.status["w1.test"].last_error or "")
            assert published(rebuilt, rule) is None
        finally:
            rebuilt.close()
        held = (w1.status() or {})["logs"]["leolink.local/audit"]
        assert (held["size"], held["root"]) == (
            6,
            parse_checkpoint(honest.note()).text.split("\n")[2],
        )


def test_a_split_view_shown_to_two_witnesses_is_detected(tmp_path: Path) -> None:
    key = tmp_path / "log.pem"
    one = Store.open(f"sqlite:///{tmp_path / 'one.db'}", signing_key=key)
    two = Store.open(f"sqlite:///{tmp_path / 'two.db'}", signing_key=key)
    try:
        write(one, 5, "view-one")
        write(two, 5, "view-two")
        log = one.log_verifier()
        with witnesses(tmp_path, log.vkey(), "w1.test", "w2.test") as (w1, w2):
            w1.start()
            w2.start()
            seen_by_w1 = Publisher(one, policy(1, w1)).round()  # each alone cannot tell
            seen_by_w2 = Publisher(two, policy(1, w2)).round()
            assert seen_by_w1.cosigned_by(w1.witness.verifier) is not None
            assert seen_by_w2.cosigned_by(w2.witness.verifier) is not None
            # Anyone who gathers the witnesses' checkpoints sees it ...
            notes = [(w.status() or {})["logs"][log.name]["note"] for w in (w1, w2)]
            pair = find_split_view(notes, log)
            assert pair is not None
            assert pair[0].size == pair[1].size == 5
            # ... and a witness shown the other view refuses it and keeps the evidence.
            body = add_checkpoint_body(5, [], seen_by_w2.note()).encode()
            status, answer = _post(f"{w1.url}/add-checkpoint", body)
            assert status == 409
            assert "split view" in answer
            assert len((w1.status() or {})["evidence"]) == 1
            # With both witnesses required, neither view is ever published.
            both = policy(2, w1, w2)
            for store in (one, two):
                Publisher(store, both).round()
                assert published(store, both) is None
    finally:
        one.close()
        two.close()


def _post(url: str, body: bytes) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("quorum = 2\n", "names no [[witness]]"),
        ('quorum = 3\n[[witness]]\nkey = "KEY"\nurl = "http://127.0.0.1:1"\n', "quorum = 3"),
        ('quorum = 1\n[[witness]]\nkey = "nope"\nurl = "http://127.0.0.1:1"\n', "witness 1"),
        ("quorum = [", "not TOML"),
    ],
)
def test_a_bad_witness_policy_is_refused_by_serve(tmp_path: Path, content: str, words: str) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from tests.leolink_cli import run_leolink

    from leolink.policy.notes import vkey

    key = vkey("w.test", Ed25519PrivateKey.generate().public_key(), cosigner=True)
    path = tmp_path / "witnesses.toml"
    path.write_text(content.replace("KEY", key))
    done = run_leolink("serve", "--db", f"sqlite:///{tmp_path / 's.db'}", "--witnesses", str(path))
    assert done.returncode == 2
    assert words in done.stderr
    assert "Traceback" not in done.stderr


def test_no_witnessed_checkpoint_yet_is_its_own_problem(
    store: Store, catalog: api.Catalog, tmp_path: Path
) -> None:
    write(store, 2, "unwitnessed")
    down = Witness(
        verifier_from_vkey(
            vkey("w.test", Ed25519PrivateKey.generate().public_key(), cosigner=True)
        ),
        f"http://127.0.0.1:{free_port()}",  # nothing listens there
    )
    app = create_app(
        store=store, catalog=catalog, witnesses=WitnessPolicy(1, (down,)), witness_interval_s=3.0
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        got = client.get("/v1/log/checkpoint")
        body = assert_problem(got, 503, "not-yet-witnessed")
        assert body["title"] == "No checkpoint is cosigned by enough witnesses yet"
        assert "1 of the 1 witnesses" in body["detail"]
        assert (body["quorum"], body["witnesses"], got.headers["Retry-After"]) == (1, 1, "3")
        assert client.get("/v1/log/proof/consistency?size1=1").status_code == 200  # the log is up
