"""A decision in bitemporal time: "as recorded then" or "as known now".

Every record of the policy has a valid time (a geofence's window, a status's
``effective_from``) and a time it was recorded (its approval, `Geofence.recorded_at`).  A
question about instant ``at`` can be answered two ways:

``recorded``  with only what had been recorded by ``at``: what the operator's systems said
              then (a later correction, or a reconstruction of the past, is left out);
``known``     with everything recorded so far: what we know now about ``at``.

They differ where a record was made after the instant it speaks about: a retroactive
correction, or the scenarios of the public record loaded into a store.  `ViewedDecision` keeps
the answer asked for and, where the other view answers differently, that one too, so that
the difference is shown rather than hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from leolink.policy.decide import DENIED_BY_POLICY, Decision
from leolink.policy.records import AsOf
from leolink.time import format_instant

__all__ = ["AsOf", "ViewedDecision", "known_at_for", "policy_verdict"]


def known_at_for(view: AsOf, at: np.datetime64) -> np.datetime64 | None:
    """The ``known_at`` of a view for a decision at ``at`` (None: everything recorded)."""
    return at if view is AsOf.RECORDED else None


def policy_verdict(decision: Decision) -> tuple[str, tuple[str, ...]]:
    """What policy said: its code (or ``allowed``) and the rules that fired.

    The sky (NO_SATELLITE_IN_VIEW, the serving satellite) is the same in both views, so it
    is left out of the comparison.
    """
    code = decision.code.value if decision.code in DENIED_BY_POLICY else "allowed"
    return code, decision.rules


@dataclass(frozen=True)
class ViewedDecision:
    """A decision as asked (``view``) with the ``known_at`` it used (the instant asked, or
    now), and ``other``: the other view's decision when its policy verdict differs."""

    decision: Decision
    view: AsOf
    known_at: np.datetime64
    other: Decision | None = None

    @classmethod
    def of(
        cls, decision: Decision, view: AsOf, known_at: np.datetime64, other: Decision
    ) -> ViewedDecision:
        """``decision`` in ``view``; ``other`` (the other view's) is kept only if it differs."""
        differs = policy_verdict(decision) != policy_verdict(other)
        return cls(decision, view, known_at, other if differs else None)

    def to_dict(self) -> dict[str, Any]:
        """The decision's fields, ``as``, ``known_at`` and ``other_view`` (None if the same)."""
        out = self.decision.to_dict()
        out["as"] = self.view.value
        out["known_at"] = format_instant(self.known_at)
        out["other_view"] = None
        if self.other is not None:
            code, rules = policy_verdict(self.other)
            words = "as known now" if self.view is AsOf.RECORDED else "as recorded then"
            out["other_view"] = {
                "as": self.view.other.value,
                "allowed": self.other.allowed,
                "code": self.other.code.value,
                "rules": list(rules),
                "reasons": list(self.other.reasons),
                "summary": (
                    f"{words} the answer differs: {code} "
                    f"(rules: {', '.join(rules) or 'none'}), because a record about this "
                    "instant was made after it"
                ),
            }
        return out
