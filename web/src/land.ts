// Which country's land a point is on, from the countries layer the map already has (Natural
// Earth 1:50m, simplified to ~1 km by the service): used to keep layers that are about land (the
// coverage figures) off the sea, or within the country a person chose.  Each polygon part keeps
// its bounding box, so a point is tested against the few parts whose box holds it.

type Ring = [number, number][];

interface Part {
  code: string;
  box: [number, number, number, number];
  rings: Ring[];
}

function inRing(lon: number, lat: number, ring: Ring): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export class Land {
  private parts: Part[] = [];

  setCountries(fc: GeoJSON.FeatureCollection): void {
    this.parts = [];
    for (const feature of fc.features) {
      const code = String(feature.properties?.iso_a2 ?? feature.properties?.iso_a3 ?? "");
      const g = feature.geometry as any;
      const polygons: Ring[][] = g?.type === "Polygon" ? [g.coordinates] : g?.type === "MultiPolygon" ? g.coordinates : [];
      for (const rings of polygons) {
        let w = 180, s = 90, e = -180, n = -90;
        for (const [x, y] of rings[0]) {
          w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y);
        }
        this.parts.push({ code, box: [w, s, e, n], rings });
      }
    }
  }

  get ready(): boolean {
    return this.parts.length > 0;
  }

  /** The ISO code of the country whose land holds (lat, lon), or null at sea. */
  countryAt(lat: number, lon: number): string | null {
    for (const part of this.parts) {
      const [w, s, e, n] = part.box;
      if (lon < w || lon > e || lat < s || lat > n) continue;
      if (!inRing(lon, lat, part.rings[0])) continue;
      if (part.rings.slice(1).some((hole) => inRing(lon, lat, hole))) continue;
      return part.code;
    }
    return null;
  }
}
