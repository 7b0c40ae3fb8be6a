// Satellites coloured by the shell they fly in (GET /v1/satellites/shells: the shells the
// service infers from the catalog) and one satellite's ground track on demand
// (GET /v1/satellites/{norad_id}/track), drawn as a path split where it crosses ±180°.

import { PathLayer, ScatterplotLayer } from "@deck.gl/layers";

import { get } from "./api";
import { escapeHtml } from "./decision";
import type { Snapshot } from "./satellites";
import { isoZ } from "./time";

interface Shell {
  altitude_km: number;
  inclination_deg: number;
  planes: number;
  satellites: number;
}

interface ShellsPayload {
  at: string;
  shells: Shell[];
  norad_id: number[];
  shell: number[];
}

interface Track {
  norad_id: number;
  name: string;
  at: string;
  times: string[];
  lat_deg: (number | null)[];
  lon_deg: (number | null)[];
  alt_km: (number | null)[];
}

/**
 * Shell colours: light, saturated hues that stand out on the dark ocean and on the status
 * colours of the countries (Tableau 10's lighter half and its complements); satellites in no
 * shell (raising, lowering, decaying) are grey.
 */
const SHELL_RGB: [number, number, number][] = [
  [255, 255, 255],
  [255, 190, 90],
  [130, 230, 120],
  [255, 140, 190],
  [120, 220, 255],
  [210, 170, 255],
  [255, 240, 120],
  [255, 130, 110],
  [170, 255, 220],
  [200, 200, 140],
];
const UNSETTLED_RGB: [number, number, number] = [150, 160, 175];

export class Orbits {
  payload: ShellsPayload | null = null;
  byShell = true;
  track: Track | null = null;
  trackError = "";
  private shellOf = new Map<number, number>();
  private colours: { order: Snapshot; rgba: Uint8Array } | null = null;

  constructor(private readonly onChange: () => void) {}

  async loadShells(): Promise<void> {
    try {
      this.payload = await get<ShellsPayload>("/v1/satellites/shells");
      this.shellOf = new Map(this.payload.norad_id.map((id, i) => [id, this.payload!.shell[i]]));
      this.colours = null;
    } catch {
      this.payload = null; // the satellites are drawn white, as before shells were known
    }
    this.onChange();
  }

  shellColour(shell: number): [number, number, number] {
    return shell < 0 ? UNSETTLED_RGB : SHELL_RGB[shell % SHELL_RGB.length];
  }

  /** RGBA per satellite of `order` (the snapshot the positions follow), cached per snapshot. */
  coloursFor(order: Snapshot): Uint8Array | null {
    if (!this.byShell || !this.payload) return null;
    if (this.colours?.order === order) return this.colours.rgba;
    const rgba = new Uint8Array(4 * order.noradId.length);
    order.noradId.forEach((id, i) => {
      const [r, g, b] = this.shellColour(this.shellOf.get(id) ?? -1);
      rgba.set([r, g, b, 225], 4 * i);
    });
    this.colours = { order, rgba };
    return rgba;
  }

  shellText(noradId: number): string {
    const shell = this.shellOf.get(noradId);
    const s = shell !== undefined && shell >= 0 ? this.payload?.shells[shell] : null;
    return s ? `shell ${Math.round(s.altitude_km)} km, ${s.inclination_deg.toFixed(1)}°` : "not settled in a shell";
  }

  legend(): string {
    if (!this.byShell || !this.payload?.shells.length) return "";
    const rows = this.payload.shells
      .map((s, i) => [s, i] as const)
      .sort((a, b) => a[0].altitude_km - b[0].altitude_km)
      .map(([s, i]) => {
        const [r, g, b] = this.shellColour(i);
        return `<div class="legend-row" data-shell="${i}"><span class="dot shell" style="background:rgb(${r},${g},${b})"></span>${Math.round(s.altitude_km)} km · ${s.inclination_deg.toFixed(1)}°<span class="muted count">${s.satellites.toLocaleString("en")}</span></div>`;
      })
      .join("");
    const [r, g, b] = UNSETTLED_RGB;
    return `<h3>Shells</h3>${rows}<div class="legend-row"><span class="dot shell" style="background:rgb(${r},${g},${b})"></span>not settled</div>`;
  }

  /** Fetch and show the ground track of `noradId` around `at` (about one revolution). */
  async showTrack(noradId: number, at: Date): Promise<void> {
    try {
      this.track = await get<Track>(`/v1/satellites/${encodeURIComponent(noradId)}/track`, { at: isoZ(at) });
      this.trackError = "";
    } catch (error) {
      this.track = null;
      this.trackError = (error as Error).message;
    }
    this.onChange();
  }

  clearTrack(): void {
    this.track = null;
    this.trackError = "";
    this.onChange();
  }

  /** The track as paths of [lon, lat], cut where it wraps across ±180° or SGP4 failed. */
  trackPaths(): [number, number][][] {
    const t = this.track;
    if (!t) return [];
    const paths: [number, number][][] = [];
    let current: [number, number][] = [];
    for (let i = 0; i < t.times.length; i++) {
      const lat = t.lat_deg[i];
      const lon = t.lon_deg[i];
      if (lat === null || lon === null) {
        if (current.length > 1) paths.push(current);
        current = [];
        continue;
      }
      const last = current.at(-1);
      if (last && Math.abs(lon - last[0]) > 180) {
        paths.push(current);
        current = [];
      }
      current.push([lon, lat]);
    }
    if (current.length > 1) paths.push(current);
    return paths;
  }

  layers(): (PathLayer | ScatterplotLayer)[] {
    const t = this.track;
    if (!t) return [];
    const middle = t.times.indexOf(t.at);
    const here = middle >= 0 && t.lat_deg[middle] !== null ? [[t.lon_deg[middle]!, t.lat_deg[middle]!]] : [];
    return [
      new PathLayer<[number, number][]>({
        id: "ground-track",
        data: this.trackPaths(),
        getPath: (d) => d,
        getColor: [255, 214, 10, 230],
        getWidth: 2,
        widthUnits: "pixels",
        updateTriggers: { getPath: t },
      }),
      new ScatterplotLayer<number[]>({
        id: "ground-track-now",
        data: here,
        getPosition: (d) => d as [number, number],
        getRadius: 6,
        radiusUnits: "pixels",
        stroked: true,
        getFillColor: [255, 214, 10, 255],
        getLineColor: [11, 21, 38, 255],
        lineWidthMinPixels: 1.5,
      }),
    ];
  }

  /** The line under the satellites' checkbox about the track shown, with a button to clear it. */
  trackNote(): string {
    if (this.trackError) return `<div class="error small">${escapeHtml(this.trackError)}</div>`;
    const t = this.track;
    if (!t) return "";
    return `<div class="track-note" data-norad="${t.norad_id}"><span class="swatch-line track"></span>Ground track of <strong>${escapeHtml(t.name)}</strong> (NORAD ${t.norad_id}), ${escapeHtml(t.times[0].slice(11, 16))}–${escapeHtml(t.times.at(-1)!.slice(11, 16))}Z <button type="button" class="small" id="track-clear">Clear</button></div>`;
  }
}
