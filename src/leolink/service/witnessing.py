"""The service's witness policy: push each new checkpoint to the witnesses, publish it once
``quorum`` of them have cosigned it.

The policy is a TOML file (``leolink serve --witnesses FILE``)::

    quorum = 2                       # k: cosignatures a checkpoint needs to be published
    [[witness]]                      # n of these
    key = "w1.example+1a2b3c4d+BA..."  # `leolink witness public-key` prints it
    url = "http://127.0.0.1:8101"    # omitted: a witness that pulls (`leolink witness follow`)

A background thread (`Publisher`) looks at the log every ``interval_s``; when it has grown, it
sends the newest checkpoint to every witness with a consistency proof from the size that
witness last cosigned (c2sp.org/tlog-witness ``add-checkpoint``; a witness that answers 409
with its size gets the proof from there).  Cosignatures are checked with the configured keys
and kept with the checkpoint (`leolink.store.witnessed`), so a witness that is down delays
publication and loses nothing: decisions and writes go on, and the next round covers every
record written meanwhile.  ``GET /v1/log/checkpoint`` serves the newest kept checkpoint whose
valid cosignatures meet the quorum.

A witness named without a ``url`` is not pushed to: it pulls the newest checkpoint itself
(`leolink.service.witness_follow`) and gives its cosignature back at
``POST /v1/log/cosignatures`` (`accept_cosigned`), where it counts like a pushed one.
"""

from __future__ import annotations

import threading
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from leolink.api import (
    SIZE_MEDIA_TYPE,
    SignedCheckpoint,
    Verifier,
    add_checkpoint_body,
    parse_checkpoint,
    verifier_from_vkey,
)
from leolink.errors import InputError, PolicyStateError
from leolink.store import Store

__all__ = [
    "Publisher",
    "Witness",
    "WitnessPolicy",
    "WitnessStatus",
    "accept_cosigned",
    "cosigners",
    "published",
    "read_witness_policy",
]

#: Seconds a witness has to answer one add-checkpoint.
WITNESS_TIMEOUT_S: Final = 5.0


@dataclass(frozen=True)
class Witness:
    """One configured witness: its cosigner key and where it listens."""

    verifier: Verifier
    url: str | None  # None: it pulls (`leolink witness follow`) and posts its cosignatures


@dataclass(frozen=True)
class WitnessPolicy:
    """k of n: the witnesses and how many must cosign a checkpoint before it is published."""

    quorum: int
    witnesses: tuple[Witness, ...]


def read_witness_policy(path: Path) -> WitnessPolicy:
    """Read a witness policy file (see the module docstring); `InputError` naming the file."""
    if not path.is_file():
        raise InputError(f"--witnesses {path}: no such file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"--witnesses {path} is not TOML: {exc}") from exc
    entries = data.get("witness", [])
    quorum = data.get("quorum")
    if not isinstance(entries, list) or not entries:
        raise InputError(f"--witnesses {path} names no [[witness]] (key = ..., url = ...)")
    witnesses = []
    for i, entry in enumerate(entries, 1):
        key, url = entry.get("key"), entry.get("url")
        if not isinstance(key, str) or not isinstance(url, str | None):
            raise InputError(
                f'--witnesses {path}: witness {i} needs key = "..." (and url = "..." unless it '
                "pulls)"
            )
        try:
            verifier = verifier_from_vkey(key)
        except InputError as exc:
            raise InputError(f"--witnesses {path}: witness {i}: {exc}") from exc
        if not verifier.cosigner:
            raise InputError(f"--witnesses {path}: witness {i}'s key is not a cosigner key (0x04)")
        if url is not None and not url.startswith(("http://", "https://")):
            raise InputError(f"--witnesses {path}: witness {i}'s url {url!r} is not http(s)")
        witnesses.append(Witness(verifier, None if url is None else url.rstrip("/")))
    names = [w.verifier.name for w in witnesses]
    if len(set(names)) != len(names):
        raise InputError(f"--witnesses {path}: two witnesses share a name")
    if not isinstance(quorum, int) or not 1 <= quorum <= len(witnesses):
        raise InputError(
            f"--witnesses {path}: quorum = {quorum!r} must be a whole number from 1 to the "
            f"{len(witnesses)} witnesses named"
        )
    return WitnessPolicy(quorum, tuple(witnesses))


def cosigners(checkpoint: SignedCheckpoint, policy: WitnessPolicy) -> list[tuple[str, int]]:
    """``(witness, timestamp)`` of each valid cosignature by a configured witness."""
    out = []
    for w in policy.witnesses:
        ts = checkpoint.cosigned_by(w.verifier)
        if ts is not None:
            out.append((w.verifier.name, ts))
    return out


def published(store: Store, policy: WitnessPolicy | None) -> SignedCheckpoint | None:
    """The checkpoint to publish: the log's newest without a witness policy, else the newest
    kept one cosigned by ``quorum`` configured witnesses (None while there is none)."""
    if policy is None:
        return store.latest_checkpoint()
    below = None
    while page := store.witnessed.newest(50, below=below):
        for cp in page:
            if len(cosigners(cp, policy)) >= policy.quorum:
                return cp
        below = page[-1].size
    return None


def accept_cosigned(store: Store, policy: WitnessPolicy | None, note: str) -> SignedCheckpoint:
    """Keep the cosignatures that a pulling witness gives back: ``note`` is one of this log's
    checkpoints carrying cosignature lines; those by witnesses ``policy`` names, valid over
    this log's own checkpoint of that size, are added to it (`leolink.store.witnessed`).  The
    checkpoint as kept.  `InputError` for a malformed note or one with no such cosignature,
    `PolicyStateError` for a checkpoint that is not this log's (a split view shown to the
    witness, or another log) or without a witness policy."""
    if policy is None:
        raise PolicyStateError(
            "this service has no witness policy (leolink serve --witnesses FILE): it counts no "
            "cosignatures; name the witness's key there"
        )
    cp = parse_checkpoint(note)
    if cp.origin != store.log_origin():
        raise PolicyStateError(
            f"the checkpoint is of the log {cp.origin!r}, not of this log {store.log_origin()!r}"
        )
    log_size, _ = store.tree_root()
    if cp.size > log_size:
        raise PolicyStateError(f"the checkpoint of size {cp.size} is past this log's {log_size}")
    if store.tree_root(cp.size)[1] != cp.root:
        raise PolicyStateError(
            f"this log's tree of size {cp.size} has another root than the checkpoint's: the "
            "witness was shown another history (a split view)"
        )
    lines = []
    for signer, blob in cp.signatures:
        single = replace(cp, signatures=((signer, blob),))
        if any(single.cosigned_by(w.verifier) is not None for w in policy.witnesses):
            lines.append(single.note()[len(cp.text) + 1 :])
    if not lines:
        names = ", ".join(w.verifier.name for w in policy.witnesses)
        raise InputError(
            f"the note carries no valid cosignature by a witness this log's policy names "
            f"({names}): cosign it with `leolink witness follow` and a key the policy names"
        )
    newest = store.latest_checkpoint()
    if newest.size == cp.size:
        own = newest
    else:
        kept = store.witnessed.newest(1, below=cp.size + 1)
        if not kept or kept[0].size != cp.size:
            raise PolicyStateError(
                f"this log keeps no checkpoint of size {cp.size} (its newest is {newest.size}): "
                "cosign the newest, GET /v1/log/checkpoint/newest"
            )
        own = kept[0]
    return store.witnessed.add(own, lines)


@dataclass
class WitnessStatus:
    """What the publisher knows of one witness (shown at ``GET /v1/log/witnesses``)."""

    name: str
    key: str
    url: str | None
    size: int | None = None  # the size it last cosigned (None: not known yet)
    last_ok: float | None = None  # POSIX seconds
    last_error: str | None = None


@dataclass
class Publisher:
    """The background thread of the module docstring."""

    store: Store
    policy: WitnessPolicy
    interval_s: float = 2.0
    status: dict[str, WitnessStatus] = field(init=False)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _complete_size: int = -1

    def __post_init__(self) -> None:
        self.status = {
            w.verifier.name: WitnessStatus(w.verifier.name, w.verifier.vkey(), w.url)
            for w in self.policy.witnesses
        }

    def start(self) -> None:
        """Run rounds every ``interval_s`` in a daemon thread until `stop`."""
        self._thread = threading.Thread(target=self._run, name="leolink-witnessing", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (waits for the round under way)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2 * WITNESS_TIMEOUT_S + self.interval_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.round()
            except Exception as exc:
                for st in self.status.values():
                    st.last_error = f"round failed: {exc}"
            self._stop.wait(self.interval_s)

    def round(self) -> SignedCheckpoint:
        """Push the log's newest checkpoint to every witness that has not cosigned it; keep the
        cosignatures; the checkpoint as kept (with every cosignature gathered)."""
        cp = self.store.latest_checkpoint()
        if cp.size == self._complete_size:
            return cp
        kept = self.store.witnessed.add(cp, [])
        done = {name for name, _ in cosigners(kept, self.policy)}
        lines = []
        for w in self.policy.witnesses:
            if w.verifier.name in done or w.url is None:
                continue  # a pulling witness posts its cosignature itself
            line = self._push(w, cp)
            if line is not None:
                lines.append(line)
        kept = self.store.witnessed.add(cp, lines) if lines else kept
        if len(cosigners(kept, self.policy)) == len(self.policy.witnesses):
            self._complete_size = cp.size  # every witness cosigned it: nothing to do till it grows
        return kept

    def _push(self, witness: Witness, cp: SignedCheckpoint) -> str | None:
        st = self.status[witness.verifier.name]
        assert witness.url is not None
        for _attempt in range(2):  # a 409 with the witness's size: once more from that size
            old = st.size if st.size is not None and st.size <= cp.size else 0
            _, proof = self.store.consistency_proof(old, cp.size)
            body = add_checkpoint_body(old, proof, cp.note()).encode()
            request = urllib.request.Request(
                f"{witness.url}/add-checkpoint", data=body, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=WITNESS_TIMEOUT_S) as response:
                    text = response.read().decode()
            except urllib.error.HTTPError as exc:
                answer = exc.read().decode(errors="replace").strip()
                if exc.code == 409 and exc.headers.get_content_type() == SIZE_MEDIA_TYPE:
                    st.size = int(answer) if answer.isdigit() else None
                    st.last_error = f"held size {answer}, not {old}"
                    if st.size is not None and st.size > cp.size:
                        st.last_error = (
                            f"it holds a checkpoint of size {st.size}, larger than the log's "
                            f"{cp.size}: the log was rolled back"
                        )
                        return None
                    continue
                st.last_error = f"refused ({exc.code}): {answer}"
                return None
            except (urllib.error.URLError, OSError) as exc:
                st.last_error = f"unreachable: {exc}"
                return None
            line = next((x + "\n" for x in text.splitlines() if x.strip()), "")
            try:
                ok = cp.with_lines(line).cosigned_by(witness.verifier) is not None
            except InputError:
                ok = False
            if not ok:
                st.last_error = "answered with no valid cosignature by its configured key"
                return None
            st.size, st.last_ok, st.last_error = cp.size, time.time(), None
            return line
        return None
