"""C2SP signed notes against the Go reference's vector; checkpoints and cosignatures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink.errors import InputError
from leolink.policy.notes import (
    checkpoint_text,
    cosign,
    note_signature,
    parse_checkpoint,
    signer_from_skey,
    verifier_from_vkey,
    vkey,
)

VECTOR = json.loads(
    (Path(__file__).parents[1] / "data" / "transparency" / "signed-note-vector.json").read_text()
)


def test_the_go_reference_note_is_reproduced_byte_for_byte() -> None:
    name, key = signer_from_skey(VECTOR["skey"])
    assert vkey(name, key.public_key()) == VECTOR["vkey"]
    # Ed25519 is deterministic (RFC 8032): the same key and text give the published line.
    assert note_signature(VECTOR["text"], name, key) == VECTOR["signature_line"]
    verifier = verifier_from_vkey(VECTOR["vkey"])
    assert verifier.name == "PeterNeumann"
    assert verifier.key_id.hex() == "c74f20a3"


@pytest.mark.parametrize(
    "bad",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # short
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_a_mangled_verifier_key_is_refused(bad: str) -> None:
    with pytest.raises(InputError):
        verifier_from_vkey(bad)


def test_a_checkpoint_verifies_only_with_the_key_it_was_signed_with() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    text = checkpoint_text("example.org/log", 7, b"\x07" * 32)
    cp = parse_checkpoint(text + "\n" + note_signature(text, "example.org/log", key))
    assert (cp.origin, cp.size, cp.root) == ("example.org/log", 7, b"\x07" * 32)
    assert cp.signed_by(verifier_from_vkey(vkey("example.org/log", key.public_key())))
    assert not cp.signed_by(verifier_from_vkey(vkey("example.org/log", other.public_key())))
    edited = parse_checkpoint(cp.note().replace("\n7\n", "\n8\n"))
    assert not edited.signed_by(verifier_from_vkey(vkey("example.org/log", key.public_key())))


def test_a_cosignature_follows_the_c2sp_message_and_layout() -> None:
    log, witness = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    text = checkpoint_text("example.org/log", 3, b"\x03" * 32)
    cp = parse_checkpoint(text + "\n" + note_signature(text, "example.org/log", log))
    co = cosign(cp.text, "w1.example", witness, 1_679_315_147)
    cosigned = cp.with_lines(co.line)
    w = verifier_from_vkey(vkey("w1.example", witness.public_key(), cosigner=True))
    assert cosigned.cosigned_by(w) == 1_679_315_147
    assert cp.cosigned_by(w) is None
    # The signed message is exactly the spec's: header, time line, then the checkpoint text.
    name, blob = cosigned.signatures[1]
    assert name == "w1.example"
    assert len(blob) == 4 + 8 + 64
    witness.public_key().verify(blob[12:], b"cosignature/v1\ntime 1679315147\n" + text.encode())
    # A witness key is not a log key: its line never counts as the log's signature.
    assert not cosigned.signed_by(w)
