"""A map of a comparison between Starlink's availability map and the policy, in Matplotlib.

Every cell of the snapshot is drawn as its hexagon: green where the policy agrees with the
category, red where it does not, grey for categories the policy does not import (``test``,
``faq``); a panel per region holding imported cells keeps the small ones (Ceuta, Melilla, the
Kerch Strait) visible beside the world view.  Borders come from `leolink.geo.countries`.
Saving is the caller's business (``figure.savefig(path)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np

from leolink.coverage.maps import _border_lines, _polygon_rings
from leolink.geo import grid
from leolink.policy.availability import Comparison
from leolink.time import format_instant

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["comparison_map"]

_AGREE: Final = "#1a9850"
_DISAGREE: Final = "#d73027"
_NOT_IMPORTED: Final = "#bdbdbd"
_BORDER: Final = "#808080"
#: Close-ups: (title, west, east, south, north) in degrees, where the imported cells are.
_PANELS: Final = (
    ("Ukraine, Belarus, Russia (blacklisted)", 22.0, 42.0, 43.5, 53.5),
    ("Strait of Gibraltar: northern Morocco, Ceuta, Melilla", -7.5, -1.5, 33.8, 36.6),
)


def _draw(
    ax: Axes, comparison: Comparison, extent: tuple[float, float, float, float], *, hexagons: bool
) -> None:
    """Cells in ``extent`` as hexagons, or (the world view) as dots, imported ones on top."""
    from matplotlib.collections import LineCollection, PolyCollection

    west, east, south, north = extent
    lat, lon = grid.cells_to_latlng(comparison.cells)
    margin = 2.0
    near = (
        (lon > west - margin)
        & (lon < east + margin)
        & (lat > south - margin)
        & (lat < north + margin)
    )
    colours = np.where(
        comparison.imported, np.where(comparison.agrees, _AGREE, _DISAGREE), _NOT_IMPORTED
    )
    for layer in (~comparison.imported, comparison.imported):
        rows = np.flatnonzero(near & layer)
        if hexagons:
            rings, owner = _polygon_rings(comparison.cells[rows], -np.inf)
            ax.add_collection(
                PolyCollection(rings, facecolors=colours[rows][owner], edgecolors="none", zorder=1)
            )
        else:
            size = 6.0 if layer is comparison.imported else 0.5
            ax.scatter(lon[rows], lat[rows], s=size, c=colours[rows], linewidths=0, zorder=1)
    ax.add_collection(
        LineCollection(
            _border_lines(west, east, south, north, -np.inf),
            colors=_BORDER,
            linewidths=0.4,
            zorder=2,
        )
    )
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(1.0 / max(np.cos(np.radians((south + north) / 2.0)), 0.2))
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")


def comparison_map(comparison: Comparison) -> Figure:
    """The world and two close-ups, cells coloured by agreement, ready to save."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    figure = Figure(figsize=(14, 10), layout="constrained")
    grid_spec = figure.add_gridspec(2, 2, height_ratios=(1.1, 1.0))
    world = figure.add_subplot(grid_spec[0, :])
    _draw(world, comparison, (-180.0, 180.0, -90.0, 90.0), hexagons=False)
    world.set_aspect("equal")
    world.set_title("World")
    for k, (title, west, east, south, north) in enumerate(_PANELS):
        ax = figure.add_subplot(grid_spec[1, k])
        _draw(ax, comparison, (west, east, south, north), hexagons=True)
        ax.set_title(title)
    imported = int(np.count_nonzero(comparison.imported))
    agree = int(np.count_nonzero(comparison.agrees & comparison.imported))
    figure.suptitle(
        f"Starlink's availability map (published {comparison.published}) against the policy in "
        f"force at {format_instant(comparison.at)} (version "
        f"{comparison.policy_version}): {agree:,} of {imported:,} imported cells agree"
    )
    world.legend(
        handles=[
            Patch(color=_AGREE, label="policy agrees with the map"),
            Patch(color=_DISAGREE, label="policy disagrees"),
            Patch(color=_NOT_IMPORTED, label="category not imported (test, faq)"),
        ],
        loc="lower left",
    )
    return figure
