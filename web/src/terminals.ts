// The terminals layer (operators): each terminal at its last reported position at the map's
// instant (GET /v1/terminals/positions), coloured by what the policy says of it there —
// served, refused, a violation an operator should act on (in a blocked country, a denied area
// or switched-off cells), or suspended.

import { ScatterplotLayer } from "@deck.gl/layers";

import { apiKey, getAll, post } from "./api";
import { escapeHtml, renderDecision } from "./decision";
import { CODE_TEXT, hexToRgba, type RGBA } from "./palette";
import { isoZ } from "./time";

export interface TerminalPosition {
  id: string;
  account: string;
  state: string;
  home_country: string;
  customer_class: string;
  plan: string;
  reported_at: string;
  lat: number;
  lon: number;
  country: string | null;
  allowed: boolean;
  code: string;
  reasons: string[];
  rules: unknown[];
  cell: string | null;
  country_status: string | null;
  policy_version: number | null;
  violation: boolean;
}

export type TerminalKind = "served" | "refused" | "violation" | "suspended";

export const TERMINAL_HEX: Record<TerminalKind, string> = {
  served: "#00D08A",
  refused: "#E69F00",
  violation: "#FF3B30",
  suspended: "#98A5B5",
};

export const TERMINAL_LABEL: Record<TerminalKind, string> = {
  served: "Terminal: served",
  refused: "Terminal: refused",
  violation: "Terminal: where it must not be",
  suspended: "Terminal: suspended",
};

export function terminalKind(t: TerminalPosition): TerminalKind {
  if (t.state === "suspended") return "suspended";
  if (t.violation) return "violation";
  return t.allowed ? "served" : "refused";
}

export class TerminalsLayer {
  visible = true;
  terminals: TerminalPosition[] = [];
  note = "needs an operator's key";
  private generation = 0;

  constructor(private readonly onChange: () => void) {}

  /** Every terminal's last reported position at `at`, decided then (all pages). */
  async load(at: Date): Promise<void> {
    const generation = ++this.generation;
    if (!apiKey() || !this.visible) {
      this.terminals = [];
      this.note = apiKey() ? "" : "needs an operator's key";
      this.onChange();
      return;
    }
    try {
      const terminals = await getAll<TerminalPosition>("/v1/terminals/positions", { at: isoZ(at), limit: 1000 }, true);
      if (generation !== this.generation) return; // a newer load has started
      this.terminals = terminals;
      const counts = this.counts();
      this.note = terminals.length
        ? `${terminals.length.toLocaleString("en")} with a position` + (counts.violation ? `, ${counts.violation} where they must not be` : "")
        : "no terminal has reported a position";
    } catch (error) {
      if (generation !== this.generation) return;
      this.terminals = [];
      this.note = (error as Error).message;
    }
    this.onChange();
  }

  counts(): Record<TerminalKind, number> {
    const out: Record<TerminalKind, number> = { served: 0, refused: 0, violation: 0, suspended: 0 };
    for (const t of this.terminals) out[terminalKind(t)] += 1;
    return out;
  }

  layer(): ScatterplotLayer<TerminalPosition> | null {
    if (!this.visible || !this.terminals.length) return null;
    return new ScatterplotLayer<TerminalPosition>({
      id: "terminals",
      data: this.terminals,
      getPosition: (t) => [t.lon, t.lat],
      getRadius: 6,
      radiusUnits: "pixels",
      stroked: true,
      getFillColor: (t): RGBA => hexToRgba(TERMINAL_HEX[terminalKind(t)], 235),
      getLineColor: [11, 21, 38, 255],
      lineWidthMinPixels: 1.5,
      pickable: true,
      updateTriggers: { getFillColor: this.terminals },
    });
  }

  tooltip(t: TerminalPosition): string {
    const reasons = t.reasons ?? [];
    return `<strong>${escapeHtml(t.id)}</strong> <span class="muted">${escapeHtml(t.account)} · ${escapeHtml(t.customer_class)}</span><br/>
      ${escapeHtml(CODE_TEXT[t.code] ?? t.code)} <span class="muted">(${escapeHtml(t.code)})</span>${t.state === "suspended" ? " · suspended" : ""}<br/>
      ${reasons.length ? `${escapeHtml(reasons[0])}<br/>` : ""}<span class="muted">last report ${escapeHtml(t.reported_at)}${t.country ? ` in ${escapeHtml(t.country)}` : " at sea"}</span>`;
  }

  legend(): string {
    if (!this.visible || !this.terminals.length) return "";
    const counts = this.counts();
    return `<h3>Terminals</h3>${(Object.keys(TERMINAL_HEX) as TerminalKind[])
      .filter((k) => counts[k])
      .map(
        (k) =>
          `<div class="legend-row" data-terminal="${k}"><span class="dot terminal" style="background:${TERMINAL_HEX[k]}"></span>${TERMINAL_LABEL[k].replace("Terminal: ", "")}<span class="muted count">${counts[k]}</span></div>`,
      )
      .join("")}`;
  }

  /**
   * A terminal in the Decision tab: who it is, the policy's decision at its last reported
   * position (what the service's enforcement acts on), and — for an operator, while it is
   * active — suspending it with a reason (one audited change).
   */
  render(root: HTMLElement, t: TerminalPosition, at: string, onSuspended: () => void): void {
    const kind = terminalKind(t);
    root.innerHTML = `
      <div class="terminal-card ${kind}" data-terminal="${escapeHtml(t.id)}" data-kind="${kind}">
        <h2><span class="dot terminal" style="background:${TERMINAL_HEX[kind]}"></span>${escapeHtml(t.id)}</h2>
        <div class="muted">account ${escapeHtml(t.account)} · home ${escapeHtml(t.home_country)} · ${escapeHtml(t.customer_class)} / ${escapeHtml(
          t.plan,
        )} · ${escapeHtml(t.state)}</div>
        <div class="muted">last report ${escapeHtml(t.reported_at)}</div>
        ${t.violation ? '<div class="error">Where it must not be: its own reports place it where service is refused.</div>' : ""}
        <div class="terminal-decision"></div>
        ${
          t.state === "active"
            ? `<form class="row terminal-suspend"><input name="reason" required placeholder="reason for suspending" aria-label="reason" />
                 <button type="submit">Suspend</button></form><div class="terminal-message"></div>`
            : ""
        }
      </div>`;
    renderDecision(root.querySelector(".terminal-decision")!, { ...t, serving: null }, { lat: t.lat, lon: t.lon, at, policyOnly: true });
    root.querySelector<HTMLFormElement>(".terminal-suspend")?.addEventListener("submit", async (event) => {
      event.preventDefault();
      const reason = String(new FormData(event.target as HTMLFormElement).get("reason") ?? "").trim();
      const message = root.querySelector(".terminal-message")!;
      try {
        await post(`/v1/terminals/${encodeURIComponent(t.id)}/suspend`, { reason });
        message.innerHTML = `<div class="note">Suspended ${escapeHtml(t.id)}.</div>`;
        onSuspended();
      } catch (error) {
        message.innerHTML = `<div class="error">${escapeHtml((error as Error).message)}</div>`;
      }
    });
  }
}
