// Drawing a geofence polygon on the map: click to add a vertex, double-click (or click the
// first vertex) to close, Backspace to drop the last vertex, Escape to cancel.  A few lines on
// MapLibre's own events; the drawing is shown by deck.gl layers built from `vertices`.

import type { Map as MapLibreMap, MapMouseEvent } from "maplibre-gl";

export type LonLat = [number, number];

const CLOSE_PX = 8;

export class PolygonDrawer {
  vertices: LonLat[] = [];
  cursor: LonLat | null = null;
  active = false;
  private readonly handlers: Array<[string, (event: any) => void]>;

  constructor(
    private readonly map: MapLibreMap,
    private readonly onChange: () => void,
    private readonly onClose: (ring: LonLat[]) => void,
  ) {
    this.handlers = [
      ["click", (event: MapMouseEvent) => this.click(event)],
      ["dblclick", (event: MapMouseEvent) => this.doubleClick(event)],
      ["mousemove", (event: MapMouseEvent) => this.move(event)],
    ];
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.vertices = [];
    this.cursor = null;
    this.map.doubleClickZoom.disable();
    this.map.getCanvas().style.cursor = "crosshair";
    for (const [type, handler] of this.handlers) this.map.on(type as any, handler);
    window.addEventListener("keydown", this.key);
    this.onChange();
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    this.cursor = null;
    this.map.getCanvas().style.cursor = "";
    for (const [type, handler] of this.handlers) this.map.off(type as any, handler);
    window.removeEventListener("keydown", this.key);
    // Re-enable after this event's double-click has passed, so that closing does not zoom.
    setTimeout(() => this.map.doubleClickZoom.enable(), 0);
    this.onChange();
  }

  /** The closed ring as GeoJSON wants it (first vertex repeated at the end), or null. */
  ring(): LonLat[] | null {
    return this.vertices.length >= 3 ? [...this.vertices, this.vertices[0]] : null;
  }

  private near(a: LonLat, b: LonLat): boolean {
    const pa = this.map.project(a);
    const pb = this.map.project(b);
    return Math.hypot(pa.x - pb.x, pa.y - pb.y) <= CLOSE_PX;
  }

  private click(event: MapMouseEvent): void {
    const point: LonLat = [event.lngLat.lng, event.lngLat.lat];
    if (this.vertices.length >= 3 && this.near(point, this.vertices[0])) {
      this.close();
      return;
    }
    const last = this.vertices.at(-1);
    if (!last || !this.near(point, last)) this.vertices.push(point);
    this.onChange();
  }

  private doubleClick(event: MapMouseEvent): void {
    event.preventDefault();
    if (this.vertices.length >= 3) this.close();
  }

  private move(event: MapMouseEvent): void {
    this.cursor = [event.lngLat.lng, event.lngLat.lat];
    this.onChange();
  }

  private close(): void {
    const ring = this.ring();
    this.stop();
    if (ring) this.onClose(ring);
  }

  private readonly key = (event: KeyboardEvent): void => {
    if ((event.target as HTMLElement)?.tagName === "INPUT") return;
    if (event.key === "Escape") {
      this.vertices = [];
      this.stop();
    } else if (event.key === "Backspace") {
      this.vertices.pop();
      this.onChange();
    } else if (event.key === "Enter" && this.vertices.length >= 3) {
      this.close();
    }
  };
}
