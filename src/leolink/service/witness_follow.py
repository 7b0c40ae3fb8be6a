"""A witness that pulls: fetch a log's newest checkpoint and a consistency proof from its public
endpoints, check them as a pushed ``add-checkpoint`` is checked, cosign, and give the
cosignature back.

`leolink.service.witness_server` waits for the log to push (c2sp.org/tlog-witness); a witness
that cannot be reached from the log (behind a NAT, run by a journalist on a laptop) follows it
instead (``leolink witness follow --url LOG_URL``).  One round:

1. ``GET {url}/v1/log/checkpoint/newest`` — the log's newest signed checkpoint, witnessed yet
   or not;
2. ``GET {url}/v1/log/proof/consistency?size1=HELD&size2=N`` — the proof from the size this
   witness last cosigned;
3. the same checks as a push (`leolink.policy.witness.add_checkpoint`: the log's signature, no
   rollback, no second root for one size — a split view, kept as evidence —, the proof), the
   new state written to the state file *before* the cosignature leaves;
4. ``POST {url}/v1/log/cosignatures`` — the checkpoint note carrying the witness's
   c2sp.org/tlog-cosignature line, which the log keeps with the checkpoint (and counts towards
   its witness policy when the policy names this witness's key).

Nothing the log says is trusted: the checkpoint is checked with the log key the witness was
given (``--log-key``) and the proof against the root the witness holds.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink.api import AddCheckpoint, SplitViewError, add_checkpoint, parse_checkpoint
from leolink.errors import InputError, LeolinkError
from leolink.service.witness_server import WitnessFile

__all__ = ["FollowError", "FollowRound", "follow_once"]

#: Seconds the log has to answer one request.
FOLLOW_TIMEOUT_S: Final = 10.0


class FollowError(LeolinkError):
    """The log could not be read, or showed a checkpoint this witness refuses to cosign."""


@dataclass(frozen=True)
class FollowRound:
    """What one round did: the log's origin and size, whether this round cosigned a new
    checkpoint, and the log's answer to the cosignature (its HTTP status and text)."""

    origin: str
    size: int
    cosigned: bool
    pushed_status: int
    pushed_answer: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {
            "origin": self.origin,
            "size": self.size,
            "cosigned": self.cosigned,
            "pushed_status": self.pushed_status,
            "pushed_answer": self.pushed_answer,
        }


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=FOLLOW_TIMEOUT_S) as response:
            return str(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise FollowError(
            f"GET {url} answered {exc.code}: {exc.read().decode(errors='replace').strip()}"
        ) from exc
    except (urllib.error.URLError, OSError, UnicodeDecodeError) as exc:
        raise FollowError(f"GET {url} failed: {exc}") from exc


def _post(url: str, text: str) -> tuple[int, str]:
    request = urllib.request.Request(
        url,
        data=text.encode(),
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=FOLLOW_TIMEOUT_S) as response:
            return int(response.status), response.read().decode(errors="replace").strip()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode(errors="replace").strip()
    except (urllib.error.URLError, OSError) as exc:
        return 0, f"unreachable: {exc}"


def log_base(url: str) -> str:
    """``url`` without a trailing slash, checked to be http(s) (`InputError` naming it)."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InputError(f"--url {url!r}: give the log service's base URL, http(s)://host:port")
    return url.rstrip("/")


def follow_once(
    url: str, *, name: str, key: Ed25519PrivateKey, state_file: WitnessFile
) -> FollowRound:
    """One round of the module docstring against the log service at ``url``; `FollowError` if
    the log cannot be read or the checkpoint is refused (a split view is recorded first)."""
    base = log_base(url)
    note = _get(f"{base}/v1/log/checkpoint/newest")
    try:
        cp = parse_checkpoint(note)
    except InputError as exc:
        raise FollowError(f"{base}/v1/log/checkpoint/newest is not a checkpoint: {exc}") from exc
    view = state_file.state.logs.get(cp.origin)
    if view is None:
        raise FollowError(
            f"{base} serves the log {cp.origin!r}, which this witness does not follow "
            f"(it follows {', '.join(sorted(state_file.state.logs))}): give its --log-key"
        )
    if view.root is not None and cp.size == view.size and cp.root == view.root:
        # Nothing new: give the log the cosignature this witness already holds (it may lack it).
        status, answer = _post(f"{base}/v1/log/cosignatures", view.note or note)
        return FollowRound(cp.origin, cp.size, False, status, answer)
    proof: tuple[bytes, ...] = ()
    if view.root is not None and view.size < cp.size:
        query = urllib.parse.urlencode({"size1": view.size, "size2": cp.size})
        body = _get(f"{base}/v1/log/proof/consistency?{query}")
        try:
            proof = tuple(base64.b64decode(h, validate=True) for h in json.loads(body)["proof"])
        except (ValueError, KeyError, TypeError) as exc:
            raise FollowError(f"the consistency proof from {base} is malformed: {exc}") from exc
    request = AddCheckpoint(view.size, proof, note)
    try:
        state, cosig = add_checkpoint(
            state_file.state, request, name=name, key=key, timestamp=int(time.time())
        )
    except SplitViewError as split:
        state_file.save(split.record(state_file.state))
        raise FollowError(f"refused: {split}") from split
    except LeolinkError as refusal:  # RefusedError: not signed, rolled back, rebuilt
        raise FollowError(f"refused the checkpoint of size {cp.size}: {refusal}") from refusal
    state_file.save(state)  # what was cosigned is on disk before the cosignature leaves
    cosigned = cp.with_lines(cosig.line).note()
    status, answer = _post(f"{base}/v1/log/cosignatures", cosigned)
    return FollowRound(cp.origin, cp.size, True, status, answer)
