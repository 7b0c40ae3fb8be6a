"""The bounds on the work one request or one command may ask for, in one place.

The service reads `SERVICE_LIMITS` (its OpenAPI document lists them), the store checks the
geofence vertices against them (whoever writes: the service or the command line), and the
command line reads `COMMAND_LINE_LIMITS` (its ``--help`` lists them; ``--force`` goes beyond
them, after an estimate of the memory and time).  Each bound says what it keeps bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

__all__ = [
    "CLIENT_SHARE",
    "COMMAND_LINE_LIMITS",
    "SERVICE_LIMITS",
    "ClientShare",
    "WorkLimits",
    "describe_limits",
    "exceeded",
]


@dataclass(frozen=True)
class WorkLimits:
    """Bounds on one request's (or command's) work; see the module docstring."""

    #: Positions of one geofence's GeoJSON rings: a region of 100,000 vertices is ~4 MB of JSON
    #: and ~0.5 s to check and compile once; beyond, give its H3 cells (or simplify it).
    max_geofence_vertices: int = 100_000
    #: Positions of the geofences one operator (actor) proposes in 24 hours, so that no one
    #: fills the store and the compile queue with hostile regions.
    max_operator_vertices_per_day: int = 1_000_000
    #: Cells of one region asked for (availability cells, coverage).
    max_cells: int = 20_000
    #: Instants of one sweep (coverage).
    max_instants: int = 97
    #: Cells x instants of one sweep: ~10 ns and ~2 bytes of kernel work each, plus the instants.
    max_cell_instants: int = 1_220_000
    #: Cells x time steps of one geofence impact preview's satellite counts (~20 us each:
    #: ~4 s); a larger area gets fewer steps (at least 6), beyond that it is refused.
    max_impact_cell_steps: int = 200_000

    def markdown(self) -> str:
        """The limits as a Markdown list (the OpenAPI document's)."""
        return "\n".join(f"- `{f.name}`: {getattr(self, f.name):,}" for f in fields(self))


#: What one HTTP request may ask for (a shared server: seconds of work at most).
SERVICE_LIMITS: Final = WorkLimits()

#: What one command may ask for without ``--force`` (the user's own machine: at most a few GB
#: and about an hour, `leolink.coverage.budget`): a week at 60 s (10,081 instants), the world
#: at resolution 5 (2 million cells) is beyond; 200,000 cells is a large country at resolution 6.
COMMAND_LINE_LIMITS: Final = WorkLimits(
    max_cells=200_000,
    max_instants=10_081,
    max_cell_instants=200_000_000,
    max_impact_cell_steps=20_000_000,
)


@dataclass(frozen=True)
class ClientShare:
    """One client's share of a service process's decision work (decisions, availability).

    A client is its API key when the request carries a valid one, else its address (behind a
    proxy, run uvicorn with ``--proxy-headers`` so that the address is the client's).  Each
    service process computes `ServiceLimits.max_concurrent_decisions` decisions at once; one
    client holds at most ``turns`` of them, so a client's flood or its large batches leave the
    other turns to everyone else, and a small request waits at most for the requests ahead of
    it in the other clients' shares.
    """

    #: Decision requests of one client computed at once (per service process).
    turns: int = 2
    #: Decision requests of one client waiting for a turn; one more is refused at once with
    #: 429 and ``Retry-After`` (the client is sending faster than its share computes).
    queue: int = 128
    #: Seconds a decision request waits for its turn; beyond, 503 with ``Retry-After`` (the
    #: service is busy with everyone's work).
    wait_s: float = 10.0
    #: Seconds a verified API key is remembered as the identity of the token that carried it
    #: (a revoked key may share as itself this long; it grants nothing else).
    key_ttl_s: float = 60.0


#: The service's per-client share of the decision work (`leolink.service.shares`).
CLIENT_SHARE: Final = ClientShare()


def describe_limits(limits: WorkLimits | ClientShare) -> str:
    """The limits as one line of text (for ``--help``)."""
    return "; ".join(f"{f.name} {getattr(limits, f.name):,}" for f in fields(limits))


def exceeded(limits: WorkLimits, figures: tuple[tuple[str, int, str], ...]) -> list[str]:
    """The figures of an estimate beyond ``limits``, each ``(what, value, limit field)``, as
    text naming the figure and the limit ("cells 1,200 > max_cells 1,000"); empty when none."""
    return [
        f"{what} {value:,} > {name} {getattr(limits, name):,}"
        for what, value, name in figures
        if value > getattr(limits, name)
    ]
