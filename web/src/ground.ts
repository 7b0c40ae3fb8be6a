// The ground segment and the route of a clicked place.  Gateways (StarPerf 2024) and PoPs
// (2026, named as Starlink names them: `frntdeu1` is Frankfurt) from GET /v1/ground-segment;
// the route a terminal at the clicked place takes to its PoP — terminal → satellite → lasers →
// gateway → PoP — from GET /v1/routes at the map's time, with its RTT by component.

import { PathLayer, ScatterplotLayer, TextLayer } from "@deck.gl/layers";

import { get } from "./api";
import { escapeHtml } from "./decision";
import { hexToRgba, type RGBA } from "./palette";
import { isoZ } from "./time";

export interface Site {
  id: string;
  name: string;
  lat_deg: number;
  lon_deg: number;
}

interface GroundSegment {
  gateways: Site[];
  pops: Site[];
}

export interface Hop {
  kind: string;
  id: string;
  name: string;
  lat_deg: number;
  lon_deg: number;
  alt_km: number;
  link: string;
  link_km: number;
  delay_ms: number;
}

export interface Route {
  at: string | null;
  reachable: boolean;
  rtt_ms: number | null;
  hops: number;
  path: Hop[];
  reason: string;
  latency?: Record<string, any> | null;
}

export const GATEWAY_HEX = "#E0E6EE";
export const POP_HEX = "#FFB000";
/** Route legs by link: up/down to a satellite, laser between satellites, fibre on the ground. */
export const LINK_HEX: Record<string, string> = { gsl: "#00E5FF", isl: "#FF6EC7", fibre: POP_HEX };

export class GroundLayer {
  visible = false;
  gateways: Site[] = [];
  pops: Site[] = [];
  note = "";
  private loaded = false;

  constructor(private readonly onChange: () => void) {}

  async load(): Promise<void> {
    if (!this.visible || this.loaded) {
      this.onChange();
      return;
    }
    try {
      const body = await get<GroundSegment>("/v1/ground-segment");
      this.gateways = body.gateways;
      this.pops = body.pops;
      this.loaded = true;
      this.note = `${this.gateways.length} gateways, ${this.pops.length} PoPs`;
    } catch (error) {
      this.note = (error as Error).message;
    }
    this.onChange();
  }

  layers(zoom: number): any[] {
    if (!this.visible || !this.loaded) return [];
    const out: any[] = [
      new ScatterplotLayer<Site>({
        id: "gateways",
        data: this.gateways,
        getPosition: (d) => [d.lon_deg, d.lat_deg],
        getRadius: 3,
        radiusUnits: "pixels",
        stroked: true,
        getFillColor: hexToRgba(GATEWAY_HEX, 220),
        getLineColor: [11, 21, 38, 255],
        lineWidthMinPixels: 1,
        pickable: true,
      }),
      new ScatterplotLayer<Site>({
        id: "pops",
        data: this.pops,
        getPosition: (d) => [d.lon_deg, d.lat_deg],
        getRadius: 6,
        radiusUnits: "pixels",
        stroked: true,
        getFillColor: hexToRgba(POP_HEX, 255),
        getLineColor: [11, 21, 38, 255],
        lineWidthMinPixels: 1.5,
        pickable: true,
      }),
    ];
    // PoP codes once there is room for them
    if (zoom >= 3) {
      out.push(
        new TextLayer<Site>({
          id: "pop-labels",
          data: this.pops,
          getPosition: (d) => [d.lon_deg, d.lat_deg],
          getText: (d) => d.id,
          getSize: 12,
          getColor: hexToRgba(POP_HEX),
          getPixelOffset: [0, -13],
          fontFamily: "system-ui, sans-serif",
          outlineWidth: 3,
          outlineColor: [11, 21, 38, 255],
          fontSettings: { sdf: true },
        }),
      );
    }
    return out;
  }

  tooltip(layerId: string, d: Site): string {
    if (layerId === "pops") return `<strong>PoP <code>${escapeHtml(d.id)}</code></strong><br/>${escapeHtml(d.name)}`;
    return `<strong>Gateway ${escapeHtml(d.id)}</strong><br/>${escapeHtml(d.name)}`;
  }

  legend(): string {
    if (!this.visible || !this.loaded) return "";
    return `<h3>Ground segment</h3>
      <div class="legend-row"><span class="dot" style="background:${GATEWAY_HEX}"></span>Gateway<span class="muted count">${this.gateways.length}</span></div>
      <div class="legend-row"><span class="dot" style="background:${POP_HEX};width:11px;height:11px"></span>PoP (Starlink's code)<span class="muted count">${this.pops.length}</span></div>`;
  }
}

/** One leg of the route between two hops. */
interface Leg {
  from: Hop;
  to: Hop;
  link: string;
}

export class RouteLayer {
  visible = false;
  route: Route | null = null;
  place: { lat: number; lon: number } | null = null;
  note = "click the map";
  private generation = 0;

  constructor(private readonly onChange: () => void) {}

  async load(lat: number, lon: number, at: Date): Promise<void> {
    const generation = ++this.generation;
    this.place = { lat, lon };
    if (!this.visible) return;
    this.note = "routing…";
    try {
      const route = await get<Route>("/v1/routes", { from: `${lat.toFixed(4)},${lon.toFixed(4)}`, at: isoZ(at) });
      if (generation !== this.generation) return;
      this.route = route;
      this.note = route.reachable ? this.summary(route) : `no route: ${route.reason}`;
    } catch (error) {
      if (generation !== this.generation) return;
      this.route = null;
      this.note = (error as Error).message;
    }
    this.onChange();
  }

  /** Route again at a new time, for the place last clicked. */
  reload(at: Date): void {
    if (this.visible && this.place) void this.load(this.place.lat, this.place.lon, at);
  }

  private summary(route: Route): string {
    const pop = route.path.at(-1);
    const lasers = route.path.filter((h) => h.link === "isl").length;
    const median = route.latency?.median_rtt_ms;
    return `to ${pop?.id ?? "?"} (${pop?.name ?? ""}) over ${lasers} laser link${lasers === 1 ? "" : "s"}: ${route.rtt_ms?.toFixed(1)} ms propagation${
      typeof median === "number" ? `, ${median.toFixed(0)} ms median as measured` : ""
    }`;
  }

  private legs(): Leg[] {
    const path = this.route?.reachable ? this.route.path : [];
    return path.slice(1).map((to, i) => ({ from: path[i], to, link: to.link }));
  }

  layers(): any[] {
    if (!this.visible || !this.route?.reachable) return [];
    const legs = this.legs();
    return [
      new PathLayer<Leg>({
        id: "route-legs",
        data: legs,
        getPath: (d) => [
          [d.from.lon_deg, d.from.lat_deg],
          [d.to.lon_deg, d.to.lat_deg],
        ],
        getColor: (d): RGBA => hexToRgba(LINK_HEX[d.link] ?? "#FFFFFF"),
        getWidth: (d) => (d.link === "fibre" ? 3 : 2.5),
        widthUnits: "pixels",
        pickable: true,
      }),
      new ScatterplotLayer<Hop>({
        id: "route-hops",
        data: this.route.path,
        getPosition: (d) => [d.lon_deg, d.lat_deg],
        getRadius: (d) => (d.kind === "satellite" ? 4 : 6),
        radiusUnits: "pixels",
        stroked: true,
        getFillColor: (d): RGBA =>
          d.kind === "pop" ? hexToRgba(POP_HEX) : d.kind === "gateway" ? hexToRgba(GATEWAY_HEX) : d.kind === "satellite" ? [255, 255, 255, 255] : hexToRgba(LINK_HEX.gsl),
        getLineColor: [11, 21, 38, 255],
        lineWidthMinPixels: 1.5,
        pickable: true,
      }),
    ];
  }

  tooltip(layerId: string, d: any): string {
    if (layerId === "route-legs") {
      const leg = d as Leg;
      const words = leg.link === "isl" ? "laser" : leg.link === "gsl" ? "radio (ground–satellite)" : leg.link;
      return `${escapeHtml(words)} link · ${Math.round(leg.to.link_km).toLocaleString("en")} km`;
    }
    const hop = d as Hop;
    const what = hop.kind === "pop" ? `PoP <code>${escapeHtml(hop.id)}</code>` : `${escapeHtml(hop.kind)} ${escapeHtml(hop.kind === "terminal" ? "" : hop.id)}`;
    return `<strong>${what}</strong><br/>${escapeHtml(hop.name)}${hop.kind === "satellite" ? ` · ${Math.round(hop.alt_km)} km` : ""}<br/>
      ${hop.delay_ms.toFixed(2)} ms one way so far`;
  }

  /** The route in words for the Layers tab: each hop, and the RTT by component. */
  details(): string {
    if (!this.visible || !this.route?.reachable) return "";
    const r = this.route;
    const hops = r.path
      .map((h) => `<li>${escapeHtml(h.kind)} <code>${escapeHtml(h.kind === "terminal" ? "" : h.id)}</code> ${escapeHtml(h.kind === "terminal" ? "" : h.name)}${h.link ? ` <span class="muted">${escapeHtml(h.link)} ${Math.round(h.link_km)} km</span>` : ""}</li>`)
      .join("");
    const l = r.latency;
    const parts = l
      ? `<p class="muted small-print">RTT to <code>${escapeHtml(String(l.pop))}</code>: median ${Number(l.median_rtt_ms).toFixed(1)} ms; median by component: space ${Number(l.propagation_space_ms).toFixed(1)} + ground ${Number(l.propagation_ground_ms).toFixed(1)} + access ${Number(l.access_ms).toFixed(1)} + processing ${Number(l.processing_ms).toFixed(1)} ms</p>`
      : "";
    return `<ol class="route-hops">${hops}</ol>${parts}`;
  }

  legend(): string {
    if (!this.visible || !this.route?.reachable) return "";
    return `<h3>Route</h3>
      <div class="legend-row"><span class="swatch-line" style="border-color:${LINK_HEX.gsl}"></span>ground–satellite</div>
      <div class="legend-row"><span class="swatch-line" style="border-color:${LINK_HEX.isl}"></span>laser</div>
      <div class="legend-row"><span class="swatch-line" style="border-color:${LINK_HEX.fibre}"></span>fibre to the PoP</div>`;
  }
}
