"""The one front to `numba.njit` in leolink, typed so that jitted functions keep their signatures.

Numba ships without type information; decorating with it directly would make every jitted
function ``Any`` to ``mypy --strict``.  Casting the decorator once here keeps the Python
signatures visible and needs no ``type: ignore`` at each use.  Every kernel of the project
(`leolink.coverage.kernel`, `leolink.coverage.merit`, `leolink.orbits.frames`,
`leolink.orbits.propagate`, `leolink.network._kernels`) is compiled through it, with the same
settings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

__all__ = ["njit"]

_F = TypeVar("_F", bound=Callable[..., Any])


def njit(
    signature: str | None = None, *, parallel: bool = False, inline: bool = False
) -> Callable[[_F], _F]:
    """`numba.njit` with the project's settings: on-disk cache, GIL released, NumPy's error
    model, no fastmath.

    Fastmath stays off on purpose: the kernel's exact tests must round exactly like the
    brute-force reference, so the compiler may not reassociate or fuse floating-point operations.
    NumPy's error model lets a division by zero give inf or NaN (IEEE 754) instead of raising,
    as a failed element is data in array code, and frees the compiler to vectorise loops that
    divide.  ``inline=True`` inlines the function into its callers in numba's own IR, which
    spares a call - and the reference counting of every array argument - in the innermost loops.
    ``signature`` compiles eagerly for that one signature (numba's type string), so that forked
    workers never compile.
    """
    options: dict[str, Any] = {
        "cache": True,
        "nogil": True,
        "parallel": parallel,
        "inline": "always" if inline else "never",
        "error_model": "numpy",
    }
    decorator = numba.njit(**options) if signature is None else numba.njit(signature, **options)
    return cast(Callable[[_F], _F], decorator)
