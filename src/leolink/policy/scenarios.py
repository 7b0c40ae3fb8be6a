"""Scenarios: the public record replayed step by step against a fresh store, with expectations.

A scenario is a YAML file (shipped in ``leolink/data/scenarios``): a name, a title, a summary,
its sources, and steps.  Each step happens at an instant (``at``; the store's clock is set to
it, so what is approved then is on record as approved then) and does one thing:

``set_status``         propose and approve a country status (two operators)
``register_terminal``  register a terminal (account, home country, class, plan, funding party)
``update_terminal``    change some of a terminal's fields
``propose_geofence``   propose a geofence (``area`` is GeoJSON, or ``{country: CC}`` for a
                       country's borders; or ``cells``), window, classes, reason
``approve_geofence``   a second operator approves it
``withdraw_geofence``  take it back / end it
``add_to_allowlist``   register terminals in an allow-list geofence
``report_positions``   a terminal's position reports (``positions``: at, lat, lon)
``enforce``            find terminals reporting from refusing places; ``suspend`` them
``check``              decide for a terminal (or a new one) at ``lat``, ``lon``
``inspect_terminal``   read a terminal's fields

``check`` steps carry ``expect: {code, allowed}`` (and optionally ``reason_contains``,
``rules_include``); ``enforce`` steps ``expect: {violators: [...]}``; ``inspect_terminal``
steps ``expect: {field: value}``.  `run_scenario` runs the steps in order in a store made by
the caller (a fresh, temporary one), compares, and ends by verifying the audit chain.  A
failed step (an error) stops the run; a mismatch does not.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final, Protocol, TypeVar

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError
from shapely.geometry import mapping

from leolink.errors import InputError, LeolinkError
from leolink.geo.countries import country_geometry
from leolink.policy.audit import ChainVerification
from leolink.policy.decide import DEFAULT_SETTINGS, Code, DecisionSettings
from leolink.policy.enforcement import find_violations, suspend
from leolink.policy.records import (
    ChangeState,
    CountryStatus,
    CountryStatusChange,
    CustomerClass,
    Geofence,
    GeofenceEffect,
    GeofenceSpec,
    Plan,
    PositionReport,
    TerminalState,
)
from leolink.policy.sky import Sky
from leolink.policy.sources import PolicySource, StatusWriter, TerminalWriter, decide_from
from leolink.time import format_instant, parse_instant

__all__ = [
    "ACTIONS",
    "LoadedStep",
    "Scenario",
    "ScenarioClock",
    "ScenarioRun",
    "ScenarioStore",
    "Step",
    "StepOutcome",
    "load_into",
    "load_scenario",
    "parse_scenario",
    "run_scenario",
    "scenario_names",
]

ACTIONS: Final = (
    "set_status",
    "register_terminal",
    "update_terminal",
    "propose_geofence",
    "approve_geofence",
    "withdraw_geofence",
    "add_to_allowlist",
    "report_positions",
    "enforce",
    "check",
    "inspect_terminal",
)
_PROPOSER: Final = "op:alice"
_APPROVER: Final = "op:bob"


class ScenarioStore(PolicySource, StatusWriter, TerminalWriter, Protocol):
    """What a scenario does to a store: `leolink.store.Store` is one."""

    def register_terminal(
        self,
        terminal_id: str,
        *,
        account: str,
        home_country: str,
        customer_class: CustomerClass | str,
        plan: Plan | str = ...,
        funding_party: str | None = ...,
        state: TerminalState | str = ...,
        actor: str,
        reason: str,
    ) -> Any: ...

    def propose_geofence(
        self, spec: GeofenceSpec, *, actor: str, geofence_id: str | None = ...
    ) -> Geofence: ...

    def approve_geofence(
        self, geofence_id: str, *, expected_version: int, actor: str, reason: str
    ) -> Geofence: ...

    def withdraw_geofence(
        self, geofence_id: str, *, expected_version: int, actor: str, reason: str
    ) -> Geofence: ...

    def geofence(self, geofence_id: str) -> Geofence: ...

    def add_to_allowlist(
        self, geofence_id: str, terminal_ids: Sequence[str], *, actor: str, reason: str
    ) -> list[str]: ...

    def report_positions(
        self,
        terminal_id: str,
        reported_at: npt.ArrayLike,
        lat_deg: npt.ArrayLike,
        lon_deg: npt.ArrayLike,
        *,
        actor: str,
        reason: str = ...,
        resolution: int = ...,
    ) -> list[PositionReport]: ...

    def verify(self) -> ChainVerification: ...


class ScenarioClock:
    """The store's clock in a scenario: the current step's instant, a microsecond per reading."""

    def __init__(self, start: np.datetime64) -> None:
        self.now = start
        self._ticks = 0

    def set(self, at: np.datetime64) -> None:
        """Move to a step's instant (never back: a store's log runs forward)."""
        if at > self.now:
            self.now, self._ticks = at, 0

    def __call__(self) -> np.datetime64:
        self._ticks += 1
        return self.now + np.timedelta64(self._ticks, "us")


@dataclass(frozen=True)
class Step:
    """One step: its number (from 1), instant, action, arguments, expectation and note."""

    number: int
    at: np.datetime64
    do: str
    args: Mapping[str, Any]
    expect: Mapping[str, Any] | None
    note: str


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario."""

    name: str
    title: str
    summary: str
    sources: tuple[str, ...]
    satellites: bool
    steps: tuple[Step, ...]
    origin: str


@dataclass(frozen=True)
class StepOutcome:
    """What a step did: expected and actual (in words), whether they agree, and details."""

    step: Step
    ok: bool
    expected: str | None
    actual: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "step": self.step.number,
            "at": format_instant(self.step.at),
            "do": self.step.do,
            "note": self.step.note,
            "expected": self.expected,
            "actual": self.actual,
            "ok": self.ok,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class ScenarioRun:
    """A scenario's outcomes; ``ok`` when every step ran and met its expectation."""

    scenario: Scenario
    outcomes: tuple[StepOutcome, ...]
    audit: ChainVerification | None

    @property
    def ok(self) -> bool:
        """True if every step ran and agreed, and the audit chain verified."""
        complete = len(self.outcomes) == len(self.scenario.steps)
        audit_ok = self.audit is not None and self.audit.ok
        return complete and audit_ok and all(o.ok for o in self.outcomes)

    @property
    def mismatches(self) -> int:
        """Steps that ran and did not agree (or failed)."""
        return sum(not o.ok for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "scenario": self.scenario.name,
            "title": self.scenario.title,
            "ok": self.ok,
            "steps": [o.to_dict() for o in self.outcomes],
            "audit": None if self.audit is None else self.audit.to_dict(),
        }


# --- files ----------------------------------------------------------------------------------


def _folder() -> Any:
    return resources.files("leolink.data").joinpath("scenarios")


def scenario_names() -> list[str]:
    """Names of the shipped scenarios."""
    return sorted(
        p.name.removesuffix(".yaml") for p in _folder().iterdir() if p.name.endswith(".yaml")
    )


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name, or a scenario file by path."""
    text_name = str(name_or_path)
    if text_name.removesuffix(".yaml") in scenario_names() and not Path(text_name).exists():
        ref = _folder().joinpath(f"{text_name.removesuffix('.yaml')}.yaml")
        return parse_scenario(ref.read_text(encoding="utf-8"), f"scenarios/{ref.name}")
    path = Path(name_or_path)
    if not path.is_file():
        raise InputError(
            f"no scenario {text_name!r}: give one of {', '.join(scenario_names())} or the path "
            "of a scenario YAML file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"scenario file {text_name!r} is not UTF-8 text ({exc.reason} at byte {exc.start}): "
            "give a scenario YAML file"
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read scenario file {text_name!r}: {exc.strerror}") from None
    return parse_scenario(text, str(path))


def _when(value: Any) -> np.datetime64:
    """An instant as a scenario may write it: ISO 8601 UTC, a YAML timestamp, or a date
    (its midnight UTC)."""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return parse_instant(text if "T" in text or text == "now" else f"{text}T00:00:00Z")


#: An instant in a step's arguments (`_when`).
When = Annotated[np.datetime64, PlainValidator(_when, json_schema_input_type=str)]


def _instant(value: Any, where: str) -> np.datetime64:
    try:
        return _when(value)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from exc


def parse_scenario(text: str, origin: str) -> Scenario:
    """Parse and check a scenario; a problem names ``origin`` and the step."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{origin} is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("steps"), list) or not doc["steps"]:
        raise InputError(f"{origin}: expected a mapping with name, title and a list of steps")
    steps = []
    at: np.datetime64 | None = None
    for i, raw in enumerate(doc["steps"], start=1):
        where = f"{origin} step {i}"
        if not isinstance(raw, dict) or raw.get("do") not in ACTIONS:
            raise InputError(f"{where}: 'do' must be one of {', '.join(ACTIONS)}")
        if "at" in raw:
            t = _instant(raw["at"], where)
            if at is not None and t < at:
                raise InputError(f"{where}: at {format_instant(t)} is before the previous step")
            at = t
        if at is None:
            raise InputError(f"{where}: the first step needs an 'at' instant")
        expect = raw.get("expect")
        if raw["do"] == "check":
            if not isinstance(expect, dict) or "code" not in expect or "allowed" not in expect:
                raise InputError(f"{where}: a check needs expect: {{code: ..., allowed: ...}}")
            try:
                Code(expect["code"])
            except ValueError:
                codes = ", ".join(c.value for c in Code)
                raise InputError(
                    f"{where}: unknown code {expect['code']!r}; codes: {codes}"
                ) from None
        args = {k: v for k, v in raw.items() if k not in ("at", "do", "expect", "note")}
        if raw["do"] in _STEP_MODELS:
            _step_args(_STEP_MODELS[raw["do"]], args, where)
        steps.append(Step(i, at, raw["do"], args, expect, str(raw.get("note") or "")))
    return Scenario(
        name=str(doc.get("name") or Path(origin).stem),
        title=str(doc.get("title") or ""),
        summary=str(doc.get("summary") or ""),
        sources=tuple(str(s) for s in doc.get("sources") or ()),
        satellites=bool(doc.get("satellites", False)),
        steps=tuple(steps),
        origin=origin,
    )


class _GeofenceStep(BaseModel):
    """The arguments of a ``propose_geofence`` step, checked when the scenario is parsed:
    the fields of a `GeofenceSpec` in the record types (`leolink.policy.records`), plus the
    step's ``id`` and proposer (``as``).  ``area`` is GeoJSON or ``{country: CC}``; ``cells``
    one H3 cell or a list; ``name`` defaults to the id, ``reason`` to the step's number."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    id: str
    name: str | None = None
    effect: GeofenceEffect = GeofenceEffect.DENY
    proposer: str = Field(default=_PROPOSER, alias="as")
    reason: str | None = None
    area: dict[str, Any] | None = None
    cells: tuple[str, ...] | str = ()
    customer_classes: tuple[CustomerClass, ...] | None = None
    window_start: When | None = None
    window_end: When | None = None
    reconstruction: bool = False

    def spec(self, step_number: int) -> GeofenceSpec:
        """The spec it proposes (a country's borders as GeoJSON for ``{country: CC}``)."""
        return GeofenceSpec(
            name=self.name or self.id,
            effect=self.effect,
            reason=self.reason or f"scenario step {step_number}",
            area_geojson=_area(self.area),
            cells=(self.cells,) if isinstance(self.cells, str) else self.cells,
            customer_classes=self.customer_classes,
            window_start=self.window_start,
            window_end=self.window_end,
            reconstruction=self.reconstruction,
        )


_STEP_MODELS: Final[dict[str, type[BaseModel]]] = {"propose_geofence": _GeofenceStep}
_M = TypeVar("_M", bound=BaseModel)


def _step_args(model: type[_M], args: Mapping[str, Any], where: str) -> _M:
    """``args`` validated by ``model``; `InputError` naming ``where`` and each field that is
    wrong, in pydantic's words."""
    try:
        return model.model_validate(args)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']} (got {e['input']!r})"
            if e["type"] != "missing"
            else f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise InputError(f"{where}: {problems}") from None


# --- running ----------------------------------------------------------------------------------


def _area(area: Mapping[str, Any] | None) -> str | None:
    if area is None:
        return None
    if isinstance(area, dict) and set(area) == {"country"}:
        return json.dumps(mapping(country_geometry(str(area["country"]))))
    return json.dumps(area)


def _positions(
    args: Mapping[str, Any], at: np.datetime64
) -> tuple[list[np.datetime64], list[float], list[float]]:
    raw = args.get("positions") or [
        {"at": format_instant(at), "lat": args["lat"], "lon": args["lon"]}
    ]
    times, lats, lons = [], [], []
    for p in raw:
        times.append(_instant(p.get("at", format_instant(at)), "position"))
        lats.append(float(p["lat"]))
        lons.append(float(p["lon"]))
    return times, lats, lons


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


class _Runner:
    def __init__(
        self,
        store: ScenarioStore,
        clock: ScenarioClock,
        sky: Sky | None,
        settings: DecisionSettings,
    ) -> None:
        self.store, self.clock, self.sky, self.settings = store, clock, sky, settings

    def run(self, step: Step) -> StepOutcome:
        handler: Callable[[Step], StepOutcome] = getattr(self, f"_{step.do}")
        return handler(step)

    def _done(self, step: Step, what: str, **details: Any) -> StepOutcome:
        return StepOutcome(step, True, None, what, details)

    def _set_status(self, step: Step) -> StepOutcome:
        a = step.args
        change: CountryStatusChange = self.store.propose_country_status(
            str(a["country"]),
            CountryStatus(a["status"]),
            effective_from=_instant(
                a.get("effective_from", format_instant(step.at)), "effective_from"
            ),
            source=str(a.get("source") or "scenario"),
            note=str(a.get("status_note") or ""),
            actor=str(a.get("as", _PROPOSER)),
            reason=str(a.get("reason") or f"scenario step {step.number}"),
        )
        self.store.approve_country_status(
            change.id,
            actor=str(a.get("approver", _APPROVER)),
            reason=str(a.get("reason") or f"scenario step {step.number}"),
        )
        since = format_instant(change.effective_from)
        return self._done(step, f"{change.country_code} {change.status.value} from {since}")

    def _register_terminal(self, step: Step) -> StepOutcome:
        a = step.args
        self.store.register_terminal(
            str(a["id"]),
            account=str(a.get("account", a["id"])),
            home_country=str(a["home_country"]),
            customer_class=str(a.get("customer_class", "residential")),
            plan=str(a.get("plan", "standard")),
            funding_party=a.get("funding_party"),
            state=str(a.get("state", "active")),
            actor=str(a.get("as", _PROPOSER)),
            reason=str(a.get("reason") or f"scenario step {step.number}"),
        )
        return self._done(step, f"terminal {a['id']} registered (home {a['home_country']})")

    def _update_terminal(self, step: Step) -> StepOutcome:
        a = step.args
        fields = {
            k: a[k]
            for k in ("account", "home_country", "customer_class", "plan", "funding_party", "state")
            if k in a
        }
        terminal = self.store.update_terminal(
            str(a["id"]),
            actor=str(a.get("as", _PROPOSER)),
            reason=str(a.get("reason") or f"scenario step {step.number}"),
            **fields,
        )
        return self._done(step, f"terminal {terminal.id} updated: {fields}")

    def _propose_geofence(self, step: Step) -> StepOutcome:
        given = _step_args(_GeofenceStep, step.args, f"step {step.number}")
        fence = self.store.propose_geofence(
            given.spec(step.number), actor=given.proposer, geofence_id=given.id
        )
        return self._done(
            step, f"geofence {fence.id} {fence.state.value} ({fence.size_km2:,.0f} km²)"
        )

    def _approve_geofence(self, step: Step) -> StepOutcome:
        a = step.args
        fence = self.store.geofence(str(a["id"]))
        fence = self.store.approve_geofence(
            fence.id,
            expected_version=fence.version,
            actor=str(a.get("as", _APPROVER)),
            reason=str(a.get("reason") or f"scenario step {step.number}"),
        )
        return self._done(step, f"geofence {fence.id} approved by {fence.approver}")

    def _withdraw_geofence(self, step: Step) -> StepOutcome:
        a = step.args
        fence = self.store.geofence(str(a["id"]))
        fence = self.store.withdraw_geofence(
            fence.id,
            expected_version=fence.version,
            actor=str(a.get("as", _PROPOSER)),
            reason=str(a.get("reason") or f"scenario step {step.number}"),
        )
        return self._done(step, f"geofence {fence.id} withdrawn")

    def _add_to_allowlist(self, step: Step) -> StepOutcome:
        a = step.args
        members = self.store.add_to_allowlist(
            str(a["geofence"]),
            _as_list(a["terminals"]),
            actor=str(a.get("as", _PROPOSER)),
            reason=str(a.get("reason") or f"scenario step {step.number}"),
        )
        return self._done(step, f"allow-list {a['geofence']} has {len(members)} member(s)")

    def _report_positions(self, step: Step) -> StepOutcome:
        a = step.args
        times, lats, lons = _positions(a, step.at)
        self.store.report_positions(
            str(a["terminal"]),
            np.asarray(times, dtype="datetime64[ns]"),
            lats,
            lons,
            actor=str(a.get("as", f"terminal:{a['terminal']}")),
        )
        return self._done(step, f"{len(times)} position report(s) from {a['terminal']}")

    def _enforce(self, step: Step) -> StepOutcome:
        a = step.args
        end = step.at + np.timedelta64(1, "us")
        violations = find_violations(
            self.store.policy_history(),
            self.store.terminals(),
            self.store.position_reports(end=end),
            settings=self.settings,
        )
        found = sorted(v.terminal.id for v in violations)
        details: dict[str, Any] = {"violations": [v.to_dict() for v in violations]}
        if a.get("suspend"):
            done = suspend(
                self.store,
                violations,
                actor=str(a.get("as", _APPROVER)),
                reason=str(a.get("reason") or "enforcement"),
            )
            details["suspensions"] = [s.to_dict() for s in done]
        actual = f"violators {found}" + (" suspended" if a.get("suspend") else "")
        if step.expect is None:
            return StepOutcome(step, True, None, actual, details)
        want = sorted(_as_list(step.expect.get("violators")))
        return StepOutcome(step, want == found, f"violators {want}", actual, details)

    def _check(self, step: Step) -> StepOutcome:
        a = step.args
        assert step.expect is not None
        terminal = a.get("terminal")
        decision = decide_from(
            self.store,
            None if terminal is None else str(terminal),
            (float(a["lat"]), float(a["lon"])),
            step.at,
            sky=self.sky,
            settings=self.settings,
        )
        want_code, want_allowed = Code(step.expect["code"]), bool(step.expect["allowed"])
        ok = decision.code is want_code and decision.allowed is want_allowed
        missing = [
            s
            for s in _as_list(step.expect.get("reason_contains"))
            if not any(s in r for r in decision.reasons)
        ]
        missing += [
            f"rule {s}"
            for s in _as_list(step.expect.get("rules_include"))
            if s not in decision.rules
        ]
        expected = f"{want_code.value} (allowed={str(want_allowed).lower()})"
        actual = f"{decision.code.value} (allowed={str(decision.allowed).lower()})"
        if missing:
            actual += f"; reasons lack {missing}"
        return StepOutcome(step, ok and not missing, expected, actual, decision.to_dict())

    def _inspect_terminal(self, step: Step) -> StepOutcome:
        terminal = self.store.terminal(str(step.args["id"]))
        fields = terminal.model_dump(mode="json")
        if step.expect is None:
            return StepOutcome(step, True, None, json.dumps(fields), fields)
        want = {k: step.expect[k] for k in sorted(step.expect)}
        got = {k: fields.get(k) for k in want}
        return StepOutcome(step, want == got, json.dumps(want), json.dumps(got), fields)


def run_scenario(
    scenario: Scenario,
    open_store: Callable[[ScenarioClock], ScenarioStore],
    *,
    sky: Sky | None = None,
    settings: DecisionSettings = DEFAULT_SETTINGS,
    on_step: Callable[[StepOutcome], None] | None = None,
) -> ScenarioRun:
    """Run ``scenario`` in the store ``open_store(clock)`` returns (give it a fresh one).

    ``sky`` is used only if the scenario asks for satellites (``satellites: true``).
    ``on_step`` sees each outcome as it comes.  Errors of a step (bad input the store refuses)
    end the run with that step failed; `ScenarioRun.ok` is then False.
    """
    clock = ScenarioClock(scenario.steps[0].at)
    store = open_store(clock)
    runner = _Runner(store, clock, sky if scenario.satellites else None, settings)
    outcomes: list[StepOutcome] = []
    for step in scenario.steps:
        clock.set(step.at)
        try:
            outcome = runner.run(step)
        except (LeolinkError, KeyError, ValueError) as exc:
            what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            outcome = StepOutcome(step, False, None, f"error: {what}")
        outcomes.append(outcome)
        if on_step is not None:
            on_step(outcome)
        if outcome.actual.startswith("error: "):
            break
    return ScenarioRun(scenario, tuple(outcomes), store.verify())


# --- loading a scenario into a store as a reconstruction ------------------------------------

#: What loading skips, and why: questions write nothing (``scenario run`` asks them); a
#: terminal's state is not kept in time, so a suspension made now would reach into the past.
_SKIPPED: Final = {
    "check": "a question: writes nothing",
    "inspect_terminal": "a question: writes nothing",
    "enforce": "enforcement: a terminal's state is not kept in time, so a suspension now would "
    "apply before it too",
}


@dataclass(frozen=True)
class LoadedStep:
    """What loading did with one step: ``written`` (in words) or why it was ``skipped``."""

    step: Step
    written: str | None
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "step": self.step.number,
            "at": format_instant(self.step.at),
            "do": self.step.do,
            "written": self.written,
            "skipped": self.skipped,
        }


def _valid_times(
    scenario: Scenario,
) -> dict[str, tuple[np.datetime64 | None, np.datetime64 | None]]:
    """Per geofence id, the window it was in force in the scenario's history.

    A geofence without a start took effect at its approval step (or its proposal, when one
    operator could put it in force); a withdrawal step ends it.  None for a start: it never
    came in force (withdrawn or never approved, as far as the windows go).
    """
    out: dict[str, tuple[np.datetime64 | None, np.datetime64 | None]] = {}
    proposed: dict[str, Step] = {}
    for step in scenario.steps:
        gid = str(step.args.get("id", ""))
        if step.do == "propose_geofence":
            proposed[gid] = step
            start = step.args.get("window_start")
            end = step.args.get("window_end")
            out[gid] = (
                None if start is None else _instant(start, "window_start"),
                None if end is None else _instant(end, "window_end"),
            )
        elif step.do == "approve_geofence" and gid in out:
            start, end = out[gid]
            out[gid] = (step.at if start is None else start, end)
        elif step.do == "withdraw_geofence" and gid in out:
            start, end = out[gid]
            out[gid] = (start, step.at if end is None else min(end, step.at))
    return out


class _Loader(_Runner):
    """The runner's writes, made as a reconstruction: valid times from the scenario, recorded
    now, every record flagged, every reason naming the scenario and who loaded it."""

    def __init__(self, store: ScenarioStore, scenario: Scenario, loaded_by: str) -> None:
        super().__init__(store, ScenarioClock(scenario.steps[0].at), None, DEFAULT_SETTINGS)
        self.scenario, self.loaded_by = scenario, loaded_by
        self.windows = _valid_times(scenario)

    def reason(self, step: Step) -> str:
        given = str(step.args.get("reason") or step.note or step.do)
        return (
            f"reconstruction of {self.scenario.origin} step {step.number} "
            f"({format_instant(step.at)}), loaded by {self.loaded_by}: {given}"
        )

    def with_defaults(self, step: Step) -> Step:
        """The step with the reconstruction's reason and the loader as the default approver."""
        args = dict(step.args)
        args["reason"] = self.reason(step)
        if step.do in ("set_status", "approve_geofence"):
            args.setdefault("approver" if step.do == "set_status" else "as", self.loaded_by)
        args.setdefault("as", f"record:{self.scenario.name}")
        return replace(step, args=args)

    def _set_status(self, step: Step) -> StepOutcome:
        a = step.args
        effective = _instant(a.get("effective_from", format_instant(step.at)), "effective_from")
        change: CountryStatusChange = self.store.propose_country_status(
            str(a["country"]),
            CountryStatus(a["status"]),
            effective_from=effective,
            source=str(a.get("source") or self.scenario.origin),
            note=str(a.get("status_note") or ""),
            reconstruction=True,
            actor=str(a["as"]),
            reason=str(a["reason"]),
        )
        self.store.approve_country_status(
            change.id, actor=str(a["approver"]), reason=str(a["reason"])
        )
        since = format_instant(change.effective_from)
        return self._done(step, f"{change.country_code} {change.status.value} from {since}")

    def _propose_geofence(self, step: Step) -> StepOutcome:
        a = dict(step.args)
        start, end = self.windows[str(a["id"])]
        if start is None:
            start = step.at  # in force from its proposal: one operator put it in force
        a["window_start"] = format_instant(start)
        a["window_end"] = None if end is None else format_instant(end)
        a["reconstruction"] = True
        return super()._propose_geofence(replace(step, args=a))

    def _approve_geofence(self, step: Step) -> StepOutcome:
        fence = self.store.geofence(str(step.args["id"]))
        if fence.state is not ChangeState.PROPOSED:
            return self._done(step, f"geofence {fence.id} needed no second operator")
        return super()._approve_geofence(step)

    def _withdraw_geofence(self, step: Step) -> StepOutcome:
        # The withdrawal is history: the window ends at it (see `_valid_times`).
        fence = self.store.geofence(str(step.args["id"]))
        if fence.state is ChangeState.PROPOSED:
            return super()._withdraw_geofence(step)
        return self._done(step, f"geofence {fence.id} ends at {format_instant(step.at)}")


def _status_on_record(store: ScenarioStore, step: Step) -> bool:
    """True if the store has this status, from the same instant, as an approved reconstruction
    (another scenario of the same history put it there)."""
    a = step.args
    effective = _instant(a.get("effective_from", format_instant(step.at)), "effective_from")
    return any(
        c.reconstruction
        and c.state is ChangeState.APPROVED
        and c.status.value == a["status"]
        and c.effective_from == effective
        for c in store.country_status_changes(str(a["country"]))
    )


def load_into(store: ScenarioStore, scenario: Scenario, *, loaded_by: str) -> list[LoadedStep]:
    """Write ``scenario``'s records into ``store`` as a reconstruction of the past.

    Through the store's ordinary, audited writes: valid times (windows, ``effective_from``)
    come from the scenario, the recording is now (the store's clock), every geofence and status
    is flagged ``reconstruction`` and every reason names the scenario, its step and
    ``loaded_by``.  Actors are the scenario's (``as``); where it names none, the public record
    (``record:<name>``) proposes and ``loaded_by`` approves.  Checks, inspections and
    enforcement are skipped (`_SKIPPED` says why), and so is a status another scenario already
    reconstructed.  Refused before anything is written if one of its geofences or terminals is
    already in the store.
    """
    taken = []
    for step in scenario.steps:
        try:
            if step.do == "propose_geofence":
                taken.append(f"geofence {store.geofence(str(step.args['id'])).id}")
            elif step.do == "register_terminal":
                taken.append(f"terminal {store.terminal(str(step.args['id'])).id}")
        except LeolinkError:
            continue
    if taken:
        raise InputError(
            f"{scenario.origin} is already in this store ({', '.join(taken)} exist): load it "
            "into another store, or leave it as it is"
        )
    loader = _Loader(store, scenario, loaded_by)
    out: list[LoadedStep] = []
    for step in scenario.steps:
        if step.do in _SKIPPED:
            out.append(LoadedStep(step, None, _SKIPPED[step.do]))
            continue
        if step.do == "set_status" and _status_on_record(store, step):
            out.append(LoadedStep(step, None, "already on record as a reconstruction"))
            continue
        outcome = loader.run(loader.with_defaults(step))
        out.append(LoadedStep(step, outcome.actual))
    return out
