// When the map follows the clock but the service's catalog is far from now (its element sets
// are days or months old), positions and every "satellite in view" are indicative only.  The
// map says so and offers to jump to the catalog's own date, where it is exact.

import { get } from "./api";
import { escapeHtml } from "./decision";
import { parseIsoZ } from "./time";

interface Health {
  catalog: { satellites: number; epoch_min: string; epoch_max: string };
}

/** Days between now and the catalog's epochs past which the map offers the catalog's date. */
export const OFFER_AFTER_DAYS = 3;

const DAY_MS = 86_400_000;

export class CatalogOffer {
  epochMax: Date | null = null;
  private dismissed = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly jump: (at: Date) => void,
  ) {}

  async load(): Promise<void> {
    try {
      const health = await get<Health>("/v1/health");
      this.epochMax = parseIsoZ(health.catalog.epoch_max);
    } catch {
      this.epochMax = null;
    }
  }

  /** The instant the catalog is exact at: noon of its newest epochs' day, UTC. */
  get catalogAt(): Date | null {
    if (!this.epochMax) return null;
    return new Date(Math.floor(this.epochMax.getTime() / DAY_MS) * DAY_MS + DAY_MS / 2);
  }

  /** Show or hide the offer for the map's time (`null`: live). */
  update(liveNow: Date | null): void {
    const at = this.catalogAt;
    const days = at && liveNow ? Math.abs(liveNow.getTime() - this.epochMax!.getTime()) / DAY_MS : 0;
    if (!at || !liveNow || days <= OFFER_AFTER_DAYS || this.dismissed) {
      this.root.hidden = true;
      return;
    }
    const date = at.toISOString().slice(0, 10);
    this.root.hidden = false;
    this.root.innerHTML = `<div><strong>The satellite catalog is ${Math.round(days)} days from now.</strong>
      Positions and “satellite in view” are indicative only at this time.</div>
      <div class="row"><button id="catalog-jump" type="button" class="active">Show ${escapeHtml(date)} (the catalog's date)</button>
      <button id="catalog-stay" type="button">Stay at now</button></div>
      <div class="muted small">A fresh catalog: <code>leolink catalog update</code>, then restart the service.</div>`;
    this.root.querySelector("#catalog-jump")!.addEventListener("click", () => {
      this.root.hidden = true;
      this.jump(at);
    });
    this.root.querySelector("#catalog-stay")!.addEventListener("click", () => {
      this.dismissed = true;
      this.root.hidden = true;
    });
  }
}
