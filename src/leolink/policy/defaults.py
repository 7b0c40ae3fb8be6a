"""The default policy dataset: country statuses from public reporting, dated, each with a source.

The dataset is a YAML file in ``leolink/data`` (``policy-defaults-<date>.yaml``); its header
names the date it describes and the sources, and every status names its source, how sure the
dataset is of it (``confidence``), and a note.  ``data/PROVENANCE.md`` describes it.

Loading goes through the store like any other change, under the two-person rule: a system
actor (``defaults-loader``) proposes each status and a second one (``defaults-approver``)
approves it, both in the audit log.  Loading is idempotent: a status already approved with
the same country, status and effective date is left alone, and a proposal the loader left
behind (an interrupted load) is approved rather than proposed again.

The same load puts Starlink's own map in force as cell statuses: the vendored snapshot
(`leolink.policy.availability.load_vendored_snapshot`, the map as published in January 2025),
one change per category that affects service (blacklisted, waitlisted and coming-soon
categories; ``test`` and ``faq`` are left out), effective from the month it was published, its
date and source in every reason a decision gives.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final, Protocol

import numpy as np
import yaml

from leolink.errors import InputError, UnknownCountryError
from leolink.geo.countries import get_country
from leolink.policy.availability import (
    VENDORED_EFFECTIVE_FROM,
    MapSnapshot,
    load_vendored_snapshot,
)
from leolink.policy.records import (
    CellEffect,
    ChangeState,
    CountryStatus,
    Geofence,
    cell_category_effect,
)
from leolink.policy.sources import StatusWriter
from leolink.time import format_instant, parse_instant

__all__ = [
    "DEFAULT_APPROVER",
    "DEFAULT_PROPOSER",
    "DatasetSource",
    "DefaultDataset",
    "DefaultStatus",
    "LoadResult",
    "SeedTarget",
    "apply_defaults",
    "apply_map_snapshot",
    "dataset_names",
    "load_default_dataset",
    "parse_dataset",
    "seed_if_empty",
]

#: The two system actors of a default load (two different names: the two-person rule holds).
DEFAULT_PROPOSER: Final = "defaults-loader"
DEFAULT_APPROVER: Final = "defaults-approver"
_PREFIX: Final = "policy-defaults-"
_CONFIDENCE: Final = ("high", "medium", "low")


@dataclass(frozen=True)
class DatasetSource:
    """A source the dataset cites: a short id, what it is, where, and its date."""

    id: str
    title: str
    url: str
    date: str


@dataclass(frozen=True)
class DefaultStatus:
    """One country's status in the dataset, from ``effective_from`` on."""

    country: str
    status: CountryStatus
    effective_from: np.datetime64
    source: DatasetSource
    confidence: str
    note: str

    def source_text(self, dataset: str) -> str:
        """The ``source`` the store keeps: the citation and the dataset it came in."""
        url = f" <{self.source.url}>" if self.source.url else ""
        return f"{self.source.title}{url} ({self.source.date}); dataset {dataset}"

    def note_text(self) -> str:
        """The ``note`` the store keeps: the dataset's note and its confidence."""
        note = self.note.strip()
        return (
            f"{note} [confidence: {self.confidence}]"
            if note
            else f"[confidence: {self.confidence}]"
        )


@dataclass(frozen=True)
class DefaultDataset:
    """A parsed dataset: its name, the date it describes, its sources and statuses."""

    name: str
    as_of: str
    description: str
    sources: tuple[DatasetSource, ...]
    statuses: tuple[DefaultStatus, ...]
    sha256: str


@dataclass(frozen=True)
class LoadResult:
    """What a load did: statuses newly proposed and approved, and those already in place."""

    dataset: str
    proposed: int
    approved: int
    unchanged: int
    cell_categories: int = 0
    cells: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "dataset": self.dataset,
            "proposed": self.proposed,
            "approved": self.approved,
            "unchanged": self.unchanged,
            "cell_categories": self.cell_categories,
            "cells": self.cells,
        }


def dataset_names() -> list[str]:
    """Names of the datasets shipped in ``leolink/data``, oldest first."""
    folder = resources.files("leolink.data")
    names = [
        p.name.removesuffix(".yaml")
        for p in folder.iterdir()
        if p.name.startswith(_PREFIX) and p.name.endswith(".yaml")
    ]
    return sorted(names)


def _field(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry or entry[key] in (None, ""):
        raise InputError(f"{where}: the field {key!r} is missing")
    return entry[key]


def parse_dataset(text: str, origin: str) -> DefaultDataset:
    """Parse and check a dataset's YAML; every problem names ``origin`` and the entry."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{origin} is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise InputError(f"{origin}: expected a mapping with dataset, as_of, sources, statuses")
    name = str(_field(doc, "dataset", origin))
    as_of = str(_field(doc, "as_of", origin))
    raw_sources = _field(doc, "sources", origin)
    if not isinstance(raw_sources, dict):
        raise InputError(f"{origin}: 'sources' must map source ids to title, url, date")
    sources = {
        str(k): DatasetSource(
            str(k),
            str(_field(v, "title", f"{origin} source {k}")),
            str(v.get("url") or ""),
            str(_field(v, "date", f"{origin} source {k}")),
        )
        for k, v in raw_sources.items()
    }
    raw_statuses = _field(doc, "statuses", origin)
    if not isinstance(raw_statuses, list):
        raise InputError(f"{origin}: 'statuses' must be a list")
    out: list[DefaultStatus] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw_statuses):
        where = f"{origin} status #{i + 1}"
        if not isinstance(entry, dict):
            raise InputError(f"{where}: expected a mapping with country, status, since, source")
        if isinstance(entry.get("country"), bool):
            raise InputError(
                f"{where}: the country code was read as {entry['country']!r}: quote it "
                '(YAML reads a bare NO as false; write "NO")'
            )
        code = str(_field(entry, "country", where)).strip().upper()
        try:
            country = get_country(code)
        except UnknownCountryError as exc:
            raise InputError(f"{where}: {exc}") from exc
        if country.iso_a2 != code:
            raise InputError(f"{where}: {code!r} must be an ISO alpha-2 code ({country.name})")
        if code in seen:
            raise InputError(f"{where}: {code} is listed twice (also #{seen[code]})")
        seen[code] = i + 1
        try:
            status = CountryStatus(str(_field(entry, "status", where)))
        except ValueError:
            allowed = ", ".join(s.value for s in CountryStatus)
            raise InputError(
                f"{where}: status {entry['status']!r} is not one of {allowed}"
            ) from None
        since = str(_field(entry, "since", where))
        try:
            effective = parse_instant(since if "T" in since else f"{since}T00:00:00Z")
        except InputError as exc:
            raise InputError(f"{where}: since {since!r}: {exc}") from exc
        source_id = str(_field(entry, "source", where))
        if source_id not in sources:
            raise InputError(f"{where}: source {source_id!r} is not among the dataset's sources")
        confidence = str(entry.get("confidence", "high"))
        if confidence not in _CONFIDENCE:
            raise InputError(f"{where}: confidence {confidence!r} is not one of {_CONFIDENCE}")
        out.append(
            DefaultStatus(
                code,
                status,
                effective,
                sources[source_id],
                confidence,
                str(entry.get("note") or ""),
            )
        )
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return DefaultDataset(
        name, as_of, str(doc.get("description") or ""), tuple(sources.values()), tuple(out), digest
    )


def load_default_dataset(name: str | None = None) -> DefaultDataset:
    """The shipped dataset ``name`` (default: the newest), parsed and checked."""
    names = dataset_names()
    if not names:
        raise InputError("no default policy dataset is shipped in leolink/data")
    chosen = names[-1] if name is None else name.removesuffix(".yaml")
    if chosen not in names:
        raise InputError(f"there is no default policy dataset {name!r}: known are {names}")
    ref = resources.files("leolink.data").joinpath(f"{chosen}.yaml")
    return parse_dataset(ref.read_text(encoding="utf-8"), f"leolink/data/{chosen}.yaml")


def apply_defaults(
    writer: StatusWriter,
    dataset: DefaultDataset,
    *,
    proposer: str = DEFAULT_PROPOSER,
    approver: str = DEFAULT_APPROVER,
) -> LoadResult:
    """Load ``dataset`` through ``writer`` (the store): propose and approve each new status.

    Idempotent (see the module docstring).  Every write is an audited change by ``proposer``
    or ``approver``, with the dataset's name and hash as the reason.
    """
    reason = (
        f"default policy dataset {dataset.name} (as of {dataset.as_of}, sha256 "
        f"{dataset.sha256[:16]}), loaded with `leolink policy load-defaults`"
    )
    existing = writer.country_status_changes()
    in_place = {
        (c.country_code, c.status, format_instant(c.effective_from))
        for c in existing
        if c.state is ChangeState.APPROVED
    }
    pending = {
        (c.country_code, c.status, format_instant(c.effective_from)): c.id
        for c in existing
        if c.state is ChangeState.PROPOSED and c.proposer == proposer
    }
    proposed = approved = unchanged = 0
    for entry in dataset.statuses:
        key = (entry.country, entry.status, format_instant(entry.effective_from))
        if key in in_place:
            unchanged += 1
            continue
        change_id = pending.get(key)
        if change_id is None:
            change_id = writer.propose_country_status(
                entry.country,
                entry.status,
                effective_from=entry.effective_from,
                source=entry.source_text(dataset.name),
                note=entry.note_text(),
                actor=proposer,
                reason=reason,
            ).id
            proposed += 1
        writer.approve_country_status(change_id, actor=approver, reason=reason)
        approved += 1
    categories, cells = apply_map_snapshot(
        writer, load_vendored_snapshot(), proposer=proposer, approver=approver
    )
    return LoadResult(dataset.name, proposed, approved, unchanged, categories, cells)


def apply_map_snapshot(
    writer: StatusWriter,
    snapshot: MapSnapshot,
    *,
    effective_from: str | np.datetime64 = VENDORED_EFFECTIVE_FROM,
    proposer: str = DEFAULT_PROPOSER,
    approver: str = DEFAULT_APPROVER,
) -> tuple[int, int]:
    """Put the categories of ``snapshot`` that affect service in force as cell statuses.

    Idempotent: a category already approved from the same source and start is left alone,
    and a proposal the loader left behind is approved.  Returns (categories, cells) written.
    """
    reason = (
        f"Starlink's availability map as published {snapshot.published}, loaded as the "
        "default policy's cell statuses"
    )
    start = format_instant(parse_instant(effective_from))
    existing = {
        (c.category, format_instant(c.effective_from), c.source): c
        for c in writer.cell_status_changes()
    }
    categories = cells = 0
    for category, members in snapshot.by_category().items():
        if cell_category_effect(category) is CellEffect.NONE:
            continue
        old = existing.get((category, start, snapshot.source))
        if old is not None and old.state is not ChangeState.PROPOSED:
            continue
        if old is None:
            old = writer.propose_cell_statuses(
                category,
                members,
                effective_from=start,
                published=snapshot.published,
                source=snapshot.source,
                actor=proposer,
                reason=reason,
            )
        writer.approve_cell_statuses(old.id, actor=approver, reason=reason)
        categories += 1
        cells += len(members)
    return categories, cells


class SeedTarget(StatusWriter, Protocol):
    """A store that can say whether it holds any geofence (to tell an empty one)."""

    def geofences(self) -> list[Geofence]: ...


def seed_if_empty(store: SeedTarget, name: str | None = None) -> LoadResult | None:
    """Load the default dataset into a store that holds no status and no geofence yet.

    What `leolink check` (on the default store) and `leolink serve` do on first use, so that
    a fresh installation answers with the public record instead of "not licensed" everywhere.
    A store with any policy in it is left alone (None): its operators decide what is in it.
    """
    if store.country_status_changes() or store.geofences():
        return None
    return apply_defaults(store, load_default_dataset(name))
