"""``leolink receipt verify``: check a decision receipt (`leolink.policy.receipts`).

The receipt's signature is checked with the log key the verifier brings (``--public-key``).
With ``--url`` (a running service) or ``--log`` (a saved log, `leolink audit export`) it also
checks that the policy the decision names is in the log: the record's inclusion proof in the
receipt's tree and, against a service, that the tree is a prefix of the published checkpoint.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leolink.cli._common import FormatOption
from leolink.cli._output import Format, emit
from leolink.cli.audit import LogOption, PublicKeyOption, UrlOption, _get, _read_log, _verifier
from leolink.errors import InputError

if TYPE_CHECKING:  # the log's model loads when the command runs
    from leolink.api import Receipt, Verifier

__all__ = ["register"]


def receipt_verify(
    receipt_file: Annotated[Path, typer.Argument(help="The receipt (a signed note) to check.")],
    public_key: PublicKeyOption = None,
    url: UrlOption = None,
    log: LogOption = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """Check a decision receipt's signature and that its policy is in the log; exit 1 if not."""
    from leolink.api import parse_receipt

    verifier = _verifier(public_key)
    if not receipt_file.is_file():
        raise InputError(f"RECEIPT {receipt_file}: no such file")
    try:
        receipt = parse_receipt(receipt_file.read_text(encoding="utf-8"))
    except (InputError, UnicodeDecodeError) as exc:
        raise InputError(f"RECEIPT {receipt_file}: {exc}") from exc
    signed = receipt.signed_by(verifier)
    result: dict[str, Any] = {
        "signature_ok": signed,
        "decision": receipt.statement["decision"],
        "request": receipt.statement["request"],
        "checkpoint_size": receipt.size,
        "policy_seq": receipt.policy_seq,
    }
    reasons = [] if signed else [f"the receipt is not signed by {verifier.vkey()}"]
    if url is not None and log is not None:
        raise InputError("give --url or --log, not both")
    if url is not None:
        reasons += _check_url(receipt, verifier, url, result)
    elif log is not None:
        reasons += _check_log(receipt, log, result)
    result["ok"] = not reasons
    result["reason"] = "; ".join(reasons) or (
        "the receipt is signed by the log's key"
        + ("" if url is None and log is None else " and its policy is in the log")
    )
    emit(result, fmt, title="Receipt")
    if reasons:
        raise typer.Exit(1)


def _check_url(
    receipt: Receipt, verifier: Verifier, base: str, result: dict[str, Any]
) -> list[str]:
    from leolink.api import check_policy_included, parse_checkpoint, verify_consistency

    if not base.startswith(("http://", "https://")):
        raise InputError(f"--url {base!r} must be an http:// or https:// address")
    base = base.rstrip("/")

    def inclusion(seq: int, size: int) -> tuple[str, list[bytes]]:
        query = urllib.parse.urlencode({"seq": seq, "size": size})
        data = json.loads(_get(f"{base}/v1/log/proof/inclusion?{query}"))
        return str(data["record_hash"]), [base64.b64decode(p) for p in data["proof"]]

    included, why = check_policy_included(receipt, inclusion)
    result["policy_in_log"] = included
    problems = [] if included else [why]
    latest = parse_checkpoint(_get(f"{base}/v1/log/checkpoint").decode())
    result["published_size"] = latest.size
    if not latest.signed_by(verifier):
        problems.append("the service's published checkpoint is not signed by the key given")
    elif latest.size < receipt.size:
        problems.append(
            f"the service's published checkpoint (size {latest.size}) does not cover the "
            f"receipt's tree of {receipt.size} yet: the witnesses have not cosigned it; try later"
        )
    else:
        query = urllib.parse.urlencode({"size1": receipt.size, "size2": latest.size})
        proof = json.loads(_get(f"{base}/v1/log/proof/consistency?{query}"))["proof"]
        consistent = verify_consistency(
            receipt.size,
            latest.size,
            [base64.b64decode(p) for p in proof],
            receipt.root,
            latest.root,
        )
        result["consistent_with_published"] = consistent
        if not consistent:
            problems.append(
                f"the receipt's tree of {receipt.size} is not a prefix of the published log of "
                f"{latest.size}: the log shown now is not the one the decision was made under"
            )
    return problems


def _check_log(receipt: Receipt, path: Path, result: dict[str, Any]) -> list[str]:
    from leolink.api import MemoryTree, check_policy_included, record_leaf

    if not path.is_file():
        raise InputError(f"--log {path}: no such file")
    records = _read_log(path)
    if len(records) < receipt.size:
        result["policy_in_log"] = False
        return [f"the saved log has {len(records)} records, the receipt's tree {receipt.size}"]
    altered = next((r.seq for r in records[: receipt.size] if r.compute_hash() != r.hash), None)
    if altered is not None:
        result["policy_in_log"] = False
        return [f"record {altered} of the saved log was altered: it does not match its hash"]
    tree = MemoryTree()
    for rec in records[: receipt.size]:
        tree.append(record_leaf(rec))

    def inclusion(seq: int, size: int) -> tuple[str, list[bytes]]:
        return records[seq - 1].hash, tree.inclusion_proof(seq - 1, size)

    included, why = check_policy_included(receipt, inclusion)
    result["policy_in_log"] = included
    return [] if included else [why]


def register(app: typer.Typer) -> None:
    """Add ``leolink receipt verify``."""
    receipt_app = typer.Typer(help="Signed decision receipts.", no_args_is_help=True)
    receipt_app.command("verify")(receipt_verify)
    app.add_typer(receipt_app, name="receipt")
