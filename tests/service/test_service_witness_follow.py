"""A witness that pulls (`leolink.service.witness_follow`, ``leolink witness follow``) against
services on 127.0.0.1: it cosigns, its cosignature is kept and counts towards publication, and
a split view or a rebuilt history is refused."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.leolink_cli import run_leolink
from tests.service.witness_helpers import serving

from leolink import api
from leolink.policy.notes import parse_checkpoint, verifier_from_vkey, vkey
from leolink.policy.records import Role
from leolink.service import create_app
from leolink.service.witness_follow import FollowError, follow_once
from leolink.service.witness_server import WitnessFile
from leolink.service.witnessing import Witness, WitnessPolicy
from leolink.store import Store

NAME = "pull.test"


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


@pytest.fixture
def witness_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def pull_policy(key: Ed25519PrivateKey) -> WitnessPolicy:
    """One witness, with no URL: it pulls."""
    return WitnessPolicy(
        1, (Witness(verifier_from_vkey(vkey(NAME, key.public_key(), cosigner=True)), None),)
    )


def test_a_pulling_witness_cosigns_and_its_cosignature_publishes_the_checkpoint(
    store: Store, catalog: api.Catalog, tmp_path: Path, witness_key: Ed25519PrivateKey
) -> None:
    write(store, 3, "first")
    app = create_app(store=store, catalog=catalog, witnesses=pull_policy(witness_key))
    state = WitnessFile(tmp_path / "w.json", [store.log_verifier()])
    with serving(app) as base:
        assert get(f"{base}/v1/log/checkpoint")[0] == 503  # nobody has cosigned yet
        done = follow_once(base, name=NAME, key=witness_key, state_file=state)
        assert (done.size, done.cosigned, done.pushed_status) == (3, True, 200)
        assert json.loads(done.pushed_answer)["published"] is True
        status, note = get(f"{base}/v1/log/checkpoint")
        assert status == 200
        cp = parse_checkpoint(note)
        assert cp.size == 3
        assert cp.cosigned_by(pull_policy(witness_key).witnesses[0].verifier) is not None
        write(store, 4, "more")  # the next round proves 3 -> 7 consistent and cosigns 7
        again = follow_once(base, name=NAME, key=witness_key, state_file=state)
        assert (again.size, again.cosigned, again.pushed_status) == (7, True, 200)
        assert parse_checkpoint(get(f"{base}/v1/log/checkpoint")[1]).size == 7
        same = follow_once(base, name=NAME, key=witness_key, state_file=state)
        assert (same.size, same.cosigned, same.pushed_status) == (7, False, 200)
        assert state.state.logs[store.log_origin()].size == 7
        # A cosignature by a key the policy does not name counts for nothing.
        stranger = WitnessFile(tmp_path / "s.json", [store.log_verifier()])
        other = follow_once(base, name=NAME, key=Ed25519PrivateKey.generate(), state_file=stranger)
        assert other.pushed_status == 422
        assert "no valid cosignature" in other.pushed_answer


def test_a_pulling_witness_refuses_a_split_view_and_a_rebuilt_history(
    catalog: api.Catalog, tmp_path: Path, witness_key: Ed25519PrivateKey
) -> None:
    key = tmp_path / "log.pem"
    one = Store.open(f"sqlite:///{tmp_path / 'one.db'}", signing_key=key)
    two = Store.open(f"sqlite:///{tmp_path / 'two.db'}", signing_key=key)
    try:
        write(one, 5, "view-one")
        write(two, 5, "view-two")  # same key, same size, another history
        state = WitnessFile(tmp_path / "w.json", [one.log_verifier()])
        with (
            serving(create_app(store=one, catalog=catalog)) as base_one,
            serving(create_app(store=two, catalog=catalog)) as base_two,
        ):
            assert follow_once(base_one, name=NAME, key=witness_key, state_file=state).cosigned
            with pytest.raises(FollowError, match="split view"):
                follow_once(base_two, name=NAME, key=witness_key, state_file=state)
            saved = json.loads((tmp_path / "w.json").read_text())
            assert len(saved["evidence"]) == 1  # both notes kept, on disk
            write(two, 3, "longer")  # longer: no proof from the size-5 root it holds
            with pytest.raises(FollowError, match="rebuilt"):
                follow_once(base_two, name=NAME, key=witness_key, state_file=state)
            held = state.state.logs[one.log_origin()]
            assert (held.size, held.root) == (5, one.tree_root(5)[1])
            # The command line says so too, and exits 1.
            pem = tmp_path / "w.pem"
            wkey = run_leolink("witness", "public-key", "--key", str(pem), "--name", NAME)
            args = ["--key", str(pem), "--name", NAME, "--state", str(tmp_path / "cli.json")]
            args += ["--log-key", one.log_verifier().vkey(), "--once"]
            ok = run_leolink("witness", "follow", *args, "--url", base_one)
            assert json.loads(ok.stdout)["cosigned"] is True
            assert wkey.stdout.strip().startswith(NAME + "+")
            refused = run_leolink("witness", "follow", *args, "--url", base_two)
            assert refused.returncode == 1
            assert "history was rebuilt" in refused.stderr  # two is at 8 now
            bad = run_leolink("witness", "follow", *args, "--url", "ftp://x")
            assert bad.returncode == 2
            assert "--url" in bad.stderr
    finally:
        one.close()
        two.close()
