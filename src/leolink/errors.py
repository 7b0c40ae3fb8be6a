"""The one exception tree of leolink.

Every error raised for bad input says what the input was, what was expected instead and,
where it helps, what to do.  Array code does not raise for a failed element: it returns an
error code or NaN (see `leolink.orbits.propagate`).  Exceptions are kept for malformed input.
"""

from __future__ import annotations

__all__ = [
    "CatalogError",
    "ConflictError",
    "DuplicateElementSetError",
    "DuplicateError",
    "InputError",
    "LeolinkError",
    "LimitError",
    "NotFoundError",
    "PolicyStateError",
    "RegionError",
    "StoreError",
    "TLEFormatError",
    "TimeFormatError",
    "TimeWindowError",
    "TwoPersonRuleError",
    "UnknownCountryError",
    "WorkerError",
]


class LeolinkError(Exception):
    """Base class of every error leolink raises on purpose."""


class InputError(LeolinkError, ValueError):
    """Input that is malformed or out of range; the message names it and what is expected."""


class WorkerError(LeolinkError, RuntimeError):
    """A parallel worker process failed (killed, out of memory); the message says how to retry."""


class TimeFormatError(InputError):
    """A time that is not an ISO 8601 UTC instant such as ``2026-05-13T12:00:00Z``."""


class TimeWindowError(InputError):
    """A time window whose end is not after its start, or whose step is not positive."""


class UnknownCountryError(InputError):
    """A country code that is not an ISO 3166-1 alpha-2, alpha-3 or numeric code in the borders.

    The message names the code and suggests the closest known codes and names.
    """

    def __init__(self, code: object, suggestions: tuple[str, ...] = ()):
        self.code = code
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(
            f"unknown country code {code!r}: expected an ISO 3166-1 alpha-2 (UA), alpha-3 (UKR) "
            f"or numeric (804) code{hint}"
        )


class LimitError(InputError):
    """A request for more work than `leolink.limits` allows (the message gives the estimate and
    the limit; on the command line ``--force`` goes on)."""


class RegionError(InputError):
    """A region (GeoJSON polygon, bounding box) that is empty, malformed or cannot be repaired."""


class CatalogError(InputError):
    """A satellite catalog that cannot be read at all (missing file, unknown format, empty)."""


class TLEFormatError(CatalogError):
    """One malformed element set, located by file and line number.

    The message shows the offending line under the template it should follow, the way
    Skyfield and the ``sgp4`` package teach the two-line element format.
    """

    def __init__(self, path: str, line_number: int, text: str, problem: str, template: str):
        self.path = path
        self.line_number = line_number
        self.text = text
        self.problem = problem
        self.template = template
        super().__init__(
            f"{path}:{line_number}: {problem}\n"
            f"  expected a line like this template:\n    {template}\n"
            f"  but the line is:\n    {text}"
        )


class DuplicateElementSetError(TLEFormatError):
    """An element set skipped because its file holds one at least as new for the same satellite.

    Catalog readers keep the newest epoch per NORAD id and record each one they drop this way,
    so that nothing is dropped silently and callers can tell duplicates from damaged records.
    """

    def __init__(self, path: str, line_number: int, text: str, problem: str, template: str):
        super().__init__(path, line_number, text, problem, template)
        self.args = (f"{path}:{line_number}: {problem}\n  skipped:\n    {text}",)


class NotFoundError(InputError, LookupError):
    """An id (terminal, geofence, status change, API key) that names nothing in the store."""


class DuplicateError(InputError):
    """An id that is already taken (a terminal or geofence registered twice)."""


class ConflictError(LeolinkError):
    """An edit based on a stale version: someone else changed the entity first.

    Raised by the optimistic version check; the message gives the version the caller saw and
    the current one.  Re-read the entity, look at the other change, and retry if still wanted.
    """


class PolicyStateError(InputError):
    """An operation the entity's state does not allow (approving a withdrawn geofence, say)."""


class TwoPersonRuleError(PolicyStateError):
    """An approval by the operator who proposed the change: a second, different one must approve."""


class StoreError(LeolinkError):
    """The store cannot be opened, migrated or signed for (bad URL, unreadable key file, ...)."""
