"""Compiled loops of the network layer (numba, cached on disk beside this module).

Kept apart so that the public modules stay plain NumPy; each kernel states what it computes
and is checked against a NumPy or `itrs_to_topocentric` formulation in the tests.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from leolink._jit import njit

__all__ = ["gsl_mask"]


@njit()
def gsl_mask(
    r_sat: npt.NDArray[np.float64],
    p_site: npt.NDArray[np.float64],
    up_site: npt.NDArray[np.float64],
    sin_mask: float,
    max_range_km: float,
    out: npt.NDArray[np.bool_],
) -> None:
    """``out[g, s]`` = satellite ``s`` is at or above the mask and within range of site ``g``.

    ``r_sat`` ``(S, 3)`` and ``p_site`` ``(G, 3)`` are ITRF km, ``up_site`` ``(G, 3)`` unit
    normals; the test is ``(r - p) . up >= sin_mask |r - p|`` and ``|r - p| <= max_range_km``,
    false for NaN positions.  With a mask at or above the horizon a satellite below it
    (negative up component, most of them) is rejected before the square root.
    """
    n_sites, n_sats = p_site.shape[0], r_sat.shape[0]
    above_horizon = sin_mask >= 0.0
    for g in range(n_sites):
        px, py, pz = p_site[g, 0], p_site[g, 1], p_site[g, 2]
        ux, uy, uz = up_site[g, 0], up_site[g, 1], up_site[g, 2]
        for s in range(n_sats):
            dx, dy, dz = r_sat[s, 0] - px, r_sat[s, 1] - py, r_sat[s, 2] - pz
            up = dx * ux + dy * uy + dz * uz
            if above_horizon and not up >= 0.0:
                out[g, s] = False
                continue
            rng = np.sqrt(dx * dx + dy * dy + dz * dz)
            out[g, s] = up >= sin_mask * rng and rng <= max_range_km
