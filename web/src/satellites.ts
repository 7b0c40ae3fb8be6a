// Satellite positions from GET /v1/satellites?at=T.  Live: a snapshot every few seconds for
// an instant a little ahead of the clock, and positions interpolated between the two snapshots
// around "now" (great-circle steps are short, so linear in lat/lon with the longitude
// unwrapped is within a pixel).  At a chosen instant: one snapshot.

import { get } from "./api";
import { isoZ } from "./time";

export const SATELLITE_PERIOD_MS = 5000;
const LEAD_MS = 2 * SATELLITE_PERIOD_MS;

interface SatellitesPayload {
  at: string;
  satellites: Record<string, unknown[]> | Record<string, unknown>[];
  warning?: string | null;
}

export interface Snapshot {
  atMs: number;
  noradId: Int32Array;
  name: string[];
  latDeg: Float64Array;
  lonDeg: Float64Array;
  altKm: Float64Array;
  warning: string | null;
}

/** Read the columnar form ({norad_id: [...], ...}) or the row form ([{norad_id, ...}]). */
export function parseSnapshot(payload: SatellitesPayload): Snapshot {
  const sats = payload.satellites;
  const column = (name: string): unknown[] =>
    Array.isArray(sats) ? sats.map((row) => row[name]) : ((sats[name] as unknown[]) ?? []);
  const numbers = (values: unknown[]) => Float64Array.from(values, (v) => (v == null ? Number.NaN : Number(v)));
  const noradId = Int32Array.from(column("norad_id"), Number);
  return {
    atMs: Date.parse(payload.at),
    noradId,
    name: column("name").map(String),
    latDeg: numbers(column("lat_deg")),
    lonDeg: numbers(column("lon_deg")),
    altKm: numbers(column("alt_km")),
    warning: payload.warning ?? null,
  };
}

/** How far past the newest snapshot positions are extrapolated while the next one is late. */
export const EXTRAPOLATE_MS = 3 * SATELLITE_PERIOD_MS;

/**
 * Positions (lon, lat pairs) at `tMs`, in the order of snapshot `b`: interpolated between `a`
 * and `b`, or extrapolated along the same step up to EXTRAPOLATE_MS past `b` (a few seconds
 * of a ~95-minute orbit are close to a straight line in lat/lon away from the poles).
 */
export function interpolate(a: Snapshot, b: Snapshot, tMs: number): Float32Array {
  const n = b.noradId.length;
  const out = new Float32Array(2 * n);
  const span = b.atMs - a.atMs;
  const fMax = span > 0 ? 1 + EXTRAPOLATE_MS / span : 1;
  const f = span > 0 ? Math.min(fMax, Math.max(0, (tMs - a.atMs) / span)) : 1;
  let indexInA: (i: number) => number;
  if (a.noradId.length === n && a.noradId[0] === b.noradId[0] && a.noradId[n - 1] === b.noradId[n - 1]) {
    indexInA = (i) => i;
  } else {
    const where = new Map<number, number>();
    a.noradId.forEach((id, i) => where.set(id, i));
    indexInA = (i) => where.get(b.noradId[i]) ?? -1;
  }
  for (let i = 0; i < n; i++) {
    const j = indexInA(i);
    const lonB = b.lonDeg[i];
    const latB = b.latDeg[i];
    if (j < 0 || !Number.isFinite(a.lonDeg[j]) || !Number.isFinite(a.latDeg[j])) {
      out[2 * i] = lonB;
      out[2 * i + 1] = latB;
      continue;
    }
    const dLon = ((((lonB - a.lonDeg[j]) % 360) + 540) % 360) - 180;
    let lon = a.lonDeg[j] + f * dLon;
    if (lon > 180) lon -= 360;
    if (lon < -180) lon += 360;
    out[2 * i] = lon;
    out[2 * i + 1] = Math.max(-90, Math.min(90, a.latDeg[j] + f * (latB - a.latDeg[j])));
  }
  return out;
}

export class SatelliteFeed {
  private snapshots: Snapshot[] = [];
  private timer: number | undefined;
  private fixedAt: Date | null = null;
  private generation = 0;
  private inFlight = 0;
  /** Requests answered with data, for tests and the status line. */
  fetches = 0;
  lastError: string | null = null;

  constructor(private readonly onUpdate: () => void) {}

  get latest(): Snapshot | null {
    return this.snapshots.at(-1) ?? null;
  }

  /** Follow the clock (`at` null) or hold one instant. */
  start(at: Date | null): void {
    this.stop();
    this.generation += 1;
    this.snapshots = [];
    this.fixedAt = at;
    if (at) {
      void this.fetch(at.getTime());
      return;
    }
    const now = Date.now();
    void this.fetch(now);
    void this.fetch(now + SATELLITE_PERIOD_MS);
    this.timer = window.setInterval(() => {
      if (this.inFlight === 0) void this.fetch(Date.now() + LEAD_MS);
    }, SATELLITE_PERIOD_MS);
  }

  stop(): void {
    if (this.timer !== undefined) window.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Positions at `tMs` and the snapshot whose order (names, ids) they follow. */
  positionsAt(tMs: number): { positions: Float32Array; order: Snapshot } | null {
    const snaps = this.snapshots;
    if (snaps.length === 0) return null;
    if (this.fixedAt || snaps.length === 1) {
      const only = snaps.at(-1)!;
      return { positions: interpolate(only, only, only.atMs), order: only };
    }
    let b = snaps.findIndex((s) => s.atMs >= tMs);
    if (b <= 0) b = b === 0 ? 1 : snaps.length - 1;
    return { positions: interpolate(snaps[b - 1], snaps[b], tMs), order: snaps[b] };
  }

  private async fetch(tMs: number): Promise<void> {
    const generation = this.generation;
    this.inFlight += 1;
    try {
      const payload = await get<SatellitesPayload>("/v1/satellites", { at: isoZ(new Date(tMs)) });
      if (generation !== this.generation) return;
      const snapshot = parseSnapshot(payload);
      this.snapshots = [...this.snapshots.filter((s) => s.atMs !== snapshot.atMs), snapshot]
        .sort((x, y) => x.atMs - y.atMs)
        .slice(-3);
      this.fetches += 1;
      this.lastError = null;
    } catch (error) {
      if (generation === this.generation) this.lastError = (error as Error).message;
    } finally {
      this.inFlight -= 1;
    }
    if (generation === this.generation) this.onUpdate();
  }
}
