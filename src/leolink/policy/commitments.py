"""Sealed geofences: the log holds a salted hash of a fence's area and reason, not the text.

A government (Starshield-class) geofence may be *sealed*: its audit records carry
``commitment`` = SHA-256(domain || salt || canonical JSON of ``{area_geojson, cells, reason}``)
in place of those three fields, so the public log stays complete and verifiable (every record
still hashes into the tree) while the detail goes to auditors only.  The salt (32 random bytes,
kept beside the fence in the store) stops anyone guessing the text from the hash; whoever is
shown the text and the salt (an auditor, through the authenticated API) checks them against the
logged commitment with `opening_matches`.  A commitment is binding: the store cannot later
show an auditor another area than the one it logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Final

from leolink.policy.audit import canonical_json

__all__ = [
    "SEALED_FIELDS",
    "SEALED_REASON",
    "geofence_commitment",
    "new_salt",
    "opening_matches",
    "seal_geofence",
]

#: The fields a commitment stands in for.
SEALED_FIELDS: Final = ("area_geojson", "cells", "reason")

#: The reason a sealed fence's own records give (the real one is committed to).
SEALED_REASON: Final = "sealed: the area and the reason are committed to (see commitment)"

_DOMAIN: Final = b"leolink-geofence-commitment-v1\n"


def new_salt() -> str:
    """32 random bytes as 64 hex digits."""
    return secrets.token_hex(32)


def geofence_commitment(
    salt_hex: str, area_geojson: str | None, cells: Sequence[str], reason: str
) -> str:
    """The commitment (64 hex digits) to a fence's area and reason under ``salt_hex``."""
    body = {"area_geojson": area_geojson, "cells": sorted(cells), "reason": reason}
    return hashlib.sha256(_DOMAIN + bytes.fromhex(salt_hex) + canonical_json(body)).hexdigest()


def seal_geofence(fence: Mapping[str, Any], salt_hex: str) -> dict[str, Any]:
    """A geofence's JSON fields as the log shows a sealed fence: text out, commitment in."""
    out = {k: v for k, v in fence.items() if k not in SEALED_FIELDS}
    out["commitment"] = geofence_commitment(
        salt_hex, fence.get("area_geojson"), fence.get("cells") or (), str(fence.get("reason"))
    )
    return out


def opening_matches(commitment: str, opening: Mapping[str, Any]) -> bool:
    """True if ``opening`` (``salt``, ``area_geojson``, ``cells``, ``reason``) gives
    ``commitment``: how an auditor checks what the store revealed against the public log."""
    try:
        mine = geofence_commitment(
            str(opening["salt"]),
            opening["area_geojson"],
            list(opening["cells"]),
            str(opening["reason"]),
        )
    except (KeyError, TypeError, ValueError):
        return False
    return hmac.compare_digest(mine, str(commitment))
