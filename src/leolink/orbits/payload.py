"""What a satellite carries, read from its catalog name: consumer broadband, or something else.

Starlink satellites are not all alike.  Those with the Direct-to-Cell payload (an eNodeB that
talks to ordinary phones, launched from January 2024) are marked ``[DTC]`` in the public GP
catalog's names (CelesTrak: "STARLINK-11359 [DTC]"; 644 of the 10,361 element sets of
2026-05-13).  They carry lasers and relay over them like the others (SpaceX, "Starlink Direct
to Cell", starlink.com/business/direct-to-cell), but they do not serve consumer dishes.  So a
model that picks a serving satellite for a dish must leave them out; this module names the
class of each satellite once, for every part that needs it.

A catalog name carries no other payload mark today; a name marked with another bracketed tag
is classed `PayloadClass.OTHER` (not broadband) rather than guessed at.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from typing import Final

import numpy as np

from leolink.arrays import BoolArray

__all__ = ["PayloadClass", "payload_classes", "serves_dishes"]

_TAG: Final = re.compile(r"\[([^\]]*)\]")


class PayloadClass(enum.StrEnum):
    """A satellite's payload: consumer broadband, Direct-to-Cell, or another marked payload."""

    BROADBAND = "broadband"
    DIRECT_TO_CELL = "direct_to_cell"
    OTHER = "other"


def _payload_class(name: str) -> PayloadClass:
    tags = [t.strip().upper() for t in _TAG.findall(name)]
    if not tags:
        return PayloadClass.BROADBAND
    if "DTC" in tags:
        return PayloadClass.DIRECT_TO_CELL
    return PayloadClass.OTHER


def payload_classes(names: Sequence[str]) -> tuple[PayloadClass, ...]:
    """The payload class of each catalog name (``"STARLINK-11359 [DTC]"`` is Direct-to-Cell)."""
    return tuple(_payload_class(n) for n in names)


def serves_dishes(names: Sequence[str]) -> BoolArray:
    """True for each satellite that may serve a consumer dish (broadband payload), ``(S,)``."""
    return np.array(
        [_payload_class(n) is PayloadClass.BROADBAND for n in names], dtype=bool
    ).reshape(-1)
