"""leolink: an open, faithful model of a Starlink-class satellite-internet system.

The public facade is `leolink.api`; everything else is implementation.
"""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed metadata on first use: `importlib.metadata`
    costs tens of milliseconds that every ``leolink`` command line would otherwise pay."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("leolink")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        found = "0+unknown"
    globals()["__version__"] = found
    return found
