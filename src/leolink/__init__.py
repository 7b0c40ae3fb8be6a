"""leolink: an open, faithful model of a Starlink-class satellite-internet system.

The public facade is `leolink.api`; everything else is implementation.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leolink")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"
