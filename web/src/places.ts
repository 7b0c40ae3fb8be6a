// Place and country labels and the search box, from GET /v1/places (GeoNames cities and the
// countries' label points, vendored in the package: nothing from the Internet).  Labels are a
// deck.gl TextLayer (its glyphs are drawn from the browser's own fonts); which labels show is
// decided once the map stops moving, most populous first, dropping any that would overlap one
// already placed.

import { TextLayer } from "@deck.gl/layers";

import { get } from "./api";

interface PlacesPayload {
  source: string;
  min_population: number;
  places: { name: string[]; country: string[]; lat_deg: number[]; lon_deg: number[]; population: number[] };
  countries: { iso_a2: string[]; name: string[]; lat_deg: number[]; lon_deg: number[] };
}

export interface Label {
  text: string;
  lon: number;
  lat: number;
  kind: "country" | "place";
}

export interface SearchResult {
  kind: "coordinates" | "country" | "place" | "satellite";
  label: string;
  detail: string;
  lat: number;
  lon: number;
  /** ISO code of a country result; NORAD id of a satellite. */
  code?: string;
}

/** Lower case without accents, so that "sao paulo" finds "São Paulo". */
export function fold(text: string): string {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
}

/**
 * "48.85, 2.35", "48.85 2.35", "48.85N 2.35E", "33.9S, 18.4E" as {lat, lon}; null if the text is
 * not a latitude and a longitude (latitude first, as everywhere in leolink).
 */
export function parseCoordinates(text: string): { lat: number; lon: number } | null {
  const match = text
    .trim()
    .match(/^([+-]?\d+(?:\.\d+)?)\s*°?\s*([NS])?\s*[,;\s]\s*([+-]?\d+(?:\.\d+)?)\s*°?\s*([EW])?$/i);
  if (!match) return null;
  let lat = Number(match[1]);
  let lon = Number(match[3]);
  if (match[2]?.toUpperCase() === "S") lat = -lat;
  if (match[4]?.toUpperCase() === "W") lon = -lon;
  if (!(Math.abs(lat) <= 90 && Math.abs(lon) <= 180)) return null;
  return { lat, lon };
}

/** Font size, pixels, of a place label by population: bigger places, bigger names. */
function placeSize(population: number): number {
  return population >= 5_000_000 ? 13 : population >= 1_000_000 ? 12 : 11;
}

export class Places {
  payload: PlacesPayload | null = null;
  labels: Label[] = [];
  private folded: string[] = [];
  private countryArea = new Map<string, number>();

  constructor(private readonly onChange: () => void) {}

  async load(): Promise<void> {
    try {
      this.payload = await get<PlacesPayload>("/v1/places");
      this.folded = this.payload.places.name.map(fold);
    } catch {
      this.payload = null; // labels and search by name are extras: the map works without them
    }
    this.onChange();
  }

  /** How big each country is (its bounding box, degrees²): bigger countries are labelled first. */
  setCountries(fc: GeoJSON.FeatureCollection): void {
    this.countryArea.clear();
    for (const feature of fc.features) {
      const code = feature.properties?.iso_a2;
      if (!code || !feature.geometry) continue;
      let w = 180, s = 90, e = -180, n = -90;
      const visit = (c: any): void => {
        if (typeof c[0] === "number") {
          w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]);
        } else for (const x of c) visit(x);
      };
      visit((feature.geometry as any).coordinates ?? []);
      this.countryArea.set(code, Math.max(0, e - w) * Math.max(0, n - s));
    }
  }

  /**
   * Choose the labels for the view: countries (below zoom 5.5, largest first), then places
   * (from zoom 2.5, most populous first), each kept if its box overlaps none kept before.
   * `project` maps [lon, lat] to pixels; `width` and `height` are the view's.
   */
  place(zoom: number, project: (lonLat: [number, number]) => { x: number; y: number }, width: number, height: number): void {
    const p = this.payload;
    if (!p) return;
    const boxes: [number, number, number, number][] = [];
    const out: Label[] = [];
    const tryAdd = (label: Label, size: number): void => {
      const { x, y } = project([label.lon, label.lat]);
      if (x < -50 || y < -20 || x > width + 50 || y > height + 20) return;
      const half = (label.text.length * size * 0.62) / 2 + 4;
      const box: [number, number, number, number] = [x - half, y - size, x + half, y + size];
      if (boxes.some((b) => b[0] < box[2] && box[0] < b[2] && b[1] < box[3] && box[1] < b[3])) return;
      boxes.push(box);
      out.push(label);
    };
    if (zoom < 5.5) {
      const order = p.countries.iso_a2.map((_, i) => i).sort((a, b) => (this.countryArea.get(p.countries.iso_a2[b]) ?? 0) - (this.countryArea.get(p.countries.iso_a2[a]) ?? 0));
      for (const i of order) {
        tryAdd({ text: p.countries.name[i].toUpperCase(), lon: p.countries.lon_deg[i], lat: p.countries.lat_deg[i], kind: "country" }, 11);
        if (out.length >= 80) break;
      }
    }
    if (zoom >= 2.5) {
      // Fewer and bigger places further out: ~1 M people at zoom 3, every listed town from 6.
      const minPopulation = zoom >= 6 ? 0 : zoom >= 5 ? 150_000 : zoom >= 4 ? 400_000 : 1_000_000;
      const limit = out.length + 120;
      for (let i = 0; i < p.places.name.length && out.length < limit; i++) {
        if (p.places.population[i] < minPopulation) break; // sorted by population
        tryAdd({ text: p.places.name[i], lon: p.places.lon_deg[i], lat: p.places.lat_deg[i], kind: "place" }, placeSize(p.places.population[i]));
      }
    }
    this.labels = out;
  }

  layer(): TextLayer<Label> | null {
    if (!this.labels.length) return null;
    return new TextLayer<Label>({
      id: "labels",
      data: this.labels,
      getText: (d) => d.text,
      getPosition: (d) => [d.lon, d.lat],
      getSize: (d) => (d.kind === "country" ? 11 : 12),
      sizeUnits: "pixels",
      getColor: (d) => (d.kind === "country" ? [225, 232, 240, 200] : [255, 255, 255, 245]),
      fontFamily: 'system-ui, "DejaVu Sans", sans-serif',
      fontWeight: 600,
      characterSet: "auto",
      getTextAnchor: "middle",
      getAlignmentBaseline: "center",
      fontSettings: { sdf: true, fontSize: 48, buffer: 6 },
      outlineWidth: 3,
      outlineColor: [11, 21, 38, 230],
      updateTriggers: { getText: this.labels },
    });
  }

  /** Coordinates, countries (by name or ISO code) and places (by name), best first. */
  search(query: string, limit = 8): SearchResult[] {
    const results: SearchResult[] = [];
    const coordinates = parseCoordinates(query);
    if (coordinates) {
      results.push({ kind: "coordinates", label: `${coordinates.lat.toFixed(4)}°, ${coordinates.lon.toFixed(4)}°`, detail: "latitude, longitude", ...coordinates });
    }
    const q = fold(query);
    const p = this.payload;
    if (!q || !p) return results;
    p.countries.name.forEach((name, i) => {
      const f = fold(name);
      if (f.startsWith(q) || p.countries.iso_a2[i].toLowerCase() === q) {
        results.push({ kind: "country", label: name, detail: `country · ${p.countries.iso_a2[i]}`, lat: p.countries.lat_deg[i], lon: p.countries.lon_deg[i], code: p.countries.iso_a2[i] });
      }
    });
    const starts: number[] = [];
    const contains: number[] = [];
    for (let i = 0; i < this.folded.length && starts.length < limit; i++) {
      if (this.folded[i].startsWith(q)) starts.push(i);
      else if (contains.length < limit && q.length >= 3 && this.folded[i].includes(q)) contains.push(i);
    }
    for (const i of [...starts, ...contains]) {
      results.push({
        kind: "place",
        label: p.places.name[i],
        detail: `${p.places.country[i]} · ${p.places.population[i].toLocaleString("en")} people`,
        lat: p.places.lat_deg[i],
        lon: p.places.lon_deg[i],
      });
    }
    return results.slice(0, limit);
  }

  /** People in listed places whose position `inside` accepts (a lower bound: small towns are not listed). */
  peopleWhere(inside: (lat: number, lon: number) => boolean): { people: number; places: number } {
    const p = this.payload;
    let people = 0;
    let places = 0;
    if (!p) return { people, places };
    for (let i = 0; i < p.places.name.length; i++) {
      if (inside(p.places.lat_deg[i], p.places.lon_deg[i])) {
        people += p.places.population[i];
        places += 1;
      }
    }
    return { people, places };
  }

  get minPopulation(): number {
    return this.payload?.min_population ?? 0;
  }
}
