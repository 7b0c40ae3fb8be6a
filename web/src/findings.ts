// Shutdown forensics on the map: the findings of `leolink forensics infer` (or of
// GET /v1/forensics over the telemetry terminals posted, for an auditor's key), each an area of
// H3 cells filled by its kind.  Policy restrictions are outlined by whether the log has them:
// thin white where a logged record covers them, thick dashed-looking magenta where nobody
// logged them — the finding that matters.  Hover a cell for the window, the confidence, the
// terminals and the log records.

import { H3HexagonLayer } from "@deck.gl/geo-layers";

import { apiKey, get } from "./api";
import { escapeHtml } from "./decision";
import { hexToRgba, type RGBA } from "./palette";
import { isoZ } from "./time";

export interface Finding {
  kind: string;
  cells: string[];
  start: string;
  end: string;
  confidence: number;
  terminals: number;
  evidence: Record<string, any>;
  logged: boolean | null;
  log_records: number[];
}

export interface FindingsDocument {
  findings: Finding[];
  not_enforced?: unknown[];
  summary?: Record<string, unknown>;
}

/** One hexagon of a finding (a finding's cells drawn one by one). */
export interface FindingCell {
  cell: string;
  index: number;
  finding: Finding;
}

/** Fill by kind (Okabe–Ito hues, apart from the country-status ones where they can be). */
export const KIND_HEX: Record<string, string> = {
  policy_restriction: "#D55E00",
  no_coverage: "#5B6472",
  gnss_interference: "#F0E442",
  ground_segment: "#56B4E9",
  unexplained: "#CC79A7",
};

export const KIND_LABEL: Record<string, string> = {
  policy_restriction: "Policy restriction",
  no_coverage: "No coverage",
  gnss_interference: "GNSS interference",
  ground_segment: "Ground segment outage",
  unexplained: "Unexplained outage",
};

/** Outline of a policy restriction nobody logged. */
export const UNLOGGED_HEX = "#FF00D4";

/** "logged", "unlogged" or "" (kinds other than policy restrictions are not matched to the log). */
export function logState(f: Finding): "logged" | "unlogged" | "" {
  if (f.kind !== "policy_restriction" || f.logged === null || f.logged === undefined) return "";
  return f.logged ? "logged" : "unlogged";
}

/** The hours of stored telemetry asked about, ending at the map's time. */
const WINDOW_H = 24;

export class FindingsLayer {
  visible = false;
  findings: Finding[] = [];
  cells: FindingCell[] = [];
  note = "needs an auditor's key, or a findings file";
  source = "";
  private generation = 0;
  private fromFile = false;

  constructor(private readonly onChange: () => void) {}

  /** Show a findings document (the JSON of `leolink forensics infer --format json`). */
  show(document: FindingsDocument, source: string): void {
    if (!Array.isArray(document?.findings)) throw new Error(`${source}: no "findings" list (give the JSON of leolink forensics infer --format json)`);
    this.generation++;
    this.fromFile = true;
    this.visible = true;
    this.set(document.findings, source);
    this.onChange();
  }

  /** The findings over the stored telemetry of the day before ``at`` (auditors). */
  async load(at: Date): Promise<void> {
    const generation = ++this.generation;
    if (!this.visible || this.fromFile) {
      if (!this.visible) this.set([], "");
      this.onChange();
      return;
    }
    if (!apiKey()) {
      this.set([], "");
      this.note = "needs an auditor's key, or a findings file";
      this.onChange();
      return;
    }
    const start = new Date(at.getTime() - WINDOW_H * 3600_000);
    try {
      const doc = await get<FindingsDocument>("/v1/forensics", { start: isoZ(start), end: isoZ(at) }, true);
      if (generation !== this.generation) return;
      this.set(doc.findings, `stored telemetry ${isoZ(start)} – ${isoZ(at)}`);
    } catch (error) {
      if (generation !== this.generation) return;
      this.set([], "");
      this.note = (error as Error).message;
    }
    this.onChange();
  }

  private set(findings: Finding[], source: string): void {
    this.findings = findings;
    this.source = source;
    this.cells = findings.flatMap((finding, index) => finding.cells.map((cell) => ({ cell, index, finding })));
    const unlogged = findings.filter((f) => logState(f) === "unlogged").length;
    this.note = source
      ? `${findings.length} findings (${source})${unlogged ? `; ${unlogged} restriction${unlogged > 1 ? "s" : ""} nobody logged` : ""}`
      : "";
  }

  layer(): H3HexagonLayer<FindingCell> | null {
    if (!this.visible || !this.cells.length) return null;
    return new H3HexagonLayer<FindingCell>({
      id: "findings",
      data: this.cells,
      getHexagon: (d) => d.cell,
      getFillColor: (d): RGBA => hexToRgba(KIND_HEX[d.finding.kind] ?? KIND_HEX.unexplained, logState(d.finding) === "unlogged" ? 200 : 130),
      getLineColor: (d): RGBA => {
        const log = logState(d.finding);
        return log === "unlogged" ? hexToRgba(UNLOGGED_HEX) : log === "logged" ? [255, 255, 255, 230] : [11, 21, 38, 200];
      },
      getLineWidth: (d) => (logState(d.finding) === "unlogged" ? 3.5 : 1.2),
      lineWidthUnits: "pixels",
      extruded: false,
      pickable: true,
      updateTriggers: { getFillColor: this.cells, getLineColor: this.cells, getLineWidth: this.cells },
    });
  }

  tooltip(d: FindingCell): string {
    const f = d.finding;
    const log = logState(f);
    const logText =
      log === "logged"
        ? `logged: audit records ${f.log_records.map((r) => `#${r}`).join(", ") || "—"}`
        : log === "unlogged"
          ? `<strong class="unlogged">not in the log</strong>`
          : "";
    const codes = f.evidence?.disablement_codes ?? f.evidence?.outage_causes;
    const codeText = codes ? Object.entries(codes).map(([k, v]) => `${escapeHtml(k)} ×${v}`).join(", ") : "";
    return `<strong>${escapeHtml(KIND_LABEL[f.kind] ?? f.kind)}</strong> · ${f.cells.length} cells<br/>
      ${escapeHtml(f.start)} – ${escapeHtml(f.end)}<br/>
      confidence ${f.confidence.toFixed(2)} · ${f.terminals} terminals${
        f.evidence?.contradicting_terminals ? ` (${f.evidence.contradicting_terminals} served)` : ""
      }<br/>
      ${codeText ? `<span class="muted">${codeText}</span><br/>` : ""}${logText}${logText ? "<br/>" : ""}<code>${escapeHtml(d.cell)}</code>`;
  }

  legend(): string {
    if (!this.visible || !this.findings.length) return "";
    const kinds = Object.keys(KIND_HEX).filter((k) => this.findings.some((f) => f.kind === k));
    const count = (state: string) => this.findings.filter((f) => logState(f) === state).length;
    return `<h3>Forensics findings</h3>
      ${kinds
        .map(
          (k) =>
            `<div class="legend-row" data-kind="${k}"><span class="swatch" style="background:${KIND_HEX[k]}"></span>${KIND_LABEL[k]}<span class="muted count">${this.findings.filter((f) => f.kind === k).length}</span></div>`,
        )
        .join("")}
      <div class="legend-row" data-log="logged"><span class="swatch-line" style="border-color:#fff"></span>restriction in the log<span class="muted count">${count("logged")}</span></div>
      <div class="legend-row" data-log="unlogged"><span class="swatch-line" style="border-color:${UNLOGGED_HEX};border-top-width:4px"></span>restriction nobody logged<span class="muted count">${count("unlogged")}</span></div>`;
  }

  /** A file input that opens the JSON of `leolink forensics infer --format json`. */
  controls(): string {
    return `<label class="findings-file muted">open findings (JSON of <code>leolink forensics infer --format json</code>)
      <input type="file" id="findings-file" accept=".json,application/json" /></label>`;
  }

  bind(pane: HTMLElement, onError: (message: string) => void): void {
    pane.querySelector<HTMLInputElement>("#findings-file")?.addEventListener("change", async (event) => {
      const file = (event.target as HTMLInputElement).files?.[0];
      if (!file) return;
      try {
        this.show(JSON.parse(await file.text()), file.name);
      } catch (error) {
        onError(`${file.name}: ${(error as Error).message}`);
      }
    });
  }
}
