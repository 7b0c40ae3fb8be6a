"""Refreshing the service's catalog on a schedule (``leolink serve --catalog-refresh 2h``).

A daemon thread calls `leolink.orbits.archive.update_catalog` once at start and then every
``interval_s``; that function keeps the source's usage rules whatever the schedule says
(CelesTrak: not asked again within two hours of the last request, and conditionally), so a
short schedule costs nothing but a look at the snapshot directory.  Whenever the newest kept
snapshot is not the catalog the service computes with (this process fetched it, or another
worker of the same service did), the service moves to it (`ServiceState.use_catalog`):
requests in flight finish on the catalog they started with.  A failed update (the source
unreachable, a bad answer) is logged and kept in `last_error`; the catalog in use stays.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Final

from leolink import api
from leolink.api import UpdateResult, catalog_path_for
from leolink.errors import InputError, LeolinkError

if TYPE_CHECKING:
    from leolink.service.state import ServiceState

__all__ = ["CatalogRefresher", "parse_duration_s"]

_LOG = logging.getLogger("leolink.catalog")
_UNITS_S: Final = {"s": 1.0, "m": 60.0, "h": 3_600.0, "d": 86_400.0}
_DURATION: Final = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*")


def parse_duration_s(text: str, what: str = "--catalog-refresh") -> float:
    """Seconds in a duration such as ``2h``, ``90m``, ``1d`` or ``7200s`` (bare: seconds)."""
    match = _DURATION.fullmatch(str(text))
    seconds = float(match.group(1)) * _UNITS_S[match.group(2) or "s"] if match else 0.0
    if seconds <= 0:
        raise InputError(
            f"{what} {text!r} is not a duration: give a positive number with a unit, s, m, h "
            "or d (e.g. 2h)"
        )
    return seconds


class CatalogRefresher:
    """Keeps ``state``'s catalog the newest one ``source`` gives, checking every ``interval_s``.

    ``directory`` is the snapshot directory (default: the user's, `archive.snapshot_dir`).
    """

    def __init__(
        self,
        state: ServiceState,
        source: str,
        interval_s: float,
        *,
        directory: Path | None = None,
    ) -> None:
        self.state, self.source, self.interval_s = state, source, interval_s
        self.directory = directory
        self.last_result: UpdateResult | None = None
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh_once(self) -> bool:
        """Ask the source (as its rules allow) and move to the newest snapshot; True if the
        service's catalog changed."""
        try:
            self.last_result = api.update_catalog(self.source, directory=self.directory)
            self.last_error = None
            _LOG.info("catalog update: %s", self.last_result.message)
        except LeolinkError as error:
            self.last_error = str(error)
            _LOG.warning("catalog update failed, the catalog in use stays: %s", error)
        newest = catalog_path_for(None, self.directory)
        if newest is None:
            return False
        catalog = api.load_catalog_for(None, self.directory)
        if catalog is self.state.catalog:
            return False
        self.state.use_catalog(catalog)
        _LOG.info("now computing with %s (%d satellites)", newest.path, len(catalog))
        return True

    def status(self) -> str:
        """What the last refresh did, in words (or why it failed)."""
        if self.last_error is not None:
            return f"the last refresh failed, the catalog in use stays: {self.last_error}"
        if self.last_result is None:
            return f"every {self.interval_s:.0f} s from {self.source}: not yet asked"
        return f"every {self.interval_s:.0f} s from {self.source}: {self.last_result.message}"

    def _run(self) -> None:
        while True:
            try:
                self.refresh_once()
            except Exception:  # a thread that dies silently would stop refreshing for good
                _LOG.exception("catalog refresh")
            if self._stop.wait(self.interval_s):
                return

    def start(self) -> None:
        """Refresh now, then every ``interval_s``, in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="catalog-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop refreshing (waits for a refresh under way)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
