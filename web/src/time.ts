// The time control: "live" (the map follows the clock) or a chosen instant, typed as ISO 8601
// UTC or moved with a slider of ±24 hours around it.  Every view of the map (countries, cells,
// decisions, satellites, geofences) is asked for at this instant.

export function isoZ(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function parseIsoZ(text: string): Date | null {
  const trimmed = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?Z?$/.test(trimmed)) return null;
  const withZone = trimmed.length === 10 ? `${trimmed}T00:00:00Z` : trimmed.endsWith("Z") ? trimmed : `${trimmed}Z`;
  const date = new Date(withZone);
  return Number.isNaN(date.getTime()) ? null : date;
}

const SLIDER_RANGE_MIN = 24 * 60;

export class TimeControl {
  /** The chosen instant, or null when live. */
  private chosen: Date | null;
  private anchor: Date;
  private readonly input: HTMLInputElement;
  private readonly slider: HTMLInputElement;
  private readonly liveButton: HTMLButtonElement;
  private readonly clock: HTMLElement;

  constructor(
    root: HTMLElement,
    initial: Date | null,
    private readonly onChange: (at: Date | null) => void,
  ) {
    this.chosen = initial;
    this.anchor = initial ?? new Date();
    root.innerHTML = `
      <div class="time-row">
        <span class="time-label">Time (UTC)</span>
        <output id="time-clock" class="time-clock"></output>
        <button id="time-live" type="button" title="Follow the clock">Live</button>
      </div>
      <div class="time-row">
        <input id="time-at" type="text" spellcheck="false" placeholder="2022-09-16T22:00:00Z"
               aria-label="instant, ISO 8601 UTC" />
        <button id="time-set" type="button">Set</button>
      </div>
      <input id="time-slider" type="range" min="${-SLIDER_RANGE_MIN}" max="${SLIDER_RANGE_MIN}"
             step="10" value="0" aria-label="minutes from the chosen instant" />`;
    this.input = root.querySelector("#time-at")!;
    this.slider = root.querySelector("#time-slider")!;
    this.liveButton = root.querySelector("#time-live")!;
    this.clock = root.querySelector("#time-clock")!;
    this.input.value = isoZ(this.anchor);
    root.querySelector("#time-set")!.addEventListener("click", () => this.applyInput());
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") this.applyInput();
    });
    this.liveButton.addEventListener("click", () => this.set(null));
    this.slider.addEventListener("input", () => this.showSlider());
    this.slider.addEventListener("change", () => {
      const minutes = Number(this.slider.value);
      this.chosen = new Date(this.anchor.getTime() + minutes * 60_000);
      this.render();
      this.onChange(this.chosen);
    });
    setInterval(() => this.render(), 1000);
    this.render();
  }

  /** The instant the map shows: the chosen one, or now. */
  get at(): Date {
    return this.chosen ?? new Date();
  }

  get isLive(): boolean {
    return this.chosen === null;
  }

  set(at: Date | null): void {
    this.chosen = at;
    this.anchor = at ?? new Date();
    this.slider.value = "0";
    this.input.value = isoZ(this.anchor);
    this.input.classList.remove("invalid");
    this.render();
    this.onChange(at);
  }

  private applyInput(): void {
    const date = parseIsoZ(this.input.value);
    if (!date) {
      this.input.classList.add("invalid");
      return;
    }
    this.set(date);
  }

  private showSlider(): void {
    const minutes = Number(this.slider.value);
    this.clock.textContent = isoZ(new Date(this.anchor.getTime() + minutes * 60_000));
  }

  private render(): void {
    this.clock.textContent = isoZ(this.at);
    this.liveButton.classList.toggle("active", this.isLive);
    this.liveButton.setAttribute("aria-pressed", String(this.isLive));
  }
}
