"""The frozen records of the service-control entities, with their vocabulary (the enumerations
of `leolink.policy.vocabulary`, re-exported here).

The store (`leolink.store`) hands these out and the decision engine (`leolink.policy.decide`,
`leolink.policy.batch`) computes with them.  They are plain values, detached from any database
session, so the CLI, the HTTP service and the engine can keep and compare them freely; the
pure core owns them and the store depends on them, not the reverse.

Times are ``numpy.datetime64`` UTC instants, as everywhere in leolink, kept by the databases
to the microsecond.  A geofence window is ``[window_start, window_end)``; None is an open end.

*In force* is bitemporal.  ``at`` is the instant a decision is asked for; ``known_at``, when
given, rewinds what the operator had approved to that moment (default: everything approved so
far).  A geofence is in force at ``at`` when it was approved, ``at`` is in its window, and it
was not withdrawn by ``at``; a country's status at ``at`` is its approved change with the
latest ``effective_from`` not after ``at``.  So a withdrawn geofence stays in force for the
instants before its withdrawal (what happened then), and a change approved today with an
earlier ``effective_from`` corrects the past, unless ``known_at`` asks what was known then.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, ClassVar, Final

import numpy as np
import numpy.typing as npt
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    SerializerFunctionWrapHandler,
    computed_field,
    model_serializer,
)

from leolink.cache import LruCache
from leolink.policy.commitments import SEALED_REASON
from leolink.policy.vocabulary import (
    AsOf,
    ChangeState,
    CountryStatus,
    CustomerClass,
    GeofenceEffect,
    Plan,
    Role,
    TerminalState,
)
from leolink.time import format_instant, parse_instant

__all__ = [
    "ApiKey",
    "AsOf",
    "CellEffect",
    "CellStatusChange",
    "ChangeState",
    "CountryStatus",
    "CountryStatusChange",
    "CustomerClass",
    "GeoJSONText",
    "Geofence",
    "GeofenceEffect",
    "GeofenceSpec",
    "Instant",
    "Plan",
    "PolicyHistory",
    "PolicySnapshot",
    "PositionReport",
    "Role",
    "Terminal",
    "TerminalState",
    "cell_category_effect",
    "cell_category_words",
    "statuses_in_force",
]


def _to_instant(value: Any) -> np.datetime64:
    """An instant as the records keep it: a ``datetime64`` as given (the store's, to the
    microsecond), anything else parsed as ISO 8601 UTC (`leolink.time.parse_instant`)."""
    return value if isinstance(value, np.datetime64) else parse_instant(value)


def _geojson_object(text: str) -> Any:
    return json.loads(text)


#: A UTC instant in a record: ``numpy.datetime64`` in Python, ISO 8601 with ``Z`` in JSON.
Instant = Annotated[
    np.datetime64,
    PlainValidator(_to_instant, json_schema_input_type=str),
    PlainSerializer(format_instant, return_type=str, when_used="json"),
]

#: A GeoJSON region kept as its canonical text (it is the region's identity, `area_key`),
#: written in JSON as the object it encodes.
GeoJSONText = Annotated[
    str, PlainSerializer(_geojson_object, return_type=dict[str, Any], when_used="json")
]


#: How a record is validated: frozen, from the store's rows' attributes; every field it always
#: writes is required in its JSON schema (the API's OpenAPI document).
_RECORD: Final = ConfigDict(
    frozen=True, from_attributes=True, json_schema_serialization_defaults_required=True
)


class _Record(BaseModel):
    """A record that is one shape from the store to the API (`Geofence`, `Terminal`, ...)."""

    model_config = _RECORD

    #: Its JSON's keys in this order, where computed fields sit among the others (the order
    #: the API and the audit log have always written); empty: the fields, then computed fields.
    _key_order: ClassVar[tuple[str, ...]] = ()

    # No return annotation: pydantic would take it for the JSON schema of the record.
    @model_serializer(mode="wrap")
    def _in_key_order(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        fields = handler(self)
        order = self._key_order
        if not order or not isinstance(fields, dict):
            return fields
        return {k: fields[k] for k in order if k in fields} | fields

    def as_logged(self) -> dict[str, Any]:
        """The fields its audit records hold: its JSON under the field names."""
        return self.model_dump(mode="json")


#: The fields of `_Change`, in the order every change's JSON writes them.
_LIFECYCLE: Final = (
    "state",
    "proposer",
    "approver",
    "proposed_at",
    "approved_at",
    "rejected_at",
    "withdrawn_at",
)


class _Change(_Record):
    """A change under the two-person rule (`leolink.store.approval`): who proposed and who
    decided it, and when (`CountryStatusChange`, `CellStatusChange`, `Geofence`).  Its fields
    come first in the model; each record names its JSON's order (`_Record._key_order`)."""

    state: ChangeState
    proposer: str
    approver: str | None
    proposed_at: Instant
    approved_at: Instant | None
    rejected_at: Instant | None
    withdrawn_at: Instant | None


class _LiftedByTwo(_Change):
    """A change that withdraws service: what two operators put in force, two lift."""

    withdrawal_proposer: str | None = Field(
        default=None,
        description="Two operators put it in force, so two lift it: the first who asked to "
        "withdraw it (a second, different operator completes the withdrawal).",
    )
    withdrawal_proposed_at: Instant | None = None


def _before(a: np.datetime64 | None, b: np.datetime64 | None) -> bool:
    """``a <= b`` where None for ``b`` is the open future."""
    return a is not None and (b is None or bool(a <= b))


class CountryStatusChange(_Change):
    """One entry of a country's status history: ``status`` from ``effective_from`` on.

    One shape from the store to the API, as `Geofence`: validated from its row, returned by the
    service as is; its JSON (``model_dump(mode="json")``) is the API's and its audit records'.
    """

    _key_order = (
        "id",
        "country_code",
        "status",
        "effective_from",
        "source",
        "note",
        *_LIFECYCLE,
        "recorded_at",
        "reconstruction",
    )

    id: int
    country_code: str
    status: CountryStatus
    effective_from: Instant
    source: str
    note: str
    reconstruction: bool = Field(
        default=False,
        description="It describes the past (a reconstruction of the public record), recorded "
        "later than it took effect.",
    )

    @computed_field(  # type: ignore[prop-decorator]
        description="When the store recorded it as it is now (its approval, else its proposal); "
        "``effective_from`` is its valid time."
    )
    @property
    def recorded_at(self) -> Instant:
        """When the store recorded the change in its current state (transaction time): its
        approval once approved, else its proposal.  ``effective_from`` is its valid time."""
        return self.approved_at if self.approved_at is not None else self.proposed_at

    def counts(self, known_at: np.datetime64 | None = None) -> bool:
        """True if the change was approved (by ``known_at``, when given)."""
        return self.state is ChangeState.APPROVED and _before(self.approved_at, known_at)


class CellEffect(StrEnum):
    """What a category of Starlink's availability map does to service in its cells.

    ``disabled``: no terminal is served (``blacklisted``: CELL_IS_DISABLED).
    ``closed_to_new``: terminals already registered keep service, a new terminal is refused
    (every ``waitlisted_*`` and ``coming_soon_*`` category: sold out, expanding in a year,
    service date unknown; UNLICENSED_COUNTRY, see `leolink.policy.decide`).
    ``none``: shown on the map for information (``test``, ``faq``, ``available`` and any
    category not seen before), no effect on decisions.
    """

    DISABLED = "disabled"
    CLOSED_TO_NEW = "closed_to_new"
    NONE = "none"


def cell_category_effect(category: str) -> CellEffect:
    """The effect of a map category (any string: categories not seen before have none)."""
    if category == "blacklisted":
        return CellEffect.DISABLED
    if category.startswith(("waitlisted", "coming_soon")):
        return CellEffect.CLOSED_TO_NEW
    return CellEffect.NONE


def cell_category_words(category: str) -> str:
    """A category in the map's own wording: ``waitlisted_Sold_Out`` -> 'waitlisted: Sold Out'."""
    for prefix in ("waitlisted", "coming_soon"):
        if category.startswith(prefix + "_"):
            rest = category.removeprefix(prefix + "_").replace("_", " ")
            return f"{prefix.replace('_', ' ')}: {rest}"
    return category.replace("_", " ")


def _to_cell_set(value: Any) -> frozenset[str]:
    """Cells as a record keeps them: a ``frozenset`` as given (the store's row builds one; a
    map category holds up to ~10^5 cells, read with every policy), anything else as strings."""
    return value if isinstance(value, frozenset) else frozenset(str(c) for c in value)


#: H3 cells kept as a set, written in JSON as a sorted list.
_CellSet = Annotated[
    frozenset[str],
    PlainValidator(_to_cell_set, json_schema_input_type=list[str]),
    PlainSerializer(sorted, return_type=list[str]),
]


class CellStatusChange(_LiftedByTwo):
    """A set of H3 resolution-5 cells in one category of Starlink's availability map.

    ``published`` is the date Starlink published the map it comes from (``2025-01``), ``source``
    where it was taken from.  It is in force in ``[effective_from, effective_until)`` once
    approved (or ``active``: a change with no effect on service needs no second operator);
    a withdrawal ends it at ``withdrawn_at``.  ``audit_seq`` is the audit record that put it in
    force (approved or activated), for forensics.

    One shape from the store to the API, as `Geofence`: validated from its row, returned by the
    service as is (``words``, ``effect`` and ``cell_count`` are computed fields); its JSON
    (``model_dump(mode="json")``, cells sorted) is the API's and, with the cells last, its audit
    records' (`as_logged`).  Without the cells: ``model_dump(mode="json", exclude={"cells"})``.
    """

    _key_order = (
        "id",
        "category",
        "words",
        "effect",
        "cell_count",
        "cells",
        "effective_from",
        "effective_until",
        "published",
        "source",
        *_LIFECYCLE,
        "audit_seq",
        "withdrawal_proposer",
        "withdrawal_proposed_at",
    )

    id: int
    category: str
    cells: _CellSet = Field(description="Its H3 resolution-5 cells, sorted.")
    effective_from: Instant
    effective_until: Instant | None = Field(description="Exclusive; null: open end.")
    published: str
    source: str
    audit_seq: int | None = Field(
        default=None,
        description="The audit record that put it in force (its approval or activation); "
        "given by the listing of those in force, else null.",
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def effect(self) -> CellEffect:
        """What the category does to service (`cell_category_effect`)."""
        return cell_category_effect(self.category)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def words(self) -> str:
        """The category in the map's wording."""
        return cell_category_words(self.category)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cell_count(self) -> int:
        """How many cells it holds."""
        return len(self.cells)

    def as_logged(self) -> dict[str, Any]:
        """The fields its audit records hold: its JSON under the field names, the cells last."""
        fields = self.model_dump(mode="json")
        fields["cells"] = fields.pop("cells")
        return fields

    def in_force_interval(
        self, known_at: np.datetime64 | None = None
    ) -> tuple[np.datetime64, np.datetime64 | None] | None:
        """``[start, end)`` of the instants it applies to, None if never put in force."""
        if self.state not in (ChangeState.APPROVED, ChangeState.ACTIVE, ChangeState.WITHDRAWN):
            return None
        if not _before(self.approved_at, known_at):
            return None
        end = self.effective_until
        if self.withdrawn_at is not None and _before(self.withdrawn_at, known_at):
            end = self.withdrawn_at if end is None else min(end, self.withdrawn_at)
        return self.effective_from, end

    def is_in_force(self, at: np.datetime64, known_at: np.datetime64 | None = None) -> bool:
        """True if the change applies at instant ``at``."""
        interval = self.in_force_interval(known_at)
        if interval is None:
            return False
        start, end = interval
        return bool(start <= at and (end is None or at < end))


@dataclass(frozen=True)
class GeofenceSpec:
    """What an operator proposes: the area, its effect, whom and when it applies to, and why.

    The area is a GeoJSON region (Polygon, MultiPolygon, Feature or FeatureCollection of those,
    in (lon, lat) as GeoJSON has it), a set of H3 cells (15-digit hex strings, any resolution),
    or both, meaning their union.  ``customer_classes`` None means every class.  ``sealed``
    (government fences only) logs a commitment to the area and reason instead of the text
    (`leolink.policy.commitments`).
    """

    name: str
    effect: GeofenceEffect
    reason: str
    area_geojson: str | Mapping[str, Any] | None = None
    cells: tuple[str, ...] = ()
    customer_classes: tuple[CustomerClass, ...] | None = None
    window_start: np.datetime64 | str | None = None
    window_end: np.datetime64 | str | None = None
    reconstruction: bool = False
    sealed: bool = False


class Geofence(_LiftedByTwo):
    """A geofence as stored: the spec, its measured size, its approvals, its ``version``.

    ``size_km2`` is the area the two-person rule measured; ``needs_approval`` whether it had to
    wait for a second operator.  ``version`` starts at 1 and grows with every change; edits and
    approvals name the version they saw, so that nobody approves what they did not see.
    ``reconstruction``: it describes the past (the public record replayed into a store), so
    its window is history and its recording (``recorded_at``) is later.  ``withdrawal_proposer``:
    the first of the two operators lifting a geofence that two put in force.

    One shape from the store to the API: the store validates it from its row
    (``Geofence.model_validate(row)``), the service returns it as is, and its JSON
    (``model_dump(mode="json", by_alias=True)``, as FastAPI writes it) is the API's: times as
    ISO 8601 ``Z`` strings, the GeoJSON region as an object under ``area``.  The audit log
    keeps the region's text under ``area_geojson`` (`as_logged`).
    """

    _key_order = (
        "id",
        "name",
        "effect",
        "area",
        "area_geojson",
        "cells",
        "customer_classes",
        "window_start",
        "window_end",
        "reason",
        "size_km2",
        "needs_approval",
        *_LIFECYCLE,
        "version",
        "recorded_at",
        "reconstruction",
        "withdrawal_proposer",
        "withdrawal_proposed_at",
        "sealed",
    )

    id: str
    name: str
    effect: GeofenceEffect
    area_geojson: GeoJSONText | None = Field(
        serialization_alias="area",
        description="The GeoJSON region as given, canonicalised; null: the area is its cells.",
    )
    cells: tuple[str, ...]
    customer_classes: tuple[CustomerClass, ...] | None
    window_start: Instant | None
    window_end: Instant | None = Field(description="Exclusive; null: open end.")
    reason: str
    size_km2: float
    needs_approval: bool
    version: int
    reconstruction: bool = Field(
        default=False,
        description="It describes the past (a reconstruction of the public record), recorded "
        "later than its window.",
    )
    sealed: bool = Field(
        default=False,
        description="Sealed: the log holds a commitment to its area and reason "
        "(`leolink.policy.commitments`); keys that may not read the audit log see no area, "
        "cells or reason.",
    )

    @computed_field(  # type: ignore[prop-decorator]
        description="When the store recorded it as it is now (its approval or activation, else "
        "its proposal); the window is its valid time."
    )
    @property
    def recorded_at(self) -> Instant:
        """When the store recorded the geofence in its current state (transaction time): its
        approval (or activation) once in force, else its proposal.  The window is its valid
        time; a reconstruction's window lies before its recording."""
        return self.approved_at if self.approved_at is not None else self.proposed_at

    def spec(self) -> GeofenceSpec:
        """What was proposed (to preview it again: `leolink.policy.impact`)."""
        return GeofenceSpec(
            name=self.name,
            effect=self.effect,
            reason=self.reason,
            area_geojson=self.area_geojson,
            cells=self.cells,
            customer_classes=self.customer_classes,
            window_start=self.window_start,
            window_end=self.window_end,
            reconstruction=self.reconstruction,
        )

    def as_logged(self) -> dict[str, Any]:
        """The fields its audit records hold (before sealing, `leolink.policy.commitments`):
        its JSON under the field names, the region as its text, ``sealed`` only when it is."""
        fields = self.model_dump(mode="json", exclude=None if self.sealed else {"sealed"})
        fields["area_geojson"] = self.area_geojson
        return fields

    def without_sealed_text(self) -> Geofence:
        """What a key that may not read the audit log sees of it: a sealed fence without its
        area, cells and reason (the log holds only a commitment to them); others as they are."""
        if not self.sealed:
            return self
        return self.model_copy(update={"area_geojson": None, "cells": (), "reason": SEALED_REASON})

    def applies_to(self, customer_class: CustomerClass | str) -> bool:
        """True if the geofence covers terminals of ``customer_class``."""
        return self.customer_classes is None or customer_class in self.customer_classes

    def is_in_force(self, at: np.datetime64, known_at: np.datetime64 | None = None) -> bool:
        """True if the geofence applies at instant ``at`` (see the module docstring)."""
        interval = self.in_force_interval(known_at)
        if interval is None:
            return False
        start, end = interval
        started = start is None or start <= at
        return bool(started and (end is None or at < end))

    def in_force_interval(
        self, known_at: np.datetime64 | None = None
    ) -> tuple[np.datetime64 | None, np.datetime64 | None] | None:
        """``[start, end)`` of the instants the geofence applies to (None: an open end).

        None if it was never approved (by ``known_at``, when given).  A geofence proposed
        without a start takes effect when it is approved, not from the beginning of time (a
        reconstruction of the past gives its start).  A withdrawal known by then ends the
        interval at ``withdrawn_at``; an empty interval is returned as is.
        """
        if not _before(self.approved_at, known_at):
            return None
        start = self.window_start if self.window_start is not None else self.approved_at
        end = self.window_end
        if self.withdrawn_at is not None and _before(self.withdrawn_at, known_at):
            end = self.withdrawn_at if end is None else min(end, self.withdrawn_at)
        return start, end


class Terminal(_Record):
    """A user terminal and its account; ``allowlists`` are the allow-list geofences it is in.

    One shape from the store to the API, as `Geofence`: validated from its row, returned by the
    service as is; its JSON (``model_dump(mode="json")``) is the API's and its audit records'.
    """

    id: str
    account: str
    home_country: str
    customer_class: CustomerClass
    plan: Plan
    funding_party: str | None
    state: TerminalState
    allowlists: tuple[str, ...]
    created_at: Instant
    updated_at: Instant
    version: int


class PositionReport(_Record):
    """Where a terminal said it was: (lat, lon) in degrees WGS84 and its H3 cell, at an instant.

    One shape, as `Terminal`: validated from its row, returned by the service as is; its JSON
    (``model_dump(mode="json")``) is the API's, and without ``terminal_id`` what the terminal's
    audit record lists.
    """

    terminal_id: str
    reported_at: Instant
    lat_deg: float
    lon_deg: float
    cell: str


class ApiKey(_Record):
    """An API key without its secret (the store keeps only a keyed hash of it, which the record
    does not read from the row); its JSON is what the CLI shows and the audit log holds."""

    id: str
    name: str
    role: Role
    created_at: Instant
    created_by: str
    revoked_at: Instant | None

    @property
    def revoked(self) -> bool:
        """True once the key has been revoked."""
        return self.revoked_at is not None


@dataclass(frozen=True)
class PolicySnapshot:
    """The policy in force at ``at`` as known at ``known_at``, read in one transaction.

    ``version`` is the policy version current when it was read: a decision made from this
    snapshot cites it.  ``country_statuses`` maps alpha-2 codes to the change in force (codes
    without any are absent); ``geofences`` are those in force; ``allowlists`` maps each
    allow-list geofence in force to its member terminals; ``cell_statuses`` the map categories
    in force (`CellStatusChange`).
    """

    version: int
    at: np.datetime64
    known_at: np.datetime64 | None
    country_statuses: Mapping[str, CountryStatusChange]
    geofences: tuple[Geofence, ...]
    allowlists: Mapping[str, frozenset[str]]
    cell_statuses: tuple[CellStatusChange, ...] = ()


@dataclass(frozen=True)
class PolicyHistory:
    """All the policy that was ever in force as known at ``known_at``, read in one snapshot.

    Where a `PolicySnapshot` answers for one instant, this answers for any: the batch engine
    (`leolink.policy.batch`) evaluates many instants at once from it.  ``status_changes`` are
    the approved country-status changes (by ``known_at``, when given), oldest first;
    ``geofences`` those approved (by ``known_at``), whatever they became later (a withdrawn
    one stays in force until its withdrawal); ``allowlists`` maps each allow-list geofence
    among them to its current member terminals; ``cell_statuses`` the cell-status changes
    ever put in force (by ``known_at``).  `snapshot` gives what `Store.policy_at` gives.
    """

    version: int
    known_at: np.datetime64 | None
    status_changes: tuple[CountryStatusChange, ...]
    geofences: tuple[Geofence, ...]
    allowlists: Mapping[str, frozenset[str]]
    cell_statuses: tuple[CellStatusChange, ...] = ()

    def as_known_at(self, known_at: np.datetime64 | None) -> PolicyHistory:
        """This history rewound to what was on record at ``known_at`` (None: as it is).

        Equal to ``Store.policy_history(known_at=...)`` when this history is the store's
        complete one (``known_at`` None): what was approved later is left out, and a later
        withdrawal does not end what was in force then.
        """
        if known_at is None:
            return self
        k: np.datetime64 = known_at.astype("datetime64[ns]")
        if self.known_at is not None and k > self.known_at:
            raise ValueError("a history cannot be wound forward past its own known_at")
        fences = tuple(f for f in self.geofences if f.in_force_interval(k) is not None)
        return PolicyHistory(
            self.version,
            k,
            tuple(c for c in self.status_changes if c.counts(k)),
            fences,
            {f.id: self.allowlists.get(f.id, frozenset()) for f in fences},
            tuple(c for c in self.cell_statuses if c.in_force_interval(k) is not None),
        )

    def snapshot(self, at: np.datetime64) -> PolicySnapshot:
        """The policy in force at ``at``: the same statuses, geofences and allow-lists.

        What is in force changes only at the change points (`change_points_us`), so the
        snapshot is built once per interval between two of them and kept (a decision asks for
        it at its own instant, often "now": a cache per instant would never hit).
        """
        t: np.datetime64 = at.astype("datetime64[ns]")
        t_us = int(t.astype("datetime64[us]").astype(np.int64))
        k = int(np.searchsorted(self.change_points_us, t_us, side="right"))
        kept = self._snapshots.get_or_compute(k, lambda: self._snapshot_at(t))
        return kept if kept.at == t else replace(kept, at=t)

    @cached_property
    def change_points_us(self) -> npt.NDArray[np.int64]:
        """The instants (µs since 1970, sorted) at which something starts or stops being in
        force: status changes' ``effective_from``, the ends of geofence and cell-status
        intervals.  Every instant in ``[p[k], p[k + 1])`` has the same snapshot."""
        points: list[np.datetime64] = [c.effective_from for c in self.status_changes]
        intervals = [f.in_force_interval(self.known_at) for f in self.geofences]
        intervals += [c.in_force_interval(self.known_at) for c in self.cell_statuses]
        points += [t for i in intervals if i is not None for t in i if t is not None]
        us = np.asarray(points, dtype="datetime64[us]").astype(np.int64)
        return np.unique(us)

    @cached_property
    def _snapshots(self) -> LruCache[int, PolicySnapshot]:
        return LruCache(256)

    def _snapshot_at(self, t: np.datetime64) -> PolicySnapshot:
        statuses = statuses_in_force(
            (c for c in self.status_changes if c.effective_from <= t), self.known_at
        )
        fences = tuple(f for f in self.geofences if f.is_in_force(t, self.known_at))
        allowlists = {
            f.id: self.allowlists.get(f.id, frozenset())
            for f in fences
            if f.effect is GeofenceEffect.ALLOWLIST
        }
        cells = tuple(c for c in self.cell_statuses if c.is_in_force(t, self.known_at))
        return PolicySnapshot(self.version, t, self.known_at, statuses, fences, allowlists, cells)


def statuses_in_force(
    changes: Iterable[CountryStatusChange], known_at: np.datetime64 | None
) -> dict[str, CountryStatusChange]:
    """Per country, the counting change with the latest ``effective_from`` (ties: latest id)."""
    best: dict[str, CountryStatusChange] = {}
    for c in changes:
        if not c.counts(known_at):
            continue
        old = best.get(c.country_code)
        if old is None or (c.effective_from, c.id) > (old.effective_from, old.id):
            best[c.country_code] = c
    return best
