"""The NumPy array types leolink's signatures are written in, named once for every module.

Each is an `numpy.typing.NDArray` of one dtype; shapes are documented where the arrays are
(``(S, N, 3)`` and the like), since NumPy's typing does not carry them.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "BoolArray",
    "CellArray",
    "CountArray",
    "DatetimeArray",
    "FloatArray",
    "IndexArray",
    "IntArray",
]

#: Real quantities (km, degrees, seconds, ...).
FloatArray: TypeAlias = npt.NDArray[np.float64]
#: Integers: counts, ids, codes.
IntArray: TypeAlias = npt.NDArray[np.int64]
#: 32-bit counts where arrays are large and counts small (the coverage kernel's visibility
#: counts per cell and instant: half the memory of `IntArray`).
CountArray: TypeAlias = npt.NDArray[np.int32]
#: Positions into another array (what `numpy.flatnonzero` and `numpy.argsort` return).
IndexArray: TypeAlias = npt.NDArray[np.intp]
#: Masks and predicates.
BoolArray: TypeAlias = npt.NDArray[np.bool_]
#: H3 cells as 64-bit integers (`leolink.geo.grid`).
CellArray: TypeAlias = npt.NDArray[np.uint64]
#: UTC instants, ``datetime64[ns]`` (`leolink.time`).
DatetimeArray: TypeAlias = npt.NDArray[np.datetime64]
