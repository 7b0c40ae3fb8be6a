"""The public transparency log: read-only, no key needed (c2sp.org/tlog-tiles layout).

* ``GET /v1/log/checkpoint`` — the newest published checkpoint note (text/plain): with a witness
  policy, the newest its witnesses cosigned; ``/v1/log/checkpoint/newest`` — the newest signed.
* ``GET /v1/log/tile/{L}/{N}`` and ``/v1/log/tile/entries/{N}`` — hash and entry tiles; an
  entry is the 32-byte hash of a record, which commits to the record without revealing it
  (auditors read the records themselves at ``/v1/audit`` and check them against these).
* ``GET /v1/log/proof/inclusion`` and ``/v1/log/proof/consistency`` — RFC 9162 proofs.
"""

from __future__ import annotations

import base64
import math
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from leolink.api import parse_tile_index
from leolink.service.problems import ProblemError
from leolink.service.routers._common import errors
from leolink.service.state import ServiceState, get_state
from leolink.service.witnessing import published

__all__ = ["router"]

router = APIRouter(prefix="/v1/log", tags=["transparency log"])

StateDep = Annotated[ServiceState, Depends(get_state)]
Size = Annotated[int | None, Query(ge=0, le=2**62, description="Tree size (default: newest).")]
_TILE = "application/octet-stream"
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


class InclusionProofOut(BaseModel):
    """An RFC 9162 inclusion proof; hashes in base64."""

    seq: int
    size: int
    record_hash: str
    proof: list[str]


class ConsistencyProofOut(BaseModel):
    """An RFC 9162 consistency proof from ``size1`` to ``size2``; hashes in base64."""

    size1: int
    size2: int
    proof: list[str]


def _b64(items: list[bytes]) -> list[str]:
    return [base64.b64encode(p).decode() for p in items]


@router.get("/checkpoint", response_class=Response, responses=errors(503))
def checkpoint(state: StateDep) -> Response:
    """The newest published checkpoint (C2SP signed note: origin, size, root hash, signatures):
    with a witness policy, the newest one its witnesses have cosigned (503 while none has)."""
    cp = published(state.store, state.witness_policy)
    if cp is None:
        raise _not_yet_witnessed(state)
    return Response(cp.note(), media_type="text/plain; charset=utf-8")


@router.get("/checkpoint/newest", response_class=Response, responses=errors())
def newest_checkpoint(state: StateDep) -> Response:
    """The log's newest signed checkpoint, whether or not witnesses have cosigned it yet: what
    a pulling witness fetches (`leolink witness follow`).  Readers who trust witnesses read
    ``/v1/log/checkpoint``."""
    return Response(state.store.latest_checkpoint().note(), media_type="text/plain; charset=utf-8")


def _not_yet_witnessed(state: ServiceState) -> ProblemError:
    """The 503 ``not-yet-witnessed`` problem: the log is fine, its witnesses have not yet
    cosigned any checkpoint as the policy requires (they are down, or the service has just
    started); ``Retry-After`` is one publication round."""
    policy = state.witness_policy
    assert policy is not None
    interval_s = state.publisher.interval_s if state.publisher is not None else 2.0
    return ProblemError(
        503,
        "not-yet-witnessed",
        "No checkpoint is cosigned by enough witnesses yet",
        f"no checkpoint has been cosigned by {policy.quorum} of the {len(policy.witnesses)} "
        "witnesses yet (see /v1/log/witnesses for what each last cosigned); decisions and "
        "writes go on meanwhile, and the next publication round covers every record",
        extra={"quorum": policy.quorum, "witnesses": len(policy.witnesses)},
        headers={"Retry-After": str(max(1, math.ceil(interval_s)))},
    )


@router.get("/proof/inclusion", response_model=InclusionProofOut, responses=errors(404))
def inclusion(
    state: StateDep,
    seq: Annotated[int, Query(ge=1, le=2**62, description="The record (1-based).")],
    size: Size = None,
) -> InclusionProofOut:
    """The audit path of record ``seq`` in the tree of ``size`` records."""
    tree_size, proof = state.store.inclusion_proof(seq, size)
    rec = state.store.audit_log(after_seq=seq - 1, limit=1)[0]
    return InclusionProofOut(seq=seq, size=tree_size, record_hash=rec.hash, proof=_b64(proof))


@router.get("/proof/consistency", response_model=ConsistencyProofOut, responses=errors())
def consistency(
    state: StateDep,
    size1: Annotated[int, Query(ge=0, le=2**62, description="The older tree's size.")],
    size2: Size = None,
) -> ConsistencyProofOut:
    """The proof that the tree of ``size2`` records extends the tree of its first ``size1``."""
    newer, proof = state.store.consistency_proof(size1, size2)
    return ConsistencyProofOut(size1=size1, size2=newer, proof=_b64(proof))


# Tile paths hold slashes (x001/x234/067), which OpenAPI path parameters cannot describe: the
# tiles follow c2sp.org/tlog-tiles and stay out of the schema.
@router.get("/tile/entries/{index:path}", response_class=Response, include_in_schema=False)
def entry_tile(state: StateDep, index: str) -> Response:
    """Entry tile ``index``: up to 256 record hashes, each prefixed by its uint16 length."""
    n, width = parse_tile_index(index)
    return Response(state.store.entry_tile(n, width), media_type=_TILE, headers=_IMMUTABLE)


@router.get("/tile/{level}/{index:path}", response_class=Response, include_in_schema=False)
def hash_tile(state: StateDep, level: int, index: str) -> Response:
    """Hash tile ``(level, index)``: the 32-byte hashes of tree level ``8 * level``."""
    n, width = parse_tile_index(index)
    return Response(state.store.tile(level, n, width), media_type=_TILE, headers=_IMMUTABLE)
