"""Issuing decision receipts (`leolink.policy.receipts`): signed with the store's log key.

The receipt names the audit record that made the decision's policy version and the log's
newest checkpoint, read after the decision: the log only grows, so that checkpoint's tree holds
the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leolink.policy.receipts import receipt_text
from leolink.store.store import Store

__all__ = ["issue_receipt"]


def issue_receipt(store: Store, request: Mapping[str, Any], decision: Mapping[str, Any]) -> str:
    """The signed receipt note for ``decision`` (as the API returns it) made for ``request``."""
    version = int(decision["policy_version"])
    seq = store.policy_version_seq(version)
    record_hash = store.audit_log(after_seq=seq - 1, limit=1)[0].hash if seq else None
    checkpoint = store.latest_checkpoint()
    text = receipt_text(
        request=request,
        decision=decision,
        policy_version=version,
        policy_seq=seq,
        policy_record_hash=record_hash,
        checkpoint=checkpoint,
    )
    return f"{text}\n{store.sign_note(text)}"
