"""A typed front to `numba.njit`, so that jitted functions keep their signatures for mypy.

Numba ships without type information; decorating with it directly would make every jitted
function ``Any`` to ``mypy --strict``.  Casting the decorator once here keeps the Python
signatures visible and needs no ``type: ignore`` at each use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

__all__ = ["njit"]

_F = TypeVar("_F", bound=Callable[..., Any])


def njit(*, parallel: bool = False, inline: bool = False) -> Callable[[_F], _F]:
    """`numba.njit` with the project's settings: on-disk cache, GIL released, NumPy's error
    model, no fastmath.

    Fastmath stays off on purpose: the kernel's exact tests must round exactly like the
    brute-force reference, so the compiler may not reassociate or fuse floating-point operations.
    NumPy's error model lets a division by zero give inf or NaN (IEEE 754) instead of raising,
    which also frees the compiler to vectorise loops that divide.
    ``inline=True`` inlines the function into its callers in numba's own IR, which spares a
    call - and the reference counting of every array argument - in the innermost loops.
    """
    decorator = numba.njit(
        cache=True,
        nogil=True,
        parallel=parallel,
        inline="always" if inline else "never",
        error_model="numpy",
    )
    return cast(Callable[[_F], _F], decorator)
