"""``leolink witness``: its key, and bad input refused before it listens."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink.policy.notes import verifier_from_vkey, vkey
from tests.leolink_cli import run_leolink

LOG = vkey("leolink.test/audit", Ed25519PrivateKey.generate().public_key())


def test_public_key_is_a_cosigner_key_made_once(tmp_path: Path) -> None:
    args = ("witness", "public-key", "--key", str(tmp_path / "w.pem"), "--name", "w.test")
    first = run_leolink(*args)
    assert first.returncode == 0, first.stderr
    verifier = verifier_from_vkey(first.stdout)
    assert verifier.cosigner
    assert verifier.name == "w.test"
    assert run_leolink(*args).stdout == first.stdout  # the key file is kept, not remade
    assert (tmp_path / "w.pem").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("log_key", "state", "words"),
    [
        ("not-a-key", "w.json", "--log-key not-a-key"),
        ("WITNESS", "w.json", "a witness's key, not a log's"),
        ("LOG", "no/such/folder/w.json", "existing folder"),
        ("LOG", "broken.json", "not JSON"),
    ],
)
def test_serve_refuses_bad_input_with_a_message(
    tmp_path: Path, log_key: str, state: str, words: str
) -> None:
    (tmp_path / "broken.json").write_text("{")
    witness = vkey("w.test", Ed25519PrivateKey.generate().public_key(), cosigner=True)
    given = {"LOG": LOG, "WITNESS": witness}.get(log_key, log_key)
    done = run_leolink(
        "witness",
        "serve",
        "--key",
        str(tmp_path / "w.pem"),
        "--name",
        "w.test",
        "--state",
        str(tmp_path / state),
        "--log-key",
        given,
        "--port",
        "0",
    )
    assert done.returncode == 2
    assert words in done.stderr
    assert "Traceback" not in done.stderr
