// The coverage layer: figures of merit from a sweep (GET /v1/coverage) over the cells in view,
// for a window that starts at the map's instant — mean satellites in view, percent of time
// covered, the longest gap, ... — coloured with viridis (perceptually uniform, readable in grey
// and with the common colour-vision deficiencies) and explained by a colour bar in the legend.

import { H3HexagonLayer } from "@deck.gl/geo-layers";
import { cellToLatLng } from "h3-js";

import { atFittingResolution, get } from "./api";
import { escapeHtml } from "./decision";
import type { RGBA } from "./palette";
import { isoZ } from "./time";

export interface CoveragePayload {
  region: string;
  resolution: number;
  start: string;
  end: string;
  step_s: number;
  steps: number;
  min_elevation_deg: number;
  satellites: number;
  warning: string | null;
  figures: Record<string, { label: string; unit: string }>;
  cells: Record<string, (string | number | null)[]>;
}

/** Window lengths offered, minutes, and the step each is sampled at (about 60 instants). */
export const WINDOWS: { minutes: number; step_s: number; label: string }[] = [
  { minutes: 10, step_s: 10, label: "10 min every 10 s" },
  { minutes: 60, step_s: 60, label: "1 h every 60 s" },
  { minutes: 360, step_s: 300, label: "6 h every 5 min" },
  { minutes: 1440, step_s: 900, label: "24 h every 15 min" },
];

/** The figure shown first: what people ask about coverage before anything else. */
export const DEFAULT_FIGURE = "mean_visible";

// Viridis (matplotlib's, by van der Walt and Smith), sampled at nine evenly spaced stops.
const VIRIDIS: [number, number, number][] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

export function viridis(t: number, alpha = 200): RGBA {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f, alpha].map(Math.round) as RGBA;
}

export const VIRIDIS_CSS = `linear-gradient(90deg, ${VIRIDIS.map((c, i) => `rgb(${c.join(",")}) ${((100 * i) / (VIRIDIS.length - 1)).toFixed(0)}%`).join(", ")})`;

/** H3 resolution by zoom: a view holds a few thousand cells (the service caps cells × steps). */
export function coverageResolution(zoom: number): number {
  return zoom >= 6.5 ? 5 : zoom >= 5 ? 4 : zoom >= 3 ? 3 : 2;
}

interface CoverageCell {
  cell: string;
  value: number | null;
}

/** Percent figures ("% of the window") get a fixed 0–100 scale, so that maps compare. */
function isPercent(unit: string | undefined): boolean {
  return Boolean(unit?.startsWith("%"));
}

function formatValue(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return "—";
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${isPercent(unit) ? " %" : unit ? ` ${unit}` : ""}`;
}

export class CoverageLayer {
  visible = false;
  figure = DEFAULT_FIGURE;
  window = WINDOWS[1];
  payload: CoveragePayload | null = null;
  note = "off: turn it on to sweep the cells in view";
  loading = false;
  /** Sweep this country's land (ISO code) instead of the box in view. */
  country: string | null = null;
  /** Which cells to draw, by their centre (the map keeps those on land). */
  keep: ((lat: number, lon: number) => boolean) | null = null;
  private abort: AbortController | null = null;
  private cells: CoverageCell[] = [];
  private range: [number, number] = [0, 1];

  constructor(private readonly onChange: () => void) {}

  /** Sweep the cells of `bbox` (W,S,E,N) from `start` over the chosen window. */
  async load(bbox: string, start: Date, zoom: number): Promise<void> {
    this.abort?.abort();
    if (!this.visible) {
      this.payload = null;
      this.cells = [];
      this.note = "off: turn it on to sweep the cells in view";
      this.onChange();
      return;
    }
    this.abort = new AbortController();
    const signal = this.abort.signal;
    // The window starts on a whole step, so that the maps of one minute share a sweep (and the
    // service's cache) rather than each asking for its own.
    const stepMs = this.window.step_s * 1000;
    const from = new Date(Math.floor(start.getTime() / stepMs) * stepMs);
    const end = new Date(from.getTime() + this.window.minutes * 60_000);
    const ask = (resolution: number) =>
      get<CoveragePayload>(
        "/v1/coverage",
        { ...(this.country ? { country: this.country } : { bbox }), start: isoZ(from), end: isoZ(end), step_s: this.window.step_s, resolution },
        false,
        signal,
      );
    this.loading = true;
    this.note = "sweeping the cells in view…";
    this.onChange();
    try {
      // More cells or cell-steps than one request may have (422): the resolution it suggests.
      const { payload } = await atFittingResolution(coverageResolution(zoom), ask);
      this.payload = payload;
      if (!(this.figure in payload.figures)) this.figure = DEFAULT_FIGURE in payload.figures ? DEFAULT_FIGURE : Object.keys(payload.figures)[0];
      this.select(this.figure);
      this.note = `${payload.cells.cell.length.toLocaleString("en")} cells at resolution ${payload.resolution}, ${payload.steps} instants`;
    } catch (error) {
      if ((error as Error).name === "AbortError") return;
      this.payload = null;
      this.cells = [];
      this.note = (error as Error).message;
    } finally {
      if (!signal.aborted) this.loading = false;
    }
    this.onChange();
  }

  /** Show another figure of the current sweep (no new request). */
  select(figure: string): void {
    this.figure = figure;
    const payload = this.payload;
    if (!payload || !(figure in payload.cells)) {
      this.cells = [];
      return;
    }
    const hexes = payload.cells.cell as string[];
    const values = payload.cells[figure] as (number | null)[];
    const keep = this.keep;
    this.cells = hexes
      .map((cell, i) => ({ cell, value: values[i] }))
      .filter((d) => !keep || keep(...cellToLatLng(d.cell)));
    const finite = this.cells.map((d) => d.value).filter((v): v is number => v !== null && Number.isFinite(v));
    let lo = finite.length ? Math.min(...finite) : 0;
    let hi = finite.length ? Math.max(...finite) : 1;
    if (isPercent(payload.figures[figure]?.unit)) [lo, hi] = [Math.min(lo, 0), 100];
    if (hi <= lo) hi = lo + 1;
    this.range = [lo, hi];
  }

  get label(): string {
    return this.payload?.figures[this.figure]?.label ?? this.figure.replaceAll("_", " ");
  }

  get unit(): string {
    return this.payload?.figures[this.figure]?.unit ?? "";
  }

  layer(): H3HexagonLayer<CoverageCell> | null {
    if (!this.visible || !this.cells.length) return null;
    const [lo, hi] = this.range;
    return new H3HexagonLayer<CoverageCell>({
      id: "coverage",
      data: this.cells,
      getHexagon: (d) => d.cell,
      // Opaque, under the borders: a see-through fill would mix with the country colours
      // beneath and tint the figure.
      getFillColor: (d) => (d.value === null ? [120, 120, 120, 255] : viridis((d.value - lo) / (hi - lo), 255)),
      // @deck.gl/mapbox's interleaved mode reads `beforeId` (not in the layer's own typings).
      ...({ beforeId: "country-line" } as object),
      stroked: false,
      extruded: false,
      pickable: true,
      updateTriggers: { getFillColor: [this.cells, lo, hi] },
    });
  }

  tooltip(object: CoverageCell): string {
    return `<code>${escapeHtml(object.cell)}</code><br/>${escapeHtml(this.label)}: <strong>${escapeHtml(formatValue(object.value, this.unit))}</strong>`;
  }

  /** The controls in the Layers tab, under the layer's checkbox. */
  controls(): string {
    const figures = this.payload ? Object.entries(this.payload.figures) : [[DEFAULT_FIGURE, { label: "Mean satellites in view", unit: "" }] as const];
    return `<div class="row coverage-controls">
      <select id="coverage-figure" aria-label="coverage figure">${figures
        .map(([name, f]) => `<option value="${escapeHtml(name)}" ${name === this.figure ? "selected" : ""}>${escapeHtml(f.label)}</option>`)
        .join("")}</select>
      <select id="coverage-window" aria-label="coverage window">${WINDOWS.map(
        (w) => `<option value="${w.minutes}" ${w === this.window ? "selected" : ""}>${escapeHtml(w.label)}</option>`,
      ).join("")}</select></div>`;
  }

  /** The colour bar of the legend (empty when the layer shows nothing). */
  legend(): string {
    const payload = this.payload;
    if (!this.visible || !payload || !this.cells.length) return "";
    const [lo, hi] = this.range;
    return `<h3>Coverage</h3>
      <div class="coverage-title">${escapeHtml(this.label)}${this.unit ? ` <span class="muted">(${escapeHtml(this.unit)})</span>` : ""}</div>
      <div class="colorbar" style="background:${VIRIDIS_CSS}"></div>
      <div class="colorbar-ticks"><span>${escapeHtml(formatValue(lo, ""))}</span><span>${escapeHtml(formatValue((lo + hi) / 2, ""))}</span><span>${escapeHtml(formatValue(hi, ""))}</span></div>
      <div class="muted small">${escapeHtml(payload.start.slice(0, 16))}Z → ${escapeHtml(payload.end.slice(11, 16))}Z every ${payload.step_s} s · mask ${payload.min_elevation_deg}°</div>${
        payload.warning ? `<div class="legend-warning small" title="${escapeHtml(payload.warning)}">catalog far from this window: indicative only</div>` : ""
      }`;
  }
}
