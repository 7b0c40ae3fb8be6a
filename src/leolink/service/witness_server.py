"""A witness as an HTTP server (c2sp.org/tlog-witness): ``POST /add-checkpoint`` and a status.

The witness's state (`leolink.policy.witness.WitnessState`) lives in one small JSON file that
only this process writes; every accepted checkpoint is written there, flushed and renamed into
place *before* the cosignature is answered, so a witness that crashes never forgets what it
cosigned.  Requests are taken one at a time (a lock): a witness sees a few requests a minute.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request, Response

from leolink.api import (
    SIZE_MEDIA_TYPE,
    RefusedError,
    SplitViewError,
    Verifier,
    WitnessState,
    add_checkpoint,
    parse_add_checkpoint,
)
from leolink.errors import InputError

__all__ = ["WitnessFile", "create_witness_app"]

_TEXT = "text/plain; charset=utf-8"
#: Largest add-checkpoint body: a note with a few signatures and a 63-hash proof is ~4 KB.
MAX_BODY_BYTES = 64 * 1024


class WitnessFile:
    """The witness's state file: read once, rewritten atomically after every change."""

    def __init__(self, path: Path, follows: list[Verifier]) -> None:
        self.path = path
        if path.is_dir() or not path.parent.is_dir():
            raise InputError(f"--state {path}: give a file in an existing folder")
        if path.exists():
            try:
                state = WitnessState.from_dict(json.loads(path.read_text(encoding="utf-8")))
            except json.JSONDecodeError as exc:
                raise InputError(f"--state {path} is not JSON: {exc}") from exc
        else:
            state = WitnessState.following([])
        for verifier in follows:  # logs named now are followed from here on
            held = state.logs.get(verifier.name)
            if held is not None and held.verifier.vkey() != verifier.vkey():
                raise InputError(
                    f"--log-key {verifier.vkey()}: this witness already follows {verifier.name!r} "
                    f"under the key {held.verifier.vkey()}; a log's key does not change"
                )
            if held is None:
                state.logs[verifier.name] = WitnessState.following([verifier]).logs[verifier.name]
        if not state.logs:
            raise InputError("a witness must follow at least one log: give --log-key")
        self.state = state
        self.save(state)

    def save(self, state: WitnessState) -> None:
        """Write ``state`` to a temporary file, flush it to disk and rename it into place."""
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        with tmp.open("w", encoding="utf-8") as out:
            json.dump(state.to_dict(), out, indent=1, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)
        self.state = state


def create_witness_app(name: str, key: Ed25519PrivateKey, state_file: WitnessFile) -> FastAPI:
    """The witness ``name`` cosigning with ``key``, its state in ``state_file``."""
    app = FastAPI(title=f"leolink witness {name}", docs_url=None, redoc_url=None)
    lock = threading.Lock()
    me = Verifier(name, key.public_key(), cosigner=True)

    @app.post("/add-checkpoint")
    async def post_add_checkpoint(request: Request) -> Response:
        """Cosign the checkpoint if it extends the last one cosigned (c2sp.org/tlog-witness)."""
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response(f"the body is over {MAX_BODY_BYTES} bytes\n", 413, media_type=_TEXT)
        try:
            parsed = parse_add_checkpoint(body.decode("utf-8"))
        except (InputError, UnicodeDecodeError) as exc:
            return Response(f"{exc}\n", 400, media_type=_TEXT)
        with lock:
            try:
                state, cosig = add_checkpoint(
                    state_file.state, parsed, name=name, key=key, timestamp=int(time.time())
                )
            except SplitViewError as split:
                state_file.save(split.record(state_file.state))
                return Response(f"{split}\n", 409, media_type=_TEXT)
            except RefusedError as refusal:
                if refusal.size is not None:
                    return Response(f"{refusal.size}\n", 409, media_type=SIZE_MEDIA_TYPE)
                return Response(f"{refusal}\n", refusal.status, media_type=_TEXT)
            state_file.save(state)
        return Response(cosig.line, media_type=_TEXT)

    @app.get("/status")
    def status() -> dict[str, object]:
        """Who this witness is, what it holds of each log, and any split view it caught."""
        state = state_file.state
        return {
            "name": name,
            "key": me.vkey(),
            **state.to_dict(),
        }

    return app
