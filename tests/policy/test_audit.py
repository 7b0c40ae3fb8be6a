"""The hash chain and its signed checkpoints, on in-memory records (no database).

Each kind of tampering the design names (edit, delete, reorder, insert, truncate, rewrite with
recomputed hashes) is done to a list of records and must be reported at the right record.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from leolink.policy.audit import (
    GENESIS_HASH,
    AuditRecord,
    ChainVerification,
    Checkpoint,
    canonical_json,
    format_ts,
    new_record,
    public_key_from_hex,
    public_key_id,
    public_key_to_hex,
    sign_checkpoint,
    verify_chain,
    verify_checkpoint,
)

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
T0 = np.datetime64("2026-05-13T12:00:00.123456789", "ns")


def make_chain(n: int, start: int = 0, prev_hash: str = GENESIS_HASH) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    for i in range(n):
        rec = new_record(
            prev_seq=start + i,
            prev_hash=prev_hash,
            ts=T0 + np.timedelta64(i, "s"),
            actor=f"op:{'alice' if i % 2 else 'bob'}",
            action="geofence.propose",
            entity="geofence",
            entity_id=f"gf-{i}",
            before=None if i == 0 else {"state": "proposed", "n": i - 1},
            after={"state": "proposed", "n": i, "cells": ["85283473fffffff"], "x": 0.1 * i},
            reason=f"change {i} — ünïcode",
        )
        records.append(rec)
        prev_hash = rec.hash
    return records


def check(
    records: list[AuditRecord],
    checkpoints: tuple[Checkpoint, ...] = (),
    head: Checkpoint | str | None = "sign",
    key: Ed25519PrivateKey = KEY,
) -> ChainVerification:
    if head == "sign":
        last = records[-1] if records else None
        head = sign_checkpoint(KEY, "head", last.seq, last.hash, T0) if last else None
    assert not isinstance(head, str)
    trusted = {public_key_id(key.public_key()): key.public_key()}
    return verify_chain(iter(records), checkpoints=checkpoints, head=head, public_keys=trusted)


def relink(records: list[AuditRecord], start: int) -> list[AuditRecord]:
    """Recompute prev_hash and hash from ``start`` on, as an attacker who knows the scheme can."""
    out = list(records[:start])
    prev = out[-1].hash if out else GENESIS_HASH
    for rec in records[start:]:
        fixed = dataclasses.replace(rec, prev_hash=prev)
        fixed = dataclasses.replace(fixed, hash=fixed.compute_hash())
        out.append(fixed)
        prev = fixed.hash
    return out


def test_canonical_json_is_sorted_compact_utf8_and_refuses_nan():
    assert canonical_json({"b": 1, "a": [1.5, "é", None, True]}) == (
        '{"a":[1.5,"é",null,true],"b":1}'.encode()
    )
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_json({"x": float("nan")})


def test_timestamps_are_hashed_to_the_microsecond():
    assert format_ts(T0) == "2026-05-13T12:00:00.123456Z"
    rec = make_chain(1)[0]
    assert rec.ts == np.datetime64("2026-05-13T12:00:00.123456", "us")
    # What a database gives back (ns resolution, same instant) hashes the same.
    back = dataclasses.replace(rec, ts=rec.ts.astype("datetime64[ns]"))
    assert back.compute_hash() == rec.hash


def test_record_survives_a_json_round_trip():
    rec = make_chain(3)[2]
    data = json.loads(json.dumps(rec.to_dict()))
    assert data["hash"] == rec.hash
    again = dataclasses.replace(rec, before=data["before"], after=data["after"])
    assert again.compute_hash() == rec.hash


def test_new_record_refuses_values_json_cannot_hold():
    with pytest.raises(ValueError, match="JSON compliant"):
        new_record(
            prev_seq=0,
            prev_hash=GENESIS_HASH,
            ts=T0,
            actor="a",
            action="x",
            entity="e",
            entity_id="1",
            before=None,
            after={"lat_deg": float("inf")},
            reason="",
        )


def test_an_untouched_chain_verifies():
    records = make_chain(12)
    cps = tuple(sign_checkpoint(KEY, "checkpoint", r.seq, r.hash, T0) for r in records[4::5])
    result = check(records, cps)
    assert result == ChainVerification(True, 12, None, "all 12 records verify")
    assert result.to_dict() == {
        "ok": True,
        "records": 12,
        "first_bad": None,
        "reason": "all 12 records verify",
    }


def test_an_empty_log_without_head_verifies():
    assert check([], head=None).ok


def test_edited_record_is_found():
    records = make_chain(8)
    records[4] = dataclasses.replace(records[4], reason="nothing to see")
    result = check(records)
    assert (result.ok, result.first_bad, result.records) == (False, 5, 8)
    assert "record 5 was altered" in result.reason


def test_edited_prev_hash_is_found_at_that_record():
    records = make_chain(8)
    records[4] = dataclasses.replace(records[4], prev_hash="f" * 64)
    assert check(records).first_bad == 5


def test_edited_and_rehashed_record_is_found_by_its_successor():
    records = make_chain(8)
    edited = dataclasses.replace(records[4], actor="op:mallory")
    records[4] = dataclasses.replace(edited, hash=edited.compute_hash())
    result = check(records)
    assert result.first_bad == 5
    assert "record 5 was replaced" in result.reason


def test_deleted_record_is_found():
    records = make_chain(8)
    del records[3]
    result = check(records)
    assert (result.first_bad, result.records) == (4, 7)
    assert "record 4 is missing" in result.reason


def test_reordered_records_are_found():
    records = make_chain(8)
    a, b = records[2], records[3]
    # Swap their places (and seq numbers, so that the order by seq is the swapped one).
    records[2] = dataclasses.replace(b, seq=3)
    records[3] = dataclasses.replace(a, seq=4)
    assert check(records).first_bad == 3


def test_inserted_record_is_found():
    records = make_chain(8)
    forged = new_record(
        prev_seq=4,
        prev_hash=records[3].hash,
        ts=T0,
        actor="op:mallory",
        action="geofence.withdraw",
        entity="geofence",
        entity_id="gf-1",
        before=None,
        after=None,
        reason="",
    )
    shifted = [dataclasses.replace(r, seq=r.seq + 1) for r in records[4:]]
    result = check([*records[:4], forged, *shifted])
    assert result.first_bad == 5
    assert "record 5 was inserted" in result.reason


def test_truncated_tail_is_found_by_the_signed_head():
    records = make_chain(8)
    head = sign_checkpoint(KEY, "head", 8, records[-1].hash, T0)
    result = check(records[:6], head=head)
    assert (result.ok, result.first_bad, result.records) == (False, 7, 6)
    assert "records after 6 were deleted" in result.reason


def test_truncated_tail_is_found_by_a_checkpoint_when_the_head_is_gone():
    records = make_chain(8)
    cp = sign_checkpoint(KEY, "checkpoint", 7, records[6].hash, T0)
    result = check(records[:5], (cp,), head=None)
    # Without a head nothing after the last good checkpoint (none here) is vouched for.
    assert result.first_bad == 1
    assert "records after 5 were deleted" in result.reason
    cp3 = sign_checkpoint(KEY, "checkpoint", 3, records[2].hash, T0)
    assert check(records[:5], (cp3, cp), head=None).first_bad == 4


def test_records_without_a_signed_head_are_in_doubt_after_the_last_checkpoint():
    records = make_chain(8)
    cp = sign_checkpoint(KEY, "checkpoint", 5, records[4].hash, T0)
    result = check(records, (cp,), head=None)
    assert (result.ok, result.first_bad) == (False, 6)
    assert "no signed head" in result.reason


def test_records_appended_after_the_head_are_found():
    records = make_chain(8)
    head = sign_checkpoint(KEY, "head", 6, records[5].hash, T0)
    result = check(records, head=head)
    assert result.first_bad == 7
    assert "added without the signing key" in result.reason


def test_a_rewritten_chain_is_found_by_the_checkpoints():
    records = make_chain(12)
    cps = tuple(sign_checkpoint(KEY, "checkpoint", s, records[s - 1].hash, T0) for s in (4, 8))
    records[5] = dataclasses.replace(records[5], reason="rewritten")
    rewritten = relink(records, 5)
    head = sign_checkpoint(KEY, "head", 12, records[-1].hash, T0)
    result = check(rewritten, cps, head=head)
    # Records 1-4 are vouched for by the checkpoint at 4; the one at 8 no longer matches.
    assert (result.first_bad, result.records) == (5, 12)
    assert "signed checkpoint" in result.reason


def test_a_rewritten_tail_is_found_by_the_head():
    records = make_chain(12)
    cp = sign_checkpoint(KEY, "checkpoint", 8, records[7].hash, T0)
    head = sign_checkpoint(KEY, "head", 12, records[-1].hash, T0)
    records[9] = dataclasses.replace(records[9], reason="rewritten")
    result = check(relink(records, 9), (cp,), head=head)
    assert result.first_bad == 9
    assert "does not match the signed head" in result.reason


def test_signatures_by_untrusted_keys_or_over_other_messages_are_refused():
    records = make_chain(4)
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    forged_head = sign_checkpoint(other, "head", 4, records[-1].hash, T0)
    result = check(records, head=forged_head)
    assert not result.ok
    assert "not trusted" in result.reason
    # A checkpoint's signature cannot be passed off as the head's: the kind is signed.
    cp = sign_checkpoint(KEY, "checkpoint", 4, records[-1].hash, T0)
    as_head = dataclasses.replace(cp, kind="head")
    assert not verify_checkpoint(as_head, KEY.public_key())
    assert "does not verify" in check(records, head=as_head).reason
    tampered = dataclasses.replace(cp, seq=3)
    assert not check(records, (tampered,)).ok


def test_public_keys_round_trip_through_hex():
    pub = KEY.public_key()
    text = public_key_to_hex(pub)
    assert len(text) == 64
    assert public_key_id(public_key_from_hex(text)) == public_key_id(pub)
    cp = sign_checkpoint(KEY, "checkpoint", 1, "a" * 64, T0)
    assert verify_checkpoint(cp, public_key_from_hex(text))
    assert cp.to_dict()["key_id"] == public_key_id(pub)


TAMPERINGS = ("edit", "delete", "swap", "rehash", "truncate")


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=25),
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    how=st.sampled_from(TAMPERINGS),
)
def test_every_single_tampering_is_found_at_or_before_the_touched_record(
    n: int, where: float, how: str
):
    records = make_chain(n)
    head = sign_checkpoint(KEY, "head", n, records[-1].hash, T0)
    k = int(where * (n - 1))  # index of the record tampered with (never the last for swap)
    if how == "edit":
        records[k] = dataclasses.replace(records[k], entity_id="other")
    elif how == "delete":
        del records[k]
    elif how == "swap":
        a, b = records[k], records[k + 1]
        records[k], records[k + 1] = (
            dataclasses.replace(b, seq=a.seq),
            dataclasses.replace(a, seq=b.seq),
        )
    elif how == "rehash":
        edited = dataclasses.replace(records[k], after={"state": "withdrawn"})
        records[k] = dataclasses.replace(edited, hash=edited.compute_hash())
    else:
        records = records[:k]
    result = check(records, head=head)
    assert not result.ok
    assert result.first_bad == k + 1, result.reason
