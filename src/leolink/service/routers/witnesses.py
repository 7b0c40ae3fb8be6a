"""Public reads of the witnessing: the checkpoints and their cosignatures, the witnesses' state.

* ``GET /v1/log/checkpoints`` — the newest checkpoints pushed to witnesses, each with the
  witnesses that cosigned it (checked with the configured keys) and whether it is published.
* ``GET /v1/log/witnesses`` — the witness policy (k of n), what the service knows of each, and
  the log's own verifier key (the Audit tab checks every signature with these keys, or with
  keys the user pastes in).
* ``POST /v1/log/cosignatures`` — a pulling witness (`leolink witness follow`) gives back its
  cosignature: the checkpoint note with its c2sp.org/tlog-cosignature line.  No key needed:
  the cosignature must verify under a witness key the policy names.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from leolink.api import SignedCheckpoint
from leolink.errors import InputError
from leolink.service.routers._common import errors
from leolink.service.state import ServiceState, get_state
from leolink.service.witnessing import accept_cosigned, cosigners, published

__all__ = ["router"]

router = APIRouter(prefix="/v1/log", tags=["transparency log"])

StateDep = Annotated[ServiceState, Depends(get_state)]


class CosignatureOut(BaseModel):
    """A valid cosignature by a configured witness."""

    witness: str
    timestamp: int


class CheckpointOut(BaseModel):
    """A checkpoint, its cosignatures and whether it is (or was) published."""

    size: int
    root: str
    note: str
    cosignatures: list[CosignatureOut]
    published: bool


class CheckpointsOut(BaseModel):
    """Checkpoints newest first; ``quorum`` cosignatures make one publishable."""

    quorum: int
    items: list[CheckpointOut]


class WitnessOut(BaseModel):
    """One configured witness as the service last saw it."""

    name: str
    key: str
    url: str | None
    size: int | None
    last_ok: float | None
    last_error: str | None


class WitnessesOut(BaseModel):
    """The witness policy: ``quorum`` of the ``witnesses`` must cosign; ``log_key`` is the
    log's own verifier key, as this service states it (a verifier pins its own copy)."""

    quorum: int
    witnesses: list[WitnessOut]
    log_key: str | None


@router.get("/checkpoints", response_model=CheckpointsOut, responses=errors())
def checkpoints(
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=200, description="How many, newest first.")] = 20,
) -> CheckpointsOut:
    """The newest checkpoints with their witnesses' cosignatures (without a witness policy: the
    log's newest checkpoint alone, published with the log's signature)."""
    policy = state.witness_policy
    if policy is None:
        cp = state.store.latest_checkpoint()
        items = [_out(cp, [], True)]
        return CheckpointsOut(quorum=0, items=items)
    newest = published(state.store, policy)
    out = []
    for cp in state.store.witnessed.newest(limit):
        signed = cosigners(cp, policy)
        is_published = (
            newest is not None and cp.size <= newest.size and len(signed) >= policy.quorum
        )
        out.append(_out(cp, signed, is_published))
    return CheckpointsOut(quorum=policy.quorum, items=out)


def _out(cp: SignedCheckpoint, signed: list[tuple[str, int]], is_published: bool) -> CheckpointOut:
    return CheckpointOut(
        size=cp.size,
        root=base64.b64encode(cp.root).decode(),
        note=cp.note(),
        cosignatures=[CosignatureOut(witness=n, timestamp=t) for n, t in signed],
        published=is_published,
    )


@router.get("/witnesses", response_model=WitnessesOut, responses=errors())
def witnesses(state: StateDep) -> WitnessesOut:
    """The witness policy and, for each witness, the size it last cosigned and its last error."""
    policy, publisher = state.witness_policy, state.publisher
    try:
        log_key: str | None = state.store.log_verifier().vkey()
    except InputError:
        log_key = None  # a store opened without its key file: the key is not this service's to say
    if policy is None:
        return WitnessesOut(quorum=0, witnesses=[], log_key=log_key)
    rows = []
    for w in policy.witnesses:
        st = publisher.status.get(w.verifier.name) if publisher is not None else None
        rows.append(
            WitnessOut(
                name=w.verifier.name,
                key=w.verifier.vkey(),
                url=w.url,
                size=st.size if st else None,
                last_ok=st.last_ok if st else None,
                last_error=st.last_error if st else None,
            )
        )
    return WitnessesOut(quorum=policy.quorum, witnesses=rows, log_key=log_key)


#: Largest cosigned note accepted: a checkpoint with a few dozen signature lines.
MAX_NOTE_BYTES = 16 * 1024


@router.post(
    "/cosignatures",
    response_model=CheckpointOut,
    responses=errors(409, 422),
    openapi_extra={
        "requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}}},
    },
)
async def post_cosignatures(state: StateDep, request: Request) -> CheckpointOut:
    """Keep a pulling witness's cosignature of one of this log's checkpoints (text/plain: the
    checkpoint note with the cosignature line); the checkpoint as kept, and whether that
    makes it published."""
    body = await request.body()
    if len(body) > MAX_NOTE_BYTES:
        raise InputError(f"the note is {len(body)} bytes, over {MAX_NOTE_BYTES}: send one note")
    try:
        note = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the note is not UTF-8 text: {exc}") from exc
    kept = await run_in_threadpool(accept_cosigned, state.store, state.witness_policy, note)
    policy = state.witness_policy
    assert policy is not None
    signed = cosigners(kept, policy)
    newest = published(state.store, policy)
    return _out(kept, signed, newest is not None and kept.size <= newest.size)
