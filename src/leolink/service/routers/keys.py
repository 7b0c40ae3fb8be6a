"""The caller's own key: who it is and what it may do, so a client offers only what will work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from leolink.service.auth import Principal, require
from leolink.service.routers._common import errors

__all__ = ["router"]

router = APIRouter(prefix="/v1/keys", tags=["keys"])


class KeyOut(BaseModel):
    """The name (as the audit log records it), role and permissions of the calling key."""

    name: str
    role: str
    permissions: list[str]


@router.get("/me", response_model=KeyOut, responses=errors(401))
def me(who: Annotated[Principal, require()]) -> KeyOut:
    """The calling key: any valid key may ask (401 without one)."""
    return KeyOut(
        name=who.actor,
        role=who.key.role.value,
        permissions=sorted(p.value for p in who.permissions),
    )
