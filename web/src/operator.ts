// The operator's tab: an API key kept in sessionStorage, geofences drawn on the map with their
// impact shown before proposing, the list of geofences with approve / reject / withdraw (a
// second operator's key approves: the two-person rule), and the terminals layer.

import { ApiError, apiKey, get, getAll, post, setApiKey, url } from "./api";
import { escapeHtml } from "./decision";
import type { LonLat, PolygonDrawer } from "./draw";
import { isoZ, parseIsoZ } from "./time";

export interface Geofence {
  id: string | number;
  name: string;
  effect: "deny" | "allowlist";
  state?: string;
  status?: string;
  version?: number;
  area?: { type: string; coordinates: unknown } | null;
  cells?: string[] | null;
  window_start?: string | null;
  window_end?: string | null;
  reason?: string;
  /** It describes the past (the public record replayed into the store), recorded then. */
  reconstruction?: boolean;
  recorded_at?: string;
  [extra: string]: unknown;
}

export interface Terminal {
  id: string;
  account: string;
  home_country: string;
  customer_class: string;
  plan: string;
  funding_party: string | null;
  state: string;
  allowlists: string[];
}

export const CUSTOMER_CLASSES = ["residential", "business", "maritime", "aviation", "government"];

export function geofenceState(g: Geofence): string {
  return String(g.state ?? g.status ?? "unknown").toLowerCase();
}

/** Whether a geofence is in force at `at`: approved, and `at` within [start, end). */
export function isInForce(g: Geofence, at: Date): boolean {
  if (!["approved", "active", "in_force"].includes(geofenceState(g))) return false;
  const t = at.getTime();
  const start = g.window_start ? Date.parse(g.window_start) : -Infinity;
  const end = g.window_end ? Date.parse(g.window_end) : Infinity;
  return start <= t && t < end;
}

function person(g: Geofence, role: "proposer" | "approver"): string | null {
  const value = g[role] ?? g[`${role === "proposer" ? "proposed" : "approved"}_by`];
  if (value == null) return null;
  return typeof value === "object" ? String((value as any).name ?? (value as any).id ?? JSON.stringify(value)) : String(value);
}

/** The calling key as GET /v1/keys/me describes it. */
export interface Me {
  name: string;
  role: string;
  permissions: string[];
}

/** What POST /v1/geofences/impact answers (with list_cells=true). */
interface Impact {
  name: string;
  effect: string;
  cells: number;
  area_km2: number;
  terminals_affected: number;
  terminals: Record<string, unknown>[];
  window_start: string;
  window_end: string;
  open_ended: boolean;
  satellite_hours: number | null;
  basis: string;
  cell_list: string[] | null;
}

function sameName(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** The actions `me` can take on `g` (what the service would refuse is not offered). */
export function actionsFor(g: Geofence, me: Me | null): string[] {
  if (!me?.permissions.includes("manage_policy")) return [];
  const state = geofenceState(g);
  const mine = sameName(person(g, "proposer"), me.name);
  if (state === "proposed" || state === "pending") return mine ? ["withdraw"] : ["approve", "reject"];
  if (state === "approved" || state === "active") return ["withdraw"];
  return [];
}

function compact(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)} M` : n >= 1e4 ? `${Math.round(n / 1e3)} k` : n.toLocaleString("en");
}

interface Dependencies {
  drawer: PolygonDrawer;
  at: () => Date;
  onGeofences: (geofences: Geofence[]) => void;
  onPolicyChange: () => void;
  zoomTo: (g: Geofence) => void;
  /** Highlight the cells an impact preview lists (null: clear). */
  showImpactCells: (cells: string[] | null) => void;
  /** People in the listed places within `cells`, and how many places. */
  peopleIn: (cells: string[]) => { people: number; places: number; minPopulation: number };
}

export class OperatorPane {
  geofences: Geofence[] = [];
  me: Me | null = null;
  private ring: LonLat[] | null = null;
  private readonly el: <T extends HTMLElement>(selector: string) => T;

  constructor(
    private readonly root: HTMLElement,
    private readonly deps: Dependencies,
  ) {
    root.innerHTML = `
      <h2>API key</h2>
      <div class="row">
        <input id="op-key" type="password" autocomplete="off" placeholder="paste an operator's key" aria-label="API key" />
        <button id="op-key-use" type="button">Use</button>
        <button id="op-key-forget" type="button">Forget</button>
      </div>
      <p id="op-key-state" class="muted"></p>
      <h2>Geofences <button id="op-refresh" type="button" class="small">Refresh</button></h2>
      <div id="op-geofences" class="list"></div>
      <h2>New geofence</h2>
      <p id="op-cannot-propose" class="muted" hidden></p>
      <div id="op-new">
      <div class="row">
        <button id="op-draw" type="button">Draw on the map</button>
        <span id="op-draw-state" class="muted"></span>
      </div>
      <form id="op-form" class="form">
        <label>Name <input name="name" required value="" /></label>
        <label>Effect
          <select name="effect">
            <option value="deny">deny — switch service off inside</option>
            <option value="allowlist">allow-list — only listed terminals inside</option>
          </select>
        </label>
        <label>From (UTC) <input name="window_start" placeholder="now" /></label>
        <label>Until (UTC) <input name="window_end" placeholder="open end" /></label>
        <fieldset><legend>Applies to (none ticked: everyone)</legend>
          ${CUSTOMER_CLASSES.map((c) => `<label class="inline"><input type="checkbox" name="class" value="${c}" />${c}</label>`).join("")}
        </fieldset>
        <label>Reason <input name="reason" required /></label>
        <div class="row">
          <button id="op-impact" type="button">Show impact</button>
          <button id="op-propose" type="submit">Propose</button>
        </div>
      </form>
      <div id="op-impact-result"></div>
      </div>
      <div id="op-message" role="status"></div>
      <h2>Terminals <button id="op-terminals" type="button" class="small">Load</button></h2>
      <p id="op-terminals-state" class="muted"></p>
      <div id="op-terminals-list"></div>`;
    this.el = <T extends HTMLElement>(selector: string) => root.querySelector(selector) as T;
    this.el("#op-key-use").addEventListener("click", () => this.useKey());
    this.el<HTMLInputElement>("#op-key").addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.useKey();
    });
    this.el("#op-key-forget").addEventListener("click", () => {
      setApiKey(null);
      this.me = null;
      this.showKey();
      this.geofences = [];
      this.renderGeofences();
      deps.onGeofences([]);
      this.el("#op-terminals-list").innerHTML = "";
    });
    this.el("#op-refresh").addEventListener("click", () => void this.refresh());
    this.el("#op-draw").addEventListener("click", () => {
      if (deps.drawer.active) deps.drawer.stop();
      else deps.drawer.start();
      this.showDrawState();
    });
    this.el("#op-impact").addEventListener("click", () => void this.impact());
    this.el<HTMLFormElement>("#op-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.propose();
    });
    this.el("#op-terminals").addEventListener("click", () => void this.loadTerminals());
    this.showKey();
    this.showDrawState();
  }

  /** Called by the drawer when a polygon is closed. */
  setRing(ring: LonLat[] | null): void {
    this.ring = ring;
    this.el("#op-impact-result").innerHTML = "";
    this.deps.showImpactCells(null);
    this.showDrawState();
  }

  get draftRing(): LonLat[] | null {
    return this.ring;
  }

  showDrawState(): void {
    const drawer = this.deps.drawer;
    const text = drawer.active
      ? `${drawer.vertices.length} vertices — click to add, double-click to close, Esc to cancel`
      : this.ring
        ? `polygon of ${this.ring.length - 1} vertices ready`
        : "no polygon yet";
    this.el("#op-draw-state").textContent = text;
    this.el("#op-draw").textContent = drawer.active ? "Stop drawing" : this.ring ? "Redraw" : "Draw on the map";
  }

  private showKey(): void {
    const key = apiKey();
    const me = this.me;
    this.el("#op-key-state").textContent = key
      ? `Using ${me ? `${me.name}'s key (${me.role})` : "a key"} ending in …${key.slice(-4)} (kept for this tab only).`
      : "No key: public views only.";
    const canPropose = !key || !me || me.permissions.includes("manage_policy");
    this.el("#op-new").hidden = !canPropose;
    const cannot = this.el("#op-cannot-propose");
    cannot.hidden = canPropose;
    cannot.textContent = me ? `A ${me.role}'s key cannot propose geofences (an operator's can).` : "";
  }

  /** Who the key is (GET /v1/keys/me), so that only the actions it can take are offered. */
  private async loadMe(): Promise<void> {
    try {
      this.me = apiKey() ? await get<Me>("/v1/keys/me", {}, true) : null;
    } catch {
      this.me = null;
    }
    this.showKey();
  }

  private useKey(): void {
    const input = this.el<HTMLInputElement>("#op-key");
    const key = input.value.trim();
    if (!key) return;
    setApiKey(key);
    input.value = "";
    this.me = null;
    this.showKey();
    // The list shown was for the previous key (its actions too): empty until this key's is in.
    this.geofences = [];
    this.el("#op-geofences").innerHTML = '<p class="muted">Loading…</p>';
    void this.refresh();
  }

  private message(text: string, kind: "ok" | "error" = "ok"): void {
    this.el("#op-message").innerHTML = text ? `<div class="${kind === "error" ? "error" : "note"}">${escapeHtml(text)}</div>` : "";
  }

  private body(): Record<string, unknown> | null {
    const form = this.el<HTMLFormElement>("#op-form");
    if (!this.ring) {
      this.message("Draw the area on the map first.", "error");
      return null;
    }
    const data = new FormData(form);
    const startText = String(data.get("window_start") ?? "").trim();
    const endText = String(data.get("window_end") ?? "").trim();
    const start = startText ? parseIsoZ(startText) : this.deps.at();
    const end = endText ? parseIsoZ(endText) : null;
    if (!start || (endText && !end)) {
      this.message("Times are ISO 8601 UTC, like 2022-09-16T00:00:00Z.", "error");
      return null;
    }
    const classes = data.getAll("class").map(String);
    return {
      name: String(data.get("name") ?? "").trim() || "unnamed geofence",
      effect: String(data.get("effect")),
      area: { type: "Polygon", coordinates: [this.ring] },
      customer_classes: classes.length ? classes : null,
      window_start: isoZ(start),
      window_end: end ? isoZ(end) : null,
      reason: String(data.get("reason") ?? "").trim(),
    };
  }

  private async impact(): Promise<void> {
    const body = this.body();
    if (!body) return;
    const out = this.el("#op-impact-result");
    out.innerHTML = '<p class="muted">Computing impact…</p>';
    try {
      const result = await post<Impact>(url("/v1/geofences/impact", { list_cells: "true" }), body);
      out.innerHTML = this.renderImpact(result);
      this.deps.showImpactCells(result.cell_list ?? null);
      this.message("");
    } catch (error) {
      out.innerHTML = "";
      this.message((error as Error).message, "error");
    }
  }

  private renderImpact(r: Impact): string {
    const cells = r.cell_list ?? [];
    const people = cells.length ? this.deps.peopleIn(cells) : null;
    const denies = r.effect === "deny";
    const figure = (value: string, what: string, key: string) =>
      `<div class="figure" data-figure="${key}"><strong>${escapeHtml(value)}</strong><span>${escapeHtml(what)}</span></div>`;
    const terminalIds = r.terminals.map((t) => String(t.id ?? t.terminal_id ?? "")).filter(Boolean);
    const window = `${r.window_start} → ${r.open_ended ? "open end" : r.window_end}`;
    return `<div class="impact" data-cells="${r.cells}">
      <h3>If approved, “${escapeHtml(r.name)}” ${denies ? "switches service off in" : "keeps only listed terminals in"}</h3>
      <div class="headline">
        ${figure(r.cells.toLocaleString("en"), r.cells === 1 ? "cell (H3 res. 5)" : "cells (H3 res. 5)", "cells")}
        ${figure(`${compact(Math.round(r.area_km2))} km²`, "of land and sea", "area")}
        ${figure(r.terminals_affected.toLocaleString("en"), r.terminals_affected === 1 ? "terminal affected" : "terminals affected", "terminals")}
        ${figure(r.satellite_hours === null ? "—" : compact(Math.round(r.satellite_hours)), "satellite-hours withdrawn", "satellite-hours")}
      </div>
      ${
        people
          ? `<p class="people" data-people="${people.people}">${
              people.places
                ? `At least <strong>${escapeHtml(compact(people.people))} people</strong> live in the ${people.places} listed town${people.places === 1 ? "" : "s"} inside`
                : "No listed town inside"
            } <span class="muted">(GeoNames towns of ≥ ${people.minPopulation.toLocaleString("en")}; smaller places are not counted)</span></p>`
          : ""
      }
      ${terminalIds.length ? `<p class="small">Terminals: ${terminalIds.slice(0, 8).map((id) => `<code>${escapeHtml(id)}</code>`).join(", ")}${terminalIds.length > 8 ? ` and ${terminalIds.length - 8} more` : ""}</p>` : ""}
      <p class="muted small">When: ${escapeHtml(window)}. The affected cells are outlined on the map.<br/>${escapeHtml(r.basis)}</p>
    </div>`;
  }

  private async propose(): Promise<void> {
    const body = this.body();
    if (!body) return;
    try {
      const created = await post<Geofence>("/v1/geofences", body);
      this.message(`Proposed “${created.name ?? body.name}” (id ${created.id}); it is ${geofenceState(created)}. A second operator approves it.`);
      this.ring = null;
      this.el("#op-impact-result").innerHTML = "";
      this.deps.showImpactCells(null);
      this.showDrawState();
      await this.refresh();
      this.deps.onPolicyChange();
    } catch (error) {
      this.message((error as Error).message, "error");
    }
  }

  async refresh(): Promise<void> {
    if (!apiKey()) {
      this.renderGeofences();
      return;
    }
    if (!this.me) await this.loadMe();
    try {
      this.geofences = await getAll<Geofence>("/v1/geofences", {}, true);
      this.renderGeofences();
      this.deps.onGeofences(this.geofences);
    } catch (error) {
      this.message((error as Error).message, "error");
    }
  }

  private renderGeofences(): void {
    const list = this.el("#op-geofences");
    if (!apiKey()) {
      list.innerHTML = '<p class="muted">Enter a key to see geofences.</p>';
      return;
    }
    if (this.geofences.length === 0) {
      list.innerHTML = '<p class="muted">No geofences.</p>';
      return;
    }
    list.innerHTML = this.geofences
      .map((g) => {
        const state = geofenceState(g);
        const proposer = person(g, "proposer");
        const approver = person(g, "approver");
        const allowed = actionsFor(g, this.me);
        const label: Record<string, string> = { approve: "Approve", reject: "Reject", withdraw: state === "proposed" || state === "pending" ? "Withdraw" : "End it" };
        const waiting = (state === "proposed" || state === "pending") && allowed.includes("withdraw")
          ? '<span class="muted small">Your proposal: a second operator approves it.</span>'
          : "";
        const actions = allowed.length
          ? `<input class="reason" placeholder="reason" aria-label="reason" />${allowed.map((a) => `<button data-act="${a}">${label[a]}</button>`).join("")}${waiting}`
          : "";
        return `<div class="geofence ${escapeHtml(g.effect)}" data-id="${escapeHtml(g.id)}" data-state="${escapeHtml(state)}">
          <div><span class="swatch-line ${escapeHtml(g.effect)}"></span><strong>${escapeHtml(g.name)}</strong>
            <span class="badge">${escapeHtml(g.effect)}</span> <span class="badge state-${escapeHtml(state)}">${escapeHtml(state)}</span>${
              g.reconstruction
                ? ` <span class="badge reconstruction" title="It describes the past: recorded ${escapeHtml(g.recorded_at ?? "later")}, after its window">reconstruction</span>`
                : ""
            }
            <button data-act="zoom" class="small" title="Zoom the map to it">Zoom</button></div>
          <div class="muted">${escapeHtml(g.window_start ?? "…")} → ${escapeHtml(g.window_end ?? "open end")}
            ${proposer ? ` · proposed by ${escapeHtml(proposer)}` : ""}${approver ? ` · approved by ${escapeHtml(approver)}` : ""}</div>
          ${g.reason ? `<div class="muted">“${escapeHtml(g.reason)}”</div>` : ""}
          <div class="row">${actions}</div>
        </div>`;
      })
      .join("");
    for (const item of list.querySelectorAll<HTMLElement>(".geofence")) {
      const geofence = this.geofences.find((g) => String(g.id) === item.dataset.id)!;
      for (const button of item.querySelectorAll<HTMLButtonElement>("button[data-act]")) {
        button.addEventListener("click", () => {
          const act = button.dataset.act!;
          if (act === "zoom") this.deps.zoomTo(geofence);
          else void this.act(geofence, act, item.querySelector<HTMLInputElement>(".reason")?.value ?? "");
        });
      }
    }
  }

  private async act(g: Geofence, act: string, reason: string): Promise<void> {
    try {
      await post(`/v1/geofences/${encodeURIComponent(String(g.id))}/${act}`, {
        expected_version: g.version ?? null,
        reason: reason.trim() || `${act} from the map`,
      });
      this.message(`${act === "approve" ? "Approved" : act === "reject" ? "Rejected" : "Withdrew"} “${g.name}”.`);
      await this.refresh();
      this.deps.onPolicyChange();
    } catch (error) {
      const text = error instanceof ApiError && error.status === 409 ? `${error.message} (refreshed: try again)` : (error as Error).message;
      this.message(text, "error");
      await this.refresh();
    }
  }

  async loadTerminals(): Promise<void> {
    const state = this.el("#op-terminals-state");
    try {
      const terminals = await getAll<Terminal>("/v1/terminals", {}, true);
      state.textContent = `${terminals.length} terminals.`;
      this.el("#op-terminals-list").innerHTML = terminals.length
        ? `<table class="audit"><thead><tr><th>id</th><th>home</th><th>class</th><th>state</th></tr></thead><tbody>${terminals
            .map(
              (t) => `<tr><td>${escapeHtml(t.id)}<div class="muted">${escapeHtml(t.account)}${
                t.funding_party ? ` · ${escapeHtml(t.funding_party)}` : ""
              }</div></td><td>${escapeHtml(t.home_country)}</td><td>${escapeHtml(t.customer_class)} / ${escapeHtml(t.plan)}</td><td>${escapeHtml(t.state)}</td></tr>`,
            )
            .join("")}</tbody></table>`
        : "";
    } catch (error) {
      state.textContent = (error as Error).message;
    }
  }
}
