// Starlink's own availability map against the policy (GET /v1/availability/compare): the
// cells of the categories the policy imports (blacklisted, waitlisted, coming soon), filled by
// what Starlink's map says of them and outlined by whether the policy in force at the map's
// instant agrees — green where it does, red where it does not.

import { H3HexagonLayer } from "@deck.gl/geo-layers";

import { get } from "./api";
import { escapeHtml } from "./decision";
import { ALLOW_HEX, DENY_HEX, hexToRgba, type RGBA } from "./palette";
import { isoZ } from "./time";

interface Comparison {
  at: string;
  published: string;
  full_agreement: boolean;
  differences: number;
  cells: { cell: string[]; category: string[]; country: string[]; code: string[]; agrees: boolean[] };
}

export interface MapCell {
  cell: string;
  category: string;
  country: string;
  code: string;
  agrees: boolean;
}

/** Fill by what Starlink's map says: switched off, or closed to new terminals. */
const BLACKLISTED_HEX = "#B0122B";
const CLOSED_HEX = "#E69F00";

/** A category name of the map file in words ("waitlisted_Expanding_in_2026" -> "waitlisted: Expanding in 2026"). */
export function categoryText(category: string): string {
  const [head, ...rest] = category.split("_");
  return rest.length ? `${head}: ${rest.join(" ")}` : head;
}

export class StarlinkMapLayer {
  visible = false;
  cells: MapCell[] = [];
  note = "";
  private published = "";
  private at = "";
  private generation = 0;

  constructor(private readonly onChange: () => void) {}

  async load(at: Date): Promise<void> {
    const generation = ++this.generation;
    if (!this.visible) {
      this.cells = [];
      this.note = "";
      this.onChange();
      return;
    }
    try {
      const result = await get<Comparison>("/v1/availability/compare", { at: isoZ(at) });
      if (generation !== this.generation) return; // a newer load has started
      const c = result.cells;
      this.cells = c.cell.map((cell, i) => ({
        cell,
        category: c.category[i],
        country: c.country[i],
        code: c.code[i],
        agrees: c.agrees[i],
      }));
      this.published = result.published;
      this.at = result.at;
      this.note = `${this.cells.length} cells of Starlink's map (published ${result.published}); ${
        result.full_agreement ? "the policy agrees with all" : `${result.differences} differ from the policy`
      }`;
    } catch (error) {
      if (generation !== this.generation) return;
      this.cells = [];
      this.note = (error as Error).message;
    }
    this.onChange();
  }

  layer(): H3HexagonLayer<MapCell> | null {
    if (!this.visible || !this.cells.length) return null;
    return new H3HexagonLayer<MapCell>({
      id: "starlink-map",
      data: this.cells,
      getHexagon: (d) => d.cell,
      getFillColor: (d): RGBA => hexToRgba(d.category === "blacklisted" ? BLACKLISTED_HEX : CLOSED_HEX, 150),
      getLineColor: (d): RGBA => hexToRgba(d.agrees ? ALLOW_HEX : DENY_HEX, 255),
      getLineWidth: (d) => (d.agrees ? 1.5 : 4),
      lineWidthUnits: "pixels",
      extruded: false,
      pickable: true,
      updateTriggers: { getFillColor: this.cells, getLineColor: this.cells, getLineWidth: this.cells },
    });
  }

  tooltip(d: MapCell): string {
    return `<strong>Starlink's map (published ${escapeHtml(this.published)})</strong><br/>
      ${escapeHtml(categoryText(d.category))}<br/>
      policy at ${escapeHtml(this.at)}: ${escapeHtml(d.code)} — ${d.agrees ? "agrees" : "<strong>differs</strong>"}<br/>
      <code>${escapeHtml(d.cell)}</code> <span class="muted">${escapeHtml(d.country)}</span>`;
  }

  legend(): string {
    if (!this.visible || !this.cells.length) return "";
    const differ = this.cells.filter((c) => !c.agrees).length;
    return `<h3>Starlink's map (${escapeHtml(this.published)})</h3>
      <div class="legend-row"><span class="swatch" style="background:${BLACKLISTED_HEX}"></span>blacklisted<span class="muted count">${this.cells.filter((c) => c.category === "blacklisted").length}</span></div>
      <div class="legend-row"><span class="swatch" style="background:${CLOSED_HEX}"></span>waitlisted / coming soon<span class="muted count">${this.cells.filter((c) => c.category !== "blacklisted").length}</span></div>
      <div class="legend-row" data-agreement="agree"><span class="swatch-line" style="border-color:${ALLOW_HEX}"></span>policy agrees<span class="muted count">${this.cells.length - differ}</span></div>
      <div class="legend-row" data-agreement="differ"><span class="swatch-line" style="border-color:${DENY_HEX}"></span>policy differs<span class="muted count">${differ}</span></div>`;
  }
}
