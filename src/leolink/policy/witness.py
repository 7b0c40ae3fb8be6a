"""A witness of the transparency log: it cosigns a checkpoint only if it extends the last one it
cosigned (pure: the state is a value, the caller keeps it in a file, see `leolink.cli.witness`).

The protocol is c2sp.org/tlog-witness's ``add-checkpoint``: the log sends the size it believes
the witness last saw (``old N``), a consistency proof from that size to the new checkpoint,
and the checkpoint note.  The witness answers with its cosignature (c2sp.org/tlog-cosignature)
or refuses:

* 404: a log (origin) the witness does not follow; 403: the note is not signed by that log's
  key (the witness trusts only the keys it was configured with);
* 409 with the witness's own size: ``old`` is not what the witness holds (the log re-sends
  with the right proof), or the checkpoint is as large as the witness's but has another root
  — a *split view*: two checkpoints of one size, both signed by the log.  The witness keeps
  both notes as evidence;
* 422: the proof does not show that the new tree extends the witness's (the history was
  rebuilt); 400: a malformed request or a checkpoint smaller than ``old``.

A witness that holds a checkpoint of size ``n`` therefore refuses every history in which the
first ``n`` records differ — whether it is as long, longer, or re-signed with the log's key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink.errors import InputError, LeolinkError
from leolink.policy.merkle import verify_consistency
from leolink.policy.notes import (
    Cosignature,
    SignedCheckpoint,
    Verifier,
    cosign,
    parse_checkpoint,
    verifier_from_vkey,
)

__all__ = [
    "AddCheckpoint",
    "LogView",
    "RefusedError",
    "SplitViewError",
    "WitnessState",
    "add_checkpoint",
    "add_checkpoint_body",
    "find_split_view",
    "parse_add_checkpoint",
]

#: The media type of the witness's size in a 409 answer (c2sp.org/tlog-witness).
SIZE_MEDIA_TYPE: Final = "text/x.tlog.size"


class RefusedError(LeolinkError):
    """The witness will not cosign: ``status`` is the HTTP status c2sp.org/tlog-witness names,
    ``size`` the witness's own size when the log must resend (409)."""

    def __init__(self, status: int, message: str, size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.size = size


@dataclass(frozen=True)
class AddCheckpoint:
    """One ``add-checkpoint`` request: the size the log thinks the witness holds, the
    consistency proof from it, and the checkpoint note."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str


def add_checkpoint_body(old_size: int, proof: Sequence[bytes], note: str) -> str:
    """The request body: ``old N``, one base64 proof hash a line, a blank line, the note."""
    lines = "".join(base64.b64encode(p).decode() + "\n" for p in proof)
    return f"old {old_size}\n{lines}\n{note}"


def parse_add_checkpoint(body: str) -> AddCheckpoint:
    """Parse an ``add-checkpoint`` body (`InputError` naming what is wrong)."""
    head, sep, note = body.partition("\n\n")
    if not sep:
        raise InputError("an add-checkpoint body is 'old N', proof lines, a blank line, the note")
    lines = head.split("\n")
    first = lines[0]
    size = first.removeprefix("old ")
    if first == size or not size.isdigit():
        raise InputError(
            f"the first line of an add-checkpoint body must read 'old N', not {first!r}"
        )
    if len(lines) - 1 > 63:
        raise InputError(f"{len(lines) - 1} proof lines: a consistency proof has at most 63")
    try:
        proof = tuple(base64.b64decode(line, validate=True) for line in lines[1:])
    except binascii.Error as exc:
        raise InputError(f"a proof line of the add-checkpoint body is not base64: {exc}") from exc
    if any(len(p) != 32 for p in proof):
        raise InputError("every proof line of an add-checkpoint body must be a 32-byte hash")
    return AddCheckpoint(int(size), proof, note)


@dataclass(frozen=True)
class LogView:
    """What a witness holds of one log: its key, and the last checkpoint it cosigned."""

    verifier: Verifier
    size: int = 0
    root: bytes | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, for the state file."""
        return {
            "key": self.verifier.vkey(),
            "size": self.size,
            "root": None if self.root is None else base64.b64encode(self.root).decode(),
            "note": self.note,
        }


@dataclass(frozen=True)
class WitnessState:
    """A witness's whole state: the logs it follows, by origin, and evidence of split views
    (pairs of notes signed by one log, of one size, with different roots)."""

    logs: dict[str, LogView]
    evidence: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def following(cls, verifiers: Iterable[Verifier]) -> WitnessState:
        """A new witness of the logs whose keys are ``verifiers`` (each under its origin)."""
        return cls({v.name: LogView(v) for v in verifiers})

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, for the state file."""
        return {
            "logs": {origin: view.to_dict() for origin, view in sorted(self.logs.items())},
            "evidence": [list(pair) for pair in self.evidence],
        }

    @classmethod
    def from_dict(cls, data: object) -> WitnessState:
        """Read the state file's JSON back (`InputError` if it is not one)."""
        if not isinstance(data, dict) or not isinstance(data.get("logs"), dict):
            raise InputError("a witness state file is a JSON object with 'logs'")
        logs = {}
        for origin, view in data["logs"].items():
            try:
                root = view["root"]
                logs[origin] = LogView(
                    verifier_from_vkey(view["key"]),
                    int(view["size"]),
                    None if root is None else base64.b64decode(root, validate=True),
                    view["note"],
                )
            except (KeyError, TypeError, ValueError, binascii.Error) as exc:
                raise InputError(
                    f"the witness state of log {origin!r} is malformed: {exc}"
                ) from exc
        evidence = tuple((str(a), str(b)) for a, b in data.get("evidence", []))
        return cls(logs, evidence)


class SplitViewError(RefusedError):
    """Two checkpoints of one size and different roots, both signed by the log: proof that it
    shows different histories to different parties (409)."""

    def __init__(self, held: LogView, shown: SignedCheckpoint) -> None:
        super().__init__(
            409,
            f"split view: the log {shown.origin!r} signed two checkpoints of size {shown.size} "
            "with different roots; this witness keeps both as evidence and cosigns neither again",
            held.size,
        )
        self.held_note = held.note or ""
        self.shown_note = shown.note()

    def record(self, state: WitnessState) -> WitnessState:
        """``state`` with this evidence kept."""
        return replace(state, evidence=(*state.evidence, (self.held_note, self.shown_note)))


def add_checkpoint(
    state: WitnessState,
    request: AddCheckpoint,
    *,
    name: str,
    key: Ed25519PrivateKey,
    timestamp: int,
) -> tuple[WitnessState, Cosignature]:
    """Check ``request`` against ``state`` and cosign it as witness ``name`` at ``timestamp``
    (POSIX seconds): the new state (to be saved *before* the cosignature is handed out) and the
    cosignature.  Raises `RefusedError` as the module docstring lists (`SplitViewError` for a split
    view: keep its evidence with `SplitViewError.record`)."""
    try:
        cp = parse_checkpoint(request.note)
    except InputError as exc:
        raise RefusedError(400, f"the checkpoint is malformed: {exc}") from exc
    view = state.logs.get(cp.origin)
    if view is None:
        raise RefusedError(404, f"this witness does not follow the log {cp.origin!r}")
    if not cp.signed_by(view.verifier):
        raise RefusedError(403, f"the checkpoint is not signed by the key of {cp.origin!r}")
    if request.old_size != view.size:
        raise RefusedError(
            409,
            f"this witness holds a checkpoint of size {view.size}, not {request.old_size}",
            view.size,
        )
    if cp.size < view.size:
        raise RefusedError(400, f"the checkpoint of size {cp.size} is older than {view.size}")
    if view.root is not None and cp.size == view.size and cp.root != view.root:
        raise SplitViewError(view, cp)
    old_root = view.root if view.root is not None else b""
    if view.root is not None and not verify_consistency(
        view.size, cp.size, list(request.proof), old_root, cp.root
    ):
        raise RefusedError(
            422,
            f"the checkpoint of size {cp.size} does not extend the one of size {view.size} this "
            "witness cosigned: its first records were rewritten (the history was rebuilt)",
        )
    cosig = cosign(cp.text, name, key, timestamp)
    note = cp.with_lines(cosig.line).note()
    logs = {**state.logs, cp.origin: replace(view, size=cp.size, root=cp.root, note=note)}
    return replace(state, logs=logs), cosig


def find_split_view(
    notes: Iterable[str], verifier: Verifier
) -> tuple[SignedCheckpoint, SignedCheckpoint] | None:
    """Among checkpoint notes gathered anywhere (witnesses, receipts, other users), two signed
    by ``verifier`` with one size and different roots, or None."""
    seen: dict[int, SignedCheckpoint] = {}
    for note in notes:
        cp = parse_checkpoint(note)
        if cp.origin != verifier.name or not cp.signed_by(verifier):
            continue
        other = seen.setdefault(cp.size, cp)
        if other.root != cp.root:
            return other, cp
    return None
