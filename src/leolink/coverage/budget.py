"""What a coverage sweep will cost, estimated before it starts, and the check against the limits.

The figures are rough (within ~3x), from runs of ``leolink coverage`` on a shared 2-core
machine (2026-12, ``/usr/bin/time``): about 280 MB before the sweep (the model, the catalog,
the borders); the satellites' Earth-fixed positions, ``(S, N, 3)`` float64 with their
geodetic copies, ~32 bytes per satellite-instant; ~300 bytes per cell (ids, centres, the
per-cell figures, the output table); ~2 bytes per cell-instant (the counts of a chunk).  Time:
~20 us per satellite-instant (SGP4 and the visibility kernel's share: 0.2 s per instant for
~10,000 satellites) and ~1 us per cell-instant.  A region's cells are estimated from a coarse
resolution before any fine cell is made, so that ``--world --resolution 9`` (4.8 billion cells)
is refused before it fills the memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from leolink.coverage.sweep import region_cells
from leolink.errors import LimitError
from leolink.geo import grid
from leolink.limits import WorkLimits, exceeded

__all__ = ["SweepEstimate", "check_sweep", "estimate_region_cells", "estimate_sweep"]

_BASE_BYTES: Final = 280e6
_BYTES_PER_SATELLITE_INSTANT: Final = 32.0
_BYTES_PER_CELL: Final = 300.0
_BYTES_PER_CELL_INSTANT: Final = 2.0
_SECONDS_PER_SATELLITE_INSTANT: Final = 20e-6
_SECONDS_PER_CELL_INSTANT: Final = 1e-6
#: Cells are counted at this resolution (or the one asked, if coarser), then scaled by 7 per level.
_COARSE_RESOLUTION: Final = 3


@dataclass(frozen=True)
class SweepEstimate:
    """A sweep's size (cells x instants over satellites) and its rough memory and time."""

    cells: int
    instants: int
    satellites: int

    @property
    def cell_instants(self) -> int:
        """Cells x instants."""
        return self.cells * self.instants

    @property
    def memory_bytes(self) -> float:
        """Peak memory, roughly (module docstring)."""
        return (
            _BASE_BYTES
            + self.satellites * self.instants * _BYTES_PER_SATELLITE_INSTANT
            + self.cells * _BYTES_PER_CELL
            + self.cell_instants * _BYTES_PER_CELL_INSTANT
        )

    @property
    def seconds(self) -> float:
        """Time on one core, roughly (module docstring)."""
        return (
            self.satellites * self.instants * _SECONDS_PER_SATELLITE_INSTANT
            + self.cell_instants * _SECONDS_PER_CELL_INSTANT
        )

    def describe(self) -> str:
        """``~2,469 cells x 721 instants: about 0.5 GB and 3 min`` (rough figures)."""
        return (
            f"~{self.cells:,} cells x {self.instants:,} instants: about "
            f"{_bytes(self.memory_bytes)} of memory and {_duration(self.seconds)}"
        )


def _bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n / 1e6:.2f} MB"


def _duration(seconds: float) -> str:
    for unit, size in (("years", 3.15e7), ("days", 86_400.0), ("h", 3_600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:.0f} s"


def estimate_sweep(cells: int, instants: int, satellites: int) -> SweepEstimate:
    """The estimate for ``cells`` x ``instants`` over ``satellites``."""
    return SweepEstimate(int(cells), int(instants), int(satellites))


def estimate_region_cells(resolution: int, **region: Any) -> int:
    """About how many cells `region_cells` would give at ``resolution`` (same arguments),
    counted at a coarse resolution (exact for ``world=True``)."""
    res = grid.check_resolution(resolution)
    if region.get("world"):
        return int(2 + 120 * 7**res)  # H3: 122 base cells, 12 of them pentagons (5 children)
    coarse = min(res, _COARSE_RESOLUTION)
    cells, _ = region_cells(resolution=coarse, **region)
    return int(max(int(cells.size), 1) * 7 ** (res - coarse))


def check_sweep(estimate: SweepEstimate, limits: WorkLimits, *, force: bool = False) -> None:
    """Refuse (`LimitError`) a sweep beyond ``limits`` unless ``force``; the message gives the
    estimate, the limit exceeded and what to do."""
    over = exceeded(
        limits,
        (
            ("cells", estimate.cells, "max_cells"),
            ("instants", estimate.instants, "max_instants"),
            ("cell-instants", estimate.cell_instants, "max_cell_instants"),
        ),
    )
    if over and not force:
        raise LimitError(
            f"this sweep is {estimate.describe()} (rough), beyond the limits ({'; '.join(over)}): "
            "use a coarser --resolution, a longer --step-s, a smaller region or window, or "
            "--force to run it anyway"
        )
