// leolink's web map: MapLibre for the base (an ocean background and country borders from
// GET /v1/countries — no tiles, fonts or glyphs from the Internet) with deck.gl layers
// interleaved for cells, coverage figures, geofences, satellites, terminals and the drawing.

import "maplibre-gl/dist/maplibre-gl.css";
import "./style.css";

import { MapboxOverlay } from "@deck.gl/mapbox";
import { cellToLatLng, getResolution, latLngToCell } from "h3-js";
import { H3HexagonLayer } from "@deck.gl/geo-layers";
import { PathLayer, PolygonLayer, ScatterplotLayer } from "@deck.gl/layers";
import { type GeoJSONSource, Map as MapLibreMap, type StyleSpecification } from "maplibre-gl";

import { apiKey, atFittingResolution, get } from "./api";
import { AuditPane } from "./audit";
import { CoverageLayer, WINDOWS } from "./coverage";
import { type AsOf, type Decision, escapeHtml, renderDecision, renderError } from "./decision";
import { type LonLat, PolygonDrawer } from "./draw";
import { type Geofence, geofenceState, isInForce, OperatorPane } from "./operator";
import {
  ALLOW_HEX,
  BORDER_HEX,
  DENY_HEX,
  RECONSTRUCTION_HEX,
  hexToRgba,
  OCEAN_HEX,
  SATELLITE_RGBA,
  STATUS_HEX,
  STATUS_LABEL,
  STATUS_ORDER,
  statusKey,
} from "./palette";
import { CatalogOffer } from "./catalog";
import { Land } from "./land";
import { Orbits } from "./orbits";
import { Places, type SearchResult } from "./places";
import { SatelliteFeed } from "./satellites";
import { FindingsLayer } from "./findings";
import { GroundLayer, RouteLayer } from "./ground";
import { SearchBox } from "./search";
import { StarlinkMapLayer } from "./starlinkmap";
import { TerminalsLayer } from "./terminals";
import { isoZ, parseIsoZ, TimeControl } from "./time";

// ---------------------------------------------------------------- state

type LayerName =
  | "labels"
  | "countries"
  | "cells"
  | "starlinkMap"
  | "coverage"
  | "geofences"
  | "satellites"
  | "terminals"
  | "findings"
  | "ground"
  | "route";

interface Cell {
  cell: string;
  allowed: boolean;
  code: string;
  country: string | null;
  status: string | null;
}

const LAYER_LABEL: Record<LayerName, string> = {
  labels: "Place and country names",
  countries: "Availability by country",
  cells: "Availability by H3 cell",
  starlinkMap: "Starlink's own map vs the policy",
  coverage: "Coverage figures (a sweep of the cells in view)",
  geofences: "Geofences (operators)",
  satellites: "Satellites",
  terminals: "Terminals at their last reported position (operators)",
  findings: "Forensics findings (auditors, or a findings file)",
  ground: "Gateways and PoPs",
  route: "Route of a clicked place to its PoP",
};

/**
 * H3 resolution of the cells layer by zoom: 5 (Starlink's own grid, ~253 km² a cell) close in,
 * coarser further out so that a view holds a few thousand cells; none below CELLS_MIN_ZOOM.
 */
const CELLS_MIN_ZOOM = 3.5;
function cellsResolution(zoom: number): number {
  return zoom >= 6.5 ? 5 : zoom >= 5 ? 4 : 3;
}
const FRAME_MS = 125;

const params = new URLSearchParams(location.search);
const state = {
  visible: { labels: true, countries: true, cells: true, starlinkMap: false, coverage: false, geofences: true, satellites: true, terminals: true, findings: false, ground: false, route: false } as Record<
    LayerName,
    boolean
  >,
  countries: null as GeoJSON.FeatureCollection | null,
  countryStatusCounts: {} as Record<string, number>,
  cells: [] as Cell[],
  cellsTruncated: false,
  cellsResolution: 5,
  cellsNote: "",
  geofences: [] as Geofence[],
  pick: null as { lat: number; lon: number } | null,
  /** The terminal shown in the Decision tab (clicked on the map), by id. */
  pickedTerminal: null as string | null,
  satelliteCount: 0,
  /** The country chosen in the search box: layers about land keep to it. */
  country: null as { code: string; name: string } | null,
  /** The cells an impact preview lists, outlined on the map. */
  impactCells: [] as string[],
  /** Decisions "as known now" (every record so far) or "as recorded then" (URL: as=recorded). */
  view: (params.get("as") === "recorded" ? "recorded" : "known") as AsOf,
  ready: false,
};

// ---------------------------------------------------------------- map

const style: StyleSpecification = {
  version: 8,
  sources: { countries: { type: "geojson", data: { type: "FeatureCollection", features: [] } } },
  layers: [
    { id: "ocean", type: "background", paint: { "background-color": OCEAN_HEX } },
    {
      id: "country-fill",
      type: "fill",
      source: "countries",
      paint: {
        "fill-color": [
          "match",
          ["coalesce", ["get", "status"], "unknown"],
          ...STATUS_ORDER.flatMap((s) => [s, STATUS_HEX[s]]),
          STATUS_HEX.unknown,
        ] as any,
        "fill-opacity": 0.78,
      },
    },
    {
      id: "country-line",
      type: "line",
      source: "countries",
      // Drawn above the cells (their deck.gl layers go before this one), wider close in.
      paint: {
        "line-color": BORDER_HEX,
        "line-width": ["interpolate", ["linear"], ["zoom"], 1, 0.6, 5, 1.2, 9, 2] as any,
        "line-opacity": 0.85,
      },
    },
  ],
};

const center = (params.get("c") ?? "").split(",").map(Number);
const map = new MapLibreMap({
  container: "map",
  style,
  center: center.length === 2 && center.every(Number.isFinite) ? [center[1], center[0]] : [20, 25],
  zoom: Number(params.get("z") ?? 1.7),
  minZoom: 0.5,
  maxZoom: 11,
  attributionControl: { compact: true, customAttribution: "Borders: Natural Earth · orbits: public GP element sets" },
  canvasContextAttributes: { preserveDrawingBuffer: true, antialias: true },
} as any);

const overlay = new MapboxOverlay({
  interleaved: true,
  layers: [],
  getTooltip: ({ object, layer, index }: any) => tooltip(layer?.id, object, index),
});
map.addControl(overlay as any);

// ---------------------------------------------------------------- time and satellites

const initialAt = params.get("at") ? parseIsoZ(params.get("at")!) : null;
const time = new TimeControl(document.getElementById("timebar")!, initialAt, () => onTimeChange());
const satellites = new SatelliteFeed(() => {
  const latest = satellites.latest;
  setStatus(satellites.lastError ?? latest?.warning ?? "", satellites.lastError ? "error" : "warning");
  renderLayers();
});

function atText(): string {
  return isoZ(time.at);
}

const coverage = new CoverageLayer(() => {
  renderLayers();
  renderLayerPanel();
  renderLegend();
});
const starlinkMap = new StarlinkMapLayer(() => {
  renderLayers();
  renderLayerPanelNotes();
  renderLegend();
});
const terminals = new TerminalsLayer(() => {
  renderLayers();
  renderLayerPanelNotes();
  renderLegend();
  showPickedTerminal();
});

const findings = new FindingsLayer(() => {
  renderLayers();
  renderLayerPanelNotes();
  renderLegend();
});
const ground = new GroundLayer(() => {
  renderLayers();
  renderLayerPanelNotes();
  renderLegend();
});
const route = new RouteLayer(() => {
  renderLayers();
  renderLayerPanelNotes();
  renderLegend();
  const details = document.getElementById("route-details");
  if (details) details.innerHTML = route.details();
});

const places = new Places(() => {
  placeLabels();
  renderLayerPanelNotes();
});
const land = new Land();
const orbits = new Orbits(() => {
  renderLayers();
  renderLegend();
  const note = document.getElementById("track-note");
  if (note) {
    note.innerHTML = orbits.trackNote();
    note.querySelector("#track-clear")?.addEventListener("click", () => orbits.clearTrack());
  }
});
// Coverage is about land: its cells at sea are dropped, and outside the chosen country.
coverage.keep = (lat, lon) => {
  if (!land.ready) return true;
  const code = land.countryAt(lat, lon);
  return code !== null && (!state.country || code === state.country.code);
};
const catalogOffer = new CatalogOffer(document.getElementById("catalog-offer")!, (at) => time.set(at));

/** Choose the labels for the view (after it stopped moving) and draw them. */
function placeLabels(): void {
  const canvas = map.getCanvas();
  places.place(map.getZoom(), (lonLat) => map.project(lonLat), canvas.clientWidth, canvas.clientHeight);
  renderLayers();
}

function searchAll(query: string): SearchResult[] {
  const found = places.search(query);
  const q = query.trim().toUpperCase();
  const snapshot = satellites.latest;
  if (snapshot && q.length >= 3 && found.length < 8) {
    for (let i = 0; i < snapshot.name.length && found.length < 8; i++) {
      if (snapshot.name[i].toUpperCase().includes(q) || String(snapshot.noradId[i]) === q) {
        found.push({ kind: "satellite", label: snapshot.name[i], detail: `satellite · NORAD ${snapshot.noradId[i]}`, lat: snapshot.latDeg[i], lon: snapshot.lonDeg[i], code: String(snapshot.noradId[i]) });
      }
    }
  }
  return found;
}

function chooseCountry(country: { code: string; name: string } | null): void {
  state.country = country;
  const chip = document.getElementById("country-chip")!;
  chip.hidden = !country;
  chip.innerHTML = country
    ? `Layers about land keep to <strong>${escapeHtml(country.name)}</strong> <button type="button" class="small" id="country-clear" aria-label="show every country">✕</button>`
    : "";
  chip.querySelector("#country-clear")?.addEventListener("click", () => chooseCountry(null));
  void loadCells();
  void loadCoverage();
}

function isPhone(): boolean {
  return window.matchMedia("(max-width: 640px)").matches;
}

/** Pixels of map hidden under the panel and the time bar at the bottom (a phone's layout). */
function coveredBelow(): number {
  if (!isPhone()) return 0;
  return document.getElementById("panel")!.offsetHeight + document.getElementById("timebar")!.offsetHeight + 12;
}

function chooseResult(result: SearchResult): void {
  const below = coveredBelow();
  const offset: [number, number] = [0, -below / 2];
  const padding = { top: isPhone() ? 90 : 60, bottom: below + 30, left: 30, right: isPhone() ? 30 : 380 };
  if (result.kind === "country" && result.code) {
    chooseCountry({ code: result.code, name: result.label });
    const feature = state.countries?.features.find((f) => f.properties?.iso_a2 === result.code);
    const points = feature ? ((feature.geometry as any).coordinates as unknown[]).flat(3) : [];
    const lons: number[] = [];
    const lats: number[] = [];
    for (let i = 0; i + 1 < points.length; i += 2) {
      lons.push(points[i] as number);
      lats.push(points[i + 1] as number);
    }
    if (lons.length) map.fitBounds([Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)], { padding, maxZoom: 7 });
    else map.flyTo({ center: [result.lon, result.lat], zoom: 5, offset });
    return;
  }
  if (result.kind === "satellite" && result.code) {
    void orbits.showTrack(Number(result.code), time.at);
    map.flyTo({ center: [result.lon, result.lat], zoom: Math.min(map.getZoom(), 3), offset });
    return;
  }
  map.flyTo({ center: [result.lon, result.lat], zoom: Math.max(map.getZoom(), 7), offset });
  void decide(result.lat, result.lon);
}

new SearchBox(document.getElementById("search") as HTMLFormElement, searchAll, chooseResult);

function onTimeChange(): void {
  catalogOffer.update(time.isLive ? new Date() : null);
  if (orbits.track) void orbits.showTrack(orbits.track.norad_id, time.at);
  satellites.start(time.isLive ? null : time.at);
  void loadCountries();
  void loadCells();
  void loadCoverage();
  void starlinkMap.load(time.at);
  void terminals.load(time.at);
  void findings.load(time.at);
  route.reload(time.at);
  renderLayers();
  if (state.pick) void decide(state.pick.lat, state.pick.lon, false);
}

// ---------------------------------------------------------------- data loading

async function loadCountries(): Promise<void> {
  try {
    const fc = await get<GeoJSON.FeatureCollection>("/v1/countries", { at: atText() });
    state.countries = fc;
    state.countryStatusCounts = {};
    for (const feature of fc.features) {
      const key = statusKey(feature.properties?.status);
      state.countryStatusCounts[key] = (state.countryStatusCounts[key] ?? 0) + 1;
    }
    (map.getSource("countries") as GeoJSONSource | undefined)?.setData(fc);
    places.setCountries(fc);
    land.setCountries(fc);
    coverage.select(coverage.figure); // its land filter needs the borders
    placeLabels();
    renderLegend();
  } catch (error) {
    setStatus(`Countries: ${(error as Error).message}`, "error");
  }
}

let cellsAbort: AbortController | null = null;
let viewTimer: number | undefined;

/** Reload what depends on the view (cells and coverage) once the map has stopped moving. */
function scheduleViewLoads(): void {
  window.clearTimeout(viewTimer);
  viewTimer = window.setTimeout(() => {
    void loadCells();
    void loadCoverage();
  }, 300);
}

/** The view as W,S,E,N degrees (latitudes within ±85, as the map shows them). */
function viewBbox(): string {
  const bounds = map.getBounds();
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  return [
    clamp(bounds.getWest(), -180, 180),
    clamp(bounds.getSouth(), -85, 85),
    clamp(bounds.getEast(), -180, 180),
    clamp(bounds.getNorth(), -85, 85),
  ]
    .map((v) => v.toFixed(4))
    .join(",");
}

async function loadCells(): Promise<void> {
  cellsAbort?.abort();
  if (!state.visible.cells || map.getZoom() < CELLS_MIN_ZOOM) {
    state.cells = [];
    state.cellsNote = map.getZoom() < CELLS_MIN_ZOOM ? `zoom in past ${CELLS_MIN_ZOOM} to see cells` : "";
    renderLayers();
    renderLayerPanel();
    return;
  }
  const bbox = viewBbox();
  cellsAbort = new AbortController();
  const signal = cellsAbort.signal;
  const ask = (resolution: number) =>
    get<{ cells: Cell[]; truncated: boolean }>(
      "/v1/availability/cells",
      { bbox, at: atText(), resolution },
      false,
      signal,
    );
  try {
    // Too many cells for the service's cap (422): the resolution it suggests.
    const { payload, resolution } = await atFittingResolution(cellsResolution(map.getZoom()), ask);
    state.cellsResolution = resolution;
    // Cells at sea are left undrawn (the ocean shows through) unless a rule switched them off.
    state.cells = (payload.cells ?? []).filter((c) => c.code !== "IN_OCEAN" && (!state.country || c.country === state.country.code));
    state.cellsTruncated = Boolean(payload.truncated);
    state.cellsNote = `${state.cells.length.toLocaleString("en")} cells at resolution ${state.cellsResolution}${state.cellsTruncated ? " (truncated: zoom in)" : ""}`;
  } catch (error) {
    if ((error as Error).name === "AbortError") return;
    state.cells = [];
    state.cellsNote = (error as Error).message;
  }
  renderLayers();
  renderLayerPanel();
}

async function loadCoverage(): Promise<void> {
  coverage.visible = state.visible.coverage;
  coverage.country = state.country?.code ?? null;
  await coverage.load(viewBbox(), time.at, map.getZoom());
}

// ---------------------------------------------------------------- decisions

const decisionPane = document.getElementById("decision-body")!;
const asofToggle = document.getElementById("asof")!;

/** Which records a decision uses: all recorded so far ("known"), or those recorded by then. */
function chooseView(view: AsOf): void {
  state.view = view;
  for (const button of asofToggle.querySelectorAll<HTMLButtonElement>("button[data-as]")) {
    button.setAttribute("aria-checked", String(button.dataset.as === view));
  }
  if (state.pick) void decide(state.pick.lat, state.pick.lon, false);
}
for (const button of asofToggle.querySelectorAll<HTMLButtonElement>("button[data-as]")) {
  button.setAttribute("aria-checked", String(button.dataset.as === state.view));
  button.addEventListener("click", () => chooseView(button.dataset.as as AsOf));
}

async function decide(lat: number, lon: number, switchTab = true): Promise<void> {
  state.pick = { lat, lon };
  state.pickedTerminal = null;
  const at = atText();
  renderLayers();
  if (switchTab) showTab("decision");
  decisionPane.innerHTML = '<p class="muted">Deciding…</p>';
  try {
    const view = state.view;
    const decision = await get<Decision>("/v1/availability", { lat: lat.toFixed(5), lon: lon.toFixed(5), at, as: view });
    if (view !== state.view) return; // the toggle was flipped while this one was asked
    renderDecision(decisionPane, decision, { lat, lon, at });
  } catch (error) {
    renderError(decisionPane, (error as Error).message);
  }
}

// ---------------------------------------------------------------- drawing and operator

const drawer = new PolygonDrawer(
  map,
  () => {
    operator.showDrawState();
    renderLayers();
  },
  (ring) => {
    operator.setRing(ring);
    renderLayers();
  },
);

const operator = new OperatorPane(document.getElementById("pane-operator")!, {
  drawer,
  at: () => time.at,
  onGeofences: (list) => {
    state.geofences = list;
    renderLayers();
    renderLayerPanelNotes();
    renderLegend();
    void terminals.load(time.at); // the key may have changed
  },
  onPolicyChange: () => {
    void loadCountries();
    void loadCells();
    void terminals.load(time.at);
    if (state.pick) void decide(state.pick.lat, state.pick.lon, false);
  },
  zoomTo: (g) => {
    const points = polygonsOf(g).flat(2) as LonLat[];
    if (points.length === 0) return;
    const lons = points.map((p) => p[0]);
    const lats = points.map((p) => p[1]);
    map.fitBounds([Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)], { padding: 80, maxZoom: 8 });
  },
  showImpactCells: (cells) => {
    state.impactCells = cells ?? [];
    renderLayers();
  },
  peopleIn: (cells) => {
    const set = new Set(cells);
    const resolution = cells.length ? getResolution(cells[0]) : 5;
    const { people, places: count } = places.peopleWhere((lat, lon) => set.has(latLngToCell(lat, lon, resolution)));
    return { people, places: count, minPopulation: places.minPopulation };
  },
});

const audit = new AuditPane(document.getElementById("pane-audit")!);

let shownTerminal = "";

/** Show a terminal (clicked on the terminals layer) and its decision in the Decision tab. */
function showTerminal(id: string, switchTab = true): void {
  const terminal = terminals.terminals.find((t) => t.id === id);
  if (!terminal) return;
  state.pick = null;
  state.pickedTerminal = id;
  shownTerminal = atText() + JSON.stringify(terminal);
  renderLayers();
  if (switchTab) showTab("decision");
  terminals.render(decisionPane, terminal, atText(), () => void terminals.load(time.at));
}

/** The shown terminal again when a reload changed it (time, key, policy or a suspension). */
function showPickedTerminal(): void {
  const terminal = terminals.terminals.find((t) => t.id === state.pickedTerminal);
  if (terminal && atText() + JSON.stringify(terminal) !== shownTerminal) showTerminal(terminal.id, false);
}

map.on("click", (event) => {
  if (drawer.active) return;
  const picked = overlay.pickObject({ x: event.point.x, y: event.point.y, radius: 4, layerIds: ["terminals"] });
  // A satellite hit exactly (the dot under the pointer, as its tooltip shows): its ground track.
  const satellite = picked?.object ? null : overlay.pickObject({ x: event.point.x, y: event.point.y, radius: 0, layerIds: ["satellites"] });
  if (picked?.object) showTerminal(picked.object.id);
  else if (satellite && lastSatelliteOrder) void orbits.showTrack(lastSatelliteOrder.order.noradId[satellite.index], time.at);
  else void decide(event.lngLat.lat, event.lngLat.lng);
  if (!picked?.object) void route.load(event.lngLat.lat, event.lngLat.lng, time.at);
});
map.on("moveend", scheduleViewLoads);
map.on("moveend", () => placeLabels());

// ---------------------------------------------------------------- deck.gl layers

/** Rings of a geofence's area as deck.gl polygons ([[lon, lat], ...] rings). */
function polygonsOf(g: Geofence): LonLat[][][] {
  const area = g.area as any;
  if (!area) return [];
  if (area.type === "Polygon") return [area.coordinates];
  if (area.type === "MultiPolygon") return area.coordinates;
  if (area.type === "Feature") return polygonsOf({ ...g, area: area.geometry });
  return [];
}

function cellColor(cell: Cell): [number, number, number, number] {
  if (!cell.allowed && (cell.code === "BLOCKED_AREA" || cell.code === "CELL_IS_DISABLED")) return hexToRgba(DENY_HEX, 190);
  if (cell.allowed) return hexToRgba(STATUS_HEX.available, 170);
  return hexToRgba(STATUS_HEX[statusKey(cell.status)], 170);
}

let lastLayers: any[] = [];
let takenUpLayers: any[] = [];
let lastSatelliteOrder: ReturnType<SatelliteFeed["positionsAt"]> = null;

function renderLayers(): void {
  const at = time.at;
  const layers: any[] = [];
  if (state.visible.cells && state.cells.length) {
    layers.push(
      new H3HexagonLayer<Cell>({
        id: "cells",
        // Under the borders (interleaved mode reads `beforeId`; not in the layer's typings).
        ...({ beforeId: "country-line" } as object),
        data: state.cells,
        getHexagon: (d) => d.cell,
        getFillColor: cellColor,
        getLineColor: [11, 21, 38, 160],
        lineWidthMinPixels: 0.5,
        extruded: false,
        pickable: true,
        updateTriggers: { getFillColor: state.cells },
      }),
    );
  }
  const starlinkMapLayer = starlinkMap.layer();
  if (starlinkMapLayer) layers.push(starlinkMapLayer.clone({ ...({ beforeId: "country-line" } as object) }));
  const coverageLayer = coverage.layer();
  if (coverageLayer) layers.push(coverageLayer);
  const findingsLayer = findings.layer();
  if (findingsLayer) layers.push(findingsLayer);
  if (state.visible.geofences && state.geofences.length) {
    const shown = state.geofences.filter((g) => isInForce(g, at) || ["proposed", "pending"].includes(geofenceState(g)));
    const polygons = shown.flatMap((g) => polygonsOf(g).map((polygon) => ({ g, polygon, inForce: isInForce(g, at) })));
    layers.push(
      new PolygonLayer<(typeof polygons)[number]>({
        id: "geofences",
        data: polygons,
        getPolygon: (d) => d.polygon as any,
        stroked: true,
        filled: true,
        getFillColor: (d) => (d.inForce && d.g.effect === "deny" ? hexToRgba(DENY_HEX, 60) : [0, 0, 0, 0]),
        // A reconstruction of the past is outlined in its own colour: it was recorded later.
        getLineColor: (d) =>
          d.g.reconstruction
            ? hexToRgba(RECONSTRUCTION_HEX, d.inForce ? 255 : 170)
            : d.inForce
              ? hexToRgba(d.g.effect === "deny" ? DENY_HEX : ALLOW_HEX, 255)
              : [255, 255, 255, 170],
        getLineWidth: (d) => (d.inForce ? (d.g.effect === "deny" ? 3 : 4) : 1.5),
        lineWidthUnits: "pixels",
        pickable: true,
        updateTriggers: { getFillColor: at.getTime(), getLineColor: at.getTime(), getLineWidth: at.getTime() },
      }),
    );
  }
  if (state.visible.geofences) {
    const cellFences = state.geofences
      .filter((g) => g.cells?.length && polygonsOf(g).length === 0)
      .filter((g) => isInForce(g, at) || ["proposed", "pending"].includes(geofenceState(g)))
      .flatMap((g) => g.cells!.map((cell) => ({ g, cell, inForce: isInForce(g, at) })));
    if (cellFences.length) {
      layers.push(
        new H3HexagonLayer<(typeof cellFences)[number]>({
          id: "geofence-cells",
          data: cellFences,
          getHexagon: (d) => d.cell,
          filled: true,
          stroked: true,
          extruded: false,
          getFillColor: (d) => (d.inForce && d.g.effect === "deny" ? hexToRgba(DENY_HEX, 60) : [0, 0, 0, 0]),
          getLineColor: (d) =>
            d.g.reconstruction
              ? hexToRgba(RECONSTRUCTION_HEX, d.inForce ? 255 : 170)
              : d.inForce
                ? hexToRgba(d.g.effect === "deny" ? DENY_HEX : ALLOW_HEX)
                : [255, 255, 255, 170],
          lineWidthUnits: "pixels",
          getLineWidth: 1.5,
          updateTriggers: { getFillColor: at.getTime(), getLineColor: at.getTime() },
        }),
      );
    }
  }
  if (state.visible.satellites) {
    lastSatelliteOrder = satellites.positionsAt(Date.now());
    if (lastSatelliteOrder) {
      const { positions, order } = lastSatelliteOrder;
      state.satelliteCount = positions.length / 2;
      const colours = orbits.coloursFor(order);
      layers.push(
        new ScatterplotLayer({
          id: "satellites",
          data: {
            length: positions.length / 2,
            attributes: {
              getPosition: { value: positions, size: 2 },
              ...(colours ? { getFillColor: { value: colours, size: 4, normalized: true } } : {}),
            },
          } as any,
          getRadius: 1.2,
          radiusUnits: "pixels",
          radiusMinPixels: 1,
          getFillColor: SATELLITE_RGBA,
          pickable: true,
        }),
      );
    }
  }
  layers.push(...orbits.layers());
  const terminalsLayer = terminals.layer();
  if (terminalsLayer) layers.push(terminalsLayer);
  layers.push(...ground.layers(map.getZoom()), ...route.layers());
  const labels = state.visible.labels ? places.layer() : null;
  if (labels) layers.push(labels);
  if (state.impactCells.length) {
    layers.push(
      new H3HexagonLayer<string>({
        id: "impact-cells",
        data: state.impactCells,
        getHexagon: (d) => d,
        filled: true,
        stroked: true,
        extruded: false,
        getFillColor: [255, 214, 10, 70],
        getLineColor: [255, 214, 10, 255],
        lineWidthUnits: "pixels",
        getLineWidth: 1.5,
      }),
    );
  }
  const drafting = drawer.active ? drawer.vertices : (operator.draftRing ?? []);
  if (drafting.length) {
    const path = drawer.active && drawer.cursor ? [...drafting, drawer.cursor] : drafting;
    layers.push(
      new PathLayer({
        id: "draft-outline",
        data: [{ path }],
        getPath: (d: any) => d.path,
        getColor: [255, 255, 255, 230],
        getWidth: 2,
        widthUnits: "pixels",
      }),
      new ScatterplotLayer<LonLat>({
        id: "draft-vertices",
        data: drafting,
        getPosition: (d) => d,
        getRadius: 4,
        radiusUnits: "pixels",
        getFillColor: [255, 255, 255, 255],
      }),
    );
  }
  if (state.pick) {
    layers.push(
      new ScatterplotLayer({
        id: "pick",
        data: [state.pick],
        getPosition: (d: any) => [d.lon, d.lat],
        getRadius: 7,
        radiusUnits: "pixels",
        stroked: true,
        filled: false,
        getLineColor: [255, 255, 255, 255],
        lineWidthMinPixels: 2.5,
      }),
    );
  }
  lastLayers = layers;
  overlay.setProps({ layers });
}

/**
 * The deck.gl layers on the map: those draws and picks use.  `overlay.setProps({ layers })` only
 * hands a list over; deck.gl takes it up at its next animation frame (its LayerManager keeps the
 * list aside until `updateLayers()`), and until then it draws and picks the list before.  A layer
 * deck.gl has taken up has its state (`isLoaded`), so the last list is on the map once every layer
 * of it is; before that, the one taken up earlier still is.
 */
function layersOnMap(): any[] {
  if (lastLayers.every((layer) => layer.isLoaded)) takenUpLayers = lastLayers;
  return takenUpLayers;
}

function tooltip(layerId: string | undefined, object: any, index: number): any {
  let html = "";
  if (layerId === "satellites" && lastSatelliteOrder) {
    const s = lastSatelliteOrder.order;
    html = `<strong>${escapeHtml(s.name[index])}</strong><br/>NORAD ${s.noradId[index]} · ${Math.round(s.altKm[index])} km<br/>${escapeHtml(orbits.shellText(s.noradId[index]))}<br/><span class="muted">click: its ground track</span>`;
  } else if (layerId === "cells" && object) {
    html = `<code>${escapeHtml(object.cell)}</code><br/>${escapeHtml(object.code)} · ${escapeHtml(object.country ?? "")}`;
  } else if (layerId === "starlink-map" && object) {
    html = starlinkMap.tooltip(object);
  } else if (layerId === "findings" && object) {
    html = findings.tooltip(object);
  } else if ((layerId === "gateways" || layerId === "pops") && object) {
    html = ground.tooltip(layerId, object);
  } else if (layerId?.startsWith("route-") && object) {
    html = route.tooltip(layerId, object);
  } else if (layerId === "coverage" && object) {
    html = coverage.tooltip(object);
  } else if (layerId === "terminals" && object) {
    html = terminals.tooltip(object);
  } else if (layerId === "geofences" && object) {
    html = `<strong>${escapeHtml(object.g.name)}</strong><br/>${escapeHtml(object.g.effect)} · ${escapeHtml(geofenceState(object.g))}${
      object.g.reconstruction ? `<br/>reconstruction of the past, recorded ${escapeHtml(object.g.recorded_at ?? "later")}` : ""
    }`;
  }
  return html ? { html, className: "deck-tooltip" } : null;
}

// Countries have no deck.gl layer: show their name and status from MapLibre's features.
const countryTip = document.createElement("div");
countryTip.className = "country-tip";
countryTip.hidden = true;
document.body.append(countryTip);
map.on("mousemove", (event) => {
  const features = state.visible.countries ? map.queryRenderedFeatures(event.point, { layers: ["country-fill"] }) : [];
  const p = features[0]?.properties;
  // deck.gl's own tooltip (a cell, a satellite, a geofence) takes precedence.
  const onDeckObject = overlay.pickObject({ x: event.point.x, y: event.point.y, radius: 2 });
  if (!p || drawer.active || onDeckObject) {
    countryTip.hidden = true;
    return;
  }
  const s = statusKey(p.status);
  countryTip.innerHTML = `${escapeHtml(p.name)} <span class="chip" style="background:${STATUS_HEX[s]}"></span>${escapeHtml(STATUS_LABEL[s])}${
    p.status_since ? ` <span class="muted">since ${escapeHtml(String(p.status_since).slice(0, 10))}</span>` : ""
  }`;
  countryTip.style.left = `${event.point.x + 14}px`;
  countryTip.style.top = `${event.point.y + 14}px`;
  countryTip.hidden = false;
});
map.on("mouseout", () => (countryTip.hidden = true));

// ---------------------------------------------------------------- panels

function showTab(name: string): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>("#tabs button")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const pane of document.querySelectorAll<HTMLElement>("[data-pane]")) pane.hidden = pane.dataset.pane !== name;
  if (name === "audit") void audit.transparency.load();
  if (name === "audit" && apiKey()) void audit.reload().then(() => audit.verify());
}
for (const button of document.querySelectorAll<HTMLButtonElement>("#tabs button")) {
  button.addEventListener("click", () => showTab(button.dataset.tab!));
}

function renderLayerPanel(): void {
  const pane = document.getElementById("pane-layers")!;
  const notes = layerNotes();
  pane.innerHTML = `${(Object.keys(LAYER_LABEL) as LayerName[])
    .map(
      (name) => `<label class="layer-toggle"><input type="checkbox" data-layer="${name}" ${state.visible[name] ? "checked" : ""} />
        ${LAYER_LABEL[name]}<span class="muted layer-note" data-note="${name}">${escapeHtml(notes[name] ?? "")}</span></label>${
          name === "coverage" && state.visible.coverage ? coverage.controls() : ""
        }${name === "findings" && state.visible.findings ? findings.controls() : ""}${
          name === "route" && state.visible.route ? `<div id="route-details">${route.details()}</div>` : ""
        }${
          name === "satellites"
            ? `<label class="layer-toggle sub"><input type="checkbox" id="satellites-by-shell" ${orbits.byShell ? "checked" : ""} /> coloured by shell</label><div id="track-note">${orbits.trackNote()}</div>`
            : ""
        }`,
    )
    .join("")}
    <p class="muted small-print">Coverage: satellites above a 25° elevation mask at each cell's centre, sampled over the window from the map's time.</p>`;
  pane.querySelector<HTMLInputElement>("#satellites-by-shell")?.addEventListener("change", (event) => {
    orbits.byShell = (event.target as HTMLInputElement).checked;
    renderLayers();
    renderLegend();
  });
  pane.querySelector<HTMLButtonElement>("#track-clear")?.addEventListener("click", () => orbits.clearTrack());
  pane.querySelector<HTMLSelectElement>("#coverage-figure")?.addEventListener("change", (event) => {
    coverage.select((event.target as HTMLSelectElement).value);
    renderLayers();
    renderLegend();
  });
  pane.querySelector<HTMLSelectElement>("#coverage-window")?.addEventListener("change", (event) => {
    const minutes = Number((event.target as HTMLSelectElement).value);
    coverage.window = WINDOWS.find((w) => w.minutes === minutes) ?? coverage.window;
    void loadCoverage();
  });
  findings.bind(pane, (message) => setStatus(message, "error"));
  for (const input of pane.querySelectorAll<HTMLInputElement>("input[data-layer]")) {
    input.addEventListener("change", () => {
      const name = input.dataset.layer as LayerName;
      state.visible[name] = input.checked;
      if (name === "countries") {
        for (const id of ["country-fill", "country-line"]) map.setLayoutProperty(id, "visibility", input.checked ? "visible" : "none");
      }
      if (name === "cells") void loadCells();
      if (name === "labels") placeLabels();
      if (name === "coverage") {
        // Two layers of hexagons hide each other: coverage on takes availability by cell off.
        if (input.checked && state.visible.cells) {
          state.visible.cells = false;
          void loadCells();
        }
        void loadCoverage();
        renderLayerPanel();
      }
      if (name === "starlinkMap") {
        starlinkMap.visible = input.checked;
        void starlinkMap.load(time.at);
      }
      if (name === "terminals") {
        terminals.visible = input.checked;
        void terminals.load(time.at);
      }
      if (name === "findings" || name === "route") {
        findings.visible = state.visible.findings;
        route.visible = state.visible.route;
        if (name === "findings") void findings.load(time.at);
        if (name === "route") route.reload(time.at);
        renderLayerPanel();
      }
      if (name === "ground") {
        ground.visible = input.checked;
        void ground.load();
      }
      if (name === "geofences" && input.checked) void operator.refresh();
      renderLayers();
    });
  }
}

function renderLegend(): void {
  const statuses = STATUS_ORDER.filter((s) => state.countryStatusCounts[s]);
  const legend = document.getElementById("legend")!;
  legend.innerHTML = `
    <h3>Country status</h3>
    ${statuses
      .map(
        (s) => `<div class="legend-row" data-status="${s}"><span class="swatch" style="background:${STATUS_HEX[s]}"></span>${STATUS_LABEL[s]}<span class="muted count">${state.countryStatusCounts[s]}</span></div>`,
      )
      .join("")}
    <h3>Overlays</h3>
    <div class="legend-row"><span class="swatch" style="background:${DENY_HEX};opacity:.75"></span>Cell switched off</div>
    <div class="legend-row"><span class="swatch-line deny"></span>Geofence: deny</div>
    <div class="legend-row"><span class="swatch-line allowlist"></span>Geofence: allow-list</div>
    <div class="legend-row"><span class="swatch-line proposed"></span>Geofence: proposed</div>
    ${
      state.geofences.some((g) => g.reconstruction)
        ? '<div class="legend-row" data-legend="reconstruction"><span class="swatch-line reconstruction"></span>Geofence: reconstruction of the past</div>'
        : ""
    }
    ${orbits.legend() || '<div class="legend-row"><span class="dot"></span>Satellite</div>'}
    ${orbits.track ? '<div class="legend-row"><span class="swatch-line track"></span>Ground track</div>' : ""}
    ${starlinkMap.legend()}
    ${terminals.legend()}
    ${coverage.legend()}
    ${findings.legend()}
    ${ground.legend()}
    ${route.legend()}`;
}

let statusTimer: number | undefined;
function setStatus(text: string, kind: "error" | "warning" | "info" = "info"): void {
  const el = document.getElementById("status")!;
  el.textContent = text;
  el.className = text ? kind : "";
  window.clearTimeout(statusTimer);
  if (text && kind === "info") statusTimer = window.setTimeout(() => setStatus(""), 4000);
}

// ---------------------------------------------------------------- animation

let lastFrame = 0;
function frame(now: number): void {
  if (time.isLive && state.visible.satellites && now - lastFrame >= FRAME_MS) {
    lastFrame = now;
    renderLayers();
  }
  requestAnimationFrame(frame);
}

// ---------------------------------------------------------------- start

renderLayerPanel();
renderLegend();
// On a phone the legend folds away behind its button (it would cover the map), open elsewhere.
{
  const legend = document.getElementById("legend")!;
  const toggle = document.getElementById("legend-toggle")!;
  const setFolded = (folded: boolean) => {
    legend.classList.toggle("folded", folded);
    toggle.setAttribute("aria-expanded", String(!folded));
  };
  setFolded(window.matchMedia("(max-width: 640px)").matches);
  toggle.addEventListener("click", () => setFolded(!legend.classList.contains("folded")));
}
// On a phone the panel and the time bar cover the bottom of the map: the place asked for (in
// the URL, the search box) is shown in the part that shows.  (Not with the map's own padding:
// deck.gl would pick objects off where it draws them; and only once the map has loaded, when
// deck.gl follows its moves.)
map.on("load", async () => {
  if (isPhone()) map.panBy([0, coveredBelow() / 2], { animate: false });
  satellites.start(time.isLive ? null : time.at);
  void places.load();
  void orbits.loadShells();
  void catalogOffer.load().then(() => catalogOffer.update(time.isLive ? new Date() : null));
  await Promise.all([loadCountries(), loadCells(), operator.refresh(), loadCoverage()]);
  if (apiKey()) void operator.loadTerminals();
  const lat = Number(params.get("lat"));
  const lon = Number(params.get("lon"));
  if (params.has("lat") && params.has("lon") && Number.isFinite(lat) && Number.isFinite(lon)) await decide(lat, lon);
  state.ready = true;
  requestAnimationFrame(frame);
});
setInterval(() => renderLayerPanelNotes(), 2000);
/** The line under each layer's checkbox: what it shows now, or why it shows nothing. */
function layerNotes(): Partial<Record<LayerName, string>> {
  return {
    cells: state.cellsNote,
    starlinkMap: starlinkMap.note,
    coverage: coverage.note,
    satellites: satelliteNote(),
    labels: places.payload ? `${places.payload.places.name.length.toLocaleString("en")} places (GeoNames) · ${places.labels.length} shown` : "",
    geofences: apiKey() ? `${state.geofences.length} known` : "needs an operator key",
    terminals: terminals.note,
    findings: findings.note,
    ground: ground.note,
    route: route.visible ? route.note : "",
  };
}

function renderLayerPanelNotes(): void {
  for (const [name, text] of Object.entries(layerNotes())) {
    const note = document.querySelector<HTMLElement>(`[data-note="${name}"]`);
    if (note) note.textContent = text;
  }
}
function satelliteNote(): string {
  if (!state.satelliteCount) return satellites.lastError ?? "";
  const when = time.isLive ? "moving live" : `at ${atText()}`;
  return `${state.satelliteCount.toLocaleString("en")} ${when}`;
}
// Refresh what changes with time in live mode (statuses and geofence windows), once a minute.
setInterval(() => {
  if (time.isLive) {
    void loadCountries();
    void loadCells();
    void loadCoverage();
    void terminals.load(time.at);
  }
}, 60_000);

// A small window into the page for the end-to-end tests and for debugging in the console.
declare global {
  interface Window {
    leolink: unknown;
  }
}
window.leolink = {
  state,
  map,
  overlay,
  satellites,
  coverage,
  starlinkMap,
  terminals,
  findings,
  ground,
  route,
  time,
  decide,
  places,
  orbits,
  land,
  catalogOffer,
  /** An H3 cell's centre as [lat, lon] (for the tests' land checks). */
  h3center: (cell: string) => cellToLatLng(cell),
  /** Whether deck.gl has taken up the layers last handed to it (a pick now sees them). */
  layersTakenUp: () => layersOnMap() === lastLayers,
  /** The data of a deck.gl layer on the map now, by id. */
  layerData: (id: string) => layersOnMap().find((layer) => layer.id === id)?.props.data,
  /** The MapLibre layer a deck.gl layer is drawn before (null: on top). */
  layerBeforeId: (id: string) => layersOnMap().find((layer) => layer.id === id)?.props.beforeId ?? null,
  /** Each deck.gl layer on the map now (taken up by deck.gl, so drawn and picked): its number of objects. */
  layerSummary: () =>
    Object.fromEntries(layersOnMap().map((layer) => [layer.id, { count: layer.props.data?.length ?? 0 }])),
};
