"""A satellite catalog: element sets with their names, ready for vectorised SGP4.

The `Catalog` is immutable and array-shaped: its element columns are NumPy arrays of shape
``(S,)`` in catalog order.  Readers (`leolink.orbits.tle`, `leolink.orbits.omm`) and the Walker
generator (`leolink.orbits.walker`) all produce one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from sgp4.api import Satrec, SatrecArray

from leolink.errors import InputError, TLEFormatError

__all__ = ["Catalog"]


@dataclass(frozen=True, eq=False)
class Catalog:
    """Satellites, each an SGP4 element set (`sgp4.api.Satrec`) with a name.

    ``problems`` holds the malformed records a lenient reader skipped, so that nothing is
    dropped silently; ``skipped`` is their number.
    """

    names: tuple[str, ...]
    satrecs: tuple[Satrec, ...]
    source: str = "<memory>"
    problems: tuple[TLEFormatError, ...] = field(default=())

    #: Past this many days from the epochs (`days_from_epochs`), SGP4 positions are off by tens
    #: of km and more: the command line warns, the service flags its answers as indicative, and
    #: `leolink.policy.sky.Sky` no longer checks satellite service.
    STALE_AFTER_DAYS: ClassVar[float] = 14.0

    def __post_init__(self) -> None:
        if len(self.names) != len(self.satrecs):
            raise InputError(
                f"catalog has {len(self.names)} names but {len(self.satrecs)} element sets; "
                "give one name per element set"
            )

    def __len__(self) -> int:
        return len(self.satrecs)

    def __repr__(self) -> str:
        return f"Catalog({len(self)} satellites from {self.source!r}, {self.skipped} skipped)"

    @property
    def skipped(self) -> int:
        """Number of malformed records the reader skipped."""
        return len(self.problems)

    @cached_property
    def norad_ids(self) -> npt.NDArray[np.int64]:
        """NORAD catalog numbers, shape ``(S,)``."""
        return np.array([s.satnum for s in self.satrecs], dtype=np.int64)

    @cached_property
    def satrec_array(self) -> SatrecArray:
        """The C++ `SatrecArray` that propagates all satellites in one call."""
        return SatrecArray(list(self.satrecs))

    @cached_property
    def epoch_jd(self) -> npt.NDArray[np.float64]:
        """Element-set epochs as UTC Julian dates, shape ``(S,)`` (whole + fraction)."""
        return np.array([s.jdsatepoch + s.jdsatepochF for s in self.satrecs], dtype=np.float64)

    @cached_property
    def epochs(self) -> npt.NDArray[np.datetime64]:
        """Element-set epochs as UTC ``datetime64[ns]``, shape ``(S,)``."""
        whole = np.array([s.jdsatepoch for s in self.satrecs], dtype=np.float64)
        frac = np.array([s.jdsatepochF for s in self.satrecs], dtype=np.float64)
        ns = np.round((whole - 2440587.5) * 86_400e9 + frac * 86_400e9).astype(np.int64)
        return ns.astype("datetime64[ns]")

    def _column(self, attribute: str) -> npt.NDArray[np.float64]:
        return np.array([getattr(s, attribute) for s in self.satrecs], dtype=np.float64)

    @cached_property
    def inclination_deg(self) -> npt.NDArray[np.float64]:
        """Mean inclination at epoch, degrees, shape ``(S,)``."""
        return np.degrees(self._column("inclo"))

    @cached_property
    def raan_deg(self) -> npt.NDArray[np.float64]:
        """Mean right ascension of the ascending node at epoch (TEME), degrees in [0, 360)."""
        return np.degrees(self._column("nodeo")) % 360.0

    @cached_property
    def eccentricity(self) -> npt.NDArray[np.float64]:
        """Mean eccentricity at epoch, shape ``(S,)``."""
        return self._column("ecco")

    @cached_property
    def arg_perigee_deg(self) -> npt.NDArray[np.float64]:
        """Mean argument of perigee at epoch, degrees in [0, 360)."""
        return np.degrees(self._column("argpo")) % 360.0

    @cached_property
    def mean_anomaly_deg(self) -> npt.NDArray[np.float64]:
        """Mean anomaly at epoch, degrees in [0, 360)."""
        return np.degrees(self._column("mo")) % 360.0

    @cached_property
    def mean_motion_rev_per_day(self) -> npt.NDArray[np.float64]:
        """Kozai mean motion as published in the element set, revolutions per day."""
        return self._column("no_kozai") * 1440.0 / (2.0 * np.pi)

    @cached_property
    def semi_major_axis_km(self) -> npt.NDArray[np.float64]:
        """Mean semi-major axis that SGP4 recovers at initialisation, km, shape ``(S,)``.

        From the un-Kozai'd mean motion (``Satrec.a``, in SGP4's Earth radii).
        """
        return self._column("a") * self._column("radiusearthkm")

    @cached_property
    def mean_altitude_km(self) -> npt.NDArray[np.float64]:
        """Altitude of the mean semi-major axis above SGP4's equatorial radius, km, ``(S,)``.

        For near-circular LEO orbits this is the shell altitude operators quote.
        """
        return self.semi_major_axis_km - self._column("radiusearthkm")

    def days_from_epochs(self, at: np.datetime64) -> float:
        """Median |at - epoch| over the catalog, in days: how stale the element sets are at ``at``.

        SGP4 errors for LEO grow by roughly 1-3 km a day from epoch, faster for satellites under
        strong drag or manoeuvring; beyond a couple of weeks positions are indicative only.
        """
        if not len(self):
            return 0.0
        delta_ns = (np.asarray(at, dtype="datetime64[ns]") - self.epochs).astype(np.int64)
        return float(np.median(np.abs(delta_ns))) / 86_400e9

    def take(self, indices: Sequence[int] | npt.NDArray[np.integer]) -> Catalog:
        """A catalog of the satellites at ``indices``, in that order."""
        idx = np.asarray(indices, dtype=np.int64)
        return Catalog(
            names=tuple(self.names[i] for i in idx),
            satrecs=tuple(self.satrecs[i] for i in idx),
            source=self.source,
            problems=self.problems,
        )

    def select_norad(self, norad_ids: Sequence[int]) -> Catalog:
        """A catalog of the satellites with these NORAD ids, in the order given.

        An id that is not in the catalog is refused with the list of missing ids.
        """
        position = {int(n): i for i, n in enumerate(self.norad_ids)}
        missing = [n for n in norad_ids if int(n) not in position]
        if missing:
            raise InputError(
                f"NORAD id(s) {', '.join(map(str, missing))} not in catalog {self.source!r} "
                f"({len(self)} satellites); check the ids or give another --catalog"
            )
        return self.take([position[int(n)] for n in norad_ids])
